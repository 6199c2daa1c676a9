"""Private streams end to end: authentication on the wire, the inverse v2 private topics, the v3 contract
dialect, reconnect with re-authentication, and a secret-leak check over logs, reprs and exceptions."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from bybit_ws import (
    AuthenticationError,
    Backoff,
    BybitConnectionError,
    BybitSocketClient,
    BybitTimeoutError,
    DataEvent,
    FrameError,
    Subscription,
    SubscriptionError,
)
from bybit_ws._convert import structurer
from bybit_ws.engine._auth import Credentials
from bybit_ws.enums import (
    LiquidityType,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionMode,
    PositionSide,
    PositionStatus,
    StopLossTakeProfitMode,
    StopOrderStatus,
    StopOrderType,
    TimeInForce,
    TradeMode,
    TradeType,
    TriggerDirection,
    TriggerType,
)
from bybit_ws.models.contract import (
    ContractBalanceUpdate,
    ContractOrderUpdate,
    ContractPositionUpdate,
    ContractUserTradeUpdate,
)
from bybit_ws.models.inverse import (
    BalanceUpdate,
    OrderUpdate,
    PositionUpdate,
    StopOrderUpdate,
    UserTradeUpdate,
)
from bybit_ws.testing import FakeBybit

from .support import (
    API_KEY,
    API_SECRET,
    BYBITNET,
    ClientFactory,
    Collector,
    bybitnet,
    clients_for,
    frame,
    frame_text,
    wait_until,
)

UTC = timezone.utc
FAST_BACKOFF = Backoff(initial=0.02, maximum=0.1, factor=2.0, jitter=0.0)

#: A distinctive secret for the leak test: it appears nowhere else in the code base.
LEAK_KEY = "leak-test-key-0001"
LEAK_SECRET = "SeCrEt-canary-q7Zx9-never-print-me-41f0"

CONTRACT_TOPICS = {
    "wallet": "user.wallet.contractAccount",
    "order": "user.order.contractAccount",
    "position": "user.position.contractAccount",
    "execution": "user.execution.contractAccount",
}


# ------------------------------------------------------------------------------------------ helpers
@pytest.fixture(autouse=True)
def no_credentials_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests decide where credentials come from; the developer's environment must not leak in."""
    monkeypatch.delenv("BYBIT_API_KEY", raising=False)
    monkeypatch.delenv("BYBIT_API_SECRET", raising=False)


@pytest.fixture
def private_client(make_client: ClientFactory) -> BybitSocketClient:
    return make_client(api_key=API_KEY, api_secret=API_SECRET)


@pytest.fixture
def contract_fake() -> Iterator[FakeBybit]:
    with FakeBybit("contract", api_key=API_KEY, api_secret=API_SECRET) as server:
        yield server


@pytest.fixture
def make_contract_client(contract_fake: FakeBybit) -> Iterator[ClientFactory]:
    """Clients pointed at the contract fake, with credentials and short intervals; closed at teardown."""
    with clients_for(contract_fake, api_key=API_KEY, api_secret=API_SECRET) as make:
        yield make


@pytest.fixture
def contract_client(make_contract_client: ClientFactory) -> BybitSocketClient:
    return make_contract_client()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def expected_signature(secret: str, expires: int) -> str:
    return hmac.new(secret.encode(), f"GET/realtime{expires}".encode(), hashlib.sha256).hexdigest()


def wire_payload(path: str) -> Any:
    """A Bybit.Net payload with JSON numbers kept as numbers on the wire (floats re-serialise exactly)."""
    return json.loads(re.sub(r"//[^\n]*", "", (BYBITNET / path).read_text()))


def replay(fake: FakeBybit, name: str) -> None:
    """Send the exact text of a fixture frame to the (one) connection."""
    assert fake.send_raw(frame_text(name)) == 1


def ops(frames: list[dict[str, Any]]) -> list[str]:
    """The request ops clients sent, heartbeats left out."""
    return [str(f.get("op")) for f in frames if f.get("op") != "ping"]


def auth_requests(fake: FakeBybit) -> list[dict[str, Any]]:
    return [f for f in fake.received if f.get("op") == "auth"]


def assert_valid_auth(request: dict[str, Any], key: str, secret: str, before_ms: int, after_ms: int) -> None:
    """``{"op":"auth","args":[key, expires_ms, hex HMAC-SHA256(secret, "GET/realtime"+expires)]}``."""
    args = request["args"]
    assert isinstance(args, list) and len(args) == 3
    sent_key, expires, signature = args
    assert sent_key == key
    assert type(expires) is int  # milliseconds as a JSON number
    # a few seconds ahead of the moment it was sent (not already expired, not valid for minutes)
    assert before_ms + 1_000 <= expires <= after_ms + 60_000
    assert isinstance(signature, str)
    assert re.fullmatch(r"[0-9a-f]{64}", signature), signature
    assert signature == expected_signature(secret, expires)


def make_event_check(events: list[DataEvent[Any]], topic: str) -> None:
    for event in events:
        assert isinstance(event, DataEvent)
        assert event.topic == topic
        assert event.timestamp.tzinfo is not None
        assert event.timestamp.utcoffset() == UTC.utcoffset(None)


# ============================================================================ round trips: generic
InverseCase = tuple[str, str, str, type[Any]]
INVERSE_CASES: list[InverseCase] = [
    ("inverse_position", "PositionUpdate.txt", "subscribe_to_position_updates", PositionUpdate),
    ("inverse_execution", "UserTradeUpdate.txt", "subscribe_to_user_trade_updates", UserTradeUpdate),
    ("inverse_order", "OrderUpdate.txt", "subscribe_to_order_updates", OrderUpdate),
    ("inverse_stop_order", "StopOrderUpdate.txt", "subscribe_to_stop_order_updates", StopOrderUpdate),
    ("inverse_wallet", "BalanceUpdate.txt", "subscribe_to_balance_updates", BalanceUpdate),
]
CONTRACT_CASES: list[InverseCase] = [
    ("contract_wallet", "BalanceUpdate.txt", "subscribe_to_balance_updates", ContractBalanceUpdate),
    ("contract_order", "OrderUpdate.txt", "subscribe_to_order_updates", ContractOrderUpdate),
    ("contract_position", "PositionUpdate.txt", "subscribe_to_position_updates", ContractPositionUpdate),
    ("contract_execution", "UserTradeUpdate.txt", "subscribe_to_user_trade_updates", ContractUserTradeUpdate),
]


