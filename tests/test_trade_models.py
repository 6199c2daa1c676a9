"""The Trade API's pure side: request models, wire args and frames, reply parsing, and the TradeMethods
mixin on its one hook, answered here by a PaperExchange (our engine's seam, no sockets)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from concurrent.futures import Future, wait
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from bybit_ws import (
    AmendOrderRequest,
    BatchOrderResult,
    BybitTimeoutError,
    CancelOrderRequest,
    OrderAck,
    OrderOutcomeUnknownError,
    OrderRejectedError,
    OrderRequest,
    RateLimitStatus,
    TradeRetCode,
)
from bybit_ws.api._trade_methods import TradeMethods
from bybit_ws.dialects import _trade as trade
from bybit_ws.enums import OrderSide, OrderType, TimeInForce, TriggerType
from bybit_ws.testing import PaperExchange

NOW = 1_711_001_595_207


# ------------------------------------------------------------------------------------------- requests
def test_order_request_takes_enums_or_wire_strings_and_normalises() -> None:
    request = OrderRequest("BTCUSDT", "buy", "LIMIT", "0.01", price=30000, time_in_force="GoodTillCancel")
    assert request.side is OrderSide.BUY
    assert request.order_type is OrderType.LIMIT
    assert request.quantity == Decimal("0.01")
    assert request.price == Decimal(30000)
    assert request.time_in_force is TimeInForce.GTC  # the v2 spelling becomes v5's
    assert (
        OrderRequest("X", "Sell", "Limit", 1, price=1, time_in_force="RPI").time_in_force is TimeInForce.RPI
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"order_type": "Limit"}, "needs a price"),
        ({"side": "Short"}, "side"),
        ({"order_type": "StopLimit"}, "order type"),
        ({"quantity": 0}, "positive"),
        ({"quantity": "abc"}, "not a number"),
        ({"quantity": Decimal("NaN")}, "finite"),
        ({"price": "inf"}, "finite"),
        ({"price": -1}, "price"),
        ({"client_order_id": "x" * 37}, "client_order_id"),
        ({"bbo_level": 6}, "bbo_level"),
        ({"trigger_direction": 0}, "trigger direction"),
        ({"position_idx": 3}, "position_idx"),
        ({"symbol": ""}, "symbol"),
    ],
)
def test_bad_order_requests_raise_value_error(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"symbol": "BTCUSDT", "side": "Buy", "order_type": "Market", "quantity": 1}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        OrderRequest(**arguments)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"symbol": ["BTCUSDT"]}, "symbol must be a str"),
        ({"symbol": None}, "symbol must be a str"),
        ({"quantity": [1]}, "not list"),
        ({"quantity": True}, "not bool"),
        ({"price": b"1"}, "not bytes"),
        ({"client_order_id": 7}, "client_order_id must be a str"),
        ({"reduce_only": "false"}, "True, False or None"),
        ({"is_leverage": 1}, "True, False or None"),
        ({"bbo_side_type": "Queue", "bbo_level": 1.0}, "bbo_level must be an int"),
        ({"position_idx": True}, "position_idx must be an int"),
        ({"trigger_direction": "1"}, "trigger_direction must be an int"),
        ({"extra": [("qty", "2")]}, "extra must be a mapping"),
        ({"extra": {1: "x"}}, "wire names"),
    ],
)
def test_order_arguments_of_the_wrong_type_raise_type_error(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"symbol": "BTCUSDT", "side": "Buy", "order_type": "Market", "quantity": 1}
    arguments.update(kwargs)
    with pytest.raises(TypeError, match=message):
        OrderRequest(**arguments)


def test_amend_and_cancel_check_types_too() -> None:
    with pytest.raises(TypeError, match="symbol"):
        CancelOrderRequest(["BTCUSDT"], order_id="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="order_id must be a str"):
        AmendOrderRequest("BTCUSDT", order_id=123)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not list"):
        AmendOrderRequest("BTCUSDT", order_id="1", take_profit=[1])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="category must be a str"):
        trade.single_args(["linear"], CancelOrderRequest("BTCUSDT", order_id="1"))  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", [OrderRequest, AmendOrderRequest])
@pytest.mark.parametrize(
    "name", ["trigger_price", "take_profit", "stop_loss", "take_profit_limit_price", "stop_loss_limit_price"]
)
def test_negative_trigger_and_tpsl_prices_raise_value_error(kind: type[Any], name: str) -> None:
    base: dict[str, Any] = (
        {"symbol": "BTCUSDT", "side": "Buy", "order_type": "Market", "quantity": 1}
        if kind is OrderRequest
        else {"symbol": "BTCUSDT", "order_id": "1"}
    )
    with pytest.raises(ValueError, match=f"{name} must not be negative"):
        kind(**base, **{name: Decimal("-0.5")})
    assert getattr(kind(**base, **{name: 0}), name) == 0  # 0 removes a take-profit / stop-loss on amend


@pytest.mark.parametrize("bad", ["my order", "ordré-1", "a\n", "a\nb", "", "x" * 37, "a.b", "a/b", "١٢٣"])
def test_client_order_ids_bybit_refuses_raise_value_error(bad: str) -> None:
    for make in (
        lambda: OrderRequest("BTCUSDT", "Buy", "Market", 1, client_order_id=bad),
        lambda: AmendOrderRequest("BTCUSDT", client_order_id=bad, price=1),
        lambda: CancelOrderRequest("BTCUSDT", client_order_id=bad),
    ):
        with pytest.raises(ValueError, match="letters, digits"):
            make()


def test_client_order_ids_bybit_accepts_pass() -> None:
    for good in ("my-1", "A_b-9", "x" * 36, "0"):
        assert OrderRequest("BTCUSDT", "Buy", "Market", 1, client_order_id=good).client_order_id == good


def test_a_float_raises_type_error_naming_decimal_and_str() -> None:
    for kwargs in ({"quantity": 0.1 + 0.2}, {"price": 0.1 + 0.2}, {"quantity": 1.0}, {"stop_loss": 0.5}):
        arguments: dict[str, Any] = {"symbol": "BTCUSDT", "side": "Buy", "order_type": "Limit", "quantity": 1}
        arguments["price"] = 1
        arguments.update(kwargs)
        with pytest.raises(TypeError, match=r"decimal\.Decimal or a str.*float"):
            OrderRequest(**arguments)
    with pytest.raises(TypeError, match=r"not the float 0\.30000000000000004"):
        OrderRequest("BTCUSDT", "Buy", "Market", 0.1 + 0.2)  # type: ignore[arg-type]
    # what to do instead: Decimal arithmetic is exact
    exact = OrderRequest("X", "Buy", "Market", Decimal("0.1") + Decimal("0.2"))
    assert trade.wire_fields(exact)["qty"] == "0.3"


def test_a_bbo_limit_order_needs_no_price() -> None:
    request = OrderRequest("BTCUSDT", "Buy", "Limit", 1, bbo_side_type="Queue", bbo_level=1)
    assert trade.wire_fields(request)["bboLevel"] == "1"


def test_amend_and_cancel_need_an_id() -> None:
    for kind in (AmendOrderRequest, CancelOrderRequest):
        with pytest.raises(ValueError, match="order_id or client_order_id"):
            kind("BTCUSDT")
        with pytest.raises(ValueError, match="order_id or client_order_id"):
            kind("BTCUSDT", order_id="")
    assert AmendOrderRequest("BTCUSDT", client_order_id="a", price="1").price == Decimal(1)


# ------------------------------------------------------------------------------------------- wire
def test_create_args_carry_every_set_field_in_wire_form() -> None:
    request = OrderRequest(
        "BTCUSDT",
        "Buy",
        "Limit",
        Decimal("1E-8"),
        price=Decimal("3E+4"),
        is_leverage=True,
        trigger_direction=1,
        trigger_price="29000",
        trigger_by="MarkPrice",
        time_in_force="PostOnly",
        position_idx=1,
        client_order_id="my-1",
        take_profit="31000",
        take_profit_trigger_by=TriggerType.LAST_PRICE,
        reduce_only=False,
        market_maker_protection=True,
        stop_loss_take_profit_mode="Partial",
        self_match_prevention_type="CancelMaker",
        market_unit="baseCoin",
        order_filter="tpslOrder",
        extra={"newField": "x", "qty": "2"},
    )
    (args,) = trade.single_args("linear", request)
    assert args == {
        "category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit",
        "qty": "2", "price": "30000", "isLeverage": 1, "triggerDirection": 1, "orderFilter": "tpslOrder",
        "triggerPrice": "29000", "triggerBy": "MarkPrice", "timeInForce": "PostOnly", "positionIdx": 1,
        "orderLinkId": "my-1", "takeProfit": "31000", "tpTriggerBy": "LastPrice", "reduceOnly": False,
        "mmp": True, "tpslMode": "Partial", "smpType": "CancelMaker", "marketUnit": "baseCoin",
        "newField": "x",
    }  # fmt: skip
    assert trade.wire_fields(OrderRequest("X", "Buy", "Market", Decimal("1E-8")))["qty"] == "0.00000001"


def test_amend_and_cancel_args() -> None:
    amend = AmendOrderRequest("ETHUSDT", order_id="abc", price="2800", stop_loss=0)
    assert trade.single_args("spot", amend) == [
        {"category": "spot", "symbol": "ETHUSDT", "orderId": "abc", "price": "2800", "stopLoss": "0"}
    ]
    cancel = CancelOrderRequest("ETHUSDT", client_order_id="c1", order_filter="StopOrder")
    assert trade.single_args("spot", cancel) == [
        {"category": "spot", "symbol": "ETHUSDT", "orderLinkId": "c1", "orderFilter": "StopOrder"}
    ]
    assert trade.op_of(amend) == "order.amend"
    assert trade.op_of(cancel, batch=True) == "order.cancel-batch"


def test_unknown_category_raises_before_sending() -> None:
    with pytest.raises(ValueError, match="category"):
        trade.single_args("spread", CancelOrderRequest("X", order_id="1"))


def test_batch_args_and_limits() -> None:
    orders = [
        OrderRequest("SOLUSDT", "Buy", "Limit", 10, price=500, client_order_id=f"b-{i}") for i in range(20)
    ]
    op, args = trade.batch_args("linear", orders)
    assert op == "order.create-batch"
    assert args[0]["category"] == "linear"
    assert args[0]["request"][0] == {
        "symbol": "SOLUSDT", "side": "Buy", "orderType": "Limit", "qty": "10", "price": "500",
        "orderLinkId": "b-0",
    }  # fmt: skip
    with pytest.raises(ValueError, match="at most 10"):
        trade.batch_args("spot", orders[:11])
    with pytest.raises(ValueError, match="at most 20"):
        trade.batch_args("linear", [*orders, orders[0]])
    with pytest.raises(ValueError, match="at least one"):
        trade.batch_args("linear", [])
    with pytest.raises(TypeError, match="one kind"):
        trade.batch_args("linear", [orders[0], CancelOrderRequest("X", order_id="1")])


def test_request_frame_shape() -> None:
    frame = trade.request_frame(
        "order.create",
        [{"a": 1}],
        req_id="test-005",
        timestamp_ms=NOW,
        recv_window_ms=8000,
        referer="bot-001",
    )
    assert frame == {
        "reqId": "test-005",
        "header": {"X-BAPI-TIMESTAMP": str(NOW), "X-BAPI-RECV-WINDOW": "8000", "Referer": "bot-001"},
        "op": "order.create",
        "args": [{"a": 1}],
    }
    bare = trade.request_frame("order.cancel", [], req_id="r", timestamp_ms=NOW)
    assert bare["header"] == {"X-BAPI-TIMESTAMP": str(NOW)}
    with pytest.raises(ValueError, match="reqId"):
        trade.request_frame("order.cancel", [], req_id="x" * 37, timestamp_ms=NOW)
    assert trade.ping_frame() == {"op": "ping"}


# ------------------------------------------------------------------------------------------- replies
SUCCESS = {
    "reqId": "test-005",
    "retCode": 0,
    "retMsg": "OK",
    "op": "order.create",
    "data": {"orderId": "a4c1718e-fe53-4659-a118-1f6ecce04ad9", "orderLinkId": ""},
    "retExtInfo": {},
    "header": {
        "X-Bapi-Limit": "10",
        "X-Bapi-Limit-Status": "9",
        "X-Bapi-Limit-Reset-Timestamp": "1711001595208",
        "Traceid": "38b7977b430f9bd228f4b19724794dfd",
        "Timenow": "1711001595209",
    },
    "connId": "cnt5leec0hvan15eukcg-2v",
}
BATCH = {
    "retCode": 0,
    "retMsg": "OK",
    "op": "order.create-batch",
    "data": {
        "list": [
            {
                "category": "linear",
                "symbol": "SOLUSDT",
                "orderId": "",
                "orderLinkId": "batch-000",
                "createAt": "",
            },
            {
                "category": "linear",
                "symbol": "SOLUSDT",
                "orderId": "id-2",
                "orderLinkId": "batch-001",
                "createAt": "1740453408555",
            },
        ]
    },
    "retExtInfo": {
        "list": [{"code": 10001, "msg": "position idx not match position mode"}, {"code": 0, "msg": "OK"}]
    },
    "header": {
        "Timenow": "1740453408556",
        "X-Bapi-Limit": "150",
        "X-Bapi-Limit-Status": "147",
        "X-Bapi-Limit-Reset-Timestamp": "1740453408555",
        "Traceid": "0e32b551b3e17aae77651aadf6a5be80",
    },
    "connId": "cupviqn88smf24t2kpb0-536o",
}


def test_classify_every_trade_endpoint_shape() -> None:
    pong = {"retCode": 0, "retMsg": "OK", "op": "pong", "data": ["1711002002529"], "connId": "c"}
    assert trade.classify_reply(pong) == trade.TradeReply("pong", "pong", None, 0, "OK")
    auth_fail = {"retCode": 10004, "retMsg": "Invalid sign", "op": "auth", "connId": "c"}
    assert trade.classify_reply(auth_fail) == trade.TradeReply("auth", "auth", None, 10004, "Invalid sign")
    assert trade.classify_reply(SUCCESS) == trade.TradeReply("op", "order.create", "test-005", 0, "OK")
    legacy = {"success": False, "ret_msg": "Params Error", "op": "order.create", "conn_id": "c"}
    reply = trade.classify_reply(legacy)
    assert reply == trade.TradeReply("op", "order.create", None, TradeRetCode.NO_CODE, "Params Error")
    assert reply is not None and not reply.ok
    assert trade.classify_reply({"topic": "order", "data": []}) is None


def test_order_ack_and_rate_limit() -> None:
    ack = trade.order_ack(SUCCESS)
    assert ack == OrderAck(
        "a4c1718e-fe53-4659-a118-1f6ecce04ad9",
        "",  # Bybit's "" for an order without one, as the order stream's Order.client_order_id
        RateLimitStatus(10, 9, datetime.fromtimestamp(1711001595.208, tz=timezone.utc)),
    )
    assert trade.rate_limit_of(
        {"header": {"x-bapi-limit": "20", "x-bapi-limit-status": "0"}}
    ) == RateLimitStatus(20, 0, None)
    assert trade.rate_limit_of({"retCode": 0}) is None


def test_rejections_carry_code_message_and_names() -> None:
    frame = {**SUCCESS, "retCode": 20006, "retMsg": "duplicate reqId", "data": {}}
    with pytest.raises(OrderRejectedError) as caught:
        trade.order_ack(frame)
    error = caught.value
    assert (error.ret_code, error.ret_msg, error.op, error.req_id) == (
        20006,
        "duplicate reqId",
        "order.create",
        "test-005",
    )
    assert error.ret_code == TradeRetCode.DUPLICATE_REQ_ID
    assert error.rate_limit == RateLimitStatus(10, 9, datetime.fromtimestamp(1711001595.208, tz=timezone.utc))
    assert not error.is_rate_limited and not error.should_reconnect
    assert trade.rejection({**frame, "retCode": 10429}).is_rate_limited  # type: ignore[union-attr]
    assert trade.rejection({**frame, "retCode": 10019}).should_reconnect  # type: ignore[union-attr]
    with pytest.raises(OrderRejectedError, match="Params Error"):
        trade.order_ack({"success": False, "ret_msg": "Params Error", "op": "order.create"})


def test_batch_results_in_request_order() -> None:
    results = trade.batch_results(BATCH)
    assert results == [
        BatchOrderResult(
            None, "batch-000", "SOLUSDT", 10001, "position idx not match position mode", "linear", None
        ),
        BatchOrderResult(
            "id-2",
            "batch-001",
            "SOLUSDT",
            0,
            "OK",
            "linear",
            datetime.fromtimestamp(1740453408.555, tz=timezone.utc),
        ),
    ]
    assert [r.ok for r in results] == [False, True]
    with pytest.raises(OrderRejectedError):
        trade.batch_results({**BATCH, "retCode": 10404, "retMsg": "bad category"})
    # the requests as sent fill in what a reply left out
    sparse = {"retCode": 0, "op": "order.cancel-batch", "data": {"list": []}, "retExtInfo": {"list": []}}
    (result,) = trade.batch_results(sparse, [CancelOrderRequest("ETHUSDT", client_order_id="c1")])
    assert (result.symbol, result.client_order_id, result.ok) == ("ETHUSDT", "c1", False)


# ------------------------------------------------------------------------------------------- the mixin
class PaperStreams(TradeMethods):
    """A TradeMethods whose hook answers from a PaperExchange; ``fail_with`` fails the next future."""

    def __init__(self, paper: PaperExchange) -> None:
        self.paper = paper
        self.sent: list[dict[str, Any]] = []
        self.fail_with: BaseException | None = None
        self._ids = itertools.count(1)

    def _trade_submit(
        self, op: str, args: list[dict[str, Any]], *, blocking: bool = False
    ) -> Future[Mapping[str, Any]]:
        frame = trade.request_frame(
            op, args, req_id=f"req-{next(self._ids)}", timestamp_ms=self.paper_clock()
        )
        self.sent.append(frame)
        future: Future[Mapping[str, Any]] = Future()
        if self.fail_with is not None:
            future.set_exception(self.fail_with)
        else:
            future.set_result(self.paper.handle(frame)[0])
        return future

    def paper_clock(self) -> int:
        return NOW


@pytest.fixture
def streams() -> PaperStreams:
    return PaperStreams(PaperExchange(prices={"BTCUSDT": "30000"}, clock=lambda: NOW))


def test_place_amend_cancel_through_the_hook(streams: PaperStreams) -> None:
    ack = streams.place_order(
        "linear",
        "BTCUSDT",
        "Buy",
        "Limit",
        Decimal("0.01"),
        price=Decimal("29000"),
        time_in_force="PostOnly",
        client_order_id="my-1",
    )
    assert ack.client_order_id == "my-1" and ack.order_id
    assert ack.rate_limit is not None and ack.rate_limit.limit == 10
    assert streams.sent[0]["op"] == "order.create"
    assert streams.sent[0]["args"][0]["timeInForce"] == "PostOnly"
    amended = streams.amend_order("linear", "BTCUSDT", order_id=ack.order_id, price=Decimal("29100"))
    assert amended.order_id == ack.order_id
    assert streams.paper.open_orders("BTCUSDT")[0]["price"] == "29100"
    cancelled = streams.cancel_order("linear", "BTCUSDT", client_order_id="my-1")
    assert cancelled.order_id == ack.order_id
    assert streams.paper.open_orders() == []
    with pytest.raises(OrderRejectedError) as caught:
        streams.cancel_order("linear", "BTCUSDT", client_order_id="my-1")
    assert caught.value.ret_code == TradeRetCode.ORDER_NOT_FOUND


def test_bad_arguments_never_reach_the_hook(streams: PaperStreams) -> None:
    with pytest.raises(ValueError):
        streams.place_order("linear", "BTCUSDT", "Buy", "Limit", 1)
    with pytest.raises(ValueError):
        streams.place_order("spread", "BTCUSDT", "Buy", "Market", 1)
    with pytest.raises(ValueError):
        streams.cancel_order("linear", "BTCUSDT")
    with pytest.raises(ValueError):
        streams.place_orders("spot", [OrderRequest("BTCUSDT", "Buy", "Market", 1)] * 11)
    with pytest.raises(TypeError):
        streams.submit_order("linear", CancelOrderRequest("X", order_id="1"))  # type: ignore[arg-type]
    assert streams.sent == []


def test_batches_through_the_hook(streams: PaperStreams) -> None:
    orders = [
        OrderRequest("BTCUSDT", "Sell", "Limit", 1, price=31000 + i, client_order_id=f"s{i}")
        for i in range(3)
    ]
    results = streams.place_orders("linear", orders)
    assert [r.ok for r in results] == [True, True, True]
    assert [r.client_order_id for r in results] == ["s0", "s1", "s2"]
    amends = [
        AmendOrderRequest("BTCUSDT", client_order_id="s0", price=32000),
        AmendOrderRequest("BTCUSDT", order_id="nope", price=1),
    ]
    amended = streams.amend_orders("linear", amends)
    assert [r.code for r in amended] == [0, TradeRetCode.ORDER_NOT_FOUND]
    cancelled = streams.cancel_orders(
        "linear", [CancelOrderRequest("BTCUSDT", client_order_id=f"s{i}") for i in range(3)]
    )
    assert all(r.ok for r in cancelled)
    assert [f["op"] for f in streams.sent] == [
        "order.create-batch",
        "order.amend-batch",
        "order.cancel-batch",
    ]


def test_futures_let_a_strategy_fire_several_and_wait(streams: PaperStreams) -> None:
    futures = [
        streams.submit_order("linear", OrderRequest("BTCUSDT", "Buy", "Limit", 1, price=20000 + i))
        for i in range(3)
    ]
    _, pending = wait(futures)
    assert not pending
    acks = [f.result() for f in futures]
    assert len({a.order_id for a in acks}) == 3
    assert not futures[0].cancel()  # already on the wire: cannot be called back
    streams.paper.reject_next(TradeRetCode.TOO_MANY_VISITS, "Too many visits!")
    rejected = streams.submit_cancel_order("linear", CancelOrderRequest("BTCUSDT", order_id=acks[0].order_id))
    error = rejected.exception()
    assert isinstance(error, OrderRejectedError) and error.is_rate_limited


@pytest.mark.parametrize("failure", [OrderOutcomeUnknownError("dropped"), BybitTimeoutError("no reply")])
def test_connection_failures_pass_through(streams: PaperStreams, failure: Exception) -> None:
    streams.fail_with = failure
    with pytest.raises(type(failure)):
        streams.place_order("linear", "BTCUSDT", "Buy", "Market", 1)
    assert (
        streams.submit_orders("linear", [OrderRequest("BTCUSDT", "Buy", "Market", 1)]).exception() is failure
    )


def test_the_hook_is_abstract() -> None:
    with pytest.raises(NotImplementedError):
        TradeMethods().cancel_order("linear", "X", order_id="1")
