"""client.v5 end to end: every documented v5 frame through a real websocket into typed events, every
reply and pong shape, the argument limits, and the private streams, against FakeBybit("v5")."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from bybit_ws import (
    AuthenticationError,
    BybitSocketClient,
    DataEvent,
    KlineInterval,
    Subscription,
    SubscriptionError,
)
from bybit_ws._convert import structurer
from bybit_ws.enums import (
    OrderSide,
    OrderStatus,
    OrderType,
    PositionMode,
    StopLossTakeProfitMode,
    TickDirection,
    TradeType,
)
from bybit_ws.models.v5 import (
    AccountType,
    Balance,
    Category,
    Kline,
    Liquidation,
    Order,
    OrderBookEntry,
    OrderBookUpdate,
    Position,
    Ticker,
    Trade,
    UserTrade,
    parse_order_book,
)
from bybit_ws.testing import FakeBybit

from .support import API_KEY, API_SECRET, ClientFactory, Collector, clients_for, frame, frame_text

UTC = timezone.utc
T = TypeVar("T")
PUBLIC = ("linear", "inverse", "spot", "option")


def ms(value: int) -> datetime:
    """UTC datetime from epoch milliseconds, exact."""
    return datetime.fromtimestamp(value // 1000, tz=UTC).replace(microsecond=value % 1000 * 1000)


# ------------------------------------------------------------------------------------------ fixtures
@pytest.fixture
def fake() -> Iterator[FakeBybit]:
    """A v5 fake exchange (overrides conftest's inverse one) that accepts API_KEY/API_SECRET."""
    with FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET) as server:
        server.list_symbols("inverse", "BTCUSDT", "ETHUSDT")  # tests parametrised by category
        yield server


@pytest.fixture
def make_client(fake: FakeBybit) -> Iterator[ClientFactory]:
    """Clients pointed at the v5 fake, with credentials and short test timeouts; closed at teardown."""
    with clients_for(fake, api_key=API_KEY, api_secret=API_SECRET) as make:
        yield make


@pytest.fixture
def client(make_client: ClientFactory) -> BybitSocketClient:
    return make_client()


# ------------------------------------------------------------------------------------------- helpers
def replay(fake: FakeBybit, name: str, path: str) -> None:
    """Send the exact text of a fixture frame to the (one) connection on ``path``."""
    assert fake.send_raw(frame_text(name), path=path) == 1


def requests(fake: FakeBybit, path: str, op: str) -> list[dict[str, Any]]:
    return fake.received_frames(path, op=op)


def errors_of(sub: Subscription[Any]) -> list[BaseException]:
    """Collect what the subscription reports through on_exception."""
    found: list[BaseException] = []
    sub.on_exception(found.append)
    return found


def wait_for_pings(fake: FakeBybit, path: str, count: int, timeout: float = 2.0) -> None:
    fake.wait_for(lambda: len(requests(fake, path, "ping")) >= count, timeout, message=f"{count} pings")


def with_raw_reply(
    fake: FakeBybit,
    path: str,
    reply: str | Callable[[dict[str, Any]], str],
    call: Callable[[], T],
    op: str = "subscribe",
) -> T:
    """Run ``call`` while the fake ignores its next ``op`` request; answer that with ``reply`` verbatim
    (or with ``reply(request)``, e.g. a documented frame given the request's ``req_id``).

    This puts Bybit's documented reply frames (tests/fixtures/frames) on the wire exactly as written.
    """
    before = len(requests(fake, path, op))
    fake.ignore_next(op)
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="test-subscriber")
    thread.start()
    try:
        fake.wait_for(lambda: len(requests(fake, path, op)) > before, timeout=2)
        text = reply if isinstance(reply, str) else reply(requests(fake, path, op)[-1])
        assert fake.send_raw(text, path=path) == 1
    finally:
        thread.join(5)
    assert not thread.is_alive(), "subscribe call did not return"
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


# =================================================================================== data frames
def test_public_trade_frame_round_trip(fake: FakeBybit, client: BybitSocketClient) -> None:
    raw = frame("v5_public_trade")
    got = Collector()
    sub = client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", got)
    errors = errors_of(sub)
    assert sub.topics == ("publicTrade.BTCUSDT",)
    replay(fake, "v5_public_trade", "v5.linear")
    event = got.wait(1)[0]
    assert isinstance(event, DataEvent)
    assert event.topic == "publicTrade.BTCUSDT"
    assert event.timestamp.tzinfo is not None
    assert event.data == [structurer(Trade)(item) for item in raw["data"]]
    (trade,) = event.data
    assert trade.symbol == "BTCUSDT"
    assert trade.side is OrderSide.BUY
    assert trade.price == Decimal("16578.50")
    assert str(trade.price) == "16578.50"  # exact, trailing zero kept
    assert trade.quantity == Decimal("0.001")
    assert trade.id == "20f43950-d8dd-5b31-9112-a178eb6023af"
    assert trade.sequence == 1783284617
    assert trade.timestamp == ms(1672304486865)
    assert trade.direction is TickDirection.PLUS_TICK
    assert trade.is_block_trade is False
    assert errors == []


def test_original_data_is_the_exact_frame_text(fake: FakeBybit, make_client: ClientFactory) -> None:
    client = make_client(keep_original_data=True)
    got = Collector()
    client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", got)
    replay(fake, "v5_public_trade", "v5.linear")
    assert got.wait(1)[0].original_data == frame_text("v5_public_trade")


def test_without_a_handler_events_are_buffered(fake: FakeBybit, client: BybitSocketClient) -> None:
    with client.v5.subscribe_to_liquidation_updates("linear", "ROSEUSDT") as sub:
        replay(fake, "v5_all_liquidation", "v5.linear")
        event = sub.get(timeout=1.0)
        assert event.data[0].price == Decimal("0.04499")
    assert not sub.is_active
    assert list(sub) == []  # ended: iteration stops at once


def test_trade_symbols_as_many_is_one_request_with_req_id(fake: FakeBybit, client: BybitSocketClient) -> None:
    sub = client.v5.subscribe_to_trade_updates("spot", ["BTCUSDT", "ETHUSDT"], Collector())
    assert sub.topics == ("publicTrade.BTCUSDT", "publicTrade.ETHUSDT")
    (request,) = requests(fake, "v5.spot", "subscribe")
    assert request["args"] == ["publicTrade.BTCUSDT", "publicTrade.ETHUSDT"]
    assert isinstance(request["req_id"], str)
    assert request["req_id"]


