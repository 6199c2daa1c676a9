"""Issue 25 items 6 and 7 (V5_2026.md §4-6): the RFQ, Dual Assets and strategy streams frame by frame
(the docs' example frames in tests/fixtures/frames) and end to end through FakeBybit("v5"); the
``orderbook.full`` topic's spec and subscribe call; the CLI's plans for the new topics; the new enum
members, trade codes, BBO/slippage checks and endpoint keys. The full-depth local book is
test_full_order_book.py's."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from bybit_ws import (
    MAINNET_URLS,
    TESTNET_URLS,
    BybitSocketClient,
    OrderRejectedError,
    OrderRequest,
    TradeRetCode,
    UpdateType,
)
from bybit_ws._cli._format import summary
from bybit_ws._cli._topics import UsageError, plan_topic, plan_topics
from bybit_ws._convert import structurer
from bybit_ws.dialects import _trade as trade
from bybit_ws.dialects._v5 import V5Dialect
from bybit_ws.enums import OrderSide, TradeType
from bybit_ws.models.v5 import (
    Category,
    CreateType,
    DualAssetOffer,
    DualAssetQuote,
    Order,
    OrderBookUpdate,
    RfqInquiry,
    RfqLeg,
    RfqPublicTrade,
    RfqQuote,
    RfqStatus,
    RfqTrade,
    Strategy,
    StrategyStatus,
    StrategyTerminateType,
    StrategyType,
    UserTrade,
)
from bybit_ws.testing import FakeBybit

from . import test_cli
from .support import API_KEY, API_SECRET, clients_for, frame, frame_text
from .test_cli import STARTUP, Proc, events, is_event
from .test_cli_v5_topics import _stop

UTC = timezone.utc


def ms(value: int) -> datetime:
    return datetime.fromtimestamp(value // 1000, tz=UTC).replace(microsecond=value % 1000 * 1000)


def both_paths(endpoint: str, name: str) -> tuple[str, Any]:
    """Parse a fixture frame on the dict path and the typed path: the same data."""
    dialect = V5Dialect(endpoint)
    raw = frame(name)
    spec = dialect.topic_spec(raw["topic"])
    assert spec is not None
    parsed = spec.parse(raw, raw["topic"], {})
    assert parsed is not None
    assert spec.typed is not None
    assert spec.typed.parse(spec.typed.decode(frame_text(name).encode()), {}) == parsed
    return parsed


# ------------------------------------------------------------------------------ frame by frame
def test_full_order_book_frame_is_a_delta_even_when_it_restarts() -> None:
    kind, book = both_paths("spot", "v5_orderbook_full_delta")
    assert kind == "delta"
    assert isinstance(book, OrderBookUpdate)
    assert (book.symbol, book.update_id, book.sequence) == ("MNTUSDT", 278547, 1501100579)
    assert [(b.price, b.quantity) for b in book.bids[:2]] == [
        (Decimal("0.4758"), Decimal("2342.47")),
        (Decimal("0.4757"), Decimal("1735.35")),
    ]
    assert book.asks == ()
    assert book.timestamp == ms(1784103477732)
    assert book.matching_engine_timestamp == ms(1784103477730)
    spec = V5Dialect("spot").topic_spec("orderbook.full.MNTUSDT")
    assert spec is not None and spec.private is False
    restart = {
        **frame("v5_orderbook_full_delta"),
        "data": {"s": "MNTUSDT", "b": [], "a": [], "u": 1, "seq": 9},
    }
    assert spec.parse(restart, restart["topic"], {})[0] == "delta"  # type: ignore[index]  # not "snapshot"
    # the numeric-depth family keeps its own spec: orderbook.50 is not orderbook.full
    assert V5Dialect("spot").topic_spec("orderbook.50.MNTUSDT") is not spec


def test_rfq_public_trade_frame() -> None:
    _, (trade,) = both_paths("rfq", "v5_rfq_public_trades")
    assert trade == RfqPublicTrade(
        rfq_id="1757579281847749169219132657134900",
        strategy_type="custom",
        legs=(
            RfqLeg(
                category=Category.LINEAR,
                symbol="BTCUSDT",
                side=OrderSide.SELL,
                price=Decimal("91600"),
                quantity=Decimal("1"),
                mark_price=Decimal("90216.29"),
            ),
        ),
        create_time=ms(1757579314213),
        update_time=ms(1757579314347),
    )


def test_rfq_inquiry_frame() -> None:
    _, (inquiry,) = both_paths("private", "v5_rfq_open_rfqs")
    assert inquiry == RfqInquiry(
        rfq_id="1757482013783362721227613524547439",
        client_rfq_id="",
        counterparties=("test0904",),
        strategy_type="custom",
        status=RfqStatus.ACTIVE,
        accept_other_quotes=False,  # the string "false"
        desk_code="1nu9d1",
        expire_time=ms(1757482613784),
        create_time=ms(1757482013784),
        update_time=ms(1757482013784),
        legs=(RfqLeg(category=Category.LINEAR, symbol="BTCUSDT", side=OrderSide.BUY, quantity=Decimal(5)),),
    )


def test_rfq_quote_frame_and_lower_case_sides() -> None:
    _, (quote,) = both_paths("private", "v5_rfq_open_quotes")
    assert quote == RfqQuote(
        rfq_id="1757578410512325974246073709371267",
        client_rfq_id="",
        quote_id="1757578449553042047579782748460520",
        client_quote_id="",
        status=RfqStatus.ACTIVE,
        desk_code="test0904",
        executed_side=None,  # "" until executed
        buy_legs=(
            RfqLeg(category=Category.LINEAR, symbol="BTCUSDT", price=Decimal(95800), quantity=Decimal(1)),
        ),
        sell_legs=(
            RfqLeg(category=Category.LINEAR, symbol="BTCUSDT", price=Decimal(95000), quantity=Decimal(1)),
        ),
        expire_time=ms(1757578509556),
        create_time=ms(1757578449556),
        update_time=ms(1757578449556),
    )
    item = frame("v5_rfq_open_quotes")["data"][0]
    assert (
        structurer(RfqQuote)({**item, "execQuoteSide": "sell"}).executed_side is OrderSide.SELL
    )  # the table's
    assert structurer(RfqQuote)({**item, "status": "Halted"}).status.value == "Halted"  # type: ignore[union-attr]


def test_rfq_user_trade_frame() -> None:
    _, (trade,) = both_paths("private", "v5_rfq_open_trades")
    assert isinstance(trade, RfqTrade)
    assert (trade.quote_side, trade.status, trade.rfq_desk_code, trade.quote_desk_code) == (
        OrderSide.BUY,
        RfqStatus.FILLED,
        "1nu9d1",
        "test0904",
    )
    (leg,) = trade.legs
    assert leg == RfqLeg(
        category=Category.LINEAR,
        symbol="BTCUSDT",
        side=OrderSide.BUY,
        price=Decimal("91600"),
        quantity=Decimal("1"),
        mark_price=Decimal("91741.11"),
        order_id="64fe4108-555e-4361-ae2d-3a8d0c292859",
        trade_id="42b8be1e-36cf-4aba-bb75-4602cc11df37",
        fee=Decimal("-1.374"),
        result_code=0,
        result_message="",
        reject_party="",
    )
    assert (trade.create_time, trade.update_time) == (ms(1757578749361), ms(1757578749464))


def test_dual_asset_offer_frame_exact_yield() -> None:
    _, offers = both_paths("fp", "v5_earn_dualassets_offers")
    assert [o.product_id for o in offers] == [36352, 36382]
    first = offers[0]
    assert first == DualAssetOffer(
        product_id=36352,
        current_price=Decimal("74168.46"),
        buy_low=(
            DualAssetQuote(
                select_price=Decimal(74142),
                apy=Decimal("9.79209"),
                max_investment=Decimal(2000),
                expire_time=ms(1773825237781),
            ),
        ),
        sell_high=(
            DualAssetQuote(
                select_price=Decimal(74142),
                apy=Decimal("9.79209"),
                max_investment=Decimal("0.02697492"),
                expire_time=ms(1773825237781),
            ),
        ),
    )
    assert str(first.buy_low[0].apy) == "9.79209000"  # a1e8 divided exactly, no float
    # the table's int64 forms read the same
    bare = structurer(DualAssetOffer)({"p": 36352, "c": "1", "b": [{"s": "2", "a": 979209000}], "s": []})
    assert (bare.product_id, bare.buy_low[0].apy, bare.sell_high) == (36352, Decimal("9.79209"), ())


def test_strategy_frame() -> None:
    _, (strategy,) = both_paths("private", "v5_strategy")
    assert isinstance(strategy, Strategy)
    assert (strategy.strategy_id, strategy.strategy_type, strategy.category) == (
        "cf7303ae-29c0-480a-8f3d-eaa9330054bc",
        StrategyType.ICEBERG,
        "UTA_USDT",
    )
    assert (strategy.status, strategy.terminate_type) == (
        StrategyStatus.TERMINATED,
        StrategyTerminateType.COMPLETED,
    )
    assert (strategy.quantity, strategy.executed_quantity) == (Decimal("0.36"), Decimal("0.36"))
    assert strategy.executed_average_price == Decimal("134301.53")
    assert (strategy.start_time, strategy.end_time) == (ms(1776734716717), ms(1776734985592))
    assert strategy.limit_price is None and strategy.take_profit is None  # "" = unset
    assert (strategy.max_chase_price, strategy.chase_order_price) == (Decimal(198000), Decimal("135682.4"))
    assert (strategy.chase_ratio, strategy.post_only, strategy.is_random) == (Decimal(0), False, False)
    assert (strategy.order_type, strategy.interval, strategy.executed_duration) == ("UNKNOWN", 30, 268)
    running = structurer(Strategy)(
        {"strategyId": "x", "symbol": "B", "status": 2, "executedEndTimeE3": 0, "ChasePercentE4": 100}
    )
    assert (running.status, running.end_time, running.chase_ratio) == (
        StrategyStatus.RUNNING,
        None,
        Decimal("0.01"),
    )
    new_kind = structurer(Strategy)({"strategyId": "x", "symbol": "B", "strategyType": "vwap"}).strategy_type
    assert new_kind is not None and new_kind.value == "vwap"  # a new algo kind is kept


# ------------------------------------------------------------------------------ end to end
@pytest.fixture
def fake() -> Iterator[FakeBybit]:
    with FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET) as server:
        yield server


@pytest.fixture
def client(fake: FakeBybit) -> Iterator[BybitSocketClient]:
    with clients_for(fake, api_key=API_KEY, api_secret=API_SECRET) as make:
        yield make()


STREAMS: list[tuple[str, tuple[Any, ...], str, str]] = [  # method, args, fixture, urls key
    ("subscribe_to_rfq_trade_updates", (), "v5_rfq_public_trades", "v5.rfq"),
    ("subscribe_to_rfq_inquiry_updates", (), "v5_rfq_open_rfqs", "v5.private"),
    ("subscribe_to_rfq_quote_updates", (), "v5_rfq_open_quotes", "v5.private"),
    ("subscribe_to_rfq_user_trade_updates", (), "v5_rfq_open_trades", "v5.private"),
    ("subscribe_to_dual_asset_offer_updates", (), "v5_earn_dualassets_offers", "v5.fp"),
    ("subscribe_to_strategy_updates", (), "v5_strategy", "v5.private"),
    ("subscribe_to_full_order_book_updates", ("spot", "MNTUSDT"), "v5_orderbook_full_delta", "v5.spot"),
]


@pytest.mark.parametrize(("method", "args", "name", "key"), STREAMS)
def test_new_streams_end_to_end(
    fake: FakeBybit, client: BybitSocketClient, method: str, args: tuple[Any, ...], name: str, key: str
) -> None:
    """Each call subscribes the topic on its endpoint of the fake, and the docs' frame, sent as Bybit
    sends it, reaches the subscription typed as the dict path types it."""
    raw = frame(name)
    sub = getattr(client.v5, method)(*args)
    assert fake.subscriptions(key) == {raw["topic"]: 1}
    assert fake.send_raw(frame_text(name), path=key) == 1
    event = sub.get(timeout=5)
    endpoint = key.split(".", 1)[1]
    spec = V5Dialect(endpoint).topic_spec(raw["topic"])
    assert spec is not None
    assert event.data == spec.parse(raw, raw["topic"], {})[1]  # type: ignore[index]
    assert event.topic == raw["topic"]
    stamp = raw.get("creationTime", raw.get("ts"))
    assert event.exchange_timestamp == (None if stamp is None else ms(stamp))
    if key == "v5.spot":
        assert event.update_type is UpdateType.DELTA
    sub.close()


def test_private_rfq_and_strategy_topics_authenticate_first(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    client.v5.subscribe_to_strategy_updates()
    client.v5.subscribe_to_rfq_inquiry_updates()
    assert len(fake.received_frames("v5.private", op="auth")) == 1
    assert fake.subscriptions("v5.private") == {"strategy": 1, "rfq.open.rfqs": 1}


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.v5.subscribe_to_full_order_book_updates("option", "BTC-1JAN27-1-C"),
        lambda c: c.v5.full_order_book("option", "BTC-1JAN27-1-C", dict),
        lambda c: c.v5.full_order_book("spot", "BTCUSDT", {"s": "BTCUSDT"}),  # not a callable
        lambda c: c.v5.full_order_book("spot", ["BTCUSDT", "ETHUSDT"], dict),
    ],
)
def test_full_book_bad_arguments_raise_before_connecting(
    fake: FakeBybit, client: BybitSocketClient, call: Callable[[BybitSocketClient], Any]
) -> None:
    with pytest.raises((ValueError, TypeError)):
        call(client)
    assert fake.connections_total == 0


# ------------------------------------------------------------------------------ CLI
PLANNED = [  # topic, --category, urls key, private
    ("orderbook.full.BTCUSDT", "spot", "v5.spot", False),
    ("orderbook.full.BTCUSDT", "linear", "v5.linear", False),
    ("rfq.open.public.trades", "linear", "v5.rfq", False),
    ("rfq.open.rfqs", "linear", "v5.private", True),
    ("rfq.open.quotes", "linear", "v5.private", True),
    ("rfq.open.trades", "linear", "v5.private", True),
    ("earn.dualassets.offers", "linear", "v5.fp", False),
    ("strategy", "linear", "v5.private", True),
]


def test_cli_plans_the_new_topics_and_subscribes_them(fake: FakeBybit, client: BybitSocketClient) -> None:
    for topic, category, key, private in PLANNED:
        plan = plan_topic(topic, "v5", category)
        assert (plan.topic, plan.api, plan.key, plan.private) == (topic, "v5", key, private)
        (guessed,) = plan_topics([topic], None, category)  # v5 guessed
        assert guessed[:4] == plan[:4]
        sub = plan.subscribe(client, lambda kind: lambda event: None)
        assert topic in fake.subscriptions(key)
        sub.close()


run = test_cli.run  # the fixture: python subprocesses, killed at teardown


@pytest.mark.skipif(sys.platform == "win32", reason="the stream stops on SIGINT (POSIX)")
def test_cli_streams_the_new_public_topics(run: Callable[..., Proc]) -> None:
    """``python -m bybit_ws stream`` over three endpoints of a FakeBybit (``v5.rfq``, ``v5.fp``, spot)."""
    topics = {  # topic -> (fixture, urls key, the line it prints)
        "rfq.open.public.trades": (
            "v5_rfq_public_trades",
            "v5.rfq",
            "rfq    1757579281847749169219132657134900: BTCUSDT Sell 1 @ 91600",
        ),
        "earn.dualassets.offers": (
            "v5_earn_dualassets_offers",
            "v5.fp",
            "dual asset 36352 price 74168.46 1 buy-low 1 sell-high, best apy 9.79209000 (+1 more)",
        ),
        "orderbook.full.MNTUSDT": (
            "v5_orderbook_full_delta",
            "v5.spot",
            "book   MNTUSDT delta 5 bids 0 asks",
        ),
    }
    with FakeBybit("v5") as fake:
        proc = run("-m", "bybit_ws", "stream", "--url", fake.url, "--category", "spot", *topics, sigint=True)
        for topic, (_, key, _) in topics.items():
            fake.wait_for_subscribers(topic, timeout=STARTUP, path=key)
        for name, key, _ in topics.values():
            assert fake.send_raw(frame_text(name), path=key) == 1
        for _ in topics:
            proc.next_line(is_event, timeout=10.0)
        _stop(proc)
    printed = events(proc.stdout)
    assert len(printed) == 3, proc.stdout
    for _, _, line in topics.values():
        assert any(line in event for event in printed), (line, printed)


def test_cli_refuses_the_full_book_for_option_and_a_bad_symbol() -> None:
    with pytest.raises(UsageError, match="not option"):
        plan_topic("orderbook.full.BTCUSDT", "v5", "option")
    with pytest.raises(UsageError, match="bad symbol"):
        plan_topic("orderbook.full.", "v5", "spot")


def test_cli_summaries_of_the_new_models() -> None:
    _, (rfq,) = both_paths("rfq", "v5_rfq_public_trades")
    assert summary(rfq) == "1757579281847749169219132657134900: BTCUSDT Sell 1 @ 91600"
    _, (quote,) = both_paths("private", "v5_rfq_open_quotes")
    assert summary(quote) == (
        "quote 1757578449553042047579782748460520 Active bid BTCUSDT 1 @ 95800 ask BTCUSDT 1 @ 95000"
    )
    _, offers = both_paths("fp", "v5_earn_dualassets_offers")
    assert summary(offers[0]) == "dual asset 36352 price 74168.46 1 buy-low 1 sell-high, best apy 9.79209000"
    _, (strategy,) = both_paths("private", "v5_strategy")
    assert summary(strategy) == "iceberg BTCUSDT Buy 0.36/0.36 @ 134301.53 terminated"


# ------------------------------------------------------------------------------ item 7
def test_new_enum_members() -> None:
    order = structurer(Order)({"orderId": "1", "symbol": "BTCUSDT", "createType": "CreateByChaseOrder"})
    assert order.create_type is CreateType.CREATE_BY_CHASE_ORDER
    execution = frame("v5_execution")["data"][0]
    fill = structurer(UserTrade)({**execution, "execType": "CorporateAction"})
    assert fill.trade_type is TradeType.CORPORATE_ACTION


def test_trade_codes_10003_and_20003() -> None:
    assert TradeRetCode(10003) is TradeRetCode.TOO_MANY_SESSIONS
    assert TradeRetCode(20003) is TradeRetCode.SESSION_RATE_LIMITED
    assert OrderRejectedError(20003, "Too frequent requests under the same session").is_rate_limited
    too_many = OrderRejectedError(10003, "Too many sessions under the same UID")
    assert not too_many.is_rate_limited and not too_many.should_reconnect


def test_endpoint_keys_rfq_and_fp() -> None:
    assert MAINNET_URLS["v5.rfq"] == "wss://stream.bybit.com/v5/public/rfq"
    assert MAINNET_URLS["v5.fp"] == "wss://stream.bybit.com/v5/public/fp"
    assert TESTNET_URLS["v5.rfq"] == "wss://stream-testnet.bybit.com/v5/public/rfq"
    assert TESTNET_URLS["v5.fp"] == "wss://stream-testnet.bybit.com/v5/public/fp"
    client = BybitSocketClient(urls={"v5.fp": "ws://127.0.0.1:1"})
    try:
        assert client.urls["v5.fp"] == "ws://127.0.0.1:1/v5/public/fp"  # the key's path added
        assert client.urls["v5.rfq"] == MAINNET_URLS["v5.rfq"]
    finally:
        client.close()


def test_fake_serves_the_rfq_and_fp_paths(fake: FakeBybit) -> None:
    assert fake.urls["v5.rfq"].endswith("/v5/public/rfq")
    assert fake.urls["v5.fp"].endswith("/v5/public/fp")


MARKET: dict[str, Any] = {"symbol": "BTCUSDT", "side": "Buy", "order_type": "Market", "quantity": 1}
LIMIT: dict[str, Any] = {**MARKET, "order_type": "Limit"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({**LIMIT, "bbo_side_type": "Queue"}, "both bbo_side_type and bbo_level"),
        ({**LIMIT, "price": 1, "bbo_level": 2}, "both bbo_side_type and bbo_level"),
        ({**MARKET, "bbo_side_type": "Counterparty", "bbo_level": 1}, "a Limit order, not Market"),
        ({**MARKET, "slippage_tolerance_type": "Percent"}, "both slippage_tolerance_type"),
        ({**MARKET, "slippage_tolerance": "1"}, "both slippage_tolerance_type"),
        (
            {**LIMIT, "price": 1, "slippage_tolerance_type": "Percent", "slippage_tolerance": 1},
            "Market orders",
        ),
        (
            {**MARKET, "slippage_tolerance_type": "Percent", "slippage_tolerance": "0.005"},
            "at most 2 decimals",
        ),
        ({**MARKET, "slippage_tolerance_type": "Percent", "slippage_tolerance": "10.01"}, "0.01 to 10"),
        ({**MARKET, "slippage_tolerance_type": "TickSize", "slippage_tolerance": "0"}, "1 to 10000"),
        ({**MARKET, "slippage_tolerance_type": "TickSize", "slippage_tolerance": "2.5"}, "whole number"),
        ({**MARKET, "slippage_tolerance_type": "TickSize", "slippage_tolerance": 10_001}, "1 to 10000"),
        ({**MARKET, "slippage_tolerance_type": "UNKNOWN", "slippage_tolerance": 1}, "TickSize or Percent"),
        (
            {**MARKET, "slippage_tolerance_type": "TickSize", "slippage_tolerance": 5, "trigger_price": 9},
            "conditional",
        ),
        (
            {
                **MARKET,
                "slippage_tolerance_type": "TickSize",
                "slippage_tolerance": 5,
                "order_filter": "tpslOrder",
            },
            "take-profit/stop-loss",
        ),
    ],
)
def test_bad_bbo_and_slippage_requests_raise_value_error(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OrderRequest(**kwargs)


def test_good_bbo_and_slippage_requests_are_sent_as_bybit_takes_them() -> None:
    attached = OrderRequest(**MARKET, slippage_tolerance_type="Percent", slippage_tolerance=1, stop_loss=9)
    assert attached.stop_loss == 9  # a market order's attached stop-loss is not a stop-loss order
    bbo = OrderRequest(**LIMIT, bbo_side_type="Queue", bbo_level=5)
    assert trade.single_args("inverse", bbo)[0]["bboLevel"] == "5"
    edges = [
        ("Percent", "0.01"),
        ("Percent", "10"),
        ("Percent", "2.50"),
        ("TickSize", "1"),
        ("TickSize", "10000"),
    ]
    for kind, value in edges:
        request = OrderRequest(**MARKET, slippage_tolerance_type=kind, slippage_tolerance=value)
        fields = trade.wire_fields(request)
        assert (fields["slippageToleranceType"], fields["slippageTolerance"]) == (kind, value)


@pytest.mark.parametrize(
    "call",
    [
        lambda v5: v5.place_order("spot", "BTCUSDT", "Buy", "Limit", 1, bbo_side_type="Queue", bbo_level=1),
        lambda v5: v5.submit_order("option", OrderRequest(**LIMIT, bbo_side_type="Queue", bbo_level=1)),
        lambda v5: v5.place_orders("spot", [OrderRequest(**LIMIT, bbo_side_type="Queue", bbo_level=1)]),
        lambda v5: v5.place_order(
            "linear", "BTCUSDT", "Buy", "Market", 1, slippage_tolerance_type="Percent", slippage_tolerance=11
        ),
    ],
)
def test_bad_bbo_and_slippage_orders_send_nothing(
    fake: FakeBybit, client: BybitSocketClient, call: Callable[[Any], Any]
) -> None:
    with pytest.raises(ValueError, match=r"BBO orders are for linear and inverse|0\.01 to 10"):
        call(client.v5)
    assert fake.trade_requests() == []
    assert fake.connections_total == 0  # not even connected