@pytest.mark.parametrize(
    ("name", "bybitnet_file", "method", "model"), INVERSE_CASES, ids=[c[0] for c in INVERSE_CASES]
)
def test_inverse_private_round_trip(
    fake: FakeBybit, make_client: ClientFactory, name: str, bybitnet_file: str, method: str, model: type[Any]
) -> None:
    client = make_client(api_key=API_KEY, api_secret=API_SECRET, keep_original_data=True)
    raw = frame(name)
    topic = raw["topic"]
    got = Collector()
    errors = Collector()
    sub: Subscription[Any] = getattr(client.inverse, method)(got)
    sub.on_exception(errors)
    assert sub.topics == (topic,)
    replay(fake, name)
    payload = bybitnet(f"InversePerpetual/Socket/{bybitnet_file}")
    assert fake.publish(topic, wire_payload(f"InversePerpetual/Socket/{bybitnet_file}")) == 1
    first, second = got.wait(2)
    make_event_check([first, second], topic)
    structure = structurer(model)
    assert first.data == [structure(item) for item in raw["data"]]
    assert second.data == [structure(item) for item in payload]
    assert all(type(item) is model for item in first.data + second.data)
    assert first.original_data == frame_text(name)  # the exact text, with keep_original_data
    assert errors.events == []


@pytest.mark.parametrize(
    ("name", "bybitnet_file", "method", "model"), CONTRACT_CASES, ids=[c[0] for c in CONTRACT_CASES]
)
def test_contract_private_round_trip(
    contract_fake: FakeBybit,
    make_contract_client: ClientFactory,
    name: str,
    bybitnet_file: str,
    method: str,
    model: type[Any],
) -> None:
    client = make_contract_client(keep_original_data=True)
    raw = frame(name)
    topic = raw["topic"]
    got = Collector()
    errors = Collector()
    sub: Subscription[Any] = getattr(client.contract, method)(got)
    sub.on_exception(errors)
    assert sub.topics == (topic,)
    replay(contract_fake, name)
    payload = bybitnet(f"Derivatives/Contract/Socket/{bybitnet_file}")
    assert contract_fake.publish(topic, wire_payload(f"Derivatives/Contract/Socket/{bybitnet_file}")) == 1
    first, second = got.wait(2)
    make_event_check([first, second], topic)
    structure = structurer(model)
    assert first.data == [structure(item) for item in raw["data"]]
    assert second.data == [structure(item) for item in payload]
    assert all(type(item) is model for item in first.data + second.data)
    assert first.original_data == frame_text(name)
    assert errors.events == []


# ======================================================================= round trips: field by field
def test_inverse_position_fields_through_the_wire(fake: FakeBybit, private_client: BybitSocketClient) -> None:
    got = Collector()
    private_client.inverse.subscribe_to_position_updates(got)
    replay(fake, "inverse_position")
    fake.publish("position", wire_payload("InversePerpetual/Socket/PositionUpdate.txt"))
    first, second = got.wait(2)
    (p,) = first.data
    assert p.symbol == "BTCUSD"
    assert p.side is PositionSide.BUY
    assert p.quantity == Decimal("200")
    assert p.user_id == 533285
    assert p.risk_id == 1
    assert str(p.entry_price) == "20005.00125031"
    assert p.liquidation_price == Decimal("489")
    assert p.bankruptcy_price == Decimal("489")
    assert p.leverage == Decimal("5")
    assert str(p.position_value) == "0.0099975"
    assert p.position_margin == Decimal("0.39929535")
    assert p.available_balance == Decimal("0.39753405")
    assert p.wallet_balance == Decimal("0.40053971")
    assert p.realized_pnl == Decimal("0.00055631")
    assert p.total_realized_pnl == Decimal("0.00055105")
    assert p.closing_fee == Decimal("0.0002454")
    assert p.funding_fee == Decimal("0")
    assert p.position_status is PositionStatus.NORMAL
    assert p.position_mode is PositionMode.ONE_WAY
    assert p.position_sequence == 0
    assert p.take_profit_stop_loss_mode is StopLossTakeProfitMode.PARTIAL
    assert p.auto_add_margin is True
    assert p.isolated is False
    (q,) = second.data  # Bybit.Net's payload
    assert q.side is PositionSide.SELL
    assert q.quantity == Decimal("11")
    assert str(q.entry_price) == "6907.291588174717"
    assert q.liquidation_price == Decimal("7100.234")
    assert q.bankruptcy_price == Decimal("7088.1234")
    assert q.take_profit_trigger_by is TriggerType.LAST_PRICE
    assert q.stop_loss_triggered_by is None  # "" on the wire
    assert q.funding_fee == Decimal("0.1")
    assert q.position_sequence == 14
    assert q.auto_add_margin is False
    assert q.isolated is None


def test_inverse_execution_fields_through_the_wire(
    fake: FakeBybit, private_client: BybitSocketClient
) -> None:
    got = Collector()
    private_client.inverse.subscribe_to_user_trade_updates(got)
    replay(fake, "inverse_execution")
    fake.publish("execution", wire_payload("InversePerpetual/Socket/UserTradeUpdate.txt"))
    first, second = got.wait(2)
    (t,) = first.data
    assert t.symbol == "BTCUSD"
    assert t.side is OrderSide.BUY
    assert t.id == "xxxxxxxx-xxxx-xxxx-8b66-c3d2fcd352f6"
    assert t.order_id == "xxxxxxxx-xxxx-xxxx-9a8f-4a973eb5c418"
    assert t.client_order_id == ""
    assert t.price == Decimal("8300")
    assert t.quantity == Decimal("1")
    assert t.order_quantity == Decimal("1")
    assert t.quantity_remaining == Decimal("0")
    assert t.fee == Decimal("0.00000009")
    assert t.type is TradeType.TRADE
    assert t.is_maker is False
    assert t.trade_time == datetime(2020, 1, 14, 14, 7, 23, 629000, tzinfo=UTC)
    assert second.data == first.data  # Bybit.Net's payload is the same execution


def test_inverse_order_fields_through_the_wire(fake: FakeBybit, private_client: BybitSocketClient) -> None:
    got = Collector()
    private_client.inverse.subscribe_to_order_updates(got)
    replay(fake, "inverse_order")
    fake.publish("order", wire_payload("InversePerpetual/Socket/OrderUpdate.txt"))
    first, second = got.wait(2)
    (o,) = first.data
    assert o.id == "1640b725-75e9-407d-bea9-aae4fc666d33"
    assert o.client_order_id == "IPBTC00005"
    assert o.symbol == "BTCUSD"
    assert o.side is OrderSide.SELL
    assert o.type is OrderType.MARKET
    assert o.price == Decimal("20564")
    assert o.quantity == Decimal("200")
    assert o.time_in_force is TimeInForce.IMMEDIATE_OR_CANCEL
    assert o.create_type == "CreateByUser"
    assert o.cancel_type == ""
    assert o.status is OrderStatus.FILLED
    assert o.leaves_quantity == Decimal("0")
    assert o.quote_quantity_filled == Decimal("200")
    assert o.base_quantity_filled == Decimal("0.00943552")
    assert o.fee == Decimal("0.00000567")
    assert o.timestamp == datetime(2022, 6, 21, 7, 35, 56, 505000, tzinfo=UTC)
    assert o.take_profit == Decimal("18500")
    assert o.take_profit_trigger_by is TriggerType.LAST_PRICE
    assert o.stop_loss == Decimal("22000")
    assert o.stop_loss_trigger_by is TriggerType.LAST_PRICE
    assert o.trailing_stop == Decimal("0")
    assert o.last_trade_price == Decimal("21196.5")
    assert o.reduce_only is False
    assert o.close_on_trigger is False
    (n,) = second.data  # Bybit.Net's payload: JSON numbers, nanosecond ISO times, position_idx "1"
    assert n.symbol == "BTCUSDT"
    assert n.price == Decimal("38262")
    assert str(n.quantity) == "0.01"  # a JSON float, exact
    assert str(n.base_quantity_filled) == "364.411"
    assert str(n.fee) == "0.0273315"
    assert n.last_trade_price == Decimal("36442")
    assert n.cancel_type == "UNKNOWN"
    assert n.create_time == datetime(2022, 1, 25, 10, 32, 34, 519268, tzinfo=UTC)
    assert n.update_time == datetime(2022, 1, 25, 10, 32, 34, 519369, tzinfo=UTC)
    assert n.position_mode is PositionMode.BOTH_SIDE_BUY


