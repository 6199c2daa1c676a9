"""Prebuilt Bybit push frames for the benchmarks: inverse v2 (the issue's workloads) and v5 linear.

The inverse shapes follow the captures in shared/fixtures/frames (``inverse_trade_observed.json``,
``inverse_orderbook25_delta_observed.json``, ``inverse_instrument_info_delta.json``), the v5 ones
``v5_public_trade.json``, ``v5_orderbook_delta.json`` and ``v5_ticker_linear_snapshot.json``; prices,
ids, sizes and sequence numbers move like a market does, from a seeded generator, so every run sees
the same bytes. Order-book and ticker streams open with a snapshot and the deltas stay consistent with
it (every deleted or updated id exists, every inserted id is new), so clients that keep state, like
pybit, can follow them.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

SYMBOL = "BTCUSD"
TRADE_TOPIC = f"trade.{SYMBOL}"
BOOK_TOPIC = f"orderBookL2_25.{SYMBOL}"
TICKER_TOPIC = f"instrument_info.100ms.{SYMBOL}"

V5_SYMBOL = "BTCUSDT"
V5_TRADE_TOPIC = f"publicTrade.{V5_SYMBOL}"
V5_BOOK_TOPIC = f"orderbook.50.{V5_SYMBOL}"
V5_TICKER_TOPIC = f"tickers.{V5_SYMBOL}"

WORKLOADS: dict[str, tuple[str, ...]] = {
    "trades": (TRADE_TOPIC,),
    "book": (BOOK_TOPIC,),
    "ticker": (TICKER_TOPIC,),
    "mix": (BOOK_TOPIC, TRADE_TOPIC, TICKER_TOPIC),
    "v5-trades": (V5_TRADE_TOPIC,),
    "v5-book": (V5_BOOK_TOPIC,),
    "v5-ticker": (V5_TICKER_TOPIC,),
    "v5-mix": (V5_BOOK_TOPIC, V5_TRADE_TOPIC, V5_TICKER_TOPIC),
}
"""Workload name -> the topics a client subscribes to before the server starts streaming."""

INVERSE_WORKLOADS = ("trades", "book", "ticker", "mix")
"""The issue's workloads: inverse v2 frames (pybit 2.4.1 speaks this protocol)."""
V5_WORKLOADS = ("v5-trades", "v5-book", "v5-ticker", "v5-mix")
"""The same mix on v5 linear frames, the API live Bybit serves (pybit 2.4.1 has no v5 streams)."""
STATEFUL_WORKLOADS = ("book", "mix", "v5-book", "v5-mix")
"""Workloads whose stream must not loop (an order book's deltas follow one snapshot)."""


def is_v5(workload: str) -> bool:
    """Whether ``workload`` streams v5 frames (served on a ``/v5/public/linear`` path)."""
    return workload in V5_WORKLOADS


STAMP_PLACEHOLDER = 999_999_999_999_999_999
"""Stands for the send-time stamp in latency templates; it takes the place of a trade's ``cross_seq``."""

_TICK = 0.5
_START_MS = 1_683_308_606_936  # 2023-05-05T17:43:26.936Z, the time of the observed trade capture
_TICK_DIRECTIONS = ("PlusTick", "ZeroPlusTick", "MinusTick", "ZeroMinusTick")


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms // 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class _Market:
    """A small seeded market: a mid price, a clock and a sequence number shared by all streams."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.mid_ticks = round(29_606.5 / _TICK)
        self.ms = _START_MS
        self.cross_seq = 21_538_613_235

    def step(self) -> None:
        self.ms += self.rng.randint(0, 40)
        self.cross_seq += self.rng.randint(1, 6)
        if self.rng.random() < 0.2:
            self.mid_ticks += self.rng.choice((-1, 1))

    @property
    def mid(self) -> float:
        return self.mid_ticks * _TICK


class _Trades:
    def __init__(self, market: _Market) -> None:
        self.m = market
        self.last_ticks = market.mid_ticks

    def _tick(self) -> tuple[int, str]:
        """The next trade's price in ticks, and its tick direction."""
        ticks = self.m.mid_ticks + self.m.rng.choice((-1, 0, 0, 1))
        direction = (
            ("PlusTick" if ticks > self.last_ticks else "MinusTick")
            if ticks != self.last_ticks
            else self.m.rng.choice(_TICK_DIRECTIONS[1::2])
        )
        self.last_ticks = ticks
        return ticks, direction

    def frame(self) -> dict[str, object]:
        m, rng = self.m, self.m.rng
        trades: list[dict[str, object]] = []
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            ticks, direction = self._tick()
            price = ticks * _TICK
            trades.append(
                {
                    "trade_time_ms": m.ms,
                    "timestamp": _iso(m.ms),
                    "symbol": SYMBOL,
                    "side": rng.choice(("Buy", "Sell")),
                    "size": rng.choice((1, 1, 5, 10, 100, 250, 1000, 17_500)),
                    "price": int(price) if price.is_integer() else price,
                    "tick_direction": direction,
                    "trade_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "cross_seq": m.cross_seq,
                    "is_block_trade": "false",
                }
            )
        return {"topic": TRADE_TOPIC, "data": trades}


