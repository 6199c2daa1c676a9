"""The data items `SimulatedMarket` publishes, shaped per category as Bybit's v5 docs show them.

* ``publicTrade``: ``T, s, S, v, p, L, i, BT, RPI, seq``; spot has no ``L`` (tick direction is futures
  and option only); option adds ``mP, iP, mIv, iv`` and is published under the base coin's topic.
* ``tickers``: linear/inverse a full snapshot, then deltas (funding, open interest, mark price);
  spot a snapshot every push (``usdIndexPrice``; no funding, open interest or mark price); option a
  snapshot every push (bid/ask with their IVs, greeks, underlying price).
* ``kline``: one candle per interval (``start``, ``end``, ``interval``, OHLC, ``volume``, ``turnover``,
  ``confirm``, ``timestamp``).
* ``allLiquidation``: ``T, s, S, v, p``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

__all__ = ["Candle", "candle_bounds", "option_ticker", "spot_ticker", "trade_item"]

_MINUTE = 60_000
_DAY = 1_440 * _MINUTE
_MONDAY_OFFSET = 4 * _DAY  # 1970-01-01 was a Thursday; Bybit's weekly candle starts on Monday


def candle_bounds(interval: str, now_ms: int) -> tuple[int, int]:
    """``(start, end)`` ms of the candle of `interval` holding `now_ms` (``end`` = next start - 1)."""
    if interval == "M":
        day = datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc)
        start = datetime(day.year, day.month, 1, tzinfo=timezone.utc)
        days = calendar.monthrange(day.year, day.month)[1]
        begin = int(start.timestamp() * 1000)
        return begin, begin + days * _DAY - 1
    if interval == "W":
        begin = (now_ms - _MONDAY_OFFSET) // (7 * _DAY) * (7 * _DAY) + _MONDAY_OFFSET
        return begin, begin + 7 * _DAY - 1
    span = _DAY if interval == "D" else int(interval) * _MINUTE
    begin = now_ms // span * span
    return begin, begin + span - 1


@dataclass
class Candle:
    """The open candle of one kline interval."""

    interval: str
    start: int
    end: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal = Decimal(0)
    turnover: Decimal = Decimal(0)

    @classmethod
    def new(cls, interval: str, now_ms: int, price: Decimal) -> Candle:
        start, end = candle_bounds(interval, now_ms)
        return cls(interval, start, end, price, price, price, price)

    def trade(self, price: Decimal, size: Decimal) -> None:
        self.high, self.low, self.close = max(self.high, price), min(self.low, price), price
        self.volume += size
        self.turnover += size * price

    def wire(self, confirm: bool, now_ms: int, places: int) -> dict[str, Any]:
        def p(value: Decimal) -> str:
            return f"{value:.{places}f}"

        return {
            "start": self.start, "end": self.end, "interval": self.interval, "open": p(self.open),
            "close": p(self.close), "high": p(self.high), "low": p(self.low), "volume": str(self.volume),
            "turnover": str(self.turnover.quantize(Decimal("0.0001"))), "confirm": confirm,
            "timestamp": now_ms,
        }  # fmt: skip


def trade_item(category: str, fields: dict[str, Any], direction: str, mark: Decimal) -> dict[str, Any]:
    """One ``publicTrade`` item from the common `fields` (``T, s, S, v, p, i, seq``)."""
    item = {k: fields[k] for k in ("T", "s", "S", "v", "p")}
    if category != "spot":
        item["L"] = direction
    item |= {"i": fields["i"], "BT": False}
    if category == "option":
        item |= {"mP": str(mark), "iP": str(mark), "mIv": "0.4521", "iv": "0.4517"}
    else:
        item["RPI"] = False
    item["seq"] = fields["seq"]
    return item


def spot_ticker(common: dict[str, str], prev_24h: str, usd_index: str) -> dict[str, Any]:
    """A spot ``tickers`` item (every push a snapshot)."""
    return {
        "symbol": common["symbol"], "lastPrice": common["lastPrice"], "highPrice24h": common["highPrice24h"],
        "lowPrice24h": common["lowPrice24h"], "prevPrice24h": prev_24h, "volume24h": common["volume24h"],
        "turnover24h": common["turnover24h"], "price24hPcnt": common["price24hPcnt"],
        "usdIndexPrice": usd_index,
    }  # fmt: skip


def option_ticker(common: dict[str, str], mark: Decimal, underlying: Decimal) -> dict[str, Any]:
    """An option ``tickers`` item (every push a snapshot)."""
    return {
        "symbol": common["symbol"], "bidPrice": common["bid1Price"], "bidSize": common["bid1Size"],
        "bidIv": "0.4412", "askPrice": common["ask1Price"], "askSize": common["ask1Size"], "askIv": "0.4631",
        "lastPrice": common["lastPrice"], "highPrice24h": common["highPrice24h"],
        "lowPrice24h": common["lowPrice24h"], "markPrice": str(mark), "indexPrice": str(underlying),
        "markPriceIv": "0.4521", "underlyingPrice": str(underlying), "openInterest": "13.37",
        "turnover24h": common["turnover24h"], "volume24h": common["volume24h"], "totalVolume": "1024",
        "totalTurnover": "31415926", "delta": "0.51234", "gamma": "0.00004321", "vega": "31.4159",
        "theta": "-52.1234", "predictedDeliveryPrice": "0", "change24h": common["price24hPcnt"],
    }  # fmt: skip
