"""FakeBybit's Trade API (``/v5/trade``) against a raw websocket client, its paper exchange's private
frames through ``BybitSocketClient``, and each order-reply control."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import websocket
from websocket import WebSocket, create_connection

from bybit_ws import MAINNET_URLS, BybitSocketClient
from bybit_ws.enums import OrderStatus
from bybit_ws.models.v5 import Balance, MinimalUserTrade, Order, Position, UserTrade
from bybit_ws.testing import FakeBybit, PaperExchange, sign
from bybit_ws.testing._market import SimulatedMarket

from .support import API_KEY, API_SECRET, Collector, clients_for

_req_ids = itertools.count(1)


@pytest.fixture
def fake() -> Iterator[FakeBybit]:
    paper = PaperExchange(prices={"BTCUSDT": "30000"})
    with FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET, paper=paper) as server:
        yield server


@pytest.fixture
def connect(fake: FakeBybit) -> Iterator[Any]:
    opened: list[WebSocket] = []

    def open_(path: str = "/v5/trade") -> WebSocket:
        ws = create_connection(fake.url + path, timeout=5, skip_utf8_validation=True)
        opened.append(ws)
        return ws

    yield open_
    for ws in opened:
        ws.close(timeout=1)
        shutdown: Callable[[], None] = ws.shutdown  # websocket-client's untyped shutdown()
        shutdown()


@pytest.fixture
def trade(connect: Any) -> WebSocket:
    """An authenticated trade connection."""
    ws: WebSocket = connect()
    assert ask(ws, auth_frame())["retCode"] == 0
    return ws


def ask(ws: WebSocket, frame: dict[str, Any]) -> dict[str, Any]:
    ws.send(json.dumps(frame))
    return recv(ws)


def recv(ws: WebSocket) -> dict[str, Any]:
    reply = json.loads(ws.recv())
    assert isinstance(reply, dict)
    return reply


def auth_frame(secret: str = API_SECRET, key: str = API_KEY, **ids: str) -> dict[str, Any]:
    expires = int(time.time() * 1000) + 600_000
    return {**ids, "op": "auth", "args": [key, expires, sign(secret, expires)]}


def order(op: str, req_id: str | None = None, **args: Any) -> dict[str, Any]:
    """A trade request frame; `req_id` defaults to a fresh one (``""``: none)."""
    req_id = f"req-{next(_req_ids)}" if req_id is None else req_id
    frame: dict[str, Any] = {
        "header": {"X-BAPI-TIMESTAMP": str(int(time.time() * 1000))},
        "op": op,
        "args": [{"category": "linear", "symbol": "BTCUSDT", **args}],
    }
    if req_id:
        frame["reqId"] = req_id
    return frame


def limit_buy(price: str = "29000", **extra: Any) -> dict[str, Any]:
    return order("order.create", side="Buy", orderType="Limit", qty="0.01", price=price, **extra)


def assert_next_is_pong(ws: WebSocket) -> None:
    """Nothing else was sent to `ws` before now: a ping's pong is the next frame."""
    assert ask(ws, {"op": "ping"})["op"] == "pong"


# -------------------------------------------------------------------------------------------------
# endpoint, auth, ping


def test_trade_endpoint_and_urls_key(fake: FakeBybit, connect: Any) -> None:
    url = fake.url + "/v5/trade"
    if "v5.trade" in MAINNET_URLS:  # the client knows the key: the fake offers it
        assert fake.urls["v5.trade"] == url
    else:  # a client without the Trade API would refuse the unknown key
        assert "v5.trade" not in fake.urls
        BybitSocketClient(urls=fake.urls).close()
    ws = connect()
    fake.wait_for(lambda: fake.connection_count == 1)
    assert_next_is_pong(ws)


