"""pybit 5.17 (unchanged) against FakeBybit: public and private streams and WebSocketTrading, spot and
linear, two sessions against one running fake. The recipe (README "Testing your pybit or ccxt bot
offline"): point pybit's URL constants at the fake."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from bybit_ws.testing import FakeBybit

from .support import API_KEY, API_SECRET, Inbox, running_exchange

unified_trading = pytest.importorskip("pybit.unified_trading", reason="pybit is not installed (extra [test])")
trading_module = pytest.importorskip("pybit._websocket_trading")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBybit]:
    with running_exchange() as server:
        # the two-line recipe: pybit's URL templates, pointed at the fake
        monkeypatch.setattr(unified_trading, "PUBLIC_WSS", server.url + "/v5/public/{CHANNEL_TYPE}")
        monkeypatch.setattr(unified_trading, "PRIVATE_WSS", server.url + "/v5/private")
        monkeypatch.setattr(trading_module, "TRADE_WSS", server.url + "/v5/trade")
        # pybit 5.17 registers a subscribe's and an order's callback after sending it: a reply within
        # microseconds (no network in between) finds none. A network's latency, as live has.
        server.set_latency(0.02)
        yield server


# pybit's auth frame expires 1 s after it is made (private_auth_expire=1); on a loaded CI machine that
# second can pass before the fake reads it, and the fake refuses it as live Bybit would.
_KEYS: dict[str, Any] = {"api_key": API_KEY, "api_secret": API_SECRET, "private_auth_expire": 10}


def _topic_starts(prefix: str) -> Callable[[Any], bool]:
    return lambda message: str(message["topic"]).startswith(prefix)


def _session(fake: FakeBybit, category: str) -> None:
    public, private, trading = Inbox(), Inbox(), Inbox()
    sockets: list[Any] = []
    try:
        ws = unified_trading.WebSocket(testnet=False, channel_type=category)
        sockets.append(ws)
        ws.trade_stream("BTCUSDT", public)
        ws.orderbook_stream(50, "BTCUSDT", public)
        ws.ticker_stream("BTCUSDT", public)
        ws.kline_stream(1, "BTCUSDT", public)
        for prefix in ("publicTrade.", "orderbook.50.", "tickers.", "kline.1."):
            msg = public.take(_topic_starts(prefix))
            assert msg["data"]
        book = public.take(lambda m: m["topic"].startswith("orderbook.50."))["data"]
        assert len(book["b"]) == 50 and len(book["a"]) == 50  # pybit's local book, kept by deltas

        me = unified_trading.WebSocket(testnet=False, channel_type="private", **_KEYS)
        sockets.append(me)
        me.order_stream(private)
        me.execution_stream(private)
        me.wallet_stream(private)
        if category == "linear":
            me.position_stream(private)
        fake.wait_for(lambda: fake.subscriber_count("wallet", path="v5.private") >= 1)

        trade = unified_trading.WebSocketTrading(testnet=False, **_KEYS)
        sockets.append(trade)
        price = fake.paper.price("BTCUSDT")
        assert price is not None
        low = str((price * Decimal("0.9")).quantize(Decimal("0.1")))
        buy: dict[str, Any] = {"category": category, "symbol": "BTCUSDT", "side": "Buy"}
        trade.place_order(trading, trading, **buy, orderType="Limit", qty="0.01", price=low)
        ack = trading.take()
        assert ack["retCode"] == 0, ack
        order_id = ack["data"]["orderId"]
        assert private.take(lambda m: m["topic"] == "order" and m["data"][0]["orderId"] == order_id)
        trade.cancel_order(trading, trading, category=category, symbol="BTCUSDT", orderId=order_id)
        assert trading.take()["retCode"] == 0
        cancelled = private.take(
            lambda m: m["topic"] == "order" and m["data"][0]["orderStatus"] == "Cancelled"
        )
        assert cancelled["data"][0]["orderId"] == order_id
        trade.place_order(
            trading, trading, **buy, orderType="Market", qty="0.01" if category == "linear" else "100"
        )
        assert trading.take()["retCode"] == 0
        fill = private.take(lambda m: m["topic"] == "execution")["data"][0]
        assert fill["symbol"] == "BTCUSDT" and fill["category"] == category
        assert private.take(lambda m: m["topic"] == "wallet")["data"][0]["accountType"] == "UNIFIED"
    finally:
        for socket in sockets:
            socket.exit()


@pytest.mark.parametrize("category", ["linear", "spot"])
def test_pybit_twice_against_one_running_fake(fake: FakeBybit, category: str) -> None:
    _session(fake, category)
    _session(fake, category)  # a second session numbering everything afresh