class _Book:
    """orderBookL2_25: 25 levels a side, ``id`` = price * 10^4 as Bybit did."""

    def __init__(self, market: _Market) -> None:
        self.m = market
        mid = market.mid_ticks
        rng = market.rng
        self.levels: dict[str, dict[int, int]] = {
            "Buy": {mid - i: rng.randint(1, 50_000) for i in range(1, 26)},
            "Sell": {mid + i: rng.randint(1, 50_000) for i in range(1, 26)},
        }

    @staticmethod
    def _entry(side: str, ticks: int, size: int | None) -> dict[str, object]:
        price = ticks * _TICK
        entry: dict[str, object] = {
            "price": f"{price:.2f}",
            "symbol": SYMBOL,
            "id": round(price * 10_000),
            "side": side,
        }
        if size is not None:
            entry["size"] = size
        return entry

    def snapshot(self) -> dict[str, object]:
        data = [
            self._entry(side, ticks, size)
            for side in ("Buy", "Sell")
            for ticks, size in sorted(self.levels[side].items())
        ]
        return {
            "topic": BOOK_TOPIC,
            "type": "snapshot",
            "data": data,
            "cross_seq": self.m.cross_seq,
            "timestamp_e6": self.m.ms * 1000,
        }

    def delta(self) -> dict[str, object]:
        rng = self.m.rng
        side = rng.choice(("Buy", "Sell"))
        book = self.levels[side]
        delete: list[dict[str, object]] = []
        insert: list[dict[str, object]] = []
        if rng.random() < 0.35:
            gone = rng.choice(list(book))
            del book[gone]
            delete.append(self._entry(side, gone, None))
            inner, outer = min(book), max(book)
            free = [t for t in range(inner - 3, outer + 4) if t not in book and t != gone]
            if side == "Buy":
                free = [t for t in free if t < min(self.levels["Sell"])]
            else:
                free = [t for t in free if t > max(self.levels["Buy"])]
            new = rng.choice(free)
            book[new] = rng.randint(1, 50_000)
            insert.append(self._entry(side, new, book[new]))
        update = []
        touched = {e["id"] for e in insert}
        for ticks in rng.sample(sorted(book), rng.randint(1, 3)):
            entry = self._entry(side, ticks, None)
            if entry["id"] in touched:
                continue
            book[ticks] = rng.randint(1, 50_000)
            entry["size"] = book[ticks]
            update.append(entry)
        return {
            "topic": BOOK_TOPIC,
            "type": "delta",
            "data": {"delete": delete, "update": update, "insert": insert, "transactTimeE6": 0},
            "cross_seq": self.m.cross_seq,
            "timestamp_e6": self.m.ms * 1000 + rng.randint(0, 999),
        }