def test_auth_shapes_and_req_id_echo(fake: FakeBybit, connect: Any) -> None:
    ws = connect()
    reply = ask(ws, auth_frame(req_id="a-1"))
    conn_id = reply.pop("connId")
    assert isinstance(conn_id, str) and conn_id
    assert reply == {"req_id": "a-1", "retCode": 0, "retMsg": "OK", "op": "auth"}
    assert ask(ws, auth_frame()) == {
        "retCode": 20001,
        "retMsg": "Repeat auth",
        "op": "auth",
        "connId": conn_id,
    }

    ws2 = connect()
    reply = ask(ws2, auth_frame(secret="wrong", reqId="a-2"))
    assert {k: reply[k] for k in ("reqId", "retCode", "retMsg", "op")} == {
        "reqId": "a-2",
        "retCode": 10004,
        "retMsg": "Invalid sign",
        "op": "auth",
    }
    assert ask(ws2, auth_frame(key="nobody"))["retCode"] == 10003
    assert ask(ws2, {"op": "auth", "args": ["x"]})["retCode"] == 10001
    fake.reject_next("auth", "forced")
    reply = ask(ws2, auth_frame())
    assert (reply["retCode"], reply["retMsg"]) == (10004, "forced")
    assert ask(ws2, auth_frame())["retCode"] == 0  # the rejection was used up


def test_order_before_auth_is_refused(fake: FakeBybit, connect: Any) -> None:
    ws = connect()
    reply = ask(ws, limit_buy(req_id="early"))
    assert {k: reply[k] for k in ("reqId", "retCode", "retMsg", "op")} == {
        "reqId": "early",
        "retCode": 10003,
        "retMsg": "Please auth first",
        "op": "order.create",
    }
    assert fake.paper.open_orders() == []
    assert len(fake.trade_requests()) == 1


def test_ping_pong_and_stop_answering_pings(fake: FakeBybit, connect: Any) -> None:
    ws = connect()
    reply = ask(ws, {"req_id": "p-1", "op": "ping"})
    assert isinstance(reply.pop("connId"), str)
    data = reply.pop("data")
    assert isinstance(data, list) and data[0].isdigit()
    assert reply == {"req_id": "p-1", "retCode": 0, "retMsg": "OK", "op": "pong"}
    assert set(ask(ws, {"op": "ping"})) == {"retCode", "retMsg", "op", "data", "connId"}

    fake.stop_answering_pings()
    ws.send(json.dumps({"op": "ping"}))
    assert ask(ws, auth_frame())["op"] == "auth"  # the ping got no answer
    fake.resume_answering_pings()
    assert_next_is_pong(ws)
    assert fake.trade_requests() == []  # pings and auth are not order requests


# -------------------------------------------------------------------------------------------------
# orders


def test_create_amend_cancel(fake: FakeBybit, trade: WebSocket) -> None:
    reply = ask(trade, limit_buy(req_id="c-1", orderLinkId="mine-1"))
    assert reply["reqId"] == "c-1" and reply["retCode"] == 0 and reply["op"] == "order.create"
    order_id = reply["data"]["orderId"]
    assert reply["data"] == {"orderId": order_id, "orderLinkId": "mine-1"}
    assert set(reply["header"]) >= {"X-Bapi-Limit", "X-Bapi-Limit-Status", "Timenow"}
    assert [o["orderId"] for o in fake.paper.open_orders("BTCUSDT")] == [order_id]

    reply = ask(trade, order("order.amend", orderId=order_id, price="29500"))
    assert (reply["retCode"], reply["data"]["orderId"]) == (0, order_id)
    assert fake.paper.open_orders()[0]["price"] == "29500"

    reply = ask(trade, order("order.cancel", "", orderLinkId="mine-1"))
    assert "reqId" not in reply and reply["retCode"] == 0
    assert fake.paper.open_orders() == []
    reply = ask(trade, order("order.cancel", orderId=order_id))
    assert reply["retCode"] == 110001
    assert [f["op"] for f in fake.trade_requests()] == [
        "order.create",
        "order.amend",
        "order.cancel",
        "order.cancel",
    ]
    assert len(fake.trade_requests("order.cancel")) == 2


