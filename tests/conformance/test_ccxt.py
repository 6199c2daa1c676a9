"""ccxt pro 4.5 (unchanged) against FakeBybit: public streams, private streams after real paper orders
and order entry over the websocket Trade API, linear and spot, two sessions against one running fake.

Markets load over REST from the fake's ``GET /v5/market/instruments-info`` (ccxt's own
``load_markets``; ``fetchCurrencies`` off, it needs private REST). The recipe (README "Testing your
pybit or ccxt bot offline"): point ccxt's ``urls["api"]`` at the fake."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bybit_ws.testing import FakeBybit

from .support import API_KEY, API_SECRET, running_exchange

ccxt_pro = pytest.importorskip("ccxt.pro", reason="ccxt is not installed (extra [test])")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

_WAIT = 15.0


def fake_urls(fake: FakeBybit) -> dict[str, Any]:
    """ccxt's ``urls["api"]`` for the fake: REST and every websocket endpoint."""
    private = fake.url + "/v5/private"
    return {
        **dict.fromkeys(("spot", "futures", "v2", "public", "private"), fake.rest_url),
        "ws": {
            "public": {c: f"{fake.url}/v5/public/{c}" for c in ("spot", "linear", "inverse", "option")},
            "private": {
                "spot": {"unified": private, "nonUnified": private},
                "contract": private,
                "usdc": private,
                "trade": fake.url + "/v5/trade",
            },
        },
    }


def make_exchange(fake: FakeBybit) -> Any:
    exchange = ccxt_pro.bybit(
        {
            "apiKey": API_KEY,
            "secret": API_SECRET,
            "options": {
                "fetchMarkets": {"types": ["spot", "linear"]},
                "enableUnifiedMargin": False,  # what isUnifiedEnabled would ask private REST
                "enableUnifiedAccount": True,
                "watchPositions": {"fetchPositionsSnapshot": False},  # a REST snapshot: not served
            },
        }
    )
    exchange.urls["api"] = fake_urls(fake)
    exchange.has["fetchCurrencies"] = False
    return exchange


async def _session(fake: FakeBybit, symbol: str) -> None:
    exchange = make_exchange(fake)
    try:
        await exchange.load_markets()
        spot = exchange.market(symbol)["spot"]
        trades = await asyncio.wait_for(exchange.watch_trades(symbol), _WAIT)
        assert trades and trades[0]["symbol"] == symbol
        book = await asyncio.wait_for(exchange.watch_order_book(symbol), _WAIT)
        assert book["bids"] and book["asks"] and book["bids"][0][0] < book["asks"][0][0]
        ticker = await asyncio.wait_for(exchange.watch_ticker(symbol), _WAIT)
        assert ticker["symbol"] == symbol and ticker["last"]
        candles = await asyncio.wait_for(exchange.watch_ohlcv(symbol, "1m"), _WAIT)
        assert candles and len(candles[0]) == 6

        orders_task = asyncio.ensure_future(exchange.watch_orders(symbol))
        await asyncio.wait_for(_until_subscribed(fake, "order"), _WAIT)
        price = float(fake.paper.price(exchange.market(symbol)["id"]) or 0)
        order = await asyncio.wait_for(
            exchange.create_order_ws(symbol, "limit", "buy", 0.01, round(price * 0.9, 1)), _WAIT
        )
        assert order["id"]
        seen = await asyncio.wait_for(orders_task, _WAIT)
        assert any(o["id"] == order["id"] for o in seen)
        edited = await asyncio.wait_for(
            exchange.edit_order_ws(order["id"], symbol, "limit", "buy", 0.01, round(price * 0.8, 1)), _WAIT
        )
        assert edited["id"] == order["id"]
        cancelled = await asyncio.wait_for(exchange.cancel_order_ws(order["id"], symbol), _WAIT)
        assert cancelled["id"] == order["id"]

        fills = asyncio.ensure_future(exchange.watch_my_trades(symbol))
        await asyncio.wait_for(_until_subscribed(fake, "execution"), _WAIT)
        positions = None if spot else asyncio.ensure_future(exchange.watch_positions([symbol]))
        if positions is not None:
            await asyncio.wait_for(_until_subscribed(fake, "position"), _WAIT)
        # a spot market buy of 100 USDT (ccxt would otherwise send the base amount, 100 BTC)
        params = {"marketUnit": "quoteCoin"} if spot else {}
        await asyncio.wait_for(
            exchange.create_order_ws(symbol, "market", "buy", 100.0 if spot else 0.01, None, params), _WAIT
        )
        mine = await asyncio.wait_for(fills, _WAIT)
        assert mine and mine[0]["symbol"] == symbol
        if positions is not None:
            held = await asyncio.wait_for(positions, _WAIT)
            assert held and held[0]["symbol"] == symbol and held[0]["contracts"]
    finally:
        await exchange.close()


async def _until_subscribed(fake: FakeBybit, topic: str) -> None:
    while fake.subscriber_count(topic, path="v5.private") == 0:
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("symbol", ["BTC/USDT:USDT", "BTC/USDT"])
def test_ccxt_pro_twice_against_one_running_fake(symbol: str) -> None:
    with running_exchange() as fake:
        asyncio.run(_session(fake, symbol))
        asyncio.run(_session(fake, symbol))  # a second session: its reqIds start from 1 again