class _Ticker:
    """instrument_info.100ms: a full snapshot, then deltas that change a few fields."""

    def __init__(self, market: _Market) -> None:
        self.m = market
        self.volume_24h = 735_316_391
        self.turnover_24h_e8 = 9_066_215_468_687
        self.total_turnover_e8 = 2_029_370_495_672_976
        self.open_interest = 154_418_471

    def _prices(self) -> dict[str, object]:
        m, rng = self.m, self.m.rng
        last = m.mid_ticks + rng.choice((-1, 0, 1))
        out: dict[str, object] = {}
        for name, ticks in (
            ("last_price", last),
            ("bid1_price", m.mid_ticks - 1),
            ("ask1_price", m.mid_ticks + 1),
        ):
            out[f"{name}_e4"] = round(ticks * _TICK * 10_000)
            out[name] = f"{ticks * _TICK:.2f}"
        out["last_tick_direction"] = rng.choice(_TICK_DIRECTIONS)
        return out

    def snapshot(self) -> dict[str, object]:
        m = self.m
        mid = m.mid
        data: dict[str, object] = {"id": 1, "symbol": SYMBOL, **self._prices()}
        for name, value in (
            ("prev_price_24h", mid * 1.004),
            ("high_price_24h", mid * 1.02),
            ("low_price_24h", mid * 0.98),
            ("prev_price_1h", mid * 1.001),
            ("mark_price", mid + 0.21),
            ("index_price", mid + 0.17),
        ):
            ticks = round(value / _TICK)
            data[f"{name}_e4"] = round(ticks * _TICK * 10_000)
            data[name] = f"{ticks * _TICK:.2f}"
        data.update(
            {
                "price_24h_pcnt_e6": -4904,
                "price_1h_pcnt_e6": -2825,
                "open_interest": self.open_interest,
                "open_value_e8": 1_997_561_103_030,
                "total_turnover_e8": self.total_turnover_e8,
                "turnover_24h_e8": self.turnover_24h_e8,
                "total_volume": 175_654_418_740,
                "volume_24h": self.volume_24h,
                "funding_rate_e6": 100,
                "predicted_funding_rate_e6": 100,
                "cross_seq": m.cross_seq,
                "created_at": "2018-11-14T16:33:26Z",
                "updated_at": _iso(m.ms)[:-5] + "Z",
                "next_funding_time": "2023-05-06T00:00:00Z",
                "countdown_hour": 6,
                "funding_rate_interval": 8,
            }
        )
        return {
            "topic": TICKER_TOPIC,
            "type": "snapshot",
            "data": data,
            "cross_seq": m.cross_seq,
            "timestamp_e6": m.ms * 1000,
        }

    def delta(self) -> dict[str, object]:
        m, rng = self.m, self.m.rng
        update: dict[str, object] = {"id": 1, "symbol": SYMBOL}
        if rng.random() < 0.7:
            update.update(self._prices())
        if rng.random() < 0.5:
            mark = m.mid_ticks * _TICK + rng.choice((0.13, 0.21, 0.37))
            update["mark_price_e4"] = round(mark * 10_000)
            update["mark_price"] = f"{mark:.2f}"
        if rng.random() < 0.6:
            traded = rng.randint(1, 20_000)
            self.volume_24h += traded
            self.turnover_24h_e8 += traded * 3_377
            self.total_turnover_e8 += traded * 3_377
            update["volume_24h"] = self.volume_24h
            update["turnover_24h_e8"] = self.turnover_24h_e8
            update["total_turnover_e8"] = self.total_turnover_e8
        if rng.random() < 0.3:
            self.open_interest += rng.randint(-5_000, 5_000)
            update["open_interest"] = self.open_interest
        update.update(
            {
                "cross_seq": m.cross_seq,
                "created_at": "2018-11-14T16:33:26Z",
                "updated_at": _iso(m.ms)[:-5] + "Z",
            }
        )
        return {
            "topic": TICKER_TOPIC,
            "type": "delta",
            "data": {"delete": [], "update": [update], "insert": []},
            "cross_seq": m.cross_seq,
            "timestamp_e6": m.ms * 1000 + rng.randint(0, 999),
        }


_V5_TICK = 0.1


class _V5Trades(_Trades):
    """publicTrade: 1-3 trades a frame, strings for numbers, one ``T`` per match."""

    def __init__(self, market: _Market) -> None:
        super().__init__(market)
        self.seq = 1_783_284_617

    def frame(self) -> dict[str, object]:
        m, rng = self.m, self.m.rng
        trades: list[dict[str, object]] = []
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            ticks, direction = self._tick()
            self.seq += rng.randint(1, 4)
            trades.append(
                {
                    "T": m.ms,
                    "s": V5_SYMBOL,
                    "S": rng.choice(("Buy", "Sell")),
                    "v": f"{rng.choice((1, 1, 2, 5, 10, 25, 100, 1750)) / 1000:.3f}",
                    "p": f"{ticks * _V5_TICK:.2f}",
                    "L": direction,
                    "i": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "BT": False,
                    "seq": self.seq,
                }
            )
        return {"topic": V5_TRADE_TOPIC, "type": "snapshot", "ts": m.ms + 3, "data": trades}