def test_order_book_snapshot_and_delta_round_trip(fake: FakeBybit, client: BybitSocketClient) -> None:
    snapshots, deltas = Collector(), Collector()
    sub = client.v5.subscribe_to_order_book_updates("linear", "BTCUSDT", 50, snapshots, deltas)
    errors = errors_of(sub)
    assert sub.topics == ("orderbook.50.BTCUSDT",)
    replay(fake, "v5_orderbook_snapshot", "v5.linear")
    replay(fake, "v5_orderbook_delta", "v5.linear")
    snap_raw, delta_raw = frame("v5_orderbook_snapshot"), frame("v5_orderbook_delta")

    snapshot = snapshots.wait(1)[0]
    assert snapshot.topic == "orderbook.50.BTCUSDT"
    assert snapshot.data == parse_order_book(snap_raw["data"], ts=snap_raw["ts"], cts=snap_raw["cts"])
    book: OrderBookUpdate = snapshot.data
    assert book.symbol == "BTCUSDT"
    assert book.bids[0] == OrderBookEntry(price=Decimal("16493.50"), quantity=Decimal("0.006"))
    assert book.asks[-1] == OrderBookEntry(price=Decimal("16612.00"), quantity=Decimal("0.213"))
    assert (len(book.bids), len(book.asks)) == (2, 2)
    assert book.update_id == 18521288
    assert book.sequence == 7961638724
    assert book.timestamp == ms(1672304484978)
    assert book.matching_engine_timestamp == ms(1672304484976)

    delta = deltas.wait(1)[0]
    assert delta.data == parse_order_book(delta_raw["data"], ts=delta_raw["ts"], cts=delta_raw["cts"])
    changed: OrderBookUpdate = delta.data
    assert (len(changed.bids), len(changed.asks)) == (5, 7)
    assert changed.bids[-1] == OrderBookEntry(price=Decimal("30240.00"), quantity=Decimal("0"))  # delete
    assert changed.asks[0].quantity == 0
    assert changed.update_id == 177400507
    assert changed.sequence == 66544703342
    assert len(snapshots.events) == 1  # the delta did not go to the snapshot handler
    assert errors == []


def test_order_book_delta_with_update_id_1_goes_to_the_snapshot_handler(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    snapshots, deltas = Collector(), Collector()
    client.v5.subscribe_to_order_book_updates("spot", "BTCUSDT", 200, snapshots, deltas)
    levels = {"s": "BTCUSDT", "b": [["100.5", "2"]], "a": [["101", "3"]], "seq": 9}
    fake.publish("orderbook.200.BTCUSDT", {**levels, "u": 1}, path="v5.spot", type="delta", cts=1)
    fake.publish("orderbook.200.BTCUSDT", {**levels, "u": 2}, path="v5.spot", type="delta", cts=2)
    restart = snapshots.wait(1)[0].data
    assert restart.update_id == 1
    assert restart.bids == (OrderBookEntry(price=Decimal("100.5"), quantity=Decimal("2")),)
    assert deltas.wait(1)[0].data.update_id == 2
    assert len(snapshots.events) == 1


@pytest.mark.parametrize(
    ("category", "depth"),
    [("linear", 25), ("inverse", 500), ("spot", 100), ("option", 50), ("option", 1), ("linear", 0)],
)
def test_order_book_depth_is_checked_per_category_before_sending(
    fake: FakeBybit, client: BybitSocketClient, category: str, depth: int
) -> None:
    with pytest.raises(ValueError, match="depth"):
        client.v5.subscribe_to_order_book_updates(category, "BTCUSDT", depth, Collector(), Collector())
    assert fake.received == []
    assert fake.connections_total == 0


@pytest.mark.parametrize(
    ("category", "depth"),
    [("linear", 1), ("inverse", 1000), ("spot", 50), ("option", 25), ("option", 100)],
)
def test_order_book_depths_each_category_serves(
    fake: FakeBybit, client: BybitSocketClient, category: str, depth: int
) -> None:
    symbol = "BTC-6JAN23-18000-C" if category == "option" else "BTCUSDT"
    sub = client.v5.subscribe_to_order_book_updates(category, symbol, depth, Collector(), Collector())
    assert fake.subscriptions(f"v5.{category}") == {f"orderbook.{depth}.{symbol}": 1}
    assert sub.is_active


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.v5.subscribe_to_trade_updates("futures", "BTCUSDT"),
        lambda c: c.v5.subscribe_to_ticker_updates("Linear", "BTCUSDT"),
        lambda c: c.v5.subscribe_to_order_book_updates("spread", "BTCUSDT", 50),
        lambda c: c.v5.subscribe_to_kline_updates("", "BTCUSDT", KlineInterval.ONE_MINUTE),
        lambda c: c.v5.subscribe_to_liquidation_updates("private", "BTCUSDT"),
        lambda c: c.v5.subscribe_to_kline_updates("linear", "BTCUSDT", "7"),
    ],
    ids=["trade", "ticker", "orderbook", "kline", "liquidation", "kline-interval"],
)
def test_bad_category_or_interval_raises_before_sending(
    fake: FakeBybit, client: BybitSocketClient, call: Callable[[BybitSocketClient], object]
) -> None:
    with pytest.raises(ValueError):
        call(client)
    assert fake.received == []
    assert fake.connections_total == 0


@pytest.mark.parametrize("name", ["v5_ticker_linear_snapshot", "v5_ticker_linear_futures_snapshot"])
def test_ticker_snapshot_round_trip(fake: FakeBybit, client: BybitSocketClient, name: str) -> None:
    raw = frame(name)
    symbol = raw["topic"].split(".", 1)[1]
    got = Collector()
    sub = client.v5.subscribe_to_ticker_updates("linear", symbol, got)
    errors = errors_of(sub)
    replay(fake, name, "v5.linear")
    event = got.wait(1)[0]
    assert event.topic == raw["topic"]
    assert isinstance(event.data, Ticker)
    assert event.data == structurer(Ticker)({**raw["data"], "cs": raw["cs"]})
    assert event.data.symbol == symbol
    assert event.data.cross_sequence == raw["cs"]  # the frame's cs, beside data on the wire
    assert errors == []


