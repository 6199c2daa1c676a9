"""What the ``demo`` command prints for other clients: the URLs to give pybit, ccxt and bybit-api so
that they connect to the demo's fake exchange instead of Bybit (README "Testing your pybit or ccxt bot
offline")."""

from __future__ import annotations

__all__ = ["DEMO_API_KEY", "DEMO_API_SECRET", "LATENCY", "peer_recipes"]

#: Credentials the demo's fake exchange accepts on ``/v5/private`` (``examples/private_orders.py``).
DEMO_API_KEY = "demo-key"
DEMO_API_SECRET = "demo-secret"
#: Requests are handled this long after they arrive, as over a network: pybit 5.17 registers a
#: request's callback after sending it and would miss an instant reply (docs, "Testing your pybit...").
LATENCY = 0.005


def peer_recipes(url: str, rest_url: str) -> list[str]:
    """Banner lines: per peer library, where to point it (`url`: ``ws://host:port``; `rest_url`: the
    fake's REST base, ``GET /v5/market/instruments-info``)."""
    public = f"{url}/v5/public/{{CHANNEL_TYPE}}"
    return [
        f'  pybit:    pybit.unified_trading.PUBLIC_WSS = "{public}"; PRIVATE_WSS = "{url}/v5/private";',
        f'            pybit._websocket_trading.TRADE_WSS = "{url}/v5/trade"',
        f'  ccxt:     exchange.urls["api"] = {{"public": "{rest_url}", "ws": {{"public": {{"linear": '
        f'"{url}/v5/public/linear", ...}}, "private": {{"contract": "{url}/v5/private", '
        f'"trade": "{url}/v5/trade", ...}}}}}} (README)',
        f"  bybit-api: WS_BASE_URL_MAP.v5LinearPublic.public.livenet = '{url}/v5/public/linear', "
        f"... .v5.private.livenet = '{url}/v5/private', .v5PrivateTrade.private.livenet = '{url}/v5/trade'",
    ]