def test_inverse_stop_order_fields_through_the_wire(
    fake: FakeBybit, private_client: BybitSocketClient
) -> None:
    got = Collector()
    private_client.inverse.subscribe_to_stop_order_updates(got)
    replay(fake, "inverse_stop_order")
    fake.publish("stop_order", wire_payload("InversePerpetual/Socket/StopOrderUpdate.txt"))
    first, second = got.wait(2)
    (s,) = first.data
    assert s.id == "xxxxxxxx-xxxx-xxxx-98fb-335aaa6c613b"
    assert s.user_id == 1
    assert s.symbol == "BTCUSD"
    assert s.side is OrderSide.BUY
    assert s.type is OrderType.LIMIT
    assert s.price == Decimal("8584.5")
    assert s.quantity == Decimal("1")
    assert s.time_in_force is TimeInForce.IMMEDIATE_OR_CANCEL
    assert s.create_type == "CreateByStopOrder"
    assert s.status is StopOrderStatus.UNTRIGGERED
    assert s.stop_order_type is StopOrderType.STOP
    assert s.trigger_by is TriggerType.LAST_PRICE
    assert s.trigger_price == Decimal("8584.5")
    assert s.close_on_trigger is False
    assert s.timestamp == datetime(2020, 1, 14, 14, 11, 22, 62000, tzinfo=UTC)
    assert s.take_profit == Decimal("10000")  # a JSON number here
    assert s.stop_loss == Decimal("7500")
    (b,) = second.data
    assert b.status is StopOrderStatus.UNTRIGGERED
    assert b.take_profit is None and b.stop_loss is None


def test_inverse_wallet_fields_through_the_wire(fake: FakeBybit, private_client: BybitSocketClient) -> None:
    got = Collector()
    private_client.inverse.subscribe_to_balance_updates(got)
    replay(fake, "inverse_wallet")
    fake.publish("wallet", wire_payload("InversePerpetual/Socket/BalanceUpdate.txt"))
    first, second = got.wait(2)
    (w,) = first.data
    assert w.asset == "BTC"
    assert w.user_id == 738713
    assert str(w.available_balance) == "1.50121026"
    assert str(w.wallet_balance) == "1.50121261"
    (v,) = second.data
    assert (v.asset, v.user_id, v.wallet_balance) == ("BTC", None, Decimal("1.50121261"))


def test_contract_order_fields_through_the_wire(
    contract_fake: FakeBybit, contract_client: BybitSocketClient
) -> None:
    got = Collector()
    contract_client.contract.subscribe_to_order_updates(got)
    replay(contract_fake, "contract_order")
    contract_fake.publish(
        CONTRACT_TOPICS["order"], wire_payload("Derivatives/Contract/Socket/OrderUpdate.txt")
    )
    first, second = got.wait(2)
    (o,) = first.data
    assert o.id == "ee013d82-fafc-4504-97b1-d92aca21eedd"
    assert o.symbol == "BTCUSD"
    assert o.side is OrderSide.BUY
    assert o.type is OrderType.MARKET
    assert o.conditional_order_type is StopOrderType.UNKNOWN
    assert str(o.price) == "21920.00"  # exact as sent, trailing zeros kept
    assert o.quantity == Decimal("200")
    assert o.time_in_force is TimeInForce.IMMEDIATE_OR_CANCEL
    assert o.status is OrderStatus.FILLED
    assert o.trigger_price == Decimal("0")
    assert o.client_order_id == "inv001"
    assert o.create_time == datetime(2022, 8, 24, 10, 57, 2, 771000, tzinfo=UTC)
    assert o.update_time == datetime(2022, 8, 24, 10, 57, 2, 775000, tzinfo=UTC)
    assert o.take_profit_trigger_type is TriggerType.UNKNOWN
    assert o.stop_loss_trigger_type is TriggerType.UNKNOWN
    assert o.trigger_by is TriggerType.UNKNOWN
    assert o.reduce_only is False
    assert o.close_on_trigger is False
    assert o.trigger_direction is TriggerDirection.NONE
    assert o.leaves_quantity == Decimal("0")
    assert o.filled_quantity == Decimal("200")
    assert o.filled_price == Decimal("21282.00")
    assert o.accumulative_trading_volume == Decimal("200")
    assert o.accumulative_trading_value == Decimal("0.00939761")
    assert second.data == first.data


def test_contract_execution_fields_through_the_wire(
    contract_fake: FakeBybit, contract_client: BybitSocketClient
) -> None:
    got = Collector()
    contract_client.contract.subscribe_to_user_trade_updates(got)
    replay(contract_fake, "contract_execution")
    contract_fake.publish(
        CONTRACT_TOPICS["execution"], wire_payload("Derivatives/Contract/Socket/UserTradeUpdate.txt")
    )
    first, second = got.wait(2)
    (t,) = first.data
    assert t.symbol == "BITUSDT"
    assert t.trading_id == "beba036f-9fb4-59a7-84b7-2620e5d13e1c"
    assert t.order_id == "ddbea432-2bd7-45dd-ab42-52d920b8136d"
    assert t.client_order_id == "b001"
    assert t.trading_fee == Decimal("0.02022")
    assert t.trading_price == Decimal("0.674")
    assert t.accumulative_trading_volume == Decimal("50")
    assert t.trading_value == Decimal("33.7")
    assert t.fee_rate == Decimal("0.0006")
    assert t.trade_type is TradeType.TRADE
    assert t.liquidity_type is LiquidityType.REMOVED_LIQUIDITY
    assert t.remaining_order_quantity == Decimal("0")
    assert t.order_price == Decimal("0.707")
    assert t.order_quantity == Decimal("50")
    assert t.order_type is OrderType.MARKET
    assert t.conditional_order_type is StopOrderType.UNKNOWN
    assert t.side is OrderSide.BUY
    assert t.trading_time == datetime(2022, 7, 29, 1, 18, 55, 81000, tzinfo=UTC)
    assert t.closed_size == Decimal("0")
    assert second.data == first.data


