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
import random
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from bybit_ws.testing._catalog import KLINE_INTERVALS
from bybit_ws.testing._market_book import DepthBook

__all__ = [
    "Candle",
    "Stats",
    "candle_bounds",
    "liquidation_item",
    "market_topics",
    "option_ticker",
    "spot_ticker",
    "trade_item",
]

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


@dataclass
class Stats:
    """The last trade, its tick direction and the 24 h statistics of a simulated market."""

    last: Decimal
    direction: str = "ZeroPlusTick"
    volume: Decimal = Decimal("73191.387")

    def __post_init__(self) -> None:
        self.open_24h = self.high = self.low = self.last
        self.turnover = self.volume * self.last

    def trade(self, price: Decimal, size: Decimal) -> None:
        if price > self.last:
            self.direction = "PlusTick"
        elif price < self.last:
            self.direction = "MinusTick"
        elif not self.direction.startswith("Zero"):
            self.direction = "Zero" + self.direction
        self.last = price
        self.high, self.low = max(self.high, price), min(self.low, price)
        self.volume += size
        self.turnover += size * price

    @staticmethod
    def mark(book: DepthBook) -> Decimal:
        return ((max(book.bids) + min(book.asks)) / 2).quantize(book.tick / 10)

    def ticker(self, category: str, symbol: str, book: DepthBook, *, full: bool) -> dict[str, Any]:
        """A ``tickers`` item in `category`'s shape (linear/inverse: `full` snapshot or delta)."""
        best_bid, best_ask, tick, p = max(book.bids), min(book.asks), book.tick, book.price
        mark = self.mark(book)
        data: dict[str, Any] = {
            "symbol": symbol, "tickDirection": self.direction, "lastPrice": p(self.last),
            "markPrice": str(mark), "indexPrice": str((mark - tick / 2).quantize(tick / 10)),
            "bid1Price": p(best_bid), "bid1Size": str(book.bids[best_bid]), "ask1Price": p(best_ask),
            "ask1Size": str(book.asks[best_ask]), "volume24h": str(self.volume),
            "turnover24h": str(self.turnover.quantize(Decimal("0.0001"))), "highPrice24h": p(self.high),
            "lowPrice24h": p(self.low),
            "price24hPcnt": str((self.last / self.open_24h - 1).quantize(Decimal("1e-6"))),
        }  # fmt: skip
        if category == "spot":
            return spot_ticker(data, p(self.open_24h), str(mark))
        if category == "option":
            return option_ticker(data, mark, mark - tick)
        if full:
            interest = Decimal("492373.72")
            data |= {
                "prevPrice24h": p(self.open_24h), "prevPrice1h": p(self.open_24h),
                "openInterest": str(interest),
                "openInterestValue": str((interest * mark).quantize(Decimal("0.01"))),
                "fundingRate": "0.0001", "fundingIntervalHour": "8",
                "nextFundingTime": str((int(time.time()) // 28_800 + 1) * 28_800_000),
            }  # fmt: skip
        return data


def market_topics(category: str, symbol: str, depth: int, depths: list[int]) -> dict[str, str]:
    """The topics a market of `symbol` publishes in `category`, by kind (see ``SimulatedMarket.topics``)."""
    base = symbol.split("-", 1)[0]
    topics: dict[str, str] = {
        "trade": f"publicTrade.{base if category == 'option' else symbol}",
        "book": f"orderbook.{depth}.{symbol}",
        "ticker": f"tickers.{symbol}",
    }
    topics |= {f"book.{d}": f"orderbook.{d}.{symbol}" for d in depths}
    if category != "option":
        topics |= {f"kline.{i}": f"kline.{i}.{symbol}" for i in KLINE_INTERVALS}
    if category in ("linear", "inverse"):
        topics["liquidation"] = f"allLiquidation.{symbol}"
    return topics


def liquidation_item(rng: random.Random, book: DepthBook, symbol: str, now: int) -> dict[str, Any]:
    """An ``allLiquidation`` item: a position liquidated at the touch, a moment ago."""
    side = rng.choice(("Buy", "Sell"))
    price = max(book.bids) if side == "Buy" else min(book.asks)
    size = (Decimal(rng.randint(1, 2000)) * Decimal("0.001")).quantize(Decimal("0.001"))
    return {"T": now - rng.randint(0, 400), "s": symbol, "S": side, "v": str(size), "p": book.price(price)}
