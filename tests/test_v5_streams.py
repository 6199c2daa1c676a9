"""The v5 streams of issue #17 frame by frame (V5_MORE.md §5 examples in tests/fixtures/frames) and end to
end through FakeBybit("v5"): execution.fast, greeks, dcp, orderbook.rpi (and a local RPI book),
insurance, priceLimit, adlAlert, system.status; the one-handler order book; longest-prefix topic lookup."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from bybit_ws import BybitSocketClient, OrderBookLevel, OrderBookStatus, UpdateType
from bybit_ws._convert import structurer
from bybit_ws.dialects._v5 import V5Dialect
from bybit_ws.enums import OrderSide
from bybit_ws.models.v5 import (
    AdlAlert,
    Category,
    Greeks,
    InsurancePool,
    MaintenanceEnvironment,
    MaintenanceProduct,
    MaintenanceService,
    MaintenanceState,
    MaintenanceType,
    MinimalUserTrade,
    OcoTriggerType,
    Order,
    Position,
    PriceLimit,
    RpiOrderBookEntry,
    RpiOrderBookUpdate,
    SystemStatus,
    Ticker,
    parse_rpi_order_book,
)
from bybit_ws.models.v5.private import AssetBalance
from bybit_ws.testing import FakeBybit

from .support import API_KEY, API_SECRET, ClientFactory, Collector, clients_for, frame, frame_text

UTC = timezone.utc
PRIVATE = V5Dialect("private")
LINEAR = V5Dialect("linear")
STATUS = V5Dialect("status")


def ms(value: int) -> datetime:
    return datetime.fromtimestamp(value // 1000, tz=UTC).replace(microsecond=value % 1000 * 1000)


def both_paths(dialect: V5Dialect, name: str) -> Any:
    """Parse a fixture frame on the dict path and, where the family has one, the typed path: same data."""
    raw = frame(name)
    spec = dialect.topic_spec(raw["topic"])
    assert spec is not None
    parsed = spec.parse(raw, raw["topic"], {})
    assert parsed is not None
    kind, data = parsed
    if spec.typed is not None:
        typed = spec.typed.parse(spec.typed.decode(frame_text(name).encode()), {})
        assert typed == (kind, data)
    return kind, data


# ------------------------------------------------------------------------------ topic lookup
@pytest.mark.parametrize(
    ("dialect", "topic", "model"),
    [
        (PRIVATE, "execution.fast", MinimalUserTrade),
        (PRIVATE, "execution.fast.linear", MinimalUserTrade),
        (PRIVATE, "execution", "UserTrade"),
        (PRIVATE, "execution.spot", "UserTrade"),
        (LINEAR, "orderbook.rpi.BTCUSDT", RpiOrderBookUpdate),
        (LINEAR, "orderbook.50.BTCUSDT", "OrderBookUpdate"),
    ],
)
def test_topic_spec_takes_the_longest_prefix(dialect: V5Dialect, topic: str, model: Any) -> None:
    spec = dialect.topic_spec(topic)
    assert spec is not None
    first_part = dialect.topic_spec(topic.split(".", maxsplit=1)[0])
    if isinstance(model, str):  # a plain family (or a category of it): the first part's spec
        assert spec is first_part
    else:
        assert spec is not first_part
    assert dialect.topic_spec("nothing.here") is None
    assert getattr(PRIVATE.topic_spec("dcp.future"), "private", False)
    assert STATUS.topic_spec("system.status") is not None


def test_private_batches_keep_all_in_one_and_categorised_fast_executions_apart() -> None:
    topics = ["execution.fast", "execution.fast.linear", "dcp.spot", "order.option"]
    assert PRIVATE.batches(topics) == [
        ["execution.fast", "dcp.spot"],
        ["execution.fast.linear", "order.option"],
    ]


# ------------------------------------------------------------------------------ frame by frame
def test_execution_fast_frame() -> None:
    kind, (fill,) = both_paths(PRIVATE, "v5_execution_fast")
    assert kind == "data"
    assert fill == MinimalUserTrade(
        symbol="ICPUSDT",
        order_id="443d63fa-b4c3-4297-b7b1-23bca88b04dc",
        trade_id="3510f361-0add-5c7b-a2e7-9679810944fc",
        category=Category.LINEAR,
        client_order_id="test-00001",
        side=OrderSide.SELL,
        price=Decimal("12.015"),
        quantity=Decimal("3000"),
        is_maker=False,
        timestamp=ms(1716800399334),
        sequence=34771365464,
    )


def test_greeks_frame() -> None:
    _, (greeks,) = both_paths(PRIVATE, "v5_greeks")
    assert greeks == Greeks(
        base_asset="ETH",
        total_delta=Decimal("0.06999986"),
        total_gamma=Decimal("-0.00000001"),
        total_vega=Decimal("-0.00000024"),
        total_theta=Decimal("0.00001314"),
    )


def test_rpi_order_book_frame_keeps_both_sizes() -> None:
    raw = frame("v5_orderbook_rpi_delta")
    kind, book = both_paths(LINEAR, "v5_orderbook_rpi_delta")
    assert kind == "delta"
    assert book == parse_rpi_order_book(raw["data"], ts=raw["ts"], cts=raw["cts"])
    assert book.symbol == "BTCUSDT"
    assert book.bids == (
        RpiOrderBookEntry(price=Decimal("121975.1"), quantity=Decimal("0.114259"), rpi_quantity=Decimal("0")),
        RpiOrderBookEntry(price=Decimal("121969.9"), quantity=Decimal("0"), rpi_quantity=Decimal("0")),
        RpiOrderBookEntry(price=Decimal("121960.5"), quantity=Decimal("0"), rpi_quantity=Decimal("0.163986")),
    )
    assert book.asks[0].rpi_quantity == Decimal("0.78821")
    assert (book.update_id, book.sequence) == (2258980, 79683241099)
    assert book.timestamp == ms(1752472188075)
    assert book.matching_engine_timestamp == ms(1752472188067)


def test_insurance_frame() -> None:
    _, (pool,) = both_paths(LINEAR, "v5_insurance")
    assert pool == InsurancePool(
        asset="USDT", symbols="GRIFFAINUSDT", balance=Decimal("25614.92972633"), update_time=ms(1747722930000)
    )


def test_price_limit_frame_as_object_and_as_list() -> None:
    _, limit = both_paths(LINEAR, "v5_price_limit")
    expected = PriceLimit(symbol="BTCUSDT", buy_limit=Decimal("114450.00"), sell_limit=Decimal("103550.00"))
    assert limit == expected
    assert str(limit.buy_limit) == "114450.00"
    raw = frame("v5_price_limit")
    spec = LINEAR.topic_spec(raw["topic"])
    assert spec is not None
    assert spec.parse({**raw, "data": [raw["data"]]}, raw["topic"], {}) == ("data", expected)


def test_adl_alert_frame_with_bare_numbers() -> None:
    _, (alert,) = both_paths(LINEAR, "v5_adl_alert")
    assert alert == AdlAlert(
        asset="USDT",
        symbol="FWOGUSDT",
        balance=Decimal("-5421.29889888"),
        max_balance=Decimal("-5421.29889888"),
        trigger_pnl_ratio=Decimal("-0.3"),
        pnl_ratio=Decimal("0"),
        balance_threshold=Decimal("10000"),
        stop_ratio=Decimal("-0.25"),
    )
    assert structurer(AdlAlert)({"c": "USDT", "s": "X", "mb": ""}).max_balance is None


def test_system_status_frame() -> None:
    _, (status,) = both_paths(STATUS, "v5_system_status")
    assert status == SystemStatus(
        id="4d95b2a0-587f-11f0-bcc9-56f28c94d6ea",
        title="t06",
        state=MaintenanceState.COMPLETED,
        begin_time=ms(1751596902000),
        end_time=ms(1751597011000),
        link="",
        services=(
            MaintenanceService.HTTP_TRADING,
            MaintenanceService.WEBSOCKET_TRADING,
            MaintenanceService.PRIVATE_WEBSOCKET,
            MaintenanceService.MARKET_DATA,
        ),
        products=(MaintenanceProduct.FUTURES, MaintenanceProduct.SPOT),
        uid_suffixes=(),
        maintenance_type=MaintenanceType.PLANNED,
        environment=MaintenanceEnvironment.PRODUCTION,
    )
    new = structurer(SystemStatus)({"id": "x", "serviceTypes": [9], "product": [], "uidSuffix": ["7"]})
    assert new.services[0].value == 9  # a new service type is kept
    assert new.uid_suffixes == (7,)


def test_dcp_frames_are_skipped() -> None:
    spec = PRIVATE.topic_spec("dcp.future")
    assert spec is not None
    assert spec.parse({"topic": "dcp.future", "data": {}}, "dcp.future", {}) is None


# ------------------------------------------------------------------------------ fields of V5_MORE §4/§5.14
def test_order_reads_oco_trigger_by_and_the_old_name() -> None:
    base = {"orderId": "1", "symbol": "BTCUSDT", "parentOrderLinkId": "parent-link"}
    order = structurer(Order)({**base, "ocoTriggerBy": "OcoTriggerByTp", "brokerOrderPrice": "100.5"})
    assert order.oco_trigger_type is OcoTriggerType.TAKE_PROFIT
    assert order.broker_order_price == Decimal("100.5")
    assert order.parent_client_order_id == "parent-link"
    assert order.parent_order_id == "parent-link"  # the 0.1 name, kept as a property
    old = structurer(Order)({**base, "ocoTriggerType": "OcoTriggerBySl"})
    assert old.oco_trigger_type is OcoTriggerType.STOP_LOSS


def test_position_open_time_wallet_col_res_and_ticker_single_open_interest() -> None:
    position = structurer(Position)({"symbol": "BTCUSDT", "openTime": "1716800399334"})
    assert position.open_time == ms(1716800399334)
    assert structurer(Position)({"symbol": "BTCUSDT", "openTime": 0}).open_time is None
    assert structurer(AssetBalance)({"coin": "USDT", "colRes": "-1"}).collateral_restriction == -1
    ticker = structurer(Ticker)({"singleOpenInterest": "12.5", "singleOpenInterestValue": "1000.25", "cs": 7})
    assert (ticker.single_open_interest, ticker.single_open_interest_value) == (
        Decimal("12.5"),
        Decimal("1000.25"),
    )
    assert ticker.cross_sequence == 7


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


def replay(fake: FakeBybit, name: str, path: str) -> None:
    assert fake.send_raw(frame_text(name), path=path) == 1


@pytest.mark.parametrize(("category", "topic"), [(None, "execution.fast"), ("spot", "execution.fast.spot")])
def test_minimal_user_trades_end_to_end(
    fake: FakeBybit, client: BybitSocketClient, category: str | None, topic: str
) -> None:
    got = Collector()
    sub = client.v5.subscribe_to_minimal_user_trade_updates(got, category=category)
    assert sub.topics == (topic,)
    data = frame("v5_execution_fast")["data"]
    assert fake.publish(topic, data, path="v5.private", type=None, ts=None, creationTime=1716800399338) == 1
    (event,) = got.wait(1)
    assert event.topic == topic
    assert event.data == [structurer(MinimalUserTrade)(item) for item in data]


def test_greeks_end_to_end(fake: FakeBybit, client: BybitSocketClient) -> None:
    got = Collector()
    client.v5.subscribe_to_greek_updates(got)
    replay(fake, "v5_greeks", "v5.private")
    assert got.wait(1)[0].data[0].base_asset == "ETH"


@pytest.mark.parametrize(
    ("method", "args", "name", "path"),
    [
        ("subscribe_to_insurance_pool_updates", ("USDT",), "v5_insurance", "v5.linear"),
        ("subscribe_to_price_limit_updates", ("linear", "BTCUSDT"), "v5_price_limit", "v5.linear"),
        ("subscribe_to_adl_alert_updates", (["USDT", "USDC"],), "v5_adl_alert", "v5.linear"),
        ("subscribe_to_rpi_order_book_updates", ("linear", "BTCUSDT"), "v5_orderbook_rpi_delta", "v5.linear"),
    ],
)
def test_public_streams_end_to_end(
    fake: FakeBybit, client: BybitSocketClient, method: str, args: tuple[Any, ...], name: str, path: str
) -> None:
    raw = frame(name)
    got = Collector()
    sub = getattr(client.v5, method)(*args, got)
    assert raw["topic"] in sub.topics
    assert raw["topic"] in fake.subscriptions(path)
    replay(fake, name, path)
    (event,) = got.wait(1)
    assert event.topic == raw["topic"]
    spec = LINEAR.topic_spec(raw["topic"])
    assert spec is not None
    parsed = spec.parse(raw, raw["topic"], {})
    assert parsed is not None
    assert event.data == parsed[1]


def test_inverse_pools_go_to_the_inverse_endpoint(fake: FakeBybit, client: BybitSocketClient) -> None:
    client.v5.subscribe_to_insurance_pool_updates("inverse", Collector())
    assert fake.subscriptions("v5.inverse") == {"insurance.inverse": 1}


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.v5.subscribe_to_insurance_pool_updates(["USDT", "inverse"], Collector()),
        lambda c: c.v5.subscribe_to_adl_alert_updates("BTC", Collector()),
        lambda c: c.v5.subscribe_to_rpi_order_book_updates("option", "BTC-X", Collector()),
        lambda c: c.v5.subscribe_to_price_limit_updates("option", "BTC-X", Collector()),
        lambda c: c.v5.subscribe_to_disconnect_cancel_all("derivatives"),
        lambda c: c.v5.subscribe_to_minimal_user_trade_updates(Collector(), category="spread"),
    ],
    ids=["mixed-pools", "bad-coin", "rpi-option", "price-limit-option", "dcp-product", "fast-category"],
)
def test_bad_arguments_raise_before_sending(fake: FakeBybit, client: BybitSocketClient, call: Any) -> None:
    with pytest.raises(ValueError):
        call(client)
    assert fake.connections_total == 0


def test_system_status_on_its_own_endpoint(fake: FakeBybit, client: BybitSocketClient) -> None:
    assert fake.urls["v5.status"].endswith("/v5/public/misc/status")  # served as Bybit serves it
    with BybitSocketClient() as default:
        assert default.urls["v5.status"] == "wss://stream.bybit.com/v5/public/misc/status"
    got = Collector()
    client.v5.subscribe_to_system_status_updates(got)
    assert fake.subscriptions("/v5/public/misc/status") == {"system.status": 1}
    replay(fake, "v5_system_status", "v5.status")
    event = got.wait(1)[0]
    assert event.data[0].state is MaintenanceState.COMPLETED
    assert event.exchange_timestamp == ms(frame("v5_system_status")["ts"])
    assert event.update_type is None  # the frame has no type


def test_dcp_is_resubscribed_after_every_reconnect(fake: FakeBybit, client: BybitSocketClient) -> None:
    sub = client.v5.subscribe_to_disconnect_cancel_all("future")
    assert fake.subscriptions("v5.private") == {"dcp.future": 1}
    for connections in (2, 3):
        fake.drop_connections(path="v5.private")

        def reconnected(total: int = connections) -> bool:
            return fake.connections_total == total

        fake.wait_for(reconnected, timeout=3)
        fake.wait_for(lambda: fake.subscriptions("v5.private") == {"dcp.future": 1}, timeout=3)
    assert len(fake.received_frames("v5.private", op="auth")) == 3  # authenticated before each resubscribe
    assert sub.is_active
    sub.close()
    fake.wait_for(lambda: fake.subscriptions("v5.private") == {}, timeout=3)


# ------------------------------------------------------------------------------ one-handler order book
def book(u: int, bids: list[list[str]], asks: list[list[str]]) -> dict[str, Any]:
    return {"s": "BTCUSDT", "b": bids, "a": asks, "u": u, "seq": u * 10}


def test_order_book_snapshots_and_deltas_reach_one_handler(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    got = Collector()
    client.v5.subscribe_to_order_book_updates("linear", "BTCUSDT", 50, got)
    fake.publish("orderbook.50.BTCUSDT", book(5, [["100", "1"]], [["101", "1"]]), path="v5.linear")
    fake.publish("orderbook.50.BTCUSDT", book(6, [["100", "2"]], []), path="v5.linear", type="delta")
    snapshot, delta = got.wait(2)
    assert (snapshot.data.update_id, delta.data.update_id) == (5, 6)
    assert delta.data.bids[0].quantity == Decimal("2")


def test_order_book_iterator_gets_both_kinds(fake: FakeBybit, client: BybitSocketClient) -> None:
    with client.v5.subscribe_to_order_book_updates("spot", "BTCUSDT", 50) as sub:
        fake.publish("orderbook.50.BTCUSDT", book(5, [["100", "1"]], []), path="v5.spot")
        fake.publish("orderbook.50.BTCUSDT", book(6, [], [["101", "1"]]), path="v5.spot", type="delta")
        assert [sub.get(timeout=2).data.update_id for _ in range(2)] == [5, 6]


def test_order_book_keyword_handlers_of_0_1(fake: FakeBybit, client: BybitSocketClient) -> None:
    snapshots, deltas = Collector(), Collector()
    client.v5.subscribe_to_order_book_updates(
        "linear", "BTCUSDT", 1, snapshot_handler=snapshots, update_handler=deltas
    )
    fake.publish("orderbook.1.BTCUSDT", book(5, [["100", "1"]], []), path="v5.linear")
    fake.publish("orderbook.1.BTCUSDT", book(6, [["100", "3"]], []), path="v5.linear", type="delta")
    assert deltas.wait(1)[0].data.update_id == 6
    assert [e.data.update_id for e in snapshots.wait(1)] == [5]


def test_order_book_events_carry_update_type(fake: FakeBybit, client: BybitSocketClient) -> None:
    got = Collector()
    client.v5.subscribe_to_order_book_updates("linear", "BTCUSDT", 50, got)
    fake.publish("orderbook.50.BTCUSDT", book(5, [["100", "1"]], []), path="v5.linear")
    fake.publish("orderbook.50.BTCUSDT", book(6, [["100", "2"]], []), path="v5.linear", type="delta")
    fake.publish("orderbook.50.BTCUSDT", book(1, [["100", "2"]], []), path="v5.linear", type="delta")
    events = got.wait(3)
    kinds = [e.update_type for e in events]
    assert kinds == [UpdateType.SNAPSHOT, UpdateType.DELTA, UpdateType.SNAPSHOT]  # u == 1: a restart


def test_local_order_book_follows_an_rpi_book(fake: FakeBybit, client: BybitSocketClient) -> None:
    local = client.v5.order_book("linear", "BTCUSDT", rpi=True)
    topic = "orderbook.rpi.BTCUSDT"
    snapshot = book(7, [["100", "1", "0.5"], ["99", "0", "2"]], [["101", "3", "0"]])
    fake.publish(topic, snapshot, path="v5.linear")
    local.wait_synced(2)
    assert local.bids == (
        OrderBookLevel(Decimal("100"), Decimal("1"), Decimal("0.5")),
        OrderBookLevel(Decimal("99"), Decimal("0"), Decimal("2")),
    )
    updated = Collector()
    local.on_update(updated)
    delta = book(8, [["99", "0", "0"], ["98", "4", "0"]], [["101", "0", "1"]])
    fake.publish(topic, delta, path="v5.linear", type="delta")
    updated.wait(1)
    assert [level.price for level in local.bids] == [Decimal("100"), Decimal("98")]  # 99: both sizes 0
    assert local.best_ask == OrderBookLevel(Decimal("101"), Decimal("0"), Decimal("1"))
    assert local.sequence == 8
    assert local.status is OrderBookStatus.SYNCED
    local.close()