def test_ticker_field_values_through_the_wire(fake: FakeBybit, client: BybitSocketClient) -> None:
    perpetual, futures = Collector(), Collector()
    client.v5.subscribe_to_ticker_updates("linear", "BTCUSDT", perpetual)
    client.v5.subscribe_to_ticker_updates("linear", "BTC-26DEC25", futures)
    replay(fake, "v5_ticker_linear_snapshot", "v5.linear")
    replay(fake, "v5_ticker_linear_futures_snapshot", "v5.linear")
    perp: Ticker = perpetual.wait(1)[0].data
    assert perp.last_price == Decimal("66666.60")
    assert perp.best_bid_price == Decimal("66666.60")
    assert perp.best_ask_price == Decimal("66666.70")
    assert perp.best_ask_quantity == Decimal("23775.469")
    assert perp.mark_price == Decimal("66666.60")
    assert perp.price_percentage_24h == Decimal("-0.158315")
    assert perp.funding_rate == Decimal("-0.005")
    assert perp.funding_interval == 8
    assert perp.next_funding_time == ms(1760342400000)
    assert perp.tick_direction is TickDirection.MINUS_TICK
    assert perp.pre_open_price is None  # "" on the wire
    assert perp.pre_listing_phase is None
    dated: Ticker = futures.wait(1)[0].data
    assert dated.delivery_time == datetime(2025, 12, 26, 8, 0, tzinfo=UTC)
    assert dated.basis == Decimal("-4730.84")
    assert dated.basis_rate_year == Decimal("0.30655351")
    assert dated.funding_rate is None  # "" on the wire
    assert dated.next_funding_time is None


def test_ticker_delta_is_merged_into_the_full_ticker(fake: FakeBybit, client: BybitSocketClient) -> None:
    got = Collector()
    client.v5.subscribe_to_ticker_updates("linear", "BTCUSDT", got)
    replay(fake, "v5_ticker_linear_snapshot", "v5.linear")
    snapshot = {**frame("v5_ticker_linear_snapshot")["data"], "cs": 9532239429}
    delta: dict[str, Any] = {"symbol": "BTCUSDT", "lastPrice": "66700.10", "bid1Price": "66700.00"}
    delta["markPrice"] = "66690.5"
    fake.publish("tickers.BTCUSDT", delta, path="v5.linear", type="delta", cs=9532239430)
    delta["cs"] = 9532239430  # the frame's cs, which the merged ticker carries
    second: dict[str, Any] = {"symbol": "BTCUSDT", "ask1Price": "66701.00", "fundingRate": "0.0001"}
    fake.publish("tickers.BTCUSDT", second, path="v5.linear", type="delta", cs=9532239431)
    second["cs"] = 9532239431
    first_event, merged_event, merged_again = got.wait(3)
    assert first_event.data == structurer(Ticker)(snapshot)
    merged: Ticker = merged_event.data
    assert merged == structurer(Ticker)({**snapshot, **delta})
    assert merged.last_price == Decimal("66700.10")
    assert merged.best_bid_price == Decimal("66700.00")
    assert merged.mark_price == Decimal("66690.5")
    assert merged.best_ask_price == Decimal("66666.70")  # unchanged fields stay
    assert merged.high_price_24h == Decimal("79266.30")
    assert merged.open_interest == Decimal("492373.72")
    again: Ticker = merged_again.data
    assert again == structurer(Ticker)({**snapshot, **delta, **second})
    assert again.last_price == Decimal("66700.10")
    assert again.best_ask_price == Decimal("66701.00")
    assert again.funding_rate == Decimal("0.0001")
    assert again.cross_sequence == 9532239431
    # a new snapshot replaces the merged state
    fake.publish("tickers.BTCUSDT", {"symbol": "BTCUSDT", "lastPrice": "1"}, path="v5.linear")
    fresh: Ticker = got.wait(4)[3].data
    assert fresh.last_price == Decimal("1")
    assert fresh.high_price_24h is None


def test_spot_ticker_is_snapshot_only(fake: FakeBybit, client: BybitSocketClient) -> None:
    got = Collector()
    client.v5.subscribe_to_ticker_updates("spot", "BTCUSDT", got)
    first = {
        "symbol": "BTCUSDT",
        "lastPrice": "21109.77",
        "highPrice24h": "21426.99",
        "lowPrice24h": "20575",
        "prevPrice24h": "20704.93",
        "volume24h": "6780.866843",
        "turnover24h": "141946527.22907118",
        "price24hPcnt": "0.0196",
        "usdIndexPrice": "21120.2400136",
    }
    second = {"symbol": "BTCUSDT", "lastPrice": "21110.01", "price24hPcnt": "0.0197"}
    fake.publish("tickers.BTCUSDT", first, path="v5.spot", cs=1)
    fake.publish("tickers.BTCUSDT", second, path="v5.spot", cs=2)
    one, two = got.wait(2)
    assert one.data == structurer(Ticker)({**first, "cs": 1})
    assert one.data.usd_index_price == Decimal("21120.2400136")
    assert one.data.low_price_24h == Decimal("20575")
    assert two.data == structurer(Ticker)({**second, "cs": 2})  # not merged with the first
    assert two.data.usd_index_price is None


def test_option_ticker_fills_best_prices_from_bid_and_ask(fake: FakeBybit, client: BybitSocketClient) -> None:
    got = Collector()
    symbol = "BTC-6JAN23-17500-C"
    client.v5.subscribe_to_ticker_updates("option", symbol, got)
    data = {
        "symbol": symbol,
        "bidPrice": "0",
        "bidSize": "0",
        "bidIv": "0",
        "askPrice": "10",
        "askSize": "5.1",
        "askIv": "0.514",
        "lastPrice": "10",
        "markPrice": "7.86976724",
        "markPriceIv": "0.4351",
        "underlyingPrice": "16638.64",
        "delta": "0.06397636",
    }
    fake.publish(f"tickers.{symbol}", data, path="v5.option")
    ticker: Ticker = got.wait(1)[0].data
    assert ticker == structurer(Ticker)(data)
    assert ticker.best_ask_price == Decimal("10")
    assert ticker.best_ask_quantity == Decimal("5.1")
    assert ticker.best_bid_price == Decimal("0")
    assert ticker.delta == Decimal("0.06397636")