def test_contract_position_fields_through_the_wire(
    contract_fake: FakeBybit, contract_client: BybitSocketClient
) -> None:
    got = Collector()
    contract_client.contract.subscribe_to_position_updates(got)
    replay(contract_fake, "contract_position")
    contract_fake.publish(
        CONTRACT_TOPICS["position"], wire_payload("Derivatives/Contract/Socket/PositionUpdate.txt")
    )
    first, second = got.wait(2)
    (p,) = first.data
    assert p.symbol == "BTCUSDT"
    assert p.position_mode is PositionMode.ONE_WAY
    assert p.risk_id == 1
    assert p.side is PositionSide.BUY
    assert str(p.quantity) == "0.024"
    assert p.position_value == Decimal("394.55123078")
    assert p.entry_price == Decimal("16439.63461538")
    assert p.trade_mode is TradeMode.CROSS_MARGIN
    assert p.auto_add_margin is False
    assert p.leverage == Decimal("3")
    assert p.position_balance == Decimal("131.67490005")
    assert p.liquidation_price == Decimal("0.50")
    assert p.bankruptcy_price == Decimal("0.50")
    assert p.unrealised_pnl == Decimal("32.57676922")
    assert p.create_time == datetime(2021, 12, 21, 3, 12, 32, 777000, tzinfo=UTC)
    assert p.update_time == datetime(2022, 12, 14, 7, 22, 25, 179000, tzinfo=UTC)
    assert p.stop_mode is StopLossTakeProfitMode.PARTIAL
    assert p.position_status is PositionStatus.NORMAL
    assert p.closing_fee == Decimal("0.0000072")
    assert p.mark_price == Decimal("17797.00")
    assert p.total_realized_pnl == Decimal("44834.01605397")
    assert p.risk_limit_value == Decimal("2000000")
    assert p.maintenance_margin == Decimal("0.00006")
    assert p.initial_margin == Decimal("3.9455123078")
    assert second.data == first.data


def test_contract_wallet_fields_through_the_wire(
    contract_fake: FakeBybit, contract_client: BybitSocketClient
) -> None:
    got = Collector()
    contract_client.contract.subscribe_to_balance_updates(got)
    replay(contract_fake, "contract_wallet")
    contract_fake.publish(
        CONTRACT_TOPICS["wallet"], wire_payload("Derivatives/Contract/Socket/BalanceUpdate.txt")
    )
    first, second = got.wait(2)
    (w,) = first.data
    assert w.asset == "USDT"
    assert w.equity == Decimal("610.3984319")
    assert w.wallet_balance == Decimal("609.7384319")
    assert w.position_margin == Decimal("4.7582882")
    assert w.available_balance == Decimal("604.9801437")
    assert w.order_margin == Decimal("0")
    assert w.unrealised_pnl == Decimal("0.66")
    assert str(w.total_realized_pnl) == "-0.2615681"
    assert second.data == first.data


# ====================================================================================== auth: wire
def test_inverse_auth_request_on_the_wire(fake: FakeBybit, private_client: BybitSocketClient) -> None:
    before = now_ms()
    private_client.inverse.subscribe_to_position_updates(Collector())
    after = now_ms()
    frames = fake.received
    assert ops(frames) == ["auth", "subscribe"]
    auth, subscribe = (f for f in frames if f.get("op") != "ping")
    assert set(auth) == {"op", "args"}  # v2: no req_id
    assert_valid_auth(auth, API_KEY, API_SECRET, before, after)
    assert subscribe == {"op": "subscribe", "args": ["position"]}


def test_one_auth_per_connection_for_many_private_subscriptions(
    fake: FakeBybit, private_client: BybitSocketClient
) -> None:
    inverse = private_client.inverse
    inverse.subscribe_to_position_updates(Collector())
    inverse.subscribe_to_order_updates(Collector())
    inverse.subscribe_to_user_trade_updates(Collector())
    inverse.subscribe_to_stop_order_updates(Collector())
    inverse.subscribe_to_balance_updates(Collector())
    assert ops(fake.received) == ["auth"] + ["subscribe"] * 5
    assert fake.connections_total == 1
    assert fake.subscriptions() == dict.fromkeys(
        ["position", "order", "execution", "stop_order", "wallet"], 1
    )


def test_concurrent_private_subscriptions_authenticate_once(
    fake: FakeBybit, private_client: BybitSocketClient
) -> None:
    methods: list[Callable[[Any], Subscription[Any]]] = [
        private_client.inverse.subscribe_to_position_updates,
        private_client.inverse.subscribe_to_order_updates,
        private_client.inverse.subscribe_to_user_trade_updates,
        private_client.inverse.subscribe_to_balance_updates,
    ]
    start = threading.Barrier(len(methods))
    results: list[Subscription[Any] | BaseException] = []
    lock = threading.Lock()

    def run(method: Callable[[Any], Subscription[Any]]) -> None:
        start.wait()
        try:
            result: Subscription[Any] | BaseException = method(Collector())
        except BaseException as exc:  # reported below
            result = exc
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(m,)) for m in methods]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5.0)
    assert len(results) == len(methods)
    assert all(isinstance(r, Subscription) and r.is_active for r in results), results
    frames = fake.received
    assert ops(frames).count("auth") == 1
    assert ops(frames)[0] == "auth"  # before every private subscribe
    assert fake.connections_total == 1


def test_public_only_connection_never_authenticates(
    fake: FakeBybit, private_client: BybitSocketClient
) -> None:
    got = Collector()
    private_client.inverse.subscribe_to_trade_updates("BTCUSD", got)
    private_client.inverse.subscribe_to_kline_updates("BTCUSD", "1", Collector())
    replay(fake, "inverse_trade")
    got.wait(1)
    assert auth_requests(fake) == []
    assert ops(fake.received) == ["subscribe", "subscribe"]


def test_public_and_private_share_one_realtime_connection(
    fake: FakeBybit, private_client: BybitSocketClient
) -> None:
    trades = Collector()
    wallet = Collector()
    private_client.inverse.subscribe_to_trade_updates("BTCUSD", trades)
    assert auth_requests(fake) == []  # not yet: only a private subscription needs it
    private_client.inverse.subscribe_to_balance_updates(wallet)
    private_client.inverse.subscribe_to_order_book_updates("BTCUSD", 25, Collector(), Collector())
    assert fake.connections_total == 1
    assert fake.connection_count == 1
    assert "connections=1" in repr(private_client)
    assert ops(fake.received) == ["subscribe", "auth", "subscribe", "subscribe"]
    assert fake.received[2] == {"op": "subscribe", "args": ["wallet"]}
    replay(fake, "inverse_trade")
    replay(fake, "inverse_wallet")
    assert trades.wait(1)[0].topic == "trade.BTCUSD"
    assert wallet.wait(1)[0].topic == "wallet"


