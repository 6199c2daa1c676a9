"""The one REST route `FakeBybit` serves: ``GET /v5/market/instruments-info``, in Bybit's documented
reply shape, for the symbols the fake lists (what ccxt's ``load_markets`` reads).

Linear, inverse and spot instruments; prices and quantities are the same for every symbol (tick
0.10, lot 0.001), enough for a client's market metadata. Other categories answer an empty list.
"""

from __future__ import annotations

import http
import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection

from bybit_ws.testing._catalog import Catalog
from bybit_ws.testing._protocol import now_ms

__all__ = ["INSTRUMENTS_PATH", "instruments_info", "rest_response"]

INSTRUMENTS_PATH = "/v5/market/instruments-info"
_QUOTES = ("USDT", "USDC", "USD", "BTC", "ETH")


def _coins(symbol: str) -> tuple[str, str]:
    stem = symbol.split("-", 1)[0]
    if stem.endswith("PERP"):
        return stem.removesuffix("PERP"), "USDC"
    for quote in _QUOTES:
        if stem.endswith(quote) and len(stem) > len(quote):
            return stem[: -len(quote)], quote
    return stem[:3], stem[3:] or "USD"


def _spot(symbol: str) -> dict[str, Any]:
    base, quote = _coins(symbol)
    return {
        "symbol": symbol, "baseCoin": base, "quoteCoin": quote, "innovation": "0", "status": "Trading",
        "marginTrading": "utaOnly", "stTag": "0",
        "lotSizeFilter": {
            "basePrecision": "0.000001", "quotePrecision": "0.00000001", "minOrderQty": "0.000048",
            "maxOrderQty": "71.73956243", "minOrderAmt": "1", "maxOrderAmt": "2000000",
        },
        "priceFilter": {"tickSize": "0.01"},
        "riskParameters": {"priceLimitRatioX": "0.01", "priceLimitRatioY": "0.02"},
    }  # fmt: skip


def _future(category: str, symbol: str) -> dict[str, Any]:
    base, quote = _coins(symbol)
    dated = "-" in symbol or (symbol[-3:-2] in ("H", "M", "U", "Z") and symbol[-2:].isdigit())
    kind = "Futures" if dated else "Perpetual"
    settle = base if category == "inverse" else quote
    return {
        "symbol": symbol, "contractType": ("Linear" if category == "linear" else "Inverse") + kind,
        "status": "Trading", "baseCoin": base, "quoteCoin": quote, "launchTime": "1585526400000",
        "deliveryTime": "1766736000000" if dated else "0", "deliveryFeeRate": "", "priceScale": "2",
        "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
        "priceFilter": {"minPrice": "0.10", "maxPrice": "1999999.80", "tickSize": "0.10"},
        "lotSizeFilter": {
            "maxOrderQty": "1190.000", "minOrderQty": "0.001", "qtyStep": "0.001",
            "postOnlyMaxOrderQty": "1190.000", "maxMktOrderQty": "500.000", "minNotionalValue": "5",
        },
        "unifiedMarginTrade": True, "fundingInterval": 480, "settleCoin": settle, "copyTrading": "both",
        "upperFundingRate": "0.005", "lowerFundingRate": "-0.005", "isPreListing": False,
        "preListingInfo": None, "displayName": "",
    }  # fmt: skip


def instruments_info(catalog: Catalog, query: Mapping[str, list[str]]) -> dict[str, Any]:
    """The reply to ``GET /v5/market/instruments-info?category=...[&symbol=...]``."""
    category = (query.get("category") or [""])[0]
    if category not in ("linear", "inverse", "spot", "option"):
        return {
            "retCode": 10001,
            "retMsg": "params error: category",
            "result": {},
            "retExtInfo": {},
            "time": now_ms(),
        }
    symbols = catalog.symbols(category) if category != "option" else []
    wanted = (query.get("symbol") or [""])[0]
    if wanted:
        symbols = [s for s in symbols if s == wanted]
    items = [_spot(s) if category == "spot" else _future(category, s) for s in symbols]
    result = {"category": category, "list": items, "nextPageCursor": ""}
    return {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": now_ms()}


def rest_response(ws: ServerConnection, request: Request, catalog: Catalog) -> Response:
    """The HTTP response to ``GET /v5/market/instruments-info?...`` (JSON)."""
    query = urllib.parse.parse_qs(request.path.partition("?")[2])
    body = json.dumps(instruments_info(catalog, query), separators=(",", ":"))
    response = ws.respond(http.HTTPStatus.OK, body)
    del response.headers["Content-Type"]
    response.headers["Content-Type"] = "application/json"
    return response
