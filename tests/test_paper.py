"""PaperExchange: Bybit's reply shapes, consistent private frames that the library's own v5 parsers
read, resting and crossing orders, Bybit's error codes, and the controls."""

from __future__ import annotations

import itertools
import json
import threading
from decimal import Decimal
from typing import Any

import pytest

from bybit_ws import TradeRetCode
from bybit_ws.dialects import _trade as trade
from bybit_ws.dialects._v5 import V5Dialect
from bybit_ws.enums import OrderStatus
from bybit_ws.models.trade import AmendOrderRequest, CancelOrderRequest, OrderRequest
from bybit_ws.models.v5 import Balance, Order, Position, UserTrade
from bybit_ws.testing import PaperExchange
from bybit_ws.testing._paper_frames import categorised_topic

NOW = 1_711_001_595_207
_ids = itertools.count(1)
_PRIVATE = V5Dialect("private")


def request(op: str, args: list[dict[str, Any]], **header: str) -> dict[str, Any]:
    frame = trade.request_frame(op, args, req_id=f"r-{next(_ids)}", timestamp_ms=NOW)
    frame["header"].update(header)
    return frame


def create(category: str = "linear", **fields: Any) -> dict[str, Any]:
    order = OrderRequest(
        **{"symbol": "BTCUSDT", "side": "Buy", "order_type": "Market", "quantity": 1, **fields}
    )
    return request("order.create", trade.single_args(category, order))


def cancel(**fields: Any) -> dict[str, Any]:
    return request("order.cancel", trade.single_args("linear", CancelOrderRequest("BTCUSDT", **fields)))


@pytest.fixture
def paper() -> PaperExchange:
    return PaperExchange(balances={"USDT": "100000"}, prices={"BTCUSDT": "30000"}, clock=lambda: NOW)


def parse(frame: dict[str, Any]) -> list[Any]:
    """The frame through the library's v5 private parsers as the engine runs them: the typed path when
    the frame fits its schema (Bybit's ``""`` for unset numbers does not: the dict path), which must then
    agree with the dict path."""
    topic = frame["topic"]
    spec = _PRIVATE.topic_spec(topic)
    assert spec is not None and spec.typed is not None
    parsed = spec.parse(frame, topic, {})
    assert parsed is not None
    try:
        decoded = spec.typed.decode(json.dumps(frame).encode())
    except ValueError:
        return list(parsed[1])
    assert spec.typed.parse(decoded, {}) == parsed
    return list(parsed[1])