def test_kline_frame_round_trip(fake: FakeBybit, client: BybitSocketClient) -> None:
    raw = frame("v5_kline")
    got = Collector()
    sub = client.v5.subscribe_to_kline_updates("linear", "BTCUSDT", KlineInterval.FIVE_MINUTES, got)
    errors = errors_of(sub)
    assert sub.topics == ("kline.5.BTCUSDT",)
    replay(fake, "v5_kline", "v5.linear")
    event = got.wait(1)[0]
    assert event.topic == "kline.5.BTCUSDT"
    assert event.data == [structurer(Kline)({"symbol": "BTCUSDT", **item}) for item in raw["data"]]
    (candle,) = event.data
    assert candle.symbol == "BTCUSDT"  # from the topic: the wire item has none
    assert candle.interval is KlineInterval.FIVE_MINUTES
    assert candle.start_time == ms(1672324800000)
    assert candle.end_time == ms(1672325099999)
    assert candle.open_price == Decimal("16649.5")
    assert candle.close_price == Decimal("16677")
    assert candle.low_price == Decimal("16608")
    assert candle.volume == Decimal("2.081")
    assert candle.turnover == Decimal("34666.4005")
    assert candle.confirm is False
    assert candle.timestamp == ms(1672324988882)
    assert errors == []


def test_kline_interval_as_text(fake: FakeBybit, client: BybitSocketClient) -> None:
    sub = client.v5.subscribe_to_kline_updates("inverse", ["BTCUSD", "ETHUSD"], "D", Collector())
    assert sub.topics == ("kline.D.BTCUSD", "kline.D.ETHUSD")
    assert fake.subscriptions("v5.inverse") == {"kline.D.BTCUSD": 1, "kline.D.ETHUSD": 1}


def test_all_liquidation_frame_round_trip(fake: FakeBybit, client: BybitSocketClient) -> None:
    raw = frame("v5_all_liquidation")
    got = Collector()
    sub = client.v5.subscribe_to_liquidation_updates("linear", "ROSEUSDT", got)
    errors = errors_of(sub)
    assert sub.topics == ("allLiquidation.ROSEUSDT",)
    replay(fake, "v5_all_liquidation", "v5.linear")
    event = got.wait(1)[0]
    assert event.topic == "allLiquidation.ROSEUSDT"
    assert event.data == [structurer(Liquidation)(item) for item in raw["data"]]
    (liquidation,) = event.data
    assert liquidation.symbol == "ROSEUSDT"
    assert liquidation.side is OrderSide.SELL
    assert liquidation.quantity == Decimal("20000")
    assert liquidation.price == Decimal("0.04499")
    assert liquidation.update_time == ms(1739502302929)
    assert errors == []