def test_contract_requests_carry_req_id_and_auth_comes_first(
    contract_fake: FakeBybit, contract_client: BybitSocketClient
) -> None:
    before = now_ms()
    contract_client.contract.subscribe_to_balance_updates(Collector())
    after = now_ms()
    contract_client.contract.subscribe_to_order_updates(Collector())
    frames = contract_fake.received_frames(path="contract")
    assert frames == contract_fake.received  # nothing anywhere else
    assert ops(frames) == ["auth", "subscribe", "subscribe"]
    auth = frames[0]
    assert_valid_auth(auth, API_KEY, API_SECRET, before, after)
    assert [f["args"] for f in frames[1:]] == [[CONTRACT_TOPICS["wallet"]], [CONTRACT_TOPICS["order"]]]
    req_ids = [f.get("req_id") for f in frames]
    assert all(isinstance(r, str) and r for r in req_ids), req_ids
    assert len(set(req_ids)) == len(req_ids)
    assert contract_fake.connections_total == 1


def test_contract_and_inverse_use_their_own_endpoints(fake: FakeBybit, contract_fake: FakeBybit) -> None:
    urls = {**fake.urls, **contract_fake.urls}
    assert urls["contract"].endswith("/contract/private/v3")
    assert urls["inverse"].endswith("/realtime")
    with BybitSocketClient(API_KEY, API_SECRET, urls=urls, request_timeout=2.0) as client:
        client.inverse.subscribe_to_position_updates(Collector())
        client.contract.subscribe_to_position_updates(Collector())
        assert fake.connections_total == 1
        assert contract_fake.connections_total == 1
        assert fake.subscriptions() == {"position": 1}
        assert contract_fake.subscriptions() == {CONTRACT_TOPICS["position"]: 1}
        assert "req_id" not in fake.received[0]
        assert "req_id" in contract_fake.received[0]


