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
"""

from bybit_ws.testing._fake import FakeBybit
from bybit_ws.testing._market import SimulatedMarket
from bybit_ws.testing._paper import PaperExchange
from bybit_ws.testing._protocol import Dialect, sign

__all__ = ["Dialect", "FakeBybit", "PaperExchange", "SimulatedMarket", "sign"]