def test_batches(fake: FakeBybit, trade: WebSocket) -> None:
    items = [
        {"symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", "qty": "0.01", "price": "29000"},
        {"symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", "qty": "-1", "price": "29000"},
    ]
    frame = order("order.create-batch")
    frame["args"] = [{"category": "linear", "request": items}]
    reply = ask(trade, frame)
    assert reply["retCode"] == 0 and reply["op"] == "order.create-batch"
    assert [e["code"] for e in reply["retExtInfo"]["list"]] == [0, 10001]
    placed = reply["data"]["list"][0]["orderId"]
    assert [o["orderId"] for o in fake.paper.open_orders()] == [placed]

    frame = order("order.cancel-batch")
    frame["args"] = [{"category": "linear", "request": [{"symbol": "BTCUSDT", "orderId": placed}]}]
    reply = ask(trade, frame)
    assert reply["retExtInfo"]["list"] == [{"code": 0, "msg": "OK"}]
    assert fake.paper.open_orders() == []


def test_fills_arrive_typed_on_the_private_stream(fake: FakeBybit, trade: WebSocket) -> None:
    with clients_for(fake, api_key=API_KEY, api_secret=API_SECRET) as make:
        client = make()
        orders, linear_orders, fills, fast, positions, wallets = (Collector() for _ in range(6))
        client.v5.subscribe_to_order_updates(orders)
        client.v5.subscribe_to_order_updates(linear_orders, category="linear")
        client.v5.subscribe_to_user_trade_updates(fills)
        client.v5.subscribe_to_minimal_user_trade_updates(fast)
        client.v5.subscribe_to_position_updates(positions)
        client.v5.subscribe_to_balance_updates(wallets)
        fake.wait_for_subscribers("wallet", path="v5.private")

        order_id = ask(trade, limit_buy("29000"))["data"]["orderId"]
        resting = orders.wait(1)[0].data[0]
        assert isinstance(resting, Order)
        assert (resting.order_id, resting.status) == (order_id, OrderStatus.NEW)
        assert linear_orders.wait(1)[0].topic == "order.linear"

        frames = fake.set_price("BTCUSDT", "28990")  # crosses the resting buy: it fills at 29000
        assert [f["topic"] for f in frames] == ["order", "execution", "execution.fast", "position", "wallet"]
        filled = orders.wait(2)[1].data[0]
        assert (filled.order_id, filled.status, filled.quantity_filled) == (
            order_id,
            OrderStatus.FILLED,
            Decimal("0.01"),
        )
        fill = fills.wait(1)[0].data[0]
        assert isinstance(fill, UserTrade)
        assert (fill.order_id, fill.price, fill.quantity) == (order_id, Decimal("29000"), Decimal("0.01"))
        assert isinstance(fast.wait(1)[0].data[0], MinimalUserTrade)
        position = positions.wait(1)[0].data[0]
        assert isinstance(position, Position)
        assert (position.quantity, position.average_price) == (Decimal("0.01"), Decimal("29000"))
        assert isinstance(wallets.wait(1)[0].data[0], Balance)
        assert fake.paper.position_size("BTCUSDT") == Decimal("0.01")

        # a market order fills at once at the price the test set
        reply = ask(trade, order("order.create", side="Sell", orderType="Market", qty="0.01"))
        assert reply["retCode"] == 0
        assert fills.wait(2)[1].data[0].price == Decimal("28990")
        assert fake.paper.position_size("BTCUSDT") == 0


def test_pause_data_drops_the_private_frames(fake: FakeBybit, trade: WebSocket, connect: Any) -> None:
    private = connect("/v5/private")
    ask(private, auth_frame())
    assert ask(private, {"op": "subscribe", "args": ["order"]})["success"] is True
    fake.pause_data()
    ask(trade, limit_buy())
    fake.resume_data()
    ask(trade, limit_buy("28000"))
    pushed = recv(private)  # the first order's frame was dropped
    assert pushed["topic"] == "order" and pushed["data"][0]["price"] == "28000"