# =============================================================================== auth: credentials
def test_credentials_from_environment(
    fake: FakeBybit, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BYBIT_API_KEY", API_KEY)
    monkeypatch.setenv("BYBIT_API_SECRET", API_SECRET)
    client = make_client()
    before = now_ms()
    sub = client.inverse.subscribe_to_order_updates(Collector())
    assert sub.is_active
    (auth,) = auth_requests(fake)
    assert_valid_auth(auth, API_KEY, API_SECRET, before, now_ms())


def test_arguments_win_over_environment(
    fake: FakeBybit, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BYBIT_API_KEY", "env-key")
    monkeypatch.setenv("BYBIT_API_SECRET", "env-secret")
    client = make_client(api_key=API_KEY, api_secret=API_SECRET)
    client.inverse.subscribe_to_order_updates(Collector())
    (auth,) = auth_requests(fake)
    assert auth["args"][0] == API_KEY
    assert auth["args"][2] == expected_signature(API_SECRET, auth["args"][1])


def test_contract_credentials_from_environment(
    contract_fake: FakeBybit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BYBIT_API_KEY", API_KEY)
    monkeypatch.setenv("BYBIT_API_SECRET", API_SECRET)
    with BybitSocketClient(urls=contract_fake.urls, request_timeout=2.0) as client:
        assert client.contract.subscribe_to_position_updates(Collector()).is_active


@pytest.mark.parametrize(
    ("args", "env"),
    [
        ({"api_key": API_KEY}, {}),
        ({"api_secret": API_SECRET}, {}),
        ({}, {"BYBIT_API_KEY": API_KEY}),
        ({}, {"BYBIT_API_SECRET": API_SECRET}),
        ({"api_key": API_KEY}, {"BYBIT_API_KEY": "other"}),
    ],
    ids=["key-arg", "secret-arg", "key-env", "secret-env", "key-arg-key-env"],
)
def test_only_one_of_key_and_secret_is_a_value_error(
    args: dict[str, str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match="api_key and api_secret") as caught:
        BybitSocketClient(**args)  # type: ignore[arg-type]
    assert API_SECRET not in str(caught.value) and API_SECRET not in repr(caught.value)


def test_key_from_argument_and_secret_from_environment(
    fake: FakeBybit, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BYBIT_API_SECRET", API_SECRET)
    client = make_client(api_key=API_KEY)
    assert client.inverse.subscribe_to_balance_updates(Collector()).is_active


def test_credentials_repr_hides_the_secret() -> None:
    credentials = Credentials(API_KEY, API_SECRET)
    assert API_SECRET not in repr(credentials)
    assert API_SECRET not in str(credentials)
    client = BybitSocketClient(API_KEY, API_SECRET)
    try:
        assert API_SECRET not in repr(client)
        assert API_KEY not in repr(client)  # only a prefix of the key is shown
    finally:
        client.close()


# ================================================================================ auth: rejections
@pytest.mark.parametrize(
    ("key", "secret", "ret_msg"),
    [
        (API_KEY, "wrong-secret", "error:signature verification failed"),
        ("wrong-key", API_SECRET, "error:invalid api_key"),
    ],
    ids=["wrong-secret", "wrong-key"],
)
def test_inverse_rejected_auth(
    fake: FakeBybit, make_client: ClientFactory, key: str, secret: str, ret_msg: str
) -> None:
    client = make_client(api_key=key, api_secret=secret)
    trades = Collector()
    public = client.inverse.subscribe_to_trade_updates("BTCUSD", trades)
    with pytest.raises(AuthenticationError) as caught:
        client.inverse.subscribe_to_order_updates(Collector())
    error = caught.value
    assert isinstance(error, SubscriptionError)
    assert error.ret_msg == ret_msg
    assert error.op == "auth"
    assert ret_msg in str(error)
    # no private subscription was even requested, and none remains
    assert {"op": "subscribe", "args": ["order"]} not in fake.received
    assert fake.subscriptions() == {"trade.BTCUSD": 1}
    # the client (and its connection) stays usable for public topics
    assert public.is_active
    replay(fake, "inverse_trade")
    assert trades.wait(1)[0].topic == "trade.BTCUSD"
    klines = client.inverse.subscribe_to_kline_updates("BTCUSD", "1", Collector())
    assert klines.is_active
    assert fake.connections_total == 1


def test_inverse_reject_next_auth_then_retry(fake: FakeBybit, private_client: BybitSocketClient) -> None:
    public = private_client.inverse.subscribe_to_trade_updates("BTCUSD", Collector())
    fake.reject_next("auth", "error:custom reject from the test")
    with pytest.raises(AuthenticationError) as caught:
        private_client.inverse.subscribe_to_position_updates(Collector())
    assert caught.value.ret_msg == "error:custom reject from the test"
    assert "position" not in fake.subscriptions()
    assert public.is_active
    # the next private call authenticates again on the same connection, and succeeds
    got = Collector()
    private_client.inverse.subscribe_to_position_updates(got)
    assert ops(fake.received) == ["subscribe", "auth", "auth", "subscribe"]
    assert fake.connections_total == 1
    replay(fake, "inverse_position")
    assert got.wait(1)[0].topic == "position"


@pytest.mark.parametrize(
    ("secret", "reject", "ret_msg"),
    [
        ("wrong-secret", None, "Signature verification failed"),
        (API_SECRET, "", "Params Error"),  # reject_next's default for auth on contract
        (API_SECRET, "Params Error: custom", "Params Error: custom"),
    ],
    ids=["wrong-secret", "reject-default", "reject-custom"],
)
def test_contract_rejected_auth(
    contract_fake: FakeBybit,
    make_contract_client: ClientFactory,
    secret: str,
    reject: str | None,
    ret_msg: str,
) -> None:
    client = make_contract_client(api_secret=secret)
    if reject is not None:
        contract_fake.reject_next("auth", reject or None)
    with pytest.raises(AuthenticationError) as caught:
        client.contract.subscribe_to_order_updates(Collector())
    assert caught.value.ret_msg == ret_msg
    assert caught.value.op == "auth"
    assert ops(contract_fake.received) == ["auth"]
    # nothing is left: the connection had no other subscription, so it closes
    contract_fake.wait_for(lambda: contract_fake.connection_count == 0, timeout=2.0)
    assert contract_fake.subscriptions() == {}


# ===================================================================== auth: missing credentials
def test_inverse_private_without_credentials_sends_nothing(
    fake: FakeBybit, make_client: ClientFactory
) -> None:
    client = make_client()
    subscribe_calls: list[Callable[[Any], Subscription[Any]]] = [
        client.inverse.subscribe_to_position_updates,
        client.inverse.subscribe_to_user_trade_updates,
        client.inverse.subscribe_to_order_updates,
        client.inverse.subscribe_to_stop_order_updates,
        client.inverse.subscribe_to_balance_updates,
    ]
    for call in subscribe_calls:
        with pytest.raises(AuthenticationError, match="BYBIT_API_KEY") as caught:
            call(Collector())
        assert caught.value.op == "auth"
    assert fake.connections_total == 0
    assert fake.received == []
    assert "connections=0" in repr(client)


def test_missing_credentials_on_an_open_public_connection_sends_nothing(
    fake: FakeBybit, make_client: ClientFactory
) -> None:
    client = make_client()
    client.inverse.subscribe_to_trade_updates("BTCUSD", Collector())
    sent = fake.received
    with pytest.raises(AuthenticationError):
        client.inverse.subscribe_to_balance_updates(Collector())
    assert fake.received == sent
    assert fake.subscriptions() == {"trade.BTCUSD": 1}


def test_contract_without_credentials_sends_nothing(contract_fake: FakeBybit) -> None:
    with BybitSocketClient(urls=contract_fake.urls, request_timeout=2.0) as client:
        contract_calls: list[Callable[[Any], Subscription[Any]]] = [
            client.contract.subscribe_to_balance_updates,
            client.contract.subscribe_to_order_updates,
            client.contract.subscribe_to_position_updates,
            client.contract.subscribe_to_user_trade_updates,
        ]
        for call in contract_calls:
            with pytest.raises(AuthenticationError, match="credentials"):
                call(Collector())
    assert contract_fake.connections_total == 0
    assert contract_fake.received == []


# ================================================================================ contract dialect
def test_contract_close_returns_promptly_and_unsubscribes(
    contract_fake: FakeBybit, make_contract_client: ClientFactory
) -> None:
    client = make_contract_client(request_timeout=5.0)
    wallet = Collector()
    client.contract.subscribe_to_balance_updates(wallet)
    orders = client.contract.subscribe_to_order_updates(Collector())
    started = time.monotonic()
    orders.close()
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, f"close() took {elapsed:.2f} s: the unsubscribe reply was not matched"
    (unsubscribe,) = contract_fake.received_frames(op="unsubscribe")
    assert unsubscribe["args"] == [CONTRACT_TOPICS["order"]]
    assert isinstance(unsubscribe.get("req_id"), str) and unsubscribe["req_id"]
    assert not orders.is_active
    assert contract_fake.subscriptions() == {CONTRACT_TOPICS["wallet"]: 1}
    assert contract_fake.connection_count == 1
    replay(contract_fake, "contract_wallet")
    assert wallet.wait(1)[0].topic == CONTRACT_TOPICS["wallet"]


def test_contract_close_matches_a_reply_with_an_empty_req_id(
    contract_fake: FakeBybit, make_contract_client: ClientFactory
) -> None:
    """Private v3 channels may send the reply with ``req_id: ""``: matched by op, no timeout."""
    client = make_contract_client(request_timeout=5.0)
    client.contract.subscribe_to_balance_updates(Collector())
    orders = client.contract.subscribe_to_order_updates(Collector())
    contract_fake.ignore_next("unsubscribe")
    elapsed: list[float] = []

    def close() -> None:
        started = time.monotonic()
        orders.close()
        elapsed.append(time.monotonic() - started)

    closer = threading.Thread(target=close)
    closer.start()
    try:
        contract_fake.wait_for(lambda: bool(contract_fake.received_frames(op="unsubscribe")), timeout=2.0)
        reply = {"success": True, "ret_msg": "", "conn_id": "test", "req_id": "", "op": "unsubscribe"}
        assert contract_fake.send_raw(json.dumps(reply)) == 1
    finally:
        closer.join(6.0)
    assert elapsed and elapsed[0] < 2.0, elapsed


def test_closing_the_last_contract_subscription_closes_the_connection_promptly(
    contract_fake: FakeBybit, make_contract_client: ClientFactory
) -> None:
    client = make_contract_client(request_timeout=5.0)
    sub = client.contract.subscribe_to_position_updates(Collector())
    started = time.monotonic()
    sub.close()
    assert time.monotonic() - started < 2.0
    contract_fake.wait_for(lambda: contract_fake.connection_count == 0, timeout=2.0)


def test_contract_pong_shapes_are_neither_errors_nor_data(
    contract_fake: FakeBybit, contract_client: BybitSocketClient
) -> None:
    got = Collector()
    errors = Collector()
    sub = contract_client.contract.subscribe_to_balance_updates(got)
    sub.on_exception(errors)
    contract_fake.send_raw('{"req_id":"x","op":"pong","args":["1"]}')
    contract_fake.send_raw(frame_text("contract_pong"))
    contract_fake.send_raw('{"req_id":"","op":"pong","args":["1700000000000"],"conn_id":"c"}')
    replay(contract_fake, "contract_wallet")  # frames are handled in order: this one comes after
    events = got.wait(1)
    assert [e.topic for e in events] == [CONTRACT_TOPICS["wallet"]]
    assert errors.events == []
    assert sub.stats.received == 1
    assert sub.is_active


def _keepalive(fake: FakeBybit, pings: int, answer: Callable[[dict[str, Any]], str] | None) -> None:
    """Wait for ``pings`` heartbeats; answer each with ``answer(ping)`` (None: the fake answers)."""
    answered = 0

    def more_than(done: int) -> Callable[[], bool]:
        return lambda: len(fake.received_frames(op="ping")) > done

    while answered < pings:
        fake.wait_for(more_than(answered), timeout=2.0)
        seen = fake.received_frames(op="ping")
        if answer is not None:
            for ping in seen[answered:]:
                fake.send_raw(answer(ping))
        answered = len(seen)


@pytest.mark.parametrize("shape", ["fake-default", "op-pong"])
def test_contract_pongs_keep_the_connection_alive(
    contract_fake: FakeBybit, make_contract_client: ClientFactory, shape: str
) -> None:
    client = make_contract_client(ping_interval=0.05, pong_timeout=0.3, backoff=FAST_BACKOFF)
    errors = Collector()
    lost = Collector()
    sub = client.contract.subscribe_to_balance_updates(Collector())
    sub.on_exception(errors)
    sub.on_connection_lost(lambda: lost(None))
    answer: Callable[[dict[str, Any]], str] | None = None
    if shape == "op-pong":
        contract_fake.stop_answering_pings()

        def answer(ping: dict[str, Any]) -> str:
            return json.dumps({"req_id": ping.get("req_id", ""), "op": "pong", "args": [str(now_ms())]})

    _keepalive(contract_fake, 10, answer)  # ~0.5 s: longer than pong_timeout
    assert all(isinstance(p.get("req_id"), str) for p in contract_fake.received_frames(op="ping"))
    assert contract_fake.connections_total == 1
    assert lost.events == []
    assert errors.events == []


def test_contract_pong_missing_does_reconnect(
    contract_fake: FakeBybit, make_contract_client: ClientFactory
) -> None:
    """Control for the keep-alive test: without pongs the same settings do reconnect."""
    client = make_contract_client(ping_interval=0.05, pong_timeout=0.3, backoff=FAST_BACKOFF)
    client.contract.subscribe_to_balance_updates(Collector())
    contract_fake.stop_answering_pings()
    contract_fake.wait_for(lambda: contract_fake.connections_total >= 2, timeout=3.0)
    contract_fake.resume_answering_pings()


def test_contract_subscribe_rejection_is_a_subscription_error(
    contract_fake: FakeBybit, contract_client: BybitSocketClient
) -> None:
    contract_fake.reject_next("subscribe", "error:topic rejected")
    with pytest.raises(SubscriptionError) as caught:
        contract_client.contract.subscribe_to_order_updates(Collector())
    assert not isinstance(caught.value, AuthenticationError)
    assert caught.value.ret_msg == "error:topic rejected"
    assert isinstance(caught.value.req_id, str) and caught.value.req_id


# ===================================================================================== reconnect
def test_inverse_reconnect_reauthenticates_before_resubscribing(
    fake: FakeBybit, make_client: ClientFactory
) -> None:
    client = make_client(api_key=API_KEY, api_secret=API_SECRET, backoff=FAST_BACKOFF)
    positions = Collector()
    trades = Collector()
    restored = Collector()
    sub = client.inverse.subscribe_to_position_updates(positions)
    client.inverse.subscribe_to_trade_updates("BTCUSD", trades)
    sub.on_connection_restored(restored)
    fake.clear_received()
    before = now_ms()
    assert fake.drop_connections() == 1
    restored.wait(1)
    fake.wait_for_subscribers("position", timeout=2.0)
    frames = fake.received
    assert ops(frames) == ["auth", "subscribe"]
    assert_valid_auth(frames[0], API_KEY, API_SECRET, before, now_ms())
    resubscribe = next(f for f in frames if f.get("op") == "subscribe")
    assert sorted(resubscribe["args"]) == ["position", "trade.BTCUSD"]
    assert fake.connections_total == 2
    replay(fake, "inverse_position")
    replay(fake, "inverse_trade")
    assert positions.wait(1)[0].data == [structurer(PositionUpdate)(frame("inverse_position")["data"][0])]
    assert trades.wait(1)[0].topic == "trade.BTCUSD"


def test_contract_reconnect_reauthenticates_before_resubscribing(
    contract_fake: FakeBybit, make_contract_client: ClientFactory
) -> None:
    client = make_contract_client(backoff=FAST_BACKOFF)
    orders = Collector()
    sub = client.contract.subscribe_to_order_updates(orders)
    restored = Collector()
    sub.on_connection_restored(restored)
    contract_fake.clear_received()
    before = now_ms()
    contract_fake.drop_connections()
    restored.wait(1)
    frames = contract_fake.received
    assert ops(frames) == ["auth", "subscribe"]
    assert_valid_auth(frames[0], API_KEY, API_SECRET, before, now_ms())
    assert frames[1]["args"] == [CONTRACT_TOPICS["order"]]
    assert all(isinstance(f.get("req_id"), str) and f["req_id"] for f in frames)
    replay(contract_fake, "contract_order")
    assert orders.wait(1)[0].data[0].id == "ee013d82-fafc-4504-97b1-d92aca21eedd"


def test_rejected_reauthentication_gives_up(
    fake: FakeBybit, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Documented: re-auth rejected after a reconnect ends the subscriptions and client.wait() raises."""
    caplog.set_level(logging.ERROR, logger="bybit_ws")
    client = make_client(api_key=API_KEY, api_secret=API_SECRET, backoff=FAST_BACKOFF)
    errors = Collector()
    closed = Collector()
    sub = client.inverse.subscribe_to_position_updates(Collector())
    sub.on_exception(errors)
    sub.on_connection_closed(lambda: closed(None))
    fake.reject_next("auth", "error:invalid api_key")
    fake.drop_connections()
    (error,) = errors.wait(1, timeout=2.0)
    assert isinstance(error, AuthenticationError)
    assert error.ret_msg == "error:invalid api_key"
    closed.wait(1, timeout=2.0)
    assert not sub.is_active
    with pytest.raises(BybitConnectionError) as caught:
        client.wait(timeout=2.0)
    assert "error:invalid api_key" in str(caught.value)
    assert fake.connections_total == 2  # given up: no reconnect loop against a rejecting server
    assert ops(fake.received).count("auth") == 2
    assert "re-authentication after a reconnect rejected" in caplog.text


def test_auth_without_reply_times_out_then_a_retry_works(fake: FakeBybit, make_client: ClientFactory) -> None:
    client = make_client(api_key=API_KEY, api_secret=API_SECRET, request_timeout=0.3)
    client.inverse.subscribe_to_trade_updates("BTCUSD", Collector())  # keeps the connection open
    fake.ignore_next("auth")
    with pytest.raises(BybitTimeoutError):
        client.inverse.subscribe_to_balance_updates(Collector())
    assert "wallet" not in fake.subscriptions()
    assert client.inverse.subscribe_to_balance_updates(Collector()).is_active
    assert ops(fake.received) == ["subscribe", "auth", "auth", "subscribe"]
    assert fake.connections_total == 1


def test_public_only_reconnect_does_not_authenticate(fake: FakeBybit, make_client: ClientFactory) -> None:
    client = make_client(api_key=API_KEY, api_secret=API_SECRET, backoff=FAST_BACKOFF)
    restored = Collector()
    client.inverse.subscribe_to_trade_updates("BTCUSD", Collector()).on_connection_restored(restored)
    fake.drop_connections()
    restored.wait(1)
    assert auth_requests(fake) == []


def test_rejected_auth_does_not_poison_public_reconnects(fake: FakeBybit, make_client: ClientFactory) -> None:
    client = make_client(api_key=API_KEY, api_secret="wrong-secret", backoff=FAST_BACKOFF)
    trades = Collector()
    restored = Collector()
    public = client.inverse.subscribe_to_trade_updates("BTCUSD", trades)
    public.on_connection_restored(restored)
    with pytest.raises(AuthenticationError):
        client.inverse.subscribe_to_order_updates(Collector())
    fake.drop_connections()
    wait_until(lambda: bool(restored.events) or not public.is_active, 2.0, "a reconnect or a give-up")
    assert public.is_active, "the public subscription was ended by a re-authentication nobody needed"
    restored.wait(1, timeout=2.0)
    replay(fake, "inverse_trade")
    assert trades.wait(1, timeout=2.0)[0].topic == "trade.BTCUSD"


def test_no_auth_after_the_last_private_subscription_closed(
    fake: FakeBybit, make_client: ClientFactory
) -> None:
    client = make_client(api_key=API_KEY, api_secret=API_SECRET, backoff=FAST_BACKOFF)
    restored = Collector()
    client.inverse.subscribe_to_trade_updates("BTCUSD", Collector()).on_connection_restored(restored)
    client.inverse.subscribe_to_order_updates(Collector()).close()
    fake.clear_received()
    fake.drop_connections()
    restored.wait(1)
    assert ops(fake.received) == ["subscribe"]


# ==================================================================================== secret leak
def _exception_texts(exc: BaseException) -> list[str]:
    """str, repr, attributes and the formatted traceback of ``exc`` and its cause/context chain."""
    texts: list[str] = []
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        texts += [str(current), repr(current), repr(vars(current)), repr(current.args)]
        texts.append("".join(traceback.format_exception(type(current), current, current.__traceback__)))
        stack += [e for e in (current.__cause__, current.__context__) if e is not None]
    return texts


def test_the_secret_never_leaks(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)  # root logger and capture handler; restored after the test
    caplog.set_level(logging.DEBUG, logger="bybit_ws")
    texts: list[str] = []
    exceptions: list[BaseException] = []
    events: list[Any] = []
    subs: list[Subscription[Any]] = []
    clients: list[BybitSocketClient] = []

    def client_for(
        urls: dict[str, str], secret: str | None = LEAK_SECRET, **kwargs: Any
    ) -> BybitSocketClient:
        options: dict[str, Any] = {
            "urls": urls,
            "request_timeout": 2.0,
            "keep_original_data": True,
            "backoff": FAST_BACKOFF,
        }
        options.update(kwargs)
        made = BybitSocketClient(LEAK_KEY if secret else None, secret, **options)
        clients.append(made)
        return made

    def expect(error: type[BaseException], call: Callable[[], object]) -> None:
        with pytest.raises(error) as caught:
            call()
        exceptions.append(caught.value)

    inverse = FakeBybit("inverse", api_key=LEAK_KEY, api_secret=LEAK_SECRET).start()
    contract = FakeBybit("contract", api_key=LEAK_KEY, api_secret=LEAK_SECRET).start()
    try:
        # a private subscription that works, with the raw frames kept
        ok = client_for(inverse.urls)
        got = Collector()
        sub = ok.inverse.subscribe_to_position_updates(got)
        sub.on_exception(exceptions.append)
        subs += [sub, ok.inverse.subscribe_to_trade_updates("BTCUSD", got)]
        replay(inverse, "inverse_position")
        got.wait(1)

        # rejected auth: by the server's choice, and with a wrong secret that contains the real one
        rejected = client_for(inverse.urls)
        inverse.reject_next("auth", "error:signature verification failed")
        expect(AuthenticationError, lambda: rejected.inverse.subscribe_to_order_updates(Collector()))
        wrong = client_for(inverse.urls, secret=LEAK_SECRET + "-but-wrong")
        expect(AuthenticationError, lambda: wrong.inverse.subscribe_to_balance_updates(Collector()))

        # contract: one that works, one rejected
        c_ok = client_for(contract.urls)
        c_got = Collector()
        subs.append(c_ok.contract.subscribe_to_order_updates(c_got))
        replay(contract, "contract_order")
        c_got.wait(1)
        c_bad = client_for(contract.urls, secret=LEAK_SECRET + "x")
        expect(AuthenticationError, lambda: c_bad.contract.subscribe_to_balance_updates(Collector()))

        # missing credentials, and half of them
        none = client_for(inverse.urls, secret=None)
        expect(AuthenticationError, lambda: none.inverse.subscribe_to_balance_updates(Collector()))
        expect(ValueError, lambda: BybitSocketClient(api_secret=LEAK_SECRET))
        monkeypatch.setenv("BYBIT_API_SECRET", LEAK_SECRET)
        expect(ValueError, BybitSocketClient)
        monkeypatch.delenv("BYBIT_API_SECRET")

        # garbage and an unparsable private frame
        inverse.send_raw("{this is not json")
        inverse.send_raw('{"topic":"position","data":[{"symbol":"BTCUSD","size":"not-a-number"}]}')
        wait_until(lambda: sum(isinstance(e, FrameError) for e in exceptions) >= 2, 2.0, "frame errors")

        # drop and reconnect: re-authentication
        restored = Collector()
        sub.on_connection_restored(restored)
        inverse.drop_connections()
        restored.wait(1)
        replay(inverse, "inverse_position")
        got.wait(2)
        events += got.events + c_got.events

        for made in clients:
            texts += [repr(made), str(made), repr(made._credentials)]
        texts += [repr(s) for s in subs] + [repr(s.stats) for s in subs]
        texts += [repr(e) for e in events] + [str(e.original_data) for e in events]
        for exc in exceptions:
            texts += _exception_texts(exc)
    finally:
        for made in clients:
            made.close()
        contract.close()
        inverse.close()
        texts += [repr(made) for made in clients]

    texts.append(caplog.text)
    for record in caplog.records:
        texts += [record.getMessage(), repr(record.args), repr(vars(record))]
        if record.exc_info and record.exc_info[1] is not None:
            texts += _exception_texts(record.exc_info[1])

    # the check is not vacuous: the logs did capture the auth, the rejections and the bad frames
    assert "authenticated" in caplog.text
    assert "authentication rejected" in caplog.text
    assert "cannot parse frame" in caplog.text
    assert len(exceptions) >= 7
    leaks = [text for text in texts if LEAK_SECRET in text]
    assert leaks == [], f"the secret leaked into: {leaks[:3]}"
