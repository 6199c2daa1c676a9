"""Spread trading's streams (issue #17, V5_MORE.md §5.11), frame by frame on the dict and typed paths and
end to end through FakeBybit("v5"): the public order book, trades and tickers on ``/v5/public/spread``
(``urls`` key ``v5.spread``, option-style ``COMMAND_RESP`` replies), and the private ``spread.order`` and
``spread.execution``.

Fixtures (tests/fixtures/frames/v5_spread_*): ``v5_spread_orderbook_delta`` is Bybit's docs example;
the others are built from the field lists of V5_MORE.md §5.11 (Bybit's docs give no example of them).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from bybit_ws import MAINNET_URLS, TESTNET_URLS, BybitSocketClient, UpdateType
from bybit_ws._convert import structurer
from bybit_ws.dialects._base import Reply
from bybit_ws.dialects._v5 import V5Dialect
from bybit_ws.enums import OrderSide, OrderStatus, OrderType, TickDirection, TradeType
from bybit_ws.models.v5 import (
    CreateType,
    OrderBookEntry,
    OrderBookUpdate,
    SpreadCategory,
    SpreadOrder,
    SpreadUserTrade,
    Ticker,
    Trade,
    parse_order_book,
)
from bybit_ws.testing import FakeBybit

from .support import API_KEY, API_SECRET, ClientFactory, Collector, clients_for, frame, frame_text

UTC = timezone.utc
SPREAD = V5Dialect("spread")
PRIVATE = V5Dialect("private")
COMBO = "SOLUSDT_SOL/USDT"


def ms(value: int) -> datetime:
    return datetime.fromtimestamp(value // 1000, tz=UTC).replace(microsecond=value % 1000 * 1000)


def both_paths(dialect: V5Dialect, name: str, *, typed: bool = True) -> tuple[str, Any]:
    """Parse a fixture frame on the dict path and on the typed path: the same data. With ``typed=False``
    the typed path declines the frame (a ``ValueError``), as it does any frame with ``""`` for a number:
    the engine then takes the dict path."""
    raw = frame(name)
    spec = dialect.topic_spec(raw["topic"])
    assert spec is not None
    parsed = spec.parse(raw, raw["topic"], {})
    assert parsed is not None
    assert spec.typed is not None
    data = frame_text(name).encode()
    if typed:
        assert spec.typed.parse(spec.typed.decode(data), {}) == parsed
    else:
        with pytest.raises(ValueError):
            spec.typed.decode(data)
    return parsed


# ------------------------------------------------------------------------------ dialect
def test_spread_dialect_knows_its_three_families_only() -> None:
    for topic in (f"orderbook.25.{COMBO}", f"publicTrade.{COMBO}", f"tickers.{COMBO}"):
        assert SPREAD.topic_spec(topic) is V5Dialect("linear").topic_spec(topic)  # the same engine
    assert SPREAD.topic_spec(f"kline.1.{COMBO}") is None
    assert SPREAD.max_args_per_request is None  # futures and spread: no args limit (V5_MORE.md §1)
    assert all(getattr(PRIVATE.topic_spec(t), "private", False) for t in ("spread.order", "spread.execution"))
    assert PRIVATE.topic_spec("spread.order") is not PRIVATE.topic_spec("order")


def test_spread_subscribe_reply_is_command_resp() -> None:
    reply = SPREAD.classify(frame("v5_subscribe_ok_public_spread"))
    assert isinstance(reply, Reply)
    assert reply.success
    assert reply.req_id == "2"
    assert reply.args == (f"orderbook.25.{COMBO}",)
    assert reply.failed_args == ()


# ------------------------------------------------------------------------------ frame by frame
def test_spread_order_book_snapshot_and_docs_delta() -> None:
    kind, snapshot = both_paths(SPREAD, "v5_spread_orderbook_snapshot")
    assert kind == "snapshot"
    assert snapshot.symbol == COMBO
    assert snapshot.bids[0] == OrderBookEntry(price=Decimal("22.3605"), quantity=Decimal("11.2"))
    assert len(snapshot.asks) == 2
    raw = frame("v5_spread_orderbook_delta")
    kind, delta = both_paths(SPREAD, "v5_spread_orderbook_delta")
    assert kind == "delta"
    assert delta == parse_order_book(raw["data"], ts=raw["ts"], cts=raw["cts"])
    assert delta.bids == ()
    assert delta.asks == (OrderBookEntry(price=Decimal("22.3755"), quantity=Decimal("4.7")),)
    assert (delta.update_id, delta.sequence) == (64892, 299084)
    assert delta.timestamp == ms(1744165512257)
    assert delta.matching_engine_timestamp == ms(1744165512234)


def test_spread_trade_frame() -> None:
    kind, (trade,) = both_paths(SPREAD, "v5_spread_public_trade")
    assert kind == "data"
    assert trade == Trade(
        timestamp=ms(1744170142720),
        symbol=COMBO,
        side=OrderSide.BUY,
        quantity=Decimal("2.5"),
        price=Decimal("22.3755"),
        id="a3a1a2ce-4c4a-5b1f-9d52-83e0d4c1e7a0",
        direction=TickDirection.PLUS_TICK,
        sequence=299101,
    )


def test_spread_ticker_frame() -> None:
    kind, ticker = both_paths(SPREAD, "v5_spread_ticker")
    assert kind == "data"
    assert ticker == Ticker(
        symbol=COMBO,
        best_bid_price=Decimal("22.3605"),
        best_bid_quantity=Decimal("11.2"),
        best_ask_price=Decimal("22.3755"),
        best_ask_quantity=Decimal("4.7"),
        last_price=Decimal("22.3700"),
        high_price_24h=Decimal("22.9000"),
        low_price_24h=Decimal("21.8000"),
        previous_price_24h=Decimal("22.1000"),
        volume_24h=Decimal("3520.4"),
    )


def test_spread_order_frame_combination_and_leg() -> None:
    kind, (combo, leg) = both_paths(PRIVATE, "v5_spread_order", typed=False)
    assert kind == "data"
    assert combo == SpreadOrder(
        order_id="1d3b3f6c-b8fa-4c63-8e3d-3a0c3ff6a4b1",
        symbol=COMBO,
        category=SpreadCategory.COMBINATION,
        parent_order_id="",
        client_order_id="spread-0001",
        side=OrderSide.BUY,
        status=OrderStatus.FILLED,
        cancel_type=combo.cancel_type,
        reject_reason="EC_NoError",
        time_in_force=combo.time_in_force,
        order_type=OrderType.LIMIT,
        price=Decimal("22.3755"),
        quantity=Decimal("2.5"),
        average_price=Decimal("22.3755"),
        quantity_remaining=Decimal("0"),
        value_remaining=Decimal("0"),
        quantity_filled=Decimal("2.5"),
        value_filled=Decimal("55.93875"),
        executed_fee=None,
        fee_asset="",
        fee_details=(),
        is_leverage=None,
        create_type=CreateType.CREATE_BY_USER,
        closed_pnl=None,
        create_time=ms(1744170299870),
        update_time=ms(1744170300005),
    )
    assert combo.cancel_type is not None and combo.cancel_type.value == "UNKNOWN"
    # v5 sends "GTC": kept as an open member (TimeInForce's named members are v2's "GoodTillCancel"...)
    assert combo.time_in_force is not None and combo.time_in_force.value == "GTC"
    assert leg.category is SpreadCategory.FUTURE_LEG
    assert leg.parent_order_id == combo.order_id
    assert leg.symbol == "SOLUSDT"
    assert leg.is_leverage is False
    assert leg.create_type is CreateType.CREATE_BY_FUTURE_SPREAD
    assert dict(leg.fee_details or ()) == {"USDT": Decimal("0.1475")}
    assert leg.closed_pnl == Decimal("0")


def test_spread_execution_frame_leg_carries_the_combination_fill() -> None:
    kind, (combo, leg) = both_paths(PRIVATE, "v5_spread_execution", typed=False)
    assert kind == "data"
    assert combo.category is SpreadCategory.COMBINATION
    assert (combo.trade_type, combo.is_maker, combo.is_leverage) == (TradeType.FUTURE_SPREAD, False, None)
    assert (combo.fee, combo.fee_v2, combo.parent_trade_id) == (None, None, "")
    assert leg == SpreadUserTrade(
        symbol="SOLUSDT",
        trade_id="c0b2e7d4-3f4a-5e61-8d2c-7a1b9e0f3c55",
        order_id="",  # a leg's fill names no order
        category=SpreadCategory.SPOT_LEG,
        parent_trade_id=combo.trade_id,
        client_order_id="",
        side=OrderSide.SELL,
        order_price=Decimal("0"),
        order_quantity=Decimal("2.5"),
        quantity_remaining=Decimal("0"),
        order_type=OrderType.MARKET,
        create_type=CreateType.CREATE_BY_FUTURE_SPREAD,
        price=Decimal("125.1445"),
        quantity=Decimal("2.5"),
        value=Decimal("312.86125"),
        fee=Decimal("0"),
        fee_v2=Decimal("0.0625"),
        fee_asset="SOL",
        fee_rate=Decimal("0.001"),
        pnl=Decimal("0"),
        trade_type=TradeType.FUTURE_SPREAD,
        is_maker=False,
        is_leverage=True,
        mark_price=Decimal("125.15"),
        closed_quantity=Decimal("0"),
        timestamp=ms(1744170300001),
        sequence=77012345,
    )


def test_new_spread_category_is_kept() -> None:
    order = structurer(SpreadOrder)({"orderId": "1", "symbol": "X", "category": "option_leg"})
    assert order.category is not None and order.category.value == "option_leg"


# ------------------------------------------------------------------------------ end to end
@pytest.fixture
def fake() -> Iterator[FakeBybit]:
    with FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET) as server:
        yield server


@pytest.fixture
def make_client(fake: FakeBybit) -> Iterator[ClientFactory]:
    with clients_for(fake, api_key=API_KEY, api_secret=API_SECRET) as make:
        yield make


@pytest.fixture
def client(make_client: ClientFactory) -> BybitSocketClient:
    return make_client()


def test_spread_endpoint_urls(fake: FakeBybit) -> None:
    assert MAINNET_URLS["v5.spread"] == "wss://stream.bybit.com/v5/public/spread"
    assert TESTNET_URLS["v5.spread"] == "wss://stream-testnet.bybit.com/v5/public/spread"
    assert fake.urls["v5.spread"].endswith("/v5/public/spread")


@pytest.mark.parametrize(
    ("method", "params", "name"),
    [
        ("subscribe_to_spread_order_book_updates", (25,), "v5_spread_orderbook_snapshot"),
        ("subscribe_to_spread_trade_updates", (), "v5_spread_public_trade"),
        ("subscribe_to_spread_ticker_updates", (), "v5_spread_ticker"),
    ],
)
def test_public_spread_streams_end_to_end(
    fake: FakeBybit, client: BybitSocketClient, method: str, params: tuple[Any, ...], name: str
) -> None:
    raw = frame(name)
    got = Collector()
    sub = getattr(client.v5, method)(COMBO, *params, got)
    assert sub.topics == (raw["topic"],)
    assert fake.subscriptions("v5.spread") == {raw["topic"]: 1}  # on the spread endpoint only
    assert fake.subscriptions("v5.linear") == {}
    assert fake.publish_frame(raw, path="v5.spread") == 1
    (event,) = got.wait(1)
    assert event.topic == raw["topic"]
    assert event.data == both_paths(SPREAD, name)[1]
    assert event.exchange_timestamp == ms(raw["ts"])
    assert event.update_type is UpdateType.SNAPSHOT


def test_spread_order_book_snapshot_then_delta_to_one_handler(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    got = Collector()
    client.v5.subscribe_to_spread_order_book_updates([COMBO], handler=got)  # depth 25, the default
    fake.publish_frame(frame("v5_spread_orderbook_snapshot"), path="v5.spread")
    fake.publish_frame(frame("v5_spread_orderbook_delta"), path="v5.spread")
    snapshot, delta = got.wait(2)
    assert (snapshot.update_type, delta.update_type) == (UpdateType.SNAPSHOT, UpdateType.DELTA)
    assert isinstance(delta.data, OrderBookUpdate)
    assert delta.data.update_id == 64892


@pytest.mark.parametrize(
    ("method", "name", "model"),
    [
        ("subscribe_to_spread_order_updates", "v5_spread_order", SpreadOrder),
        ("subscribe_to_spread_user_trade_updates", "v5_spread_execution", SpreadUserTrade),
    ],
)
def test_private_spread_streams_end_to_end(
    fake: FakeBybit, client: BybitSocketClient, method: str, name: str, model: type[Any]
) -> None:
    raw = frame(name)
    got = Collector()
    sub = getattr(client.v5, method)(got)
    assert sub.topics == (raw["topic"],)
    assert fake.subscriptions("v5.private") == {raw["topic"]: 1}
    assert len(fake.received_frames("v5.private", op="auth")) == 1
    data = raw["data"]
    sent = fake.publish(
        raw["topic"], data, path="v5.private", type=None, ts=None, creationTime=raw["creationTime"]
    )
    assert sent == 1
    (event,) = got.wait(1)
    assert event.data == [structurer(model)(item) for item in data]
    assert event.exchange_timestamp == ms(raw["creationTime"])


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.v5.subscribe_to_spread_order_book_updates(COMBO, 50, Collector()),
        lambda c: c.v5.subscribe_to_spread_order_book_updates(COMBO, True, Collector()),
        lambda c: c.v5.subscribe_to_spread_trade_updates("publicTrade.X", Collector()),
        lambda c: c.v5.subscribe_to_spread_ticker_updates([], Collector()),
    ],
    ids=["depth-50", "depth-bool", "dotted-symbol", "no-symbol"],
)
def test_bad_spread_arguments_raise_before_sending(
    fake: FakeBybit, client: BybitSocketClient, call: Any
) -> None:
    with pytest.raises(ValueError):
        call(client)
    assert fake.connections_total == 0