def test_deprecated_liquidation_frame_is_ignored_without_error(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    """``liquidation.{symbol}`` was removed from v5 (replaced by allLiquidation): the API has no call for
    it, and a stray frame of it is dropped quietly, without disturbing the subscriptions."""
    liquidations, trades = Collector(), Collector()
    liq = client.v5.subscribe_to_liquidation_updates("linear", "BTCUSDT", liquidations)
    trade = client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", trades)
    errors = errors_of(liq) + errors_of(trade)
    assert liq.topics == ("allLiquidation.BTCUSDT",)  # never the deprecated topic
    replay(fake, "v5_liquidation_deprecated", "v5.linear")
    replay(fake, "v5_public_trade", "v5.linear")
    assert trades.wait(1)[0].topic == "publicTrade.BTCUSDT"  # the reader went on past the stray frame
    assert liquidations.events == []
    assert errors == []
    assert fake.connections_total == 1


# ------------------------------------------------------------------------------------ private data
def test_order_frame_round_trip(fake: FakeBybit, client: BybitSocketClient) -> None:
    raw = frame("v5_order")
    got = Collector()
    sub = client.v5.subscribe_to_order_updates(got)
    errors = errors_of(sub)
    assert sub.topics == ("order",)
    replay(fake, "v5_order", "v5.private")
    event = got.wait(1)[0]
    assert event.topic == "order"
    assert event.data == [structurer(Order)(item) for item in raw["data"]]
    (order,) = event.data
    assert order.symbol == "ETH-30DEC22-1400-C"
    assert order.category is Category.OPTION
    assert order.order_id == "5cf98598-39a7-459e-97bf-76ca765ee020"
    assert order.side is OrderSide.SELL
    assert order.order_type is OrderType.MARKET
    assert order.status is OrderStatus.FILLED
    assert order.price == Decimal("72.5")
    assert order.average_price == Decimal("75")
    assert order.executed_fee == Decimal("0.358635")
    assert order.quantity_remaining is None  # "" on the wire
    assert dict(order.fee_details or ()) == {"MNT": Decimal("0.00242968")}
    assert order.create_time == ms(1672364262444)
    assert order.update_time == ms(1672364262457)
    assert errors == []


def test_position_frame_round_trip(fake: FakeBybit, client: BybitSocketClient) -> None:
    raw = frame("v5_position")
    got = Collector()
    client.v5.subscribe_to_position_updates(got)
    replay(fake, "v5_position", "v5.private")
    event = got.wait(1)[0]
    assert event.topic == "position"
    assert event.data == [structurer(Position)(item) for item in raw["data"]]
    (position,) = event.data
    assert position.symbol == "BTCUSDT"
    assert position.category is Category.LINEAR
    assert position.side is None  # flat: "" on the wire
    assert position.position_idx is PositionMode.BOTH_SIDE_SELL
    assert position.quantity == Decimal("0")
    assert position.leverage == Decimal("10")
    assert position.mark_price == Decimal("28184.5")
    assert position.realized_pnl == Decimal("-25.06579337")
    assert position.break_even_price == Decimal("93556.73034991")
    assert position.take_profit_stop_loss_mode is StopLossTakeProfitMode.FULL
    assert position.bust_price is None
    assert position.sequence == 8327597863
    assert position.update_time == ms(1697682317038)


def test_execution_frame_round_trip(fake: FakeBybit, client: BybitSocketClient) -> None:
    raw = frame("v5_execution")
    got = Collector()
    client.v5.subscribe_to_user_trade_updates(got)
    replay(fake, "v5_execution", "v5.private")
    event = got.wait(1)[0]
    assert event.topic == "execution"
    assert event.data == [structurer(UserTrade)(item) for item in raw["data"]]
    (fill,) = event.data
    assert fill.symbol == "BTCUSDT"
    assert fill.trade_id == "0ab1bdf7-4219-438b-b30a-32ec863018f7"
    assert fill.side is OrderSide.SELL
    assert fill.price == Decimal("95900.1")
    assert fill.quantity == Decimal("0.5")
    assert fill.value == Decimal("47950.05")
    assert fill.fee == Decimal("26.3725275")
    assert fill.fee_rate == Decimal("0.00055")
    assert fill.fee_asset == "USDT"
    assert fill.trade_type is TradeType.TRADE
    assert fill.is_maker is False
    assert fill.is_leverage is False  # "0" on the wire
    assert fill.timestamp == ms(1746270400353)
    assert fill.sequence == 140612148849382


def test_wallet_frame_round_trip(fake: FakeBybit, client: BybitSocketClient) -> None:
    raw = frame("v5_wallet")
    got = Collector()
    client.v5.subscribe_to_balance_updates(got)
    replay(fake, "v5_wallet", "v5.private")
    event = got.wait(1)[0]
    assert event.topic == "wallet"
    assert event.data == [structurer(Balance)(item) for item in raw["data"]]
    (wallet,) = event.data
    assert wallet.account_type is AccountType.UNIFIED
    assert wallet.total_equity == Decimal("10262.91335023")
    assert wallet.total_available_balance == Decimal("9556.6056555")
    (btc,) = wallet.assets
    assert btc.asset == "BTC"
    assert btc.wallet_balance == Decimal("0.00102964")
    assert btc.realized_pnl == Decimal("-0.00000973")
    assert btc.available_to_borrow is None
    assert btc.collateral_switch is True


@pytest.mark.parametrize(
    ("method", "category", "topic"),
    [
        ("subscribe_to_order_updates", "linear", "order.linear"),
        ("subscribe_to_position_updates", "option", "position.option"),
        ("subscribe_to_user_trade_updates", "spot", "execution.spot"),
        ("subscribe_to_order_updates", None, "order"),
    ],
)
def test_private_categorised_topics(
    fake: FakeBybit, client: BybitSocketClient, method: str, category: str | None, topic: str
) -> None:
    got = Collector()
    subscribe: Callable[..., Subscription[Any]] = getattr(client.v5, method)
    sub = subscribe(got, category=category)
    assert sub.topics == (topic,)
    assert fake.subscriptions("v5.private") == {topic: 1}
    item = {
        "order": frame("v5_order"),
        "position": frame("v5_position"),
        "execution": frame("v5_execution"),
    }[topic.split(".", maxsplit=1)[0]]["data"]
    assert fake.publish(topic, item, path="v5.private", type=None, ts=None, creationTime=1) == 1
    event = got.wait(1)[0]
    assert event.topic == topic
    assert len(event.data) == 1


@pytest.mark.parametrize(
    ("method", "category"),
    [
        ("subscribe_to_position_updates", "spot"),  # positions have no spot category
        ("subscribe_to_order_updates", "futures"),
        ("subscribe_to_user_trade_updates", "Linear"),
        ("subscribe_to_order_updates", ""),
    ],
)
def test_private_invalid_category_raises_before_sending(
    fake: FakeBybit, client: BybitSocketClient, method: str, category: str
) -> None:
    subscribe: Callable[..., Subscription[Any]] = getattr(client.v5, method)
    with pytest.raises(ValueError, match="category"):
        subscribe(Collector(), category=category)
    assert fake.received == []
    assert fake.connections_total == 0


def test_auth_happens_once_and_only_on_the_private_endpoint(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", Collector())
    client.v5.subscribe_to_order_updates(Collector())
    client.v5.subscribe_to_balance_updates(Collector())
    client.v5.subscribe_to_ticker_updates("spot", "BTCUSDT", Collector())
    (auth,) = [f for f in fake.received if f.get("op") == "auth"]
    assert fake.received_frames("v5.private", op="auth") == [auth]
    key, expires, signature = auth["args"]
    assert key == API_KEY
    assert isinstance(expires, int)
    assert isinstance(signature, str)
    assert len(signature) == 64
    assert API_SECRET not in repr(fake.received)
    assert fake.subscriptions("v5.private") == {"order": 1, "wallet": 1}
    assert fake.subscriptions("v5.linear") == {"publicTrade.BTCUSDT": 1}


def test_private_without_credentials_fails_before_connecting(
    fake: FakeBybit, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BYBIT_API_KEY", raising=False)
    monkeypatch.delenv("BYBIT_API_SECRET", raising=False)
    client = make_client(api_key=None, api_secret=None)
    with pytest.raises(AuthenticationError, match="credentials"):
        client.v5.subscribe_to_balance_updates(Collector())
    assert fake.connections_total == 0


def test_rejected_auth_raises_authentication_error(fake: FakeBybit, client: BybitSocketClient) -> None:
    fake.reject_next("auth")
    with pytest.raises(AuthenticationError) as caught:
        client.v5.subscribe_to_order_updates(Collector())
    assert caught.value.ret_msg == "Params Error"
    assert caught.value.op == "auth"
    assert fake.subscriptions("v5.private") == {}


def test_documented_auth_replies(fake: FakeBybit, client: BybitSocketClient) -> None:
    with pytest.raises(AuthenticationError) as caught:
        with_raw_reply(
            fake,
            "v5.private",
            frame_text("v5_auth_fail"),
            lambda: client.v5.subscribe_to_order_updates(Collector()),
            op="auth",
        )
    assert caught.value.ret_msg == "Params Error"
    # the whole documented private handshake, both replies verbatim (the fake stays silent)
    fake.ignore_next("auth")
    outcome: list[Subscription[Any]] = []
    subscriber = threading.Thread(
        target=lambda: outcome.append(client.v5.subscribe_to_order_updates(Collector())),
        name="test-subscriber",
    )
    subscriber.start()
    try:
        fake.wait_for(lambda: len(requests(fake, "v5.private", "auth")) == 2, timeout=2)
        fake.ignore_next("subscribe")
        assert fake.send_raw(frame_text("v5_auth_ok"), path="v5.private") == 1
        fake.wait_for(lambda: len(requests(fake, "v5.private", "subscribe")) == 1, timeout=2)
        assert fake.send_raw(frame_text("v5_subscribe_ok_private"), path="v5.private") == 1
    finally:
        subscriber.join(5)
    assert outcome
    assert outcome[0].is_active


# ==================================================================================== reply shapes
@pytest.mark.parametrize("category", ["linear", "inverse"])
def test_linear_and_inverse_replies(fake: FakeBybit, client: BybitSocketClient, category: str) -> None:
    got = Collector()
    client.v5.subscribe_to_trade_updates(category, "BTCUSDT", got)
    # the fixture reply verbatim: req_id "" (it does not echo ours), matched by op
    sub = with_raw_reply(
        fake,
        f"v5.{category}",
        frame_text("v5_subscribe_ok_public_linear_inverse"),
        lambda: client.v5.subscribe_to_kline_updates(category, "BTCUSDT", "1", Collector()),
    )
    assert sub.is_active
    replay(fake, "v5_public_trade", f"v5.{category}")
    assert got.wait(1)[0].data[0].price == Decimal("16578.50")


def test_spot_reply_with_ret_msg_subscribe(fake: FakeBybit, client: BybitSocketClient) -> None:
    sub = client.v5.subscribe_to_trade_updates("spot", "ETHUSDT", Collector())  # the fake's own reply
    assert sub.is_active
    # the documented reply, ret_msg "subscribe", with our req_id in place of the doc's "10001" (a reply
    # with an id answers only the request with that id)
    got = Collector()
    other = with_raw_reply(
        fake,
        "v5.spot",
        lambda request: frame_text("v5_subscribe_ok_public_spot").replace(
            '"10001"', f'"{request["req_id"]}"'
        ),
        lambda: client.v5.subscribe_to_trade_updates("spot", "BTCUSDT", got),
    )
    assert other.is_active
    replay(fake, "v5_public_trade", "v5.spot")
    assert got.wait(1)[0].topic == "publicTrade.BTCUSDT"


def test_option_command_resp_reply(fake: FakeBybit, client: BybitSocketClient) -> None:
    symbol = "BTC-6JAN23-18000-C"
    first = client.v5.subscribe_to_trade_updates("option", "BTC", Collector())  # the fake's own reply
    assert first.is_active
    # the documented COMMAND_RESP verbatim: no op, no req_id; matched by its successTopics
    got = Collector()
    sub = with_raw_reply(
        fake,
        "v5.option",
        frame_text("v5_subscribe_ok_public_option"),
        lambda: client.v5.subscribe_to_order_book_updates("option", symbol, 100, got, Collector()),
    )
    assert sub.topics == (f"orderbook.100.{symbol}",)
    levels = {"s": symbol, "b": [["5", "1"]], "a": [["6", "2"]], "u": 7, "seq": 8}
    # sub.topics is exactly what the fake did not register (it ignored the request): send it raw
    data = json.dumps({"topic": f"orderbook.100.{symbol}", "type": "snapshot", "ts": 1, "data": levels})
    assert fake.send_raw(data, path="v5.option") == 1
    assert got.wait(1)[0].data == parse_order_book(levels, ts=1)


def test_option_rejected_request_lists_fail_topics(fake: FakeBybit, client: BybitSocketClient) -> None:
    fake.reject_next("subscribe", "error:topic not found")
    with pytest.raises(SubscriptionError) as caught:
        client.v5.subscribe_to_ticker_updates("option", "BTC-6JAN23-18000-C", Collector())
    assert caught.value.ret_msg == "error:topic not found"
    assert caught.value.op == "subscribe"
    sub = client.v5.subscribe_to_ticker_updates("option", "BTC-6JAN23-18000-C", Collector())
    assert sub.is_active


def test_option_partial_failure_fails_the_call_and_unsubscribes_the_rest(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    keep = client.v5.subscribe_to_trade_updates("option", "ETH", Collector())
    good, bad = "publicTrade.BTC", "publicTrade.NOPE"
    reply = (
        '{"success":true,"conn_id":"c-1","type":"COMMAND_RESP",'
        f'"data":{{"failTopics":["{bad}"],"successTopics":["{good}"]}}}}'
    )
    with pytest.raises(SubscriptionError) as caught:
        with_raw_reply(
            fake,
            "v5.option",
            reply,
            lambda: client.v5.subscribe_to_trade_updates("option", ["BTC", "NOPE"], Collector()),
        )
    assert bad in str(caught.value)
    assert bad in caught.value.ret_msg
    # the topic the server did accept is given back; the other subscription is untouched
    fake.wait_for(lambda: len(requests(fake, "v5.option", "unsubscribe")) == 1, timeout=2)
    assert requests(fake, "v5.option", "unsubscribe")[0]["args"] == [good]
    assert keep.is_active
    assert fake.connections_total == 1


def test_private_reply_without_req_id(fake: FakeBybit, client: BybitSocketClient) -> None:
    client.v5.subscribe_to_order_updates(Collector())  # authenticates
    got = Collector()
    sub = with_raw_reply(
        fake,
        "v5.private",
        frame_text("v5_subscribe_ok_private"),
        lambda: client.v5.subscribe_to_balance_updates(got),
    )
    assert sub.is_active
    replay(fake, "v5_wallet", "v5.private")
    assert got.wait(1)[0].topic == "wallet"


def test_documented_failure_reply_raises_with_ret_msg(fake: FakeBybit, client: BybitSocketClient) -> None:
    client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", Collector())
    with pytest.raises(SubscriptionError) as caught:
        with_raw_reply(
            fake,
            "v5.linear",
            frame_text("v5_subscribe_fail"),
            lambda: client.v5.subscribe_to_kline_updates("linear", "BTCUSDT", "1", Collector()),
        )
    assert caught.value.ret_msg == "error:already subscribed,topic:kline.1.BTCUSDT"
    assert caught.value.op == "subscribe"
    assert "already subscribed" in str(caught.value)


@pytest.mark.parametrize("category", [*PUBLIC, "private"])
def test_rejected_subscribe_raises_subscription_error(
    fake: FakeBybit, client: BybitSocketClient, category: str
) -> None:
    fake.reject_next("subscribe", "error:handler not found,topic:x")
    with pytest.raises(SubscriptionError) as caught:
        if category == "private":
            client.v5.subscribe_to_order_updates(Collector())
        else:
            client.v5.subscribe_to_trade_updates(category, _TRADE_SYMBOL[category], Collector())
    assert type(caught.value) is SubscriptionError
    assert caught.value.ret_msg == "error:handler not found,topic:x"
    assert fake.subscriptions(f"v5.{category}") == {}
    # the connection closed with its only (failed) subscription; the next call works
    fake.wait_for(lambda: fake.connection_count == 0, timeout=2)
    if category == "private":
        assert client.v5.subscribe_to_order_updates(Collector()).is_active
    else:
        assert client.v5.subscribe_to_trade_updates(category, _TRADE_SYMBOL[category], Collector()).is_active


_TRADE_SYMBOL = {"linear": "BTCUSDT", "inverse": "BTCUSD", "spot": "BTCUSDT", "option": "BTC"}  # listed


# ================================================================================ req_id and pings
def _subscribe_somewhere(client: BybitSocketClient, category: str, handler: Collector) -> Subscription[Any]:
    if category == "private":
        return client.v5.subscribe_to_order_updates(handler)
    return client.v5.subscribe_to_trade_updates(
        category, "BTC" if category == "option" else "BTCUSDT", handler
    )


PONGS = {
    "linear": "v5_pong_public_linear_inverse",
    "inverse": "v5_pong_public_linear_inverse",
    "spot": "v5_pong_public_spot",
    "option": "v5_pong_public_option",
    "private": "v5_pong_private",
}


@pytest.mark.parametrize("category", [*PUBLIC, "private"])
def test_requests_and_pings_carry_req_id(fake: FakeBybit, make_client: ClientFactory, category: str) -> None:
    client = make_client(ping_interval=0.05, pong_timeout=0.3)
    sub = _subscribe_somewhere(client, category, Collector())
    path = f"v5.{category}"
    wait_for_pings(fake, path, 3)
    sent = [f for f in fake.received_frames(path) if f.get("op") in ("auth", "subscribe", "ping")]
    ids = [f.get("req_id") for f in sent]
    assert all(isinstance(i, str) and i for i in ids), sent
    assert len(set(ids)) == len(ids)  # unique
    for ping in requests(fake, path, "ping"):
        assert set(ping) == {"op", "req_id"}
    sub.close()


@pytest.mark.parametrize("category", [*PUBLIC, "private"])
def test_every_pong_shape_keeps_the_connection(
    fake: FakeBybit, make_client: ClientFactory, category: str
) -> None:
    """The fake answers each ping in its endpoint's shape; without a recognised pong the client would
    reconnect 0.3 s after its first ping, well before the 12th ping."""
    client = make_client(ping_interval=0.05, pong_timeout=0.3)
    lost: list[object] = []
    sub = _subscribe_somewhere(client, category, Collector())
    sub.on_connection_lost(lambda: lost.append(1))
    path = f"v5.{category}"
    wait_for_pings(fake, path, 12, timeout=3)
    assert fake.connections_total == 1
    assert lost == []
    assert sub.is_active


@pytest.mark.parametrize("category", [*PUBLIC, "private"])
def test_documented_pong_frames_keep_the_connection(
    fake: FakeBybit, make_client: ClientFactory, category: str
) -> None:
    """The fake stays silent; the test answers each ping with the documented pong text verbatim."""
    client = make_client(ping_interval=0.05, pong_timeout=0.3)
    sub = _subscribe_somewhere(client, category, Collector())
    fake.stop_answering_pings()
    path = f"v5.{category}"
    pong = frame_text(PONGS[category])
    for count in range(1, 13):
        wait_for_pings(fake, path, count)
        fake.send_raw(pong, path=path)
    assert fake.connections_total == 1
    assert sub.is_active


def test_unanswered_pings_reconnect(fake: FakeBybit, make_client: ClientFactory) -> None:
    """The control for the pong tests: with no pong at all the client does reconnect."""
    client = make_client(ping_interval=0.05, pong_timeout=0.2)
    sub = _subscribe_somewhere(client, "linear", Collector())
    fake.stop_answering_pings()
    fake.wait_for(lambda: fake.connections_total >= 2, timeout=3)
    fake.resume_answering_pings()
    fake.wait_for_subscribers("publicTrade.BTCUSDT", path="v5.linear", timeout=3)
    assert sub.is_active


# ========================================================================================== limits
def test_spot_sends_at_most_10_args_per_request(fake: FakeBybit, client: BybitSocketClient) -> None:
    symbols = [f"C{i:02d}USDT" for i in range(25)]
    fake.list_symbols("spot", *symbols)
    got = Collector()
    sub = client.v5.subscribe_to_trade_updates("spot", symbols, got)
    subscribes = requests(fake, "v5.spot", "subscribe")
    assert [len(r["args"]) for r in subscribes] == [10, 10, 5]
    assert [a for r in subscribes for a in r["args"]] == [f"publicTrade.{s}" for s in symbols]
    assert len({r["req_id"] for r in subscribes}) == 3
    assert fake.connections_total == 1
    assert fake.subscriptions("v5.spot") == {f"publicTrade.{s}": 1 for s in symbols}
    fake.publish("publicTrade.C24USDT", [], path="v5.spot")
    assert got.wait(1)[0].topic == "publicTrade.C24USDT"
    # closing it while another subscription holds the connection unsubscribes in batches of 10 too
    keep = client.v5.subscribe_to_trade_updates("spot", "BTCUSDT", Collector())
    sub.close()
    unsubscribes = requests(fake, "v5.spot", "unsubscribe")
    assert [len(r["args"]) for r in unsubscribes] == [10, 10, 5]
    assert fake.subscriptions("v5.spot") == {"publicTrade.BTCUSDT": 1}
    assert keep.is_active


def test_linear_args_over_21000_characters_spread_over_connections(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    symbols = [f"S{i:04d}USDT" for i in range(1200)]  # "publicTrade.S0000USDT": 21 characters
    fake.list_symbols("linear", *symbols)
    topics = [f"publicTrade.{s}" for s in symbols]
    assert sum(map(len, topics)) > 21_000
    got = Collector()
    sub = client.v5.subscribe_to_trade_updates("linear", symbols, got)
    assert sub.is_active
    assert sub.topics == tuple(topics)
    assert fake.connections_total == 2
    assert fake.connection_count == 2
    assert fake.subscriptions("v5.linear") == dict.fromkeys(topics, 1)  # each topic on one connection
    # white box: no connection carries more than 21,000 characters of args
    per_connection = [sum(map(len, part)) for _connection, part in sub._engine_side.parts]
    assert len(per_connection) == 2
    assert all(chars <= 21_000 for chars in per_connection), per_connection
    # data from both connections reaches the one subscription
    first, last = topics[0], topics[-1]
    assert fake.subscriber_count(first, path="v5.linear") == 1
    assert fake.subscriber_count(last, path="v5.linear") == 1
    fake.publish(first, [], path="v5.linear")
    fake.publish(last, [], path="v5.linear")
    assert {e.topic for e in got.wait(2)} == {first, last}
    # after a drop, each connection resubscribes its own share
    sent = len(requests(fake, "v5.linear", "subscribe"))
    fake.drop_connections(path="v5.linear")
    fake.wait_for(lambda: len(requests(fake, "v5.linear", "subscribe")) == 2 * sent, timeout=3)
    fake.wait_for(lambda: fake.connection_count == 2, timeout=3)  # the old ones are gone
    fake.wait_for(lambda: fake.subscriptions("v5.linear") == dict.fromkeys(topics, 1), timeout=3)
    assert fake.connections_total == 4
    fake.publish(last, [], path="v5.linear")
    assert got.wait(3)[2].topic == last
    # closing it closes both connections cleanly
    sub.close()
    fake.wait_for(lambda: fake.connection_count == 0, timeout=2)
    assert not sub.is_active
    assert fake.connections_total == 4


def test_spot_resubscribe_after_a_reconnect_keeps_to_10_args(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    symbols = [f"C{i:02d}USDT" for i in range(25)]
    fake.list_symbols("spot", *symbols)
    got = Collector()
    sub = client.v5.subscribe_to_trade_updates("spot", symbols, got)
    restored: list[object] = []
    sub.on_connection_restored(restored.append)
    fake.drop_connections(path="v5.spot")
    fake.wait_for(lambda: len(requests(fake, "v5.spot", "subscribe")) == 6, timeout=3)
    fake.wait_for(lambda: fake.connection_count == 1, timeout=3)  # the old one is gone
    fake.wait_for(lambda: len(fake.subscriptions("v5.spot")) == 25, timeout=3)
    assert [len(r["args"]) for r in requests(fake, "v5.spot", "subscribe")] == [10, 10, 5] * 2
    assert fake.connections_total == 2
    fake.wait_for(lambda: len(restored) == 1, timeout=2)
    fake.publish("publicTrade.C00USDT", [], path="v5.spot")
    assert got.wait(1)[0].topic == "publicTrade.C00USDT"


def test_closing_one_subscription_unsubscribes_its_topics_only(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    keep = client.v5.subscribe_to_ticker_updates("inverse", "BTCUSD", Collector())
    gone = client.v5.subscribe_to_kline_updates("inverse", ["BTCUSD", "ETHUSD"], "60", Collector())
    gone.close()
    (unsubscribe,) = requests(fake, "v5.inverse", "unsubscribe")
    assert unsubscribe["args"] == ["kline.60.BTCUSD", "kline.60.ETHUSD"]
    assert isinstance(unsubscribe["req_id"], str)
    assert unsubscribe["req_id"]
    assert fake.subscriptions("v5.inverse") == {"tickers.BTCUSD": 1}
    assert keep.is_active
    assert not gone.is_active
    gone.close()  # idempotent
    assert len(requests(fake, "v5.inverse", "unsubscribe")) == 1


def test_option_and_private_share_nothing_with_linear(fake: FakeBybit, client: BybitSocketClient) -> None:
    """One connection per endpoint in use; each subscription goes to its category's endpoint."""
    for category in PUBLIC:
        _subscribe_somewhere(client, category, Collector())
    _subscribe_somewhere(client, "private", Collector())
    assert fake.connections_total == 5
    for category in PUBLIC:
        symbol = "BTC" if category == "option" else "BTCUSDT"
        assert fake.subscriptions(f"v5.{category}") == {f"publicTrade.{symbol}": 1}


def test_testnet_and_mainnet_v5_endpoints() -> None:
    with BybitSocketClient(testnet=True) as testnet, BybitSocketClient() as mainnet:
        for category in PUBLIC:
            assert testnet.urls[f"v5.{category}"] == f"wss://stream-testnet.bybit.com/v5/public/{category}"
            assert mainnet.urls[f"v5.{category}"] == f"wss://stream.bybit.com/v5/public/{category}"
        assert testnet.urls["v5.private"] == "wss://stream-testnet.bybit.com/v5/private"
        assert mainnet.urls["v5.private"] == "wss://stream.bybit.com/v5/private"


# ============================================================================== regressions of bugs found
def test_resubscribe_after_reconnect_keeps_all_in_one_and_categorised_topics_apart(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    everything, linear = Collector(), Collector()
    sub_all = client.v5.subscribe_to_order_updates(everything)
    sub_linear = client.v5.subscribe_to_order_updates(linear, category="linear")
    first = requests(fake, "v5.private", "subscribe")
    assert [r["args"] for r in first] == [["order"], ["order.linear"]]  # two calls: two requests
    fake.drop_connections(path="v5.private")
    fake.wait_for(lambda: fake.connections_total == 2, timeout=3)
    fake.wait_for(lambda: fake.connection_count == 1, timeout=3)  # the old one is gone
    fake.wait_for(lambda: fake.subscriptions("v5.private") == {"order": 1, "order.linear": 1}, timeout=3)
    assert len(requests(fake, "v5.private", "auth")) == 2  # re-authenticated first
    for request in requests(fake, "v5.private", "subscribe"):
        families = {arg.split(".")[0] for arg in request["args"]}
        for family in families:
            mixed = family in request["args"] and any(a.startswith(family + ".") for a in request["args"])
            assert not mixed, f"all-in-one and categorised {family} topics in one request: {request}"
    assert sub_all.is_active
    assert sub_linear.is_active


def _blocked(thread: threading.Thread) -> bool:
    """Whether ``thread`` is parked in a ``Condition.wait``/``Event.wait`` (white box, via its stack)."""
    frame = sys._current_frames().get(thread.ident or -1)
    return frame is not None and frame.f_code.co_name == "wait"


def test_subscribe_while_the_same_topic_is_being_unsubscribed(
    fake: FakeBybit, make_client: ClientFactory
) -> None:
    client = make_client(request_timeout=1.0)
    keep = client.v5.subscribe_to_balance_updates(Collector())  # holds the private connection open
    old = client.v5.subscribe_to_order_updates(Collector())
    fake.ignore_next("unsubscribe")  # the test answers it, once the new subscribe call is waiting
    closer = threading.Thread(target=old.close, name="test-closer")
    closer.start()
    outcome: dict[str, Any] = {}
    got = Collector()

    def subscribe() -> None:
        try:
            outcome["sub"] = client.v5.subscribe_to_order_updates(got)
        except Exception as exc:
            outcome["error"] = exc

    subscriber = threading.Thread(target=subscribe, name="test-subscriber")
    try:
        fake.wait_for(lambda: len(requests(fake, "v5.private", "unsubscribe")) == 1, timeout=2)
        subscriber.start()
        fake.wait_for(lambda: _blocked(subscriber) or not subscriber.is_alive(), timeout=2)
        reply = '{"success":true,"ret_msg":"","op":"unsubscribe","conn_id":"c-1"}'
        assert fake.send_raw(reply, path="v5.private") == 1
    finally:
        closer.join(5)
        if subscriber.ident is not None:
            subscriber.join(5)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["sub"].is_active
    assert [r["args"] for r in requests(fake, "v5.private", "subscribe")][-1] == ["order"]
    fake.publish("order", frame("v5_order")["data"], path="v5.private", type=None, ts=None)
    assert got.wait(1)[0].topic == "order"
    assert keep.is_active