class _V5Book:
    """orderbook.50: 50 levels a side as ``[price, size]`` strings; size ``"0"`` deletes a level."""

    def __init__(self, market: _Market) -> None:
        self.m = market
        mid = market.mid_ticks
        rng = market.rng
        self.levels: dict[str, dict[int, int]] = {
            "b": {mid - i: rng.randint(1, 40_000) for i in range(1, 51)},
            "a": {mid + i: rng.randint(1, 40_000) for i in range(1, 51)},
        }
        self.update_id = 177_400_000
        self.seq = 66_544_703_000

    @staticmethod
    def _level(ticks: int, size: int) -> list[str]:
        return [f"{ticks * _V5_TICK:.2f}", f"{size / 1000:.3f}" if size else "0"]

    def _frame(self, kind: str, bids: list[list[str]], asks: list[list[str]]) -> dict[str, object]:
        m, rng = self.m, self.m.rng
        self.update_id += 1
        self.seq += rng.randint(1, 30)
        data = {"s": V5_SYMBOL, "b": bids, "a": asks, "u": self.update_id, "seq": self.seq}
        return {"topic": V5_BOOK_TOPIC, "type": kind, "ts": m.ms + 2, "data": data, "cts": m.ms}

    def snapshot(self) -> dict[str, object]:
        bids = [self._level(t, n) for t, n in sorted(self.levels["b"].items(), reverse=True)]
        asks = [self._level(t, n) for t, n in sorted(self.levels["a"].items())]
        return self._frame("snapshot", bids, asks)

    def delta(self) -> dict[str, object]:
        rng = self.m.rng
        changes: dict[str, list[list[str]]] = {"b": [], "a": []}
        for side in rng.sample(("b", "a"), rng.choice((1, 2))):
            book = self.levels[side]
            if rng.random() < 0.35:  # a level goes, another comes
                gone = rng.choice(list(book))
                del book[gone]
                changes[side].append(self._level(gone, 0))
                if side == "b":
                    free = [t for t in range(min(book) - 3, min(self.levels["a"])) if t not in book]
                else:
                    free = [t for t in range(max(self.levels["b"]) + 1, max(book) + 4) if t not in book]
                new = rng.choice([t for t in free if t != gone])
                book[new] = rng.randint(1, 40_000)
                changes[side].append(self._level(new, book[new]))
            for ticks in rng.sample(sorted(book), rng.randint(1, 4)):
                book[ticks] = rng.randint(1, 40_000)
                changes[side].append(self._level(ticks, book[ticks]))
        return self._frame("delta", changes["b"], changes["a"])