def by_topic(frames: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    topics = [f["topic"] for f in frames]
    assert len(topics) == len(set(topics)), topics
    return {f["topic"]: f for f in frames}


def test_a_market_order_fills_with_consistent_frames(paper: PaperExchange) -> None:
    req = create(client_order_id="m-1", quantity="0.5")
    reply, frames = paper.handle(req, conn_id="conn-1")
    assert list(reply) == ["reqId", "retCode", "retMsg", "op", "data", "retExtInfo", "header", "connId"]
    assert (reply["reqId"], reply["retCode"], reply["retMsg"], reply["op"]) == (
        req["reqId"],
        0,
        "OK",
        "order.create",
    )
    assert reply["connId"] == "conn-1" and reply["retExtInfo"] == {}
    ack = trade.order_ack(reply)
    assert ack.client_order_id == "m-1"
    assert ack.rate_limit is not None and (ack.rate_limit.limit, ack.rate_limit.remaining) == (10, 9)
    assert set(reply["header"]) == {
        "X-Bapi-Limit",
        "X-Bapi-Limit-Status",
        "X-Bapi-Limit-Reset-Timestamp",
        "Traceid",
        "Timenow",
    }

    topics = by_topic(frames)
    assert list(topics) == ["order", "execution", "execution.fast", "position", "wallet"]
    (order,) = parse(topics["order"])
    (fill,) = parse(topics["execution"])
    (position,) = parse(topics["position"])
    (wallet,) = parse(topics["wallet"])
    assert isinstance(order, Order) and isinstance(fill, UserTrade)
    assert isinstance(position, Position) and isinstance(wallet, Balance)
    assert order.order_id == fill.order_id == ack.order_id
    assert order.status is OrderStatus.FILLED
    assert order.quantity_filled == fill.quantity == position.quantity == Decimal("0.5")
    assert order.average_price == fill.price == position.average_price == Decimal(30000)
    fee = Decimal("0.5") * 30000 * Decimal("0.00055")
    assert order.executed_fee == fill.fee == fee and fill.is_maker is False
    assert (wallet.assets[0].asset, wallet.assets[0].wallet_balance) == ("USDT", 100000 - fee)
    assert paper.balance("USDT") == 100000 - fee
    assert position.realized_pnl == -fee
    (fast,) = topics["execution.fast"]["data"]
    assert "id" not in topics["execution.fast"]
    assert (fast["execId"], fast["orderId"], fast["orderLinkId"]) == (str(fill.trade_id), ack.order_id, "m-1")
    assert categorised_topic(topics["order"]) == "order.linear"
    assert categorised_topic(topics["wallet"]) is None


def test_a_resting_limit_fills_as_maker_when_the_price_crosses(paper: PaperExchange) -> None:
    _, frames = paper.handle(create(order_type="Limit", price="29000", client_order_id="l-1"))
    (order,) = parse(by_topic(frames)["order"])
    assert order.status is OrderStatus.NEW and order.quantity_remaining == 1
    assert [o["orderLinkId"] for o in paper.open_orders("BTCUSDT")] == ["l-1"]
    assert paper.set_price("BTCUSDT", "29500") == []
    topics = by_topic(paper.set_price("BTCUSDT", "28900"))
    (filled,) = parse(topics["order"])
    (fill,) = parse(topics["execution"])
    assert filled.status is OrderStatus.FILLED and filled.quantity_remaining == 0
    assert (fill.price, fill.is_maker, fill.fee) == (Decimal(29000), True, Decimal(29000) * Decimal("0.0002"))
    assert topics["execution.fast"]["data"][0]["orderLinkId"] == ""  # maker fills carry no link id
    assert paper.open_orders() == []
    assert paper.position_size("BTCUSDT") == 1


def test_closing_a_position_realises_pnl(paper: PaperExchange) -> None:
    paper.handle(create(quantity=2))
    paper.set_price("BTCUSDT", "31000")
    _, frames = paper.handle(create(side="Sell", quantity=3))
    topics = by_topic(frames)
    (position,) = parse(topics["position"])
    (fill,) = parse(topics["execution"])
    assert (fill.closed_quantity, fill.pnl) == (2, Decimal(2000))
    assert (position.quantity, position.average_price, str(position.side)) == (1, Decimal(31000), "Sell")
    fees = 2 * 30000 * Decimal("0.00055") + 3 * 31000 * Decimal("0.00055")
    assert paper.balance("USDT") == 100000 + 2000 - fees


def test_time_in_force_rules(paper: PaperExchange) -> None:
    _, frames = paper.handle(create(order_type="Limit", price="30500", time_in_force="PostOnly"))
    (order,) = parse(by_topic(frames)["order"])
    assert (order.status, order.reject_reason) == (OrderStatus.CANCELED, "EC_PostOnlyWillTakeLiquidity")
    _, frames = paper.handle(create(order_type="Limit", price="29000", time_in_force="IOC"))
    (order,) = parse(by_topic(frames)["order"])
    assert (order.status, order.reject_reason) == (OrderStatus.CANCELED, "EC_NoImmediateQtyToFill")
    _, frames = paper.handle(create(order_type="Limit", price="30500"))  # crossing GTC: taker at market
    (fill,) = parse(by_topic(frames)["execution"])
    assert (fill.price, fill.is_maker) == (Decimal(30000), False)


def test_amend_and_cancel(paper: PaperExchange) -> None:
    reply, _ = paper.handle(create(order_type="Limit", price="29000", client_order_id="a-1"))
    order_id = reply["data"]["orderId"]
    amend = amend_args(client_order_id="a-1", price="29100", quantity="2")
    reply, frames = paper.handle(request("order.amend", amend))
    assert reply["retCode"] == 0 and reply["data"] == {"orderId": order_id, "orderLinkId": "a-1"}
    (order,) = parse(by_topic(frames)["order"])
    assert (order.price, order.quantity) == (Decimal(29100), 2)
    reply, _ = paper.handle(request("order.amend", amend))
    assert reply["retCode"] == TradeRetCode.PARAMS_ERROR  # unchanged
    reply, frames = paper.handle(cancel(order_id=order_id))
    (order,) = parse(by_topic(frames)["order"])
    assert (order.status, str(order.cancel_type)) == (OrderStatus.CANCELED, "CancelByUser")
    for again in (cancel(order_id=order_id), request("order.amend", amend)):
        reply, frames = paper.handle(again)
        assert (reply["retCode"], reply["data"], frames) == (TradeRetCode.ORDER_NOT_FOUND, {}, [])


def amend_args(**fields: Any) -> list[dict[str, Any]]:
    return trade.single_args("linear", AmendOrderRequest("BTCUSDT", **fields))


def test_business_errors(paper: PaperExchange) -> None:
    paper.handle(create(order_type="Limit", price="1000", client_order_id="dup"))
    reply, _ = paper.handle(create(order_type="Limit", price="1000", client_order_id="dup"))
    assert reply["retCode"] == TradeRetCode.DUPLICATE_CLIENT_ORDER_ID
    reply, _ = paper.handle(create(reduce_only=True))
    assert reply["retCode"] == TradeRetCode.REDUCE_ONLY_REJECTED
    reply, frames = paper.handle(create(quantity=1000))  # 30M notional on 100k at 10x
    assert (reply["retCode"], frames) == (TradeRetCode.INSUFFICIENT_BALANCE, [])
    reply, _ = paper.handle(create(symbol="ETHUSDT"))
    assert reply["retCode"] == TradeRetCode.PARAMS_ERROR and "market price" in reply["retMsg"]
    reply, _ = paper.handle(create(category="inverse", symbol="BTCUSD"))
    assert reply["retCode"] == TradeRetCode.PARAMS_ERROR
    reply, _ = paper.handle(request("order.create", [{"category": "spread", "symbol": "X"}]))
    assert reply["retCode"] == TradeRetCode.UNKNOWN_OP
    reply, _ = paper.handle(
        request("order.create", [{"category": "linear", "symbol": "BTCUSDT", "side": "Buy"}])
    )
    assert reply["retCode"] == TradeRetCode.PARAMS_ERROR


def test_envelope_checks_and_controls(paper: PaperExchange) -> None:
    req = create()
    assert paper.handle(req)[0]["retCode"] == 0
    assert paper.handle(req)[0]["retCode"] == TradeRetCode.DUPLICATE_REQ_ID
    stale = create()
    stale["header"]["X-BAPI-TIMESTAMP"] = str(NOW - 6000)
    assert paper.handle(stale)[0]["retCode"] == TradeRetCode.INVALID_TIMESTAMP
    wide = create()
    wide["header"].update({"X-BAPI-TIMESTAMP": str(NOW - 6000), "X-BAPI-RECV-WINDOW": "8000"})
    assert paper.handle(wide)[0]["retCode"] == 0
    bare = create()
    del bare["header"]
    assert paper.handle(bare)[0]["retCode"] == TradeRetCode.PARAMS_ERROR
    unknown = {**create(), "op": "order.explode"}
    assert paper.handle(unknown)[0]["retCode"] == TradeRetCode.UNKNOWN_OP
    no_id = create()
    del no_id["reqId"]
    assert "reqId" not in paper.handle(no_id)[0]
    paper.reject_next(TradeRetCode.SERVICE_RESTARTING, "trade service restarting")
    reply, frames = paper.handle(create())
    assert (reply["retCode"], reply["retMsg"], frames) == (10019, "trade service restarting", [])
    assert paper.handle(create())[0]["retCode"] == 0


def test_rate_limits_are_reported_and_optionally_enforced() -> None:
    paper = PaperExchange(prices={"BTCUSDT": "30000"}, clock=lambda: NOW, rate_limits=True)
    remaining = [
        paper.handle(create(order_type="Limit", price=1000))[0]["header"]["X-Bapi-Limit-Status"]
        for _ in range(10)
    ]
    assert remaining == [str(9 - i) for i in range(10)]
    reply, _ = paper.handle(create(order_type="Limit", price=1000))
    assert reply["retCode"] == TradeRetCode.TOO_MANY_VISITS


def test_batches_answer_per_order(paper: PaperExchange) -> None:
    orders = [
        OrderRequest("BTCUSDT", "Buy", "Limit", 1, price=29000, client_order_id="b-0"),
        OrderRequest("BTCUSDT", "Buy", "Limit", 1, price=29000, client_order_id="b-0"),
    ]
    op, args = trade.batch_args("linear", orders)
    reply, frames = paper.handle(request(op, args))
    assert reply["retCode"] == 0 and reply["op"] == "order.create-batch"
    first, second = reply["data"]["list"]
    assert set(first) == {"category", "symbol", "orderId", "orderLinkId", "createAt"}
    assert first["createAt"] == str(NOW) and second["orderId"] == "" and second["createAt"] == ""
    assert reply["retExtInfo"]["list"] == [
        {"code": 0, "msg": "OK"},
        {"code": TradeRetCode.DUPLICATE_CLIENT_ORDER_ID, "msg": "OrderLinkedID is duplicate"},
    ]
    assert [r.ok for r in trade.batch_results(reply, orders)] == [True, False]
    # the accepted order's frame, then the wallet with its margin reserved (as live pushes it)
    assert [f["topic"] for f in frames] == ["order", "wallet"]
    op, args = trade.batch_args("linear", [CancelOrderRequest("BTCUSDT", client_order_id="b-0")])
    reply, _ = paper.handle(request(op, args))
    assert reply["data"]["list"] == [
        {"category": "linear", "symbol": "BTCUSDT", "orderId": first["orderId"], "orderLinkId": "b-0"}
    ]


def test_spot_balances_and_fee_coins() -> None:
    paper = PaperExchange(balances={"USDT": "1000"}, prices={"BTCUSDT": "20000"}, clock=lambda: NOW)
    _, frames = paper.handle(create("spot", quantity="100"))  # a market buy's qty is USDT
    topics = by_topic(frames)
    assert "position" not in topics
    (fill,) = parse(topics["execution"])
    assert (fill.quantity, fill.fee_asset) == (Decimal("0.005"), "BTC")
    assert paper.balance("BTC") == Decimal("0.005") * (1 - Decimal("0.00055"))
    assert paper.balance("USDT") == 900
    (wallet,) = parse(topics["wallet"])
    assert {a.asset for a in wallet.assets} == {"BTC", "USDT"}
    reply, _ = paper.handle(create("spot", side="Sell", quantity="1"))
    assert reply["retCode"] == TradeRetCode.INSUFFICIENT_BALANCE
    paper.handle(create("spot", order_type="Limit", price="10000", quantity="0.05"))  # locks 500 USDT
    reply, _ = paper.handle(create("spot", order_type="Limit", price="10000", quantity="0.05"))
    assert reply["retCode"] == TradeRetCode.INSUFFICIENT_BALANCE
    _, frames = paper.handle(create("spot", side="Sell", quantity="0.004", market_unit="baseCoin"))
    (fill,) = parse(by_topic(frames)["execution"])
    assert (fill.fee_asset, fill.fee) == ("USDT", Decimal("80") * Decimal("0.00055"))


def test_handle_is_thread_safe(paper: PaperExchange) -> None:
    replies: list[dict[str, Any]] = []

    def place(n: int) -> None:
        for i in range(25):
            reply, _ = paper.handle(create(order_type="Limit", price=1000 + n, client_order_id=f"t{n}-{i}"))
            replies.append(reply)

    threads = [threading.Thread(target=place, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r["retCode"] for r in replies] == [0] * 100
    assert len(paper.open_orders("BTCUSDT")) == 100


def test_the_wallet_books_and_reports_coin_amounts_to_8_decimals(paper: PaperExchange) -> None:
    # an average entry of (30000 + 2 * 30001) / 3 has endless decimals; so would the pnl booked from it
    paper.handle(create(quantity="1"), conn_id="c")
    paper.set_price("BTCUSDT", "30001")
    paper.handle(create(quantity="2"), conn_id="c")
    paper.set_price("BTCUSDT", "30000")
    _, frames = paper.handle(create(quantity="3", side="Sell"), conn_id="c")
    balance = paper.balance("USDT")
    assert balance == balance.quantize(Decimal("1E-8")) and balance < 100000
    (wallet,) = parse(by_topic(frames)["wallet"])
    (usdt,) = wallet.assets
    assert usdt.wallet_balance == balance
    for amount in (usdt.wallet_balance, usdt.equity, usdt.usd_value, usdt.available_to_withdraw):
        assert amount is not None and amount.as_tuple().exponent >= -8, amount
