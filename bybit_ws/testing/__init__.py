"""Offline testing tools: `FakeBybit`, a local websocket server speaking Bybit's v2, v3 and v5 dialects.

Needs the ``websockets`` package (``pip install 'bybit-ws-sync[testing]'``); the client library itself
never imports this package.

    from bybit_ws.testing import FakeBybit, sign

    with FakeBybit("inverse", api_key="key", api_secret="secret") as fake:
        client = BybitSocketClient(api_key="key", api_secret="secret", urls=fake.urls)
        sub = client.inverse.subscribe_to_trade_updates("BTCUSD", handler)
        fake.wait_for_subscribers("trade.BTCUSD")
        fake.publish("trade.BTCUSD", [{"symbol": "BTCUSD", ...}])

`SimulatedMarket` runs a random-walk market on a v5 fake (trades, every order-book depth of its category,
a ticker, klines of every interval, liquidations), as ``python -m bybit_ws demo`` does::

    with FakeBybit("v5") as fake, SimulatedMarket(fake, "BTCUSDT", seed=7):
        client = BybitSocketClient(urls=fake.urls)
        book = client.v5.order_book("linear", "BTCUSDT")

`FullBookFeed` serves a full-depth book as Bybit does (``orderbook.full`` deltas, and the REST snapshot
as a callable for ``client.v5.full_order_book``)::

    with FakeBybit("v5") as fake:
        feed = FullBookFeed(fake, "BTCUSDT", bids=[["100", "1"]], asks=[["101", "2"]])
        book = BybitSocketClient(urls=fake.urls).v5.full_order_book("spot", "BTCUSDT", feed.snapshot)
        fake.wait_for_subscribers(feed.topic)
        feed.update(bids=[["100.5", "3"]])
"""

try:
    import websockets  # noqa: F401  (the fake exchange's server; not a dependency of the client)
except ModuleNotFoundError as exc:  # pragma: no branch
    if exc.name != "websockets":
        raise
    raise ModuleNotFoundError(
        "bybit_ws.testing (FakeBybit, the demo's fake exchange) needs the 'websockets' package, which the "
        "client itself does not: pip install 'bybit-ws-sync[testing]'",
        name="websockets",
    ) from exc

from bybit_ws.testing._fake import FakeBybit
from bybit_ws.testing._full_book import FullBookFeed
from bybit_ws.testing._market import SimulatedMarket
from bybit_ws.testing._paper import PaperExchange
from bybit_ws.testing._protocol import Dialect, sign

__all__ = ["Dialect", "FakeBybit", "FullBookFeed", "PaperExchange", "SimulatedMarket", "sign"]