class _V5Ticker:
    """tickers (linear): a full snapshot, then deltas carrying only what changed."""

    def __init__(self, market: _Market) -> None:
        self.m = market
        self.cs = 9_532_239_429
        self.volume = 73_191_387
        self.open_interest = 492_373_720

    def _price(self, ticks: float) -> str:
        return f"{round(ticks) * _V5_TICK:.2f}"

    def _top(self) -> dict[str, object]:
        m, rng = self.m, self.m.rng
        return {
            "lastPrice": self._price(m.mid_ticks + rng.choice((-1, 0, 1))),
            "tickDirection": rng.choice(_TICK_DIRECTIONS),
            "bid1Price": self._price(m.mid_ticks - 1),
            "bid1Size": f"{rng.randint(1, 40_000) / 1000:.3f}",
            "ask1Price": self._price(m.mid_ticks + 1),
            "ask1Size": f"{rng.randint(1, 40_000) / 1000:.3f}",
        }

    def _frame(self, kind: str, data: dict[str, object]) -> dict[str, object]:
        self.cs += self.m.rng.randint(1, 20)
        return {"topic": V5_TICKER_TOPIC, "type": kind, "data": data, "cs": self.cs, "ts": self.m.ms + 1}

    def snapshot(self) -> dict[str, object]:
        mid = self.m.mid_ticks
        data: dict[str, object] = {"symbol": V5_SYMBOL, **self._top()}
        data.update(
            {
                "price24hPcnt": "-0.008315",
                "prevPrice24h": self._price(mid * 1.008),
                "highPrice24h": self._price(mid * 1.02),
                "lowPrice24h": self._price(mid * 0.98),
                "prevPrice1h": self._price(mid * 1.001),
                "markPrice": self._price(mid),
                "indexPrice": self._price(mid + 2),
                "openInterest": f"{self.open_interest / 1000:.3f}",
                "openInterestValue": "32824881841.75",
                "turnover24h": "4936790807.6521",
                "volume24h": f"{self.volume / 1000:.3f}",
                "fundingIntervalHour": "8",
                "fundingCap": "0.005",
                "nextFundingTime": "1683331200000",
                "fundingRate": "0.0001",
                "preOpenPrice": "",
                "preQty": "",
                "curPreListingPhase": "",
            }
        )
        return self._frame("snapshot", data)

    def delta(self) -> dict[str, object]:
        m, rng = self.m, self.m.rng
        data: dict[str, object] = {"symbol": V5_SYMBOL}
        if rng.random() < 0.7:
            data.update(self._top())
        if rng.random() < 0.5:
            data["markPrice"] = self._price(m.mid_ticks + rng.choice((-1, 0, 1)))
            data["indexPrice"] = self._price(m.mid_ticks + rng.choice((1, 2, 3)))
        if rng.random() < 0.6:
            self.volume += rng.randint(1, 20_000)
            data["volume24h"] = f"{self.volume / 1000:.3f}"
            data["turnover24h"] = f"{self.volume * 30.1:.4f}"
        if rng.random() < 0.3:
            self.open_interest += rng.randint(-5_000, 5_000)
            data["openInterest"] = f"{self.open_interest / 1000:.3f}"
        return self._frame("delta", data)


def iter_messages(workload: str, seed: int = 1) -> Iterator[dict[str, object]]:
    """Endless stream of push messages for ``workload`` (see WORKLOADS); snapshots come first."""
    if workload not in WORKLOADS:
        raise ValueError(f"unknown workload {workload!r}; choose from {', '.join(WORKLOADS)}")
    market = _Market(seed)
    streams: tuple[Any, Any, Any]
    if is_v5(workload):
        market.mid_ticks = round(30_000.0 / _V5_TICK)
        streams = _V5Trades(market), _V5Book(market), _V5Ticker(market)
    else:
        streams = _Trades(market), _Book(market), _Ticker(market)
    trades, book, ticker = streams
    kind = workload.removeprefix("v5-")
    if kind in ("book", "mix"):
        yield book.snapshot()
    if kind in ("ticker", "mix"):
        yield ticker.snapshot()
    while True:
        market.step()
        if kind == "trades":
            yield trades.frame()
        elif kind == "book":
            yield book.delta()
        elif kind == "ticker":
            yield ticker.delta()
        else:  # mix: deltas of the book dominate a real feed, trades next, the 100 ms ticker least
            roll = market.rng.random()
            yield book.delta() if roll < 0.55 else trades.frame() if roll < 0.85 else ticker.delta()


def build_payloads(workload: str, count: int, seed: int = 1) -> list[bytes]:
    """The first ``count`` messages of ``workload`` as compact JSON bytes."""
    messages = iter_messages(workload, seed)
    return [_dumps(next(messages)) for _ in range(count)]


def build_stamp_templates(count: int, seed: int = 7) -> list[tuple[bytes, bytes]]:
    """Trade frames split around the first trade's ``cross_seq``, where the send time goes.

    The server writes ``time.monotonic_ns()`` between the two halves at send time; a client reads it
    back as ``data[0]["cross_seq"]`` (bybit_ws: ``event.data[0].cross_sequence``).
    """
    messages = iter_messages("trades", seed)
    marker = str(STAMP_PLACEHOLDER).encode()
    templates = []
    for _ in range(count):
        message = next(messages)
        data = message["data"]
        assert isinstance(data, list)
        data[0]["cross_seq"] = STAMP_PLACEHOLDER
        head, tail = _dumps(message).split(marker)
        templates.append((head, tail))
    return templates