def test_simulated_market_feeds_the_paper_price(fake: FakeBybit, connect: Any) -> None:
    public = connect("/v5/public/linear")
    assert ask(public, {"op": "subscribe", "args": ["publicTrade.BTCUSDT"]})["success"] is True
    market = SimulatedMarket(fake, "BTCUSDT", seed=3, start_price="31000.00")
    assert fake.paper.price("BTCUSDT") == Decimal("31000.00")
    for _ in range(50):
        market.step()
    public.send(json.dumps({"op": "ping"}))  # its pong comes after every frame the steps published
    prices = []
    while (frame := recv(public)).get("op") != "ping":
        prices += [Decimal(t["p"]) for t in frame["data"]]
    assert prices, "the market traded in 50 steps"
    assert fake.paper.price("BTCUSDT") == prices[-1]


# -------------------------------------------------------------------------------------------------
# controls


def test_reject_next_order(fake: FakeBybit, trade: WebSocket) -> None:
    fake.reject_next_order(110007, "ab not enough for new order")
    reply = ask(trade, limit_buy(req_id="r-1"))
    assert (reply["reqId"], reply["retCode"], reply["retMsg"], reply["data"]) == (
        "r-1",
        110007,
        "ab not enough for new order",
        {},
    )
    assert fake.paper.open_orders() == []
    assert ask(trade, limit_buy())["retCode"] == 0  # only the next one


def test_omit_req_id_on_next_failure(fake: FakeBybit, trade: WebSocket) -> None:
    fake.omit_req_id_on_next_failure()
    assert ask(trade, limit_buy())["retCode"] == 0  # a success does not use it up
    fake.reject_next_order(10001, "Params Error")
    reply = ask(trade, limit_buy(req_id="lost"))
    assert isinstance(reply.pop("conn_id"), str)
    assert reply == {"success": False, "ret_msg": "Params Error", "op": "order.create"}
    fake.reject_next_order(10001)
    assert ask(trade, limit_buy(req_id="kept"))["reqId"] == "kept"


def test_delayed_replies_are_overtaken(fake: FakeBybit, trade: WebSocket) -> None:
    fake.delay_trade_replies(60, count=1)
    ask_later = limit_buy(req_id="slow")
    trade.send(json.dumps(ask_later))
    assert ask(trade, limit_buy("28000", req_id="fast"))["reqId"] == "fast"
    assert len(fake.paper.open_orders()) == 2  # the slow one was carried out at once
    assert_next_is_pong(trade)  # its reply still waits; closing the fake discards it


def test_delayed_reply_arrives(fake: FakeBybit, trade: WebSocket) -> None:
    fake.delay_trade_replies(0.05)
    assert ask(trade, limit_buy(req_id="d-1"))["reqId"] == "d-1"
    fake.delay_trade_replies(0)
    assert ask(trade, limit_buy(req_id="d-2"))["reqId"] == "d-2"


@pytest.mark.parametrize("executed", [True, False])
def test_drop_before_reply(fake: FakeBybit, trade: WebSocket, connect: Any, executed: bool) -> None:
    private = connect("/v5/private")
    ask(private, auth_frame())
    assert ask(private, {"op": "subscribe", "args": ["order"]})["success"] is True
    fake.drop_before_next_trade_reply(executed=executed)
    trade.send(json.dumps(limit_buy(req_id="x-1")))
    with pytest.raises((websocket.WebSocketException, OSError)):
        trade.recv()
    assert len(fake.trade_requests()) == 1
    fake.wait_for(lambda: fake.connection_count == 1)  # the private connection stays
    assert len(fake.paper.open_orders()) == (1 if executed else 0)
    if executed:
        assert recv(private)["data"][0]["orderStatus"] == "New"
    fresh = connect()
    assert ask(fresh, auth_frame())["retCode"] == 0
    assert ask(fresh, limit_buy(req_id="x-2"))["retCode"] == 0  # only the next reply was dropped


def test_reply_out_of_order(fake: FakeBybit, trade: WebSocket) -> None:
    fake.reply_out_of_order(3)
    for n in (1, 2, 3):
        trade.send(json.dumps(limit_buy(str(28000 + n), req_id=f"o-{n}")))
    assert [recv(trade)["reqId"] for _ in range(3)] == ["o-3", "o-2", "o-1"]
    assert ask(trade, limit_buy(req_id="o-4"))["reqId"] == "o-4"  # back in order
    with pytest.raises(ValueError):
        fake.reply_out_of_order(1)
