"""FakeBybit against a real websocket client (websocket-client), one dialect at a time."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import websocket
from websocket import WebSocket, create_connection

from bybit_ws.testing import Dialect, FakeBybit, sign

KEY, SECRET = "test-key", "test-secret"
MakeFake = Callable[..., FakeBybit]
Connect = Callable[[FakeBybit, str], WebSocket]


@pytest.fixture
def make_fake() -> Iterator[MakeFake]:
    fakes: list[FakeBybit] = []

    def make(dialect: Dialect = "inverse", **kwargs: Any) -> FakeBybit:
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("api_secret", SECRET)
        fake = FakeBybit(dialect, **kwargs).start()
        fakes.append(fake)
        return fake

    yield make
    for fake in fakes:
        fake.close()


@pytest.fixture
def connect(make_fake: MakeFake) -> Iterator[Connect]:
    clients: list[WebSocket] = []

    def open_(fake: FakeBybit, key: str) -> WebSocket:
        ws = create_connection(fake.urls[key], timeout=2, skip_utf8_validation=True)
        clients.append(ws)
        return ws

    yield open_
    for ws in clients:
        ws.close(timeout=1)
        hard_close(ws)  # close() skips the socket when websocket-client already marked it disconnected


def hard_close(ws: WebSocket) -> None:
    """Close the client's socket without a closing handshake (websocket-client's untyped shutdown())."""
    shutdown: Callable[[], None] = ws.shutdown
    shutdown()


def ask(ws: WebSocket, frame: dict[str, Any]) -> dict[str, Any]:
    ws.send(json.dumps(frame))
    return recv(ws)


def recv(ws: WebSocket) -> dict[str, Any]:
    reply = json.loads(ws.recv())
    assert isinstance(reply, dict)
    return reply


def auth_args(expires: int | None = None, key: str = KEY, secret: str = SECRET) -> list[Any]:
    expires = int(time.time() * 1000) + 600_000 if expires is None else expires
    return [key, expires, sign(secret, expires)]


def without_conn_id(reply: dict[str, Any]) -> dict[str, Any]:
    assert isinstance(reply.pop("conn_id"), str)
    return reply


def assert_no_reply_before_pong(ws: WebSocket) -> None:
    """Nothing was sent to `ws` before now: a ping's pong is the next frame."""
    ws.send(json.dumps({"op": "ping"}))
    assert recv(ws)["ret_msg"] == "pong"


# -------------------------------------------------------------------------------------------------
# inverse (v2)


