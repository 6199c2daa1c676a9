"""FakeBybit answers as live Bybit does where peers' clients noticed it did not (issue 24): reqIds per
connection, topic checks with Bybit's messages, snapshots to the new subscriber only, per-category frame
shapes, consistent wallet margins, every topic of the simulated market, max_active_time, conn_id shapes
and the rate-limit reset time."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from websocket import WebSocket, create_connection

from bybit_ws.testing import FakeBybit, PaperExchange, SimulatedMarket, sign
from bybit_ws.testing._catalog import DEPTHS, KLINE_INTERVALS, Catalog

from .support import API_KEY, API_SECRET


@pytest.fixture
def fake() -> Iterator[FakeBybit]:
    with FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET) as server:
        yield server


@pytest.fixture
def sockets() -> Iterator[list[WebSocket]]:
    opened: list[WebSocket] = []
    yield opened
    for ws in opened:
        ws.close(timeout=1)
        shutdown: Callable[[], None] = ws.shutdown  # websocket-client's untyped shutdown()
        shutdown()


def connect(fake: FakeBybit, key: str, sockets: list[WebSocket], query: str = "") -> WebSocket:
    ws = create_connection(fake.urls[key] + query, timeout=5, skip_utf8_validation=True)
    sockets.append(ws)
    return ws


def recv(ws: WebSocket) -> dict[str, Any]:
    frame = json.loads(ws.recv())
    assert isinstance(frame, dict)
    return frame


def ask(ws: WebSocket, frame: dict[str, Any]) -> dict[str, Any]:
    ws.send(json.dumps(frame))
    return recv(ws)


def auth(ws: WebSocket) -> None:
    expires = int(time.time() * 1000) + 60_000
    reply = ask(ws, {"op": "auth", "args": [API_KEY, expires, sign(API_SECRET, expires)]})
    assert reply.get("success") is True or reply.get("retCode") == 0


def create(req_id: str, price: str = "29000", category: str = "linear") -> dict[str, Any]:
    args = {"category": category, "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", "qty": "0.01"}
    return {
        "reqId": req_id,
        "header": {"X-BAPI-TIMESTAMP": str(int(time.time() * 1000))},
        "op": "order.create",
        "args": [{**args, "price": price}],
    }


def frames_until(ws: WebSocket, topic: str, count: int = 1) -> list[dict[str, Any]]:
    """Frames received until `count` of them had `topic` (replies and other topics included)."""
    got: list[dict[str, Any]] = []
    while sum(1 for f in got if f.get("topic") == topic) < count:
        got.append(recv(ws))
    return got


# ------------------------------------------------------------------------------ 1. reqIds per connection
def test_a_second_session_may_number_its_requests_from_1_again(
    fake: FakeBybit, sockets: list[WebSocket]
) -> None:
    fake.set_price("BTCUSDT", "30000")
    for _ in range(2):  # two sessions, one after the other, each numbering from 1
        ws = connect(fake, "v5.trade", sockets)
        auth(ws)
        assert ask(ws, create("1"))["retCode"] == 0
        assert ask(ws, create("2"))["retCode"] == 0
        again = ask(ws, create("1"))  # on the same connection a reqId is still unique
        assert (again["retCode"], again["retMsg"]) == (20006, "duplicate reqId: 1")
        ws.close()


def test_paper_exchange_scopes_req_ids_by_connection() -> None:
    paper = PaperExchange(prices={"BTCUSDT": "30000"})
    assert paper.handle(create("7"), conn_id="a")[0]["retCode"] == 0
    assert paper.handle(create("7"), conn_id="b")[0]["retCode"] == 0
    assert paper.handle(create("7"), conn_id="a")[0]["retCode"] == 20006
    paper.forget_connection("a")
    assert paper.handle(create("7"), conn_id="a")[0]["retCode"] == 0


# ------------------------------------------------------------------------------ 2. topic checks
_OPTION = "BTC-26DEC25-100000-C"


@pytest.mark.parametrize(
    ("key", "topic", "ret_msg"),
    [
        ("v5.linear", "orderbook.500.BTCUSDT", "error:handler not found,topic:orderbook.500.BTCUSDT"),
        ("v5.linear", "publicTrade.NOTREALUSDT", "Invalid symbol :[publicTrade.NOTREALUSDT]"),
        ("v5.linear", "nonsense.BTCUSDT", "error:handler not found,topic:nonsense.BTCUSDT"),
        ("v5.linear", "kline.7.BTCUSDT", "error:handler not found,topic:kline.7.BTCUSDT"),
        ("v5.linear", "tickers.btcusdt", "Invalid symbol :[tickers.btcusdt]"),
        ("v5.linear", "order", "error:handler not found,topic:order"),
        ("v5.linear", "orderbook.50.BTCUSD", "Invalid symbol :[orderbook.50.BTCUSD]"),
        ("v5.spot", "allLiquidation.BTCUSDT", "error:handler not found,topic:allLiquidation.BTCUSDT"),
        ("v5.option", f"orderbook.50.{_OPTION}", f"error:handler not found,topic:orderbook.50.{_OPTION}"),
        ("v5.option", f"kline.1.{_OPTION}", f"error:handler not found,topic:kline.1.{_OPTION}"),
    ],
)  # fmt: skip
def test_public_topics_are_checked_with_bybits_messages(
    fake: FakeBybit, sockets: list[WebSocket], key: str, topic: str, ret_msg: str
) -> None:
    ws = connect(fake, key, sockets)
    reply = ask(
        ws,
        {"op": "subscribe", "args": ["tickers.BTCUSDT" if key != "v5.option" else "publicTrade.BTC", topic]},
    )
    assert reply["success"] is False
    assert reply["ret_msg"] == ret_msg
    assert fake.subscriptions(key) == {}  # the whole request failed


def test_private_topics_are_checked_on_the_private_path(fake: FakeBybit, sockets: list[WebSocket]) -> None:
    ws = connect(fake, "v5.private", sockets)
    auth(ws)
    assert ask(ws, {"op": "subscribe", "args": ["order", "nonsense"]})["ret_msg"] == (
        "error:handler not found,topic:nonsense"
    )
    assert ask(ws, {"op": "subscribe", "args": ["publicTrade.BTCUSDT"]})["success"] is False
    assert ask(ws, {"op": "subscribe", "args": ["position.spot"]})["success"] is False  # no spot positions
    ok = ask(ws, {"op": "subscribe", "args": ["order", "execution.fast.linear", "wallet", "position.linear"]})
    assert ok["success"] is True


def test_served_topics_succeed_and_list_symbols_adds_more(fake: FakeBybit, sockets: list[WebSocket]) -> None:
    ws = connect(fake, "v5.linear", sockets)
    args = [
        *(f"orderbook.{d}.BTCUSDT" for d in DEPTHS["linear"]),
        *(f"kline.{i}.ETHUSDT" for i in KLINE_INTERVALS),
    ]
    assert ask(ws, {"op": "subscribe", "args": [*args, "allLiquidation.BTCUSDT"]})["success"] is True
    assert ask(ws, {"op": "subscribe", "args": ["tickers.NEWUSDT"]})["success"] is False
    fake.list_symbols("linear", "NEWUSDT")
    assert "NEWUSDT" in fake.symbols("linear")
    assert ask(ws, {"op": "subscribe", "args": ["tickers.NEWUSDT"]})["success"] is True


@given(
    category=st.sampled_from(["linear", "inverse", "spot"]),
    depth=st.sampled_from(["1", "25", "50", "100", "200", "500", "1000", "5"]),
    symbol=st.sampled_from(["BTCUSDT", "BTCUSD", "btcusdt", "ETHBTC", "X"]),
)
def test_catalog_accepts_exactly_the_served_depths_and_listed_symbols(
    category: str, depth: str, symbol: str
) -> None:
    catalog = Catalog()
    refusal = catalog.refusal(category, [f"orderbook.{depth}.{symbol}"])
    if depth not in DEPTHS[category]:
        assert refusal == f"error:handler not found,topic:orderbook.{depth}.{symbol}"
    elif not catalog.listed(category, symbol):
        assert refusal == f"Invalid symbol :[orderbook.{depth}.{symbol}]"
    else:
        assert refusal is None


def test_check_topics_false_serves_anything() -> None:
    catalog = Catalog(check=False)
    assert catalog.refusal("linear", ["nonsense.X"]) is None


# ------------------------------------------------------------------------------ 3. snapshots
def test_a_snapshot_goes_to_the_new_subscriber_only(fake: FakeBybit, sockets: list[WebSocket]) -> None:
    market = SimulatedMarket(fake, "BTCUSDT", seed=3)  # stepped by hand
    try:
        first, second = connect(fake, "v5.linear", sockets), connect(fake, "v5.linear", sockets)
        topics = ["orderbook.50.BTCUSDT", "tickers.BTCUSDT"]
        assert ask(first, {"op": "subscribe", "args": topics})["success"] is True
        market.step()  # the snapshots come first in the next step, before its deltas
        assert [recv(first)["type"], recv(first)["type"]] == ["snapshot", "snapshot"]
        first.send(json.dumps({"op": "ping"}))
        while recv(first).get("op") != "ping":  # the rest of that step
            pass
        assert ask(second, {"op": "subscribe", "args": topics})["success"] is True
        market.step()
        assert [recv(second)["type"], recv(second)["type"]] == ["snapshot", "snapshot"]
        for _ in range(6):
            market.step()
        first.send(json.dumps({"op": "ping"}))  # everything before the pong is data
        seen = []
        while (frame := recv(first)).get("op") != "ping":
            seen.append(frame)
        assert seen and all(f["type"] == "delta" for f in seen)
    finally:
        market.close()


# ------------------------------------------------------------------------------ 4. per-category shapes
def test_spot_frames_have_spots_shape(fake: FakeBybit, sockets: list[WebSocket]) -> None:
    market = SimulatedMarket(fake, "BTCUSDT", category="spot", seed=5)
    try:
        ws = connect(fake, "v5.spot", sockets)
        assert ask(ws, {"op": "subscribe", "args": ["tickers.BTCUSDT", "publicTrade.BTCUSDT"]})["success"]
        frames: list[dict[str, Any]] = []
        while sum(1 for f in frames if f["topic"] == "publicTrade.BTCUSDT") < 2 or len(frames) < 4:
            market.step()
            ws.send(json.dumps({"op": "ping"}))
            while (frame := recv(ws)).get("op") != "ping":
                frames.append(frame)
        tickers = [f for f in frames if f["topic"] == "tickers.BTCUSDT"]
        assert len(tickers) > 1 and all(f["type"] == "snapshot" for f in tickers)
        for ticker in tickers:
            assert "usdIndexPrice" in ticker["data"] and "prevPrice24h" in ticker["data"]
            assert not {"fundingRate", "openInterest", "markPrice", "nextFundingTime"} & set(ticker["data"])
        trades = [t for f in frames if f["topic"] == "publicTrade.BTCUSDT" for t in f["data"]]
        assert trades and all(
            "L" not in t and {"T", "s", "S", "v", "p", "i", "BT", "seq"} <= set(t) for t in trades
        )
    finally:
        market.close()


def test_linear_and_option_shapes(fake: FakeBybit, sockets: list[WebSocket]) -> None:
    linear = SimulatedMarket(fake, "BTCUSDT", seed=8)
    option = SimulatedMarket(fake, "BTC-26DEC25-100000-C", category="option", seed=8, start_price="1500.0")
    try:
        lin, opt = connect(fake, "v5.linear", sockets), connect(fake, "v5.option", sockets)
        assert ask(lin, {"op": "subscribe", "args": ["tickers.BTCUSDT", "publicTrade.BTCUSDT"]})["success"]
        linear.step()
        snapshot = recv(lin)
        assert snapshot["type"] == "snapshot" and "fundingRate" in snapshot["data"]
        assert ask(
            opt,
            {
                "op": "subscribe",
                "args": ["tickers.BTC-26DEC25-100000-C", "orderbook.25.BTC-26DEC25-100000-C"],
            },
        )["success"]
        option.step()
        option_frames = [recv(opt), recv(opt)]
        ticker = next(f for f in option_frames if f["topic"].startswith("tickers."))
        assert {"bidIv", "askIv", "markPriceIv", "underlyingPrice", "delta", "gamma", "vega", "theta"} <= set(
            ticker["data"]
        )
        for _ in range(8):
            linear.step()
            option.step()
        trades = [
            t
            for f in frames_until(lin, "publicTrade.BTCUSDT")
            if f.get("topic") == "publicTrade.BTCUSDT"
            for t in f["data"]
        ]
        assert all(t["L"] in ("PlusTick", "MinusTick", "ZeroPlusTick", "ZeroMinusTick") for t in trades)
    finally:
        linear.close()
        option.close()


# ------------------------------------------------------------------------------ 6. every topic
def test_the_market_serves_klines_liquidations_and_every_depth(
    fake: FakeBybit, sockets: list[WebSocket]
) -> None:
    market = SimulatedMarket(fake, "BTCUSDT", seed=2)
    try:
        ws = connect(fake, "v5.linear", sockets)
        books = [f"orderbook.{d}.BTCUSDT" for d in DEPTHS["linear"]]
        assert ask(
            ws,
            {
                "op": "subscribe",
                "args": [*books, "kline.1.BTCUSDT", "kline.M.BTCUSDT", "allLiquidation.BTCUSDT"],
            },
        )["success"]
        want = {*books, "kline.1.BTCUSDT", "kline.M.BTCUSDT", "allLiquidation.BTCUSDT"}
        seen: dict[str, list[dict[str, Any]]] = {}
        deadline = time.monotonic() + 30
        while not want <= set(seen) or len(seen.get("orderbook.200.BTCUSDT", [])) < 2:
            assert time.monotonic() < deadline, f"still missing {want - set(seen)}"
            market.step()
            ws.send(json.dumps({"op": "ping"}))
            while (frame := recv(ws)).get("op") != "ping":
                seen.setdefault(frame["topic"], []).append(frame)
        assert all(f["type"] == "snapshot" for f in seen["orderbook.1.BTCUSDT"])  # depth 1: snapshot-only
        for depth in (50, 200, 1000):
            frames = seen[f"orderbook.{depth}.BTCUSDT"]
            assert frames[0]["type"] == "snapshot" and len(frames[0]["data"]["b"]) == depth
            ids = [f["data"]["u"] for f in frames]
            assert ids == list(range(ids[0], ids[0] + len(ids)))
        candle = seen["kline.M.BTCUSDT"][0]["data"][0]
        assert candle["interval"] == "M" and candle["start"] < candle["timestamp"] <= candle["end"]
        assert set(seen["allLiquidation.BTCUSDT"][0]["data"][0]) == {"T", "s", "S", "v", "p"}
        market.restart_book()
        restarted = frames_until(ws, "orderbook.50.BTCUSDT")[-1]
        assert restarted["type"] == "snapshot" and restarted["data"]["u"] == 1
    finally:
        market.close()


# ------------------------------------------------------------------------------ 5. wallet margins
def test_wallet_margins_agree_with_orders_and_positions(fake: FakeBybit, sockets: list[WebSocket]) -> None:
    fake.set_price("BTCUSDT", "30000")
    private = connect(fake, "v5.private", sockets)
    auth(private)
    assert ask(private, {"op": "subscribe", "args": ["wallet", "position"]})["success"]
    trade = connect(fake, "v5.trade", sockets)
    auth(trade)
    assert ask(trade, create("1", price="29000"))["retCode"] == 0  # rests: 0.01 * 29000 / 10 reserved
    wallet = frames_until(private, "wallet")[-1]["data"][0]
    usdt = wallet["coin"][0]
    assert (usdt["totalOrderIM"], usdt["totalPositionIM"], wallet["totalInitialMargin"]) == ("29", "0", "29")
    assert Decimal(wallet["totalAvailableBalance"]) == Decimal(wallet["totalMarginBalance"]) - 29
    fake.set_price("BTCUSDT", "28990")  # fills at 29000: a position of 0.01
    got = frames_until(private, "wallet")
    position = next(f for f in got if f["topic"] == "position")["data"][0]
    wallet = got[-1]["data"][0]
    assert wallet["coin"][0]["totalPositionIM"] == position["positionIM"] == "29"
    assert wallet["coin"][0]["totalOrderIM"] == "0" and wallet["totalInitialMargin"] == "29"


# ------------------------------------------------------------------------------ 7. smaller
def test_max_active_time_cuts_an_idle_connection(fake: FakeBybit, sockets: list[WebSocket]) -> None:
    idle = connect(fake, "v5.private", sockets, "?max_active_time=1s")
    start = time.monotonic()
    assert idle.recv() == ""  # the server's close frame: websocket-client returns no data
    assert time.monotonic() - start >= 0.9
    fake.wait_for(lambda: fake.connection_count == 0)


def test_conn_id_shapes_and_limit_reset(fake: FakeBybit, sockets: list[WebSocket]) -> None:
    ws = connect(fake, "v5.linear", sockets)
    conn_id = ask(ws, {"op": "subscribe", "args": ["tickers.BTCUSDT"]})["conn_id"]
    assert re.fullmatch(r"[0-9a-v]{20}-[0-9a-z]{1,5}", conn_id)
    fake.set_price("BTCUSDT", "30000")
    trade = connect(fake, "v5.trade", sockets)
    auth(trade)
    header = ask(trade, create("1"))["header"]
    assert header["X-Bapi-Limit-Reset-Timestamp"] == header["Timenow"]  # under the limit: the time now
    with FakeBybit("inverse") as inverse:
        v2 = create_connection(inverse.url + "/realtime", timeout=5)
        try:
            v2_id = ask(v2, {"op": "ping"})["conn_id"]
        finally:
            v2.close()
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", v2_id)


def test_set_latency_delays_the_handling_of_each_request(fake: FakeBybit, sockets: list[WebSocket]) -> None:
    ws = connect(fake, "v5.linear", sockets)
    fake.set_latency(0.2)
    sent = time.monotonic()
    ws.send(json.dumps({"op": "ping", "req_id": "a"}))
    ws.send(json.dumps({"op": "ping", "req_id": "b"}))
    assert [recv(ws)["req_id"], recv(ws)["req_id"]] == ["a", "b"]  # in order
    assert time.monotonic() - sent >= 0.4  # each one handled 0.2 s after it arrived
    with pytest.raises(ValueError, match="seconds"):
        fake.set_latency(-1)


# ------------------------------------------------------------------------------ 9. the demo's URLs
def test_demo_prints_the_urls_for_each_library(fake: FakeBybit) -> None:
    from bybit_ws._cli._demo_urls import peer_recipes

    text = "\n".join(peer_recipes(fake.url, fake.rest_url))
    for needle in (
        f'PUBLIC_WSS = "{fake.url}/v5/public/{{CHANNEL_TYPE}}"',
        f'TRADE_WSS = "{fake.url}/v5/trade"',
        f'"public": "{fake.rest_url}"',
        f"v5PrivateTrade.private.livenet = '{fake.url}/v5/trade'",
    ):
        assert needle in text