def test_inverse_subscribe_unsubscribe_ping_shapes(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("inverse")
    assert fake.urls == {"inverse": f"{fake.url}/realtime"}
    ws = connect(fake, "inverse")
    reply = ask(ws, {"op": "subscribe", "args": ["trade.BTCUSD", "klineV2.1.BTCUSD"]})
    conn_id = reply["conn_id"]
    assert without_conn_id(reply) == {
        "success": True,
        "ret_msg": "",
        "request": {"op": "subscribe", "args": ["trade.BTCUSD", "klineV2.1.BTCUSD"]},
    }
    assert fake.subscriptions() == {"trade.BTCUSD": 1, "klineV2.1.BTCUSD": 1}
    assert ask(ws, {"op": "unsubscribe", "args": ["trade.BTCUSD"]}) == {
        "success": True,
        "ret_msg": "",
        "conn_id": conn_id,
        "request": {"op": "unsubscribe", "args": ["trade.BTCUSD"]},
    }
    assert fake.subscriptions() == {"klineV2.1.BTCUSD": 1}
    assert ask(ws, {"op": "ping"}) == {
        "success": True,
        "ret_msg": "pong",
        "conn_id": conn_id,
        "request": {"op": "ping", "args": None},
    }


def test_inverse_private_topic_needs_auth(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("inverse")
    ws = connect(fake, "inverse")
    reply = ask(ws, {"op": "subscribe", "args": ["trade.BTCUSD", "order", "position"]})
    assert without_conn_id(reply) == {
        "success": False,
        "ret_msg": "error:topic:order needs auth first",
        "request": {"op": "subscribe", "args": ["trade.BTCUSD", "order", "position"]},
    }
    assert fake.subscriptions() == {}  # the whole request was refused

    args = auth_args()
    assert without_conn_id(ask(ws, {"op": "auth", "args": args})) == {
        "success": True,
        "ret_msg": "",
        "request": {"op": "auth", "args": [str(a) for a in args]},
    }
    assert ask(ws, {"op": "subscribe", "args": ["order", "position"]})["success"] is True
    assert fake.subscriptions() == {"order": 1, "position": 1}


@pytest.mark.parametrize(
    ("args", "ret_msg"),
    [
        (auth_args(expires=int(time.time() * 1000) - 1), "error:request expired"),
        (auth_args(key="someone-else"), "error:invalid api_key"),
        (auth_args(secret="wrong-secret"), "error:signature verification failed"),
        (["only-a-key"], "error:invalid args"),
    ],
    ids=["expired", "unknown-key", "bad-signature", "malformed"],
)
def test_inverse_auth_failures(make_fake: MakeFake, connect: Connect, args: list[Any], ret_msg: str) -> None:
    ws = connect(make_fake("inverse"), "inverse")
    reply = ask(ws, {"op": "auth", "args": args})
    assert without_conn_id(reply) == {
        "success": False,
        "ret_msg": ret_msg,
        "request": {"op": "auth", "args": [str(a) for a in args]},
    }
    assert ask(ws, {"op": "subscribe", "args": ["wallet"]})["success"] is False  # still not authenticated


def test_auth_accepts_uppercase_hex_and_string_expires(make_fake: MakeFake, connect: Connect) -> None:
    ws = connect(make_fake("inverse"), "inverse")
    expires = int(time.time() * 1000) + 5000
    reply = ask(ws, {"op": "auth", "args": [KEY, str(expires), sign(SECRET, expires).upper()]})
    assert reply["success"] is True


def test_auth_without_configured_account_fails(make_fake: MakeFake, connect: Connect) -> None:
    ws = connect(make_fake("inverse", api_key=None, api_secret=None), "inverse")
    assert ask(ws, {"op": "auth", "args": auth_args()})["ret_msg"] == "error:invalid api_key"


def test_inverse_invalid_op_and_malformed_json(make_fake: MakeFake, connect: Connect) -> None:
    ws = connect(make_fake("inverse"), "inverse")
    assert without_conn_id(ask(ws, {"op": "login", "args": ["x"]})) == {
        "success": False,
        "ret_msg": "error:invalid op",
        "request": {"op": "login", "args": ["x"]},
    }
    ws.send("{not json")
    reply = recv(ws)
    assert reply["success"] is False
    assert reply["ret_msg"].startswith("error:failed to decode incoming data")
    assert reply["request"] == {"op": "", "args": None}
    assert ask(ws, {"op": "subscribe", "args": "trade.BTCUSD"})["ret_msg"] == "error:invalid args"


def test_inverse_publish_routing(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("inverse")
    exact, wildcard, multi = (connect(fake, "inverse") for _ in range(3))
    ask(exact, {"op": "subscribe", "args": ["trade.BTCUSD"]})
    ask(wildcard, {"op": "subscribe", "args": ["trade.*", "trade.BTCUSD"]})
    ask(multi, {"op": "subscribe", "args": ["trade.BTCUSD|ETHUSD"]})
    assert fake.subscriber_count("trade.BTCUSD") == 3

    assert fake.publish("trade.BTCUSD", [{"price": 1}], cross_seq=7) == 3
    for ws in (exact, wildcard, multi):  # once per connection, even with two matching args
        assert recv(ws) == {"topic": "trade.BTCUSD", "data": [{"price": 1}], "cross_seq": 7}
    assert fake.publish("trade.ETHUSD", []) == 2
    assert fake.publish("trade.XRPUSD", []) == 1
    assert fake.publish("orderBookL2_25.BTCUSD", [], type="snapshot") == 0
    assert recv(wildcard)["topic"] == "trade.ETHUSD"
    assert recv(wildcard)["topic"] == "trade.XRPUSD"
    assert recv(multi)["topic"] == "trade.ETHUSD"
    for ws in (exact, wildcard, multi):
        assert_no_reply_before_pong(ws)

    ask(exact, {"op": "unsubscribe", "args": ["trade.BTCUSD"]})
    assert fake.publish("trade.BTCUSD", []) == 2


def test_reply_comes_before_data_and_nothing_after_unsubscribe(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("inverse")
    ws = connect(fake, "inverse")
    stop = threading.Event()

    def publisher() -> None:
        while not stop.wait(0.0002):  # pacing, not synchronisation
            fake.publish("trade.BTCUSD", [])

    thread = threading.Thread(target=publisher, name="test-publisher")
    thread.start()
    try:
        assert ask(ws, {"op": "subscribe", "args": ["trade.BTCUSD"]})["request"]["op"] == "subscribe"
        assert recv(ws)["topic"] == "trade.BTCUSD"
        ws.send(json.dumps({"op": "unsubscribe", "args": ["trade.BTCUSD"]}))
        while "topic" in (frame := recv(ws)):
            pass
        assert frame["request"]["op"] == "unsubscribe"
        assert_no_reply_before_pong(ws)  # publishing goes on, but nothing reaches the client
    finally:
        stop.set()
        thread.join()


# -------------------------------------------------------------------------------------------------
# contract (v3)


def test_contract_shapes(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("contract")
    assert fake.urls == {"contract": f"{fake.url}/contract/private/v3"}
    ws = connect(fake, "contract")
    topic = "user.order.contractAccount"
    assert without_conn_id(ask(ws, {"op": "subscribe", "req_id": "s1", "args": [topic]})) == {
        "success": False,
        "ret_msg": "Request not authorized",
        "req_id": "s1",
        "op": "subscribe",
    }
    assert without_conn_id(ask(ws, {"op": "auth", "args": auth_args()})) == {
        "success": True,
        "ret_msg": "",
        "op": "auth",
    }
    assert without_conn_id(ask(ws, {"op": "subscribe", "req_id": "customize_00001", "args": [topic]})) == {
        "success": True,
        "ret_msg": "",
        "req_id": "customize_00001",
        "op": "subscribe",
    }
    assert ask(ws, {"op": "unsubscribe", "args": [topic]})["req_id"] == ""
    assert without_conn_id(ask(ws, {"op": "ping"})) == {
        "success": True,
        "ret_msg": "pong",
        "req_id": "",
        "op": "ping",
    }
    assert ask(ws, {"op": "ping", "req_id": "p7"})["req_id"] == "p7"


@pytest.mark.parametrize(
    ("args", "ret_msg"),
    [
        (auth_args(expires=1662350400000), "Params Error: request expired"),
        (auth_args(key="nobody"), "Invalid api_key"),
        (auth_args(secret="nope"), "Signature verification failed"),
        ([KEY], "Params Error"),
    ],
    ids=["expired", "unknown-key", "bad-signature", "malformed"],
)
def test_contract_auth_failures(make_fake: MakeFake, connect: Connect, args: list[Any], ret_msg: str) -> None:
    ws = connect(make_fake("contract"), "contract")
    assert without_conn_id(ask(ws, {"op": "auth", "args": args})) == {
        "success": False,
        "ret_msg": ret_msg,
        "op": "auth",
    }
    assert without_conn_id(ask(ws, {"op": "auth", "req_id": "a1", "args": args})) == {
        "success": False,
        "ret_msg": ret_msg,
        "op": "auth",
        "req_id": "a1",
    }


def test_contract_malformed_json(make_fake: MakeFake, connect: Connect) -> None:
    ws = connect(make_fake("contract"), "contract")
    ws.send("[1, 2")
    reply = without_conn_id(recv(ws))
    assert reply["ret_msg"].startswith("Failed to decode incoming data")
    assert reply == {"success": False, "ret_msg": reply["ret_msg"], "req_id": "", "op": ""}


# -------------------------------------------------------------------------------------------------
# v5


def test_v5_urls(make_fake: MakeFake) -> None:
    fake = make_fake("v5")
    base = fake.url
    assert fake.urls == {
        "v5.linear": f"{base}/v5/public/linear",
        "v5.inverse": f"{base}/v5/public/inverse",
        "v5.spot": f"{base}/v5/public/spot",
        "v5.option": f"{base}/v5/public/option",
        "v5.spread": f"{base}/v5/public/spread",
        "v5.private": f"{base}/v5/private",
        "v5.trade": f"{base}/v5/trade",
        "v5.status": f"{base}/v5/public/misc/status",
        "v5.rfq": f"{base}/v5/public/rfq",  # issue 25
        "v5.fp": f"{base}/v5/public/fp",
    }


def test_v5_pong_shapes(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("v5")
    ping = {"req_id": "100001", "op": "ping"}
    for key in ("v5.linear", "v5.inverse"):
        assert without_conn_id(ask(connect(fake, key), ping)) == {
            "success": True,
            "ret_msg": "pong",
            "req_id": "100001",
            "op": "ping",
        }
    assert without_conn_id(ask(connect(fake, "v5.spot"), ping)) == {
        "success": True,
        "ret_msg": "pong",
        "op": "ping",
    }
    for key in ("v5.option", "v5.spread"):  # spread pongs as option does (V5_MORE.md §5.11)
        option = ask(connect(fake, key), ping)
        assert option == {"args": [option["args"][0]], "op": "pong"}
        assert option["args"][0].isdigit()
    private = without_conn_id(ask(connect(fake, "v5.private"), ping))
    assert private == {"req_id": "100001", "op": "pong", "args": [private["args"][0]]}
    assert abs(int(private["args"][0]) - time.time() * 1000) < 60_000


def test_v5_subscribe_shapes(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("v5")
    linear = connect(fake, "v5.linear")
    assert without_conn_id(ask(linear, {"op": "subscribe", "args": ["publicTrade.BTCUSDT"]})) == {
        "success": True,
        "ret_msg": "",
        "req_id": "",
        "op": "subscribe",
    }
    spot = connect(fake, "v5.spot")
    assert without_conn_id(
        ask(spot, {"req_id": "10001", "op": "subscribe", "args": ["orderbook.1.BTCUSDT"]})
    ) == {
        "success": True,
        "ret_msg": "subscribe",
        "req_id": "10001",
        "op": "subscribe",
    }
    assert ask(spot, {"op": "unsubscribe", "args": ["orderbook.1.BTCUSDT"]})["ret_msg"] == "unsubscribe"
    option = connect(fake, "v5.option")
    topic = "orderbook.100.BTC-6JAN23-18000-C"
    assert without_conn_id(ask(option, {"op": "subscribe", "args": [topic]})) == {
        "success": True,
        "data": {"failTopics": [], "successTopics": [topic]},
        "type": "COMMAND_RESP",
    }
    assert ask(option, {"req_id": "o1", "op": "unsubscribe", "args": [topic]})["req_id"] == "o1"
    spread = connect(fake, "v5.spread")  # replies as option does: the shape of v5_subscribe_ok_public_spread
    combo = "orderbook.25.SOLUSDT_SOL/USDT"
    assert without_conn_id(ask(spread, {"req_id": "2", "op": "subscribe", "args": [combo]})) == {
        "success": True,
        "req_id": "2",
        "data": {"failTopics": [], "successTopics": [combo]},
        "type": "COMMAND_RESP",
    }

    private = connect(fake, "v5.private")
    assert without_conn_id(ask(private, {"op": "subscribe", "args": ["order"]})) == {
        "success": False,
        "ret_msg": "Request not authorized",
        "op": "subscribe",
    }
    assert without_conn_id(ask(private, {"req_id": "10001", "op": "auth", "args": auth_args()})) == {
        "success": True,
        "ret_msg": "",
        "op": "auth",
        "req_id": "10001",
    }
    assert without_conn_id(ask(private, {"op": "subscribe", "args": ["order", "wallet"]})) == {
        "success": True,
        "ret_msg": "",
        "op": "subscribe",
    }
    assert ask(private, {"req_id": "r2", "op": "subscribe", "args": ["position"]})["req_id"] == "r2"
    assert fake.subscriptions("v5.private") == {"order": 1, "wallet": 1, "position": 1}


def test_v5_auth_failure_and_auth_on_public(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("v5")
    private = connect(fake, "v5.private")
    assert without_conn_id(ask(private, {"op": "auth", "args": auth_args(secret="bad")})) == {
        "success": False,
        "ret_msg": "Signature verification failed",
        "op": "auth",
    }
    linear = connect(fake, "v5.linear")
    assert without_conn_id(ask(linear, {"req_id": "x", "op": "auth", "args": auth_args()})) == {
        "success": False,
        "ret_msg": "error:invalid op",
        "req_id": "x",
        "op": "auth",
    }


def test_v5_duplicate_subscribe(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("v5")
    linear = connect(fake, "v5.linear")
    ask(linear, {"op": "subscribe", "args": ["kline.1.BTCUSDT"]})
    assert without_conn_id(
        ask(linear, {"op": "subscribe", "args": ["tickers.BTCUSDT", "kline.1.BTCUSDT"]})
    ) == {
        "success": False,
        "ret_msg": "error:already subscribed,topic:kline.1.BTCUSDT",
        "req_id": "",
        "op": "subscribe",
    }
    assert fake.subscriptions("v5.linear") == {"kline.1.BTCUSDT": 1}  # whole request refused

    option = connect(fake, "v5.option")
    ask(option, {"op": "subscribe", "args": ["tickers.BTC-26DEC25-100000-C"]})
    assert without_conn_id(
        ask(
            option,
            {"op": "subscribe", "args": ["tickers.BTC-26DEC25-100000-C", "tickers.ETH-26DEC25-4000-C"]},
        )
    ) == {
        "success": False,
        "data": {
            "failTopics": ["tickers.BTC-26DEC25-100000-C"],
            "successTopics": ["tickers.ETH-26DEC25-4000-C"],
        },
        "type": "COMMAND_RESP",
    }
    assert fake.subscriptions("v5.option") == {
        "tickers.BTC-26DEC25-100000-C": 1,
        "tickers.ETH-26DEC25-4000-C": 1,
    }


def test_v5_spot_arg_limit(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("v5")
    fake.list_symbols("spot", *(f"S{i}USDT" for i in range(11)))
    spot = connect(fake, "v5.spot")
    reply = ask(spot, {"op": "subscribe", "args": [f"publicTrade.S{i}USDT" for i in range(11)]})
    assert reply["success"] is False
    assert "10" in reply["ret_msg"]
    assert fake.subscriptions() == {}
    assert ask(spot, {"op": "subscribe", "args": [f"publicTrade.S{i}USDT" for i in range(10)]})["success"]


def test_v5_publish_envelope_and_path(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("v5")
    linear, spot = connect(fake, "v5.linear"), connect(fake, "v5.spot")
    for ws in (linear, spot):
        ask(ws, {"op": "subscribe", "args": ["publicTrade.BTCUSDT"]})
    assert fake.publish("publicTrade.BTCUSDT", [{"p": Decimal("1.50")}], path="v5.spot") == 1
    frame = recv(spot)
    assert frame == {
        "topic": "publicTrade.BTCUSDT",
        "ts": frame["ts"],
        "type": "snapshot",
        "data": [{"p": "1.50"}],
    }
    assert abs(frame["ts"] - time.time() * 1000) < 60_000
    assert_no_reply_before_pong(linear)

    assert fake.publish("publicTrade.BTCUSDT", [], path="/v5/public/linear", type="delta", cts=5) == 1
    assert recv(linear)["type"] == "delta"
    assert fake.publish("publicTrade.BTCUSDT", []) == 2
    recv(linear), recv(spot)

    private = connect(fake, "v5.private")
    ask(private, {"op": "auth", "args": auth_args()})
    ask(private, {"op": "subscribe", "args": ["order"]})
    assert fake.publish("order", [], id="abc", creationTime=1, ts=None, type=None) == 1
    assert recv(private) == {"topic": "order", "data": [], "id": "abc", "creationTime": 1}

    assert fake.publish("publicTrade.BTCUSDT", None, path="v5.linear", ts=None) == 1
    assert recv(linear) == {"topic": "publicTrade.BTCUSDT", "type": "snapshot", "data": None}

    recorded = {"topic": "publicTrade.BTCUSDT", "type": "snapshot", "ts": 1, "data": []}
    assert fake.publish_frame(recorded, path="v5.linear") == 1
    assert recv(linear) == recorded
    with pytest.raises(ValueError, match="unknown path"):
        fake.publish("x", [], path="v5.nowhere")  # v5.rfq is served since issue 25


# -------------------------------------------------------------------------------------------------
# controls


def test_reject_next(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("inverse")
    ws = connect(fake, "inverse")
    fake.reject_next("subscribe")
    fake.reject_next("subscribe", "error:custom")
    for ret_msg in ("error:rejected by FakeBybit", "error:custom"):
        assert without_conn_id(ask(ws, {"op": "subscribe", "args": ["trade.BTCUSD"]})) == {
            "success": False,
            "ret_msg": ret_msg,
            "request": {"op": "subscribe", "args": ["trade.BTCUSD"]},
        }
    assert fake.subscriptions() == {}
    assert ask(ws, {"op": "subscribe", "args": ["trade.BTCUSD"]})["success"] is True

    fake.reject_next("auth")
    assert ask(ws, {"op": "auth", "args": auth_args()})["success"] is False
    with pytest.raises(ValueError, match="reject_next"):
        fake.reject_next("ping")


def test_reject_next_v5_shapes(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("v5")
    private = connect(fake, "v5.private")
    fake.reject_next("auth")
    assert without_conn_id(ask(private, {"op": "auth", "args": auth_args()})) == {
        "success": False,
        "ret_msg": "Params Error",
        "op": "auth",
    }
    option = connect(fake, "v5.option")
    fake.reject_next("subscribe")
    assert without_conn_id(ask(option, {"op": "subscribe", "args": ["tickers.BTC-26DEC25-100000-C"]})) == {
        "success": False,
        "data": {"failTopics": ["tickers.BTC-26DEC25-100000-C"], "successTopics": []},
        "type": "COMMAND_RESP",
        "ret_msg": "error:rejected by FakeBybit",
    }


def test_ignore_next(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("v5")
    ws = connect(fake, "v5.linear")
    fake.ignore_next("subscribe", count=2)
    ws.send(json.dumps({"op": "subscribe", "args": ["tickers.BTCUSDT"]}))
    ws.settimeout(0.1)
    with pytest.raises(websocket.WebSocketTimeoutException):
        ws.recv()
    ws.settimeout(2)
    ws.send(json.dumps({"op": "subscribe", "args": ["tickers.ETHUSDT"]}))
    assert_no_reply_before_pong(ws)
    assert fake.subscriptions() == {}  # ignored requests change nothing
    assert ask(ws, {"op": "subscribe", "args": ["tickers.BTCUSDT"]})["success"] is True
    assert [f["args"] for f in fake.received_frames(op="subscribe")] == [
        ["tickers.BTCUSDT"],
        ["tickers.ETHUSDT"],
        ["tickers.BTCUSDT"],
    ]


def test_stop_and_resume_answering_pings(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("inverse")
    ws = connect(fake, "inverse")
    fake.stop_answering_pings()
    ws.send(json.dumps({"op": "ping"}))
    assert ask(ws, {"op": "subscribe", "args": ["trade.BTCUSD"]})["request"]["op"] == "subscribe"
    fake.resume_answering_pings()
    assert ask(ws, {"op": "ping"})["ret_msg"] == "pong"


def test_pause_data(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("inverse")
    ws = connect(fake, "inverse")
    ask(ws, {"op": "subscribe", "args": ["trade.BTCUSD"]})
    fake.pause_data()
    assert fake.publish("trade.BTCUSD", [1]) == 0
    assert_no_reply_before_pong(ws)  # pings are still answered
    fake.resume_data()
    assert fake.publish("trade.BTCUSD", [2]) == 1
    assert recv(ws)["data"] == [2]


def test_send_raw(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("v5")
    linear, spot = connect(fake, "v5.linear"), connect(fake, "v5.spot")
    fake.wait_for(lambda: fake.connection_count == 2)
    assert fake.send_raw("garbage{", path="v5.spot") == 1
    assert spot.recv() == "garbage{"
    assert fake.send_raw("more") == 2
    assert linear.recv() == spot.recv() == "more"


def test_drop_connections_with_close_frame(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("inverse")
    ws = connect(fake, "inverse")
    ask(ws, {"op": "subscribe", "args": ["trade.BTCUSD"]})
    assert fake.drop_connections(code=1001, reason="maintenance") == 1
    opcode, frame = ws.recv_data_frame()
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    assert frame.data[2:] == b"maintenance"  # recv_data_frame() answered the close frame
    hard_close(ws)
    fake.wait_for(lambda: fake.connection_count == 0)
    assert fake.subscriptions() == {}
    assert fake.publish("trade.BTCUSD", []) == 0

    again = connect(fake, "inverse")
    assert ask(again, {"op": "ping"})["ret_msg"] == "pong"
    assert fake.connections_total == 2


def test_drop_connections_abrupt(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("inverse")
    ws = connect(fake, "inverse")
    ask(ws, {"op": "subscribe", "args": ["trade.BTCUSD"]})
    assert fake.drop_connections(abrupt=True) == 1
    with pytest.raises((OSError, websocket.WebSocketConnectionClosedException)):
        ws.recv()  # a TCP reset, no close frame
    fake.wait_for(lambda: fake.connection_count == 0)


def start_flooding(fake: FakeBybit) -> tuple[threading.Thread, list[int]]:
    """Publish 256 KiB frames until delivery stops; far more than the socket buffers of a client that
    does not read hold, so the publisher ends up blocked in send() unless the connection goes away."""
    sent = [0]
    payload = "x" * 256 * 1024

    def flood() -> None:
        while sent[0] < 400 and fake.publish("trade.BTCUSD", payload) > 0:
            sent[0] += 1

    thread = threading.Thread(target=flood, name="test-flood")
    thread.start()
    fake.wait_for(lambda: sent[0] > 0)
    return thread, sent


def test_abrupt_drop_unblocks_a_publisher_stuck_on_a_client_that_stopped_reading(
    make_fake: MakeFake, connect: Connect
) -> None:
    fake = make_fake("inverse")
    ask(connect(fake, "inverse"), {"op": "subscribe", "args": ["trade.BTCUSD"]})
    thread, sent = start_flooding(fake)
    assert fake.drop_connections(abrupt=True) == 1
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert sent[0] < 400


def test_close_with_a_publisher_stuck_on_a_client_that_stopped_reading(connect: Connect) -> None:
    fake = FakeBybit("inverse", close_timeout=0.1).start()
    try:
        ask(connect(fake, "inverse"), {"op": "subscribe", "args": ["trade.BTCUSD"]})
        thread, _ = start_flooding(fake)
    finally:
        fake.close()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_refuse_connections_and_unknown_path(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("inverse")
    fake.refuse_connections(30)
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        create_connection(fake.urls["inverse"], timeout=2)
    assert refused.value.status_code == 503
    assert fake.refused_total == 1
    assert fake.connections_total == 0
    fake.refuse_connections(0)
    connect(fake, "inverse")
    assert fake.connections_total == 1

    with pytest.raises(websocket.WebSocketBadStatusException) as missing:
        create_connection(f"{fake.url}/v5/public/linear", timeout=2)
    assert missing.value.status_code == 404


def test_received_and_subscriptions(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("v5")
    linear, spot = connect(fake, "v5.linear"), connect(fake, "v5.spot")
    ask(linear, {"req_id": "1", "op": "subscribe", "args": ["tickers.BTCUSDT"]})
    ask(spot, {"op": "subscribe", "args": ["tickers.BTCUSDT", "kline.1.BTCUSDT"]})
    ask(spot, {"op": "ping"})
    assert fake.received == [
        {"req_id": "1", "op": "subscribe", "args": ["tickers.BTCUSDT"]},
        {"op": "subscribe", "args": ["tickers.BTCUSDT", "kline.1.BTCUSDT"]},
        {"op": "ping"},
    ]
    assert fake.received_frames("v5.spot", op="subscribe") == [fake.received[1]]
    assert fake.subscriptions() == {"tickers.BTCUSDT": 2, "kline.1.BTCUSDT": 1}
    assert fake.subscriptions("/v5/public/spot") == {"tickers.BTCUSDT": 1, "kline.1.BTCUSDT": 1}
    fake.wait_for_subscribers("tickers.BTCUSDT", count=2)

    received = fake.received
    received.clear()
    assert len(fake.received) == 3  # a copy
    fake.clear_received()
    assert fake.received == []

    spot.close()  # a closed connection drops its subscriptions
    fake.wait_for(lambda: fake.subscriptions() == {"tickers.BTCUSDT": 1})


def test_wait_for_times_out_with_a_clear_message(make_fake: MakeFake) -> None:
    fake = make_fake("inverse")
    start = time.monotonic()
    with pytest.raises(TimeoutError, match=r"1 subscriber\(s\) to 'trade.BTCUSD'.*0 open connection"):
        fake.wait_for_subscribers("trade.BTCUSD", timeout=0.05)
    with pytest.raises(TimeoutError, match="never"):
        fake.wait_for(lambda: False, timeout=0.01, message="never")
    assert time.monotonic() - start < 1


def test_wait_for_sees_client_side_state(make_fake: MakeFake) -> None:
    fake = make_fake("inverse")
    flag = threading.Event()
    timer = threading.Timer(0.05, flag.set)
    timer.start()
    fake.wait_for(flag.is_set, timeout=2)  # no server event happens: the predicate is polled too
    timer.join()


def test_concurrent_publishers(make_fake: MakeFake, connect: Connect) -> None:
    fake = make_fake("inverse")
    ws = connect(fake, "inverse")
    ask(ws, {"op": "subscribe", "args": ["trade.*"]})
    per_thread, threads = 100, 4

    def publish(n: int) -> None:
        for i in range(per_thread):
            fake.publish(f"trade.S{n}", [i])

    workers = [threading.Thread(target=publish, args=(n,), name=f"test-pub-{n}") for n in range(threads)]
    for t in workers:
        t.start()
    seen: dict[str, list[int]] = {}
    for _ in range(per_thread * threads):
        frame = recv(ws)
        seen.setdefault(frame["topic"], []).extend(frame["data"])
    for t in workers:
        t.join()
    assert seen == {f"trade.S{n}": list(range(per_thread)) for n in range(threads)}


# -------------------------------------------------------------------------------------------------
# lifecycle


def test_close_joins_every_thread(make_fake: MakeFake) -> None:
    before = set(threading.enumerate())
    fake = FakeBybit("v5", close_timeout=0.2).start()
    silent = create_connection(fake.urls["v5.linear"], timeout=2)  # never answers the close frame
    talking = create_connection(fake.urls["v5.spot"], timeout=2)
    raw = socket.create_connection(("127.0.0.1", int(fake.url.rsplit(":", 1)[1])))  # never handshakes
    try:
        fake.wait_for(lambda: fake.connection_count == 2)
        assert fake.drop_connections(path="v5.spot") == 1
        assert talking.recv() == ""  # websocket-client answers the close frame
        hard_close(talking)
        start = time.monotonic()
        fake.close()
        assert time.monotonic() - start < 1.5
        assert set(threading.enumerate()) == before
        fake.close()  # idempotent
        recv_frame: Callable[[], websocket.ABNF] = silent.recv_frame  # without answering it
        assert recv_frame().opcode == websocket.ABNF.OPCODE_CLOSE
    finally:
        silent.close(timeout=0.1)
        talking.close(timeout=0.1)
        raw.close()


def test_lifecycle_errors() -> None:
    with pytest.raises(ValueError, match="dialect"):
        FakeBybit("v4")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="both"):
        FakeBybit("inverse", api_key="k")
    fake = FakeBybit("contract")
    with pytest.raises(RuntimeError, match="not started"):
        _ = fake.url
    fake.close()  # before start: fine
    with pytest.raises(RuntimeError, match="once"):
        fake.start()
    with FakeBybit("contract") as running:
        assert running.url.startswith("ws://127.0.0.1:")
        with pytest.raises(RuntimeError, match="once"):
            running.start()
        assert "contract" in repr(running)


def test_sign_matches_bybit_formula() -> None:
    expected = hmac.new(b"secret", b"GET/realtime1662350400000", hashlib.sha256).hexdigest()
    assert sign("secret", 1662350400000) == expected
