"""`SimulatedMarket`: a random-walk market for one v5 symbol, published through a `FakeBybit`.

It drives the demo (``python -m bybit_ws demo``) and is handy for trying a strategy offline::

    with FakeBybit("v5") as fake, SimulatedMarket(fake, "BTCUSDT", seed=1) as market:
        client = BybitSocketClient(urls=fake.urls)
        client.v5.subscribe_to_order_book_updates("linear", "BTCUSDT", 50, on_book, on_book)
        ...

Every step (``rate`` per second) moves the best bid by a few ticks and publishes, in v5 shapes
(PROTOCOL.md §C): an order-book delta on ``orderbook.{depth}.{symbol}`` (``[price, size]`` string
pairs, size ``"0"`` deletes a level, ``u`` up by exactly 1, ``seq`` increasing), trades on
``publicTrade.{symbol}`` now and then, and every other step a ticker delta on ``tickers.{symbol}``.
The book always holds exactly ``depth`` levels a side and is never crossed.

The market also drives the fake's paper exchange (the Trade API, ``fake.paper``): the start price at
construction, then the last trade price after every step that traded, go to ``fake.set_price``, so
market orders fill at the market's last price and resting limits fill as the market crosses them.

A client that subscribes to the book or the ticker gets a fresh snapshot, as on Bybit: the market
watches the subscribe requests the fake receives and, one step after a new one, publishes a snapshot
(to every subscriber; a snapshot resets a book). The book does not move during the step in between,
so no delta is lost to older subscribers and the newcomer's first book frame is its snapshot.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Mapping
from decimal import Decimal
from types import TracebackType
from typing import Any

from bybit_ws.testing._fake import FakeBybit

__all__ = ["SimulatedMarket"]

_log = logging.getLogger("bybit_ws.testing")

_QTY = Decimal("0.001")


class SimulatedMarket:
    """A simulated market for `symbol` on a v5 `FakeBybit`, stepping `rate` times a second.

    Args:
        fake: a started or not yet started ``FakeBybit("v5")``.
        symbol: the symbol of every topic.
        category: the v5 public category (the fake's path ``v5.{category}``) to publish on.
        seed: seed of the random walk (``None``: a different market each run).
        rate: steps per second; each step publishes about two or three frames.
        depth: levels per side, and the ``{depth}`` of the order-book topic.
        start_price: the first best bid.
        tick_size: price step.

    `start` runs the steps in a daemon thread named ``bybit-fake-market``; `close` stops and joins
    it (idempotent). `step` runs one step in the calling thread, for tests that want no thread.
    """

    def __init__(
        self,
        fake: FakeBybit,
        symbol: str = "BTCUSDT",
        *,
        category: str = "linear",
        seed: int | None = None,
        rate: float = 4.0,
        depth: int = 50,
        start_price: Decimal | str = "30000.00",
        tick_size: Decimal | str = "0.10",
    ) -> None:
        if fake.dialect != "v5":
            raise ValueError(f"SimulatedMarket publishes v5 frames; the fake speaks {fake.dialect!r}")
        if not rate > 0:
            raise ValueError("rate must be positive")
        if depth < 2:
            raise ValueError("depth must be at least 2")
        self._fake = fake
        self.symbol = symbol
        self.path = f"v5.{category}"
        self.interval = 1.0 / rate
        self.depth = depth
        self.tick = Decimal(tick_size)
        #: The topics the market publishes on, by kind: ``"trade"``, ``"book"``, ``"ticker"``.
        self.topics: Mapping[str, str] = {
            "trade": f"publicTrade.{symbol}",
            "book": f"orderbook.{depth}.{symbol}",
            "ticker": f"tickers.{symbol}",
        }
        self._rng = random.Random(seed)
        self._places = max(0, -int(self.tick.as_tuple().exponent))
        self._lock = threading.Lock()  # one step at a time
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._steps = 0
        self._update_id = self._rng.randrange(1_000_000, 9_000_000)
        self._seq = self._rng.randrange(10**10, 9 * 10**10)
        self._best_bid = Decimal(start_price).quantize(self.tick)
        self._last_price = self._best_bid
        self._last_direction = "ZeroPlusTick"
        self._bids: dict[Decimal, Decimal] = {}
        self._asks: dict[Decimal, Decimal] = {}
        self._fill(self._bids, -1, self._best_bid)
        self._fill(self._asks, +1, self._best_bid + self.tick)
        self._open_24h = self._best_bid
        self._high = self._low = self._best_bid
        self._volume = Decimal("73191.387")
        self._turnover = self._volume * self._best_bid
        self._seen: dict[str, int] = {"book": 0, "ticker": 0}  # subscribe requests counted so far
        self._snapshot_due: dict[str, bool] = {"book": False, "ticker": False}
        fake.set_price(symbol, self._last_price)  # the paper exchange trades at the market's price

    # ------------------------------------------------------------------------------- lifecycle
    def start(self) -> SimulatedMarket:
        """Start stepping in a daemon thread named ``bybit-fake-market``. Returns self."""
        if self._thread is not None:
            raise RuntimeError("SimulatedMarket can be started once")
        self._thread = threading.Thread(target=self._run, name="bybit-fake-market", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop stepping and join the thread. Idempotent; the fake is left running."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def __enter__(self) -> SimulatedMarket:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.step()
            except Exception:
                _log.exception("SimulatedMarket: step failed; the market stops")
                return

    # ------------------------------------------------------------------------------- state
    @property
    def best_bid(self) -> Decimal:
        with self._lock:
            return max(self._bids)

    @property
    def best_ask(self) -> Decimal:
        with self._lock:
            return min(self._asks)

    @property
    def update_id(self) -> int:
        """``u`` of the last book frame published (before any: one less than the first frame's)."""
        with self._lock:
            return self._update_id

    def book(self) -> tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]:
        """Copies of the current bids and asks, price -> size."""
        with self._lock:
            return dict(self._bids), dict(self._asks)

    # ------------------------------------------------------------------------------- one step
    def step(self) -> None:
        """Move the market once and publish what changed (plus snapshots newcomers need)."""
        with self._lock:
            self._steps += 1
            hold = self._watch_subscribers()
            moved = 0
            changes: tuple[list[list[str]], list[list[str]]] = ([], [])
            if not hold:
                old_bids, old_asks = dict(self._bids), dict(self._asks)
                moved = self._move()
                changes = (self._diff(old_bids, self._bids, True), self._diff(old_asks, self._asks, False))
            trades = self._trades(moved)
            if trades:
                self._publish("trade", trades)
                self._fake.set_price(self.symbol, self._last_price)  # resting paper orders may fill
            due = self._snapshot_due
            if due["book"] and not hold:
                due["book"] = False
                self._publish_book(
                    "snapshot", self._levels(self._bids, True), self._levels(self._asks, False)
                )
            elif changes[0] or changes[1]:  # empty while held
                self._publish_book("delta", *changes)
            if due["ticker"] and not hold:
                due["ticker"] = False
                self._publish("ticker", self._ticker(full=True), type="snapshot", cs=self._seq)
            elif not due["ticker"] and self._steps % 2 == 0:
                self._publish("ticker", self._ticker(full=False), type="delta", cs=self._seq)

    def _watch_subscribers(self) -> bool:
        """Count subscribe requests for the book and ticker; True while a new one waits a step."""
        counts = {"book": 0, "ticker": 0}
        for frame in self._fake.received_frames(self.path, op="subscribe"):
            args = frame.get("args")
            if isinstance(args, list):
                for kind in counts:
                    counts[kind] += args.count(self.topics[kind])
        hold = False
        for kind, count in counts.items():
            if count != self._seen[kind]:
                # The request is in, its reply may not be: publish the snapshot next step.
                self._seen[kind] = count
                self._snapshot_due[kind] = True
                hold = True
        return hold

    def _move(self) -> int:
        """Random-walk the best bid; reshape both sides around it. Returns the move in ticks."""
        rng, tick = self._rng, self.tick
        moved = rng.choice((-3, -2, -1, -1, 0, 0, 0, 1, 1, 2, 3))
        best_bid = self._best_bid + moved * tick
        best_ask = best_bid + tick
        self._best_bid = best_bid
        for price in [p for p in self._bids if p > best_bid]:
            del self._bids[price]
        for price in [p for p in self._asks if p < best_ask]:
            del self._asks[price]
        self._bids.setdefault(best_bid, self._size())
        self._asks.setdefault(best_ask, self._size())
        for side, inner, sign in ((self._bids, best_bid, -1), (self._asks, best_ask, +1)):
            for _ in range(rng.randint(1, 4)):  # some levels change size, some go, some appear
                price = inner + sign * rng.randint(0, 12) * tick
                if price != inner and rng.random() < 0.25:
                    side.pop(price, None)
                else:
                    side[price] = self._size()
            self._fill(side, sign, inner)
        return moved

    def _fill(self, side: dict[Decimal, Decimal], sign: int, inner: Decimal) -> None:
        """Trim `side` to `depth` levels, dropping the farthest, or extend it outward to `depth`."""
        ordered = sorted(side, reverse=sign < 0)
        for price in ordered[self.depth :]:
            del side[price]
        far = ordered[min(len(ordered), self.depth) - 1] if ordered else inner - sign * self.tick
        while len(side) < self.depth:
            far += sign * self._rng.randint(1, 3) * self.tick
            side[far] = self._size()

    def _size(self) -> Decimal:
        return (Decimal(self._rng.randint(1, 3000)) * _QTY).quantize(_QTY)

    def _trades(self, moved: int) -> list[dict[str, Any]]:
        rng = self._rng
        count = rng.choice((0, 0, 1, 1, 1, 2, 3))
        trades: list[dict[str, Any]] = []
        now = int(time.time() * 1000)
        buy_odds = 0.5 + 0.15 * max(-3, min(3, moved))
        for _ in range(count):
            side = "Buy" if rng.random() < buy_odds else "Sell"
            price = min(self._asks) if side == "Buy" else max(self._bids)
            size = (Decimal(rng.randint(1, 500)) * _QTY).quantize(_QTY)
            if price > self._last_price:
                self._last_direction = "PlusTick"
            elif price < self._last_price:
                self._last_direction = "MinusTick"
            elif not self._last_direction.startswith("Zero"):
                self._last_direction = "Zero" + self._last_direction
            self._last_price = price
            self._high, self._low = max(self._high, price), min(self._low, price)
            self._volume += size
            self._turnover += size * price
            self._seq += rng.randint(1, 20)
            trades.append(
                {
                    "T": now,
                    "s": self.symbol,
                    "S": side,
                    "v": str(size),
                    "p": self._price(price),
                    "L": self._last_direction,
                    "i": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "BT": False,
                    "seq": self._seq,
                }
            )
        return trades

    def _ticker(self, *, full: bool) -> dict[str, Any]:
        best_bid, best_ask = max(self._bids), min(self._asks)
        mark = ((best_bid + best_ask) / 2).quantize(self.tick / 10)
        data: dict[str, Any] = {
            "symbol": self.symbol,
            "tickDirection": self._last_direction,
            "lastPrice": self._price(self._last_price),
            "markPrice": str(mark),
            "indexPrice": str((mark - self.tick / 2).quantize(self.tick / 10)),
            "bid1Price": self._price(best_bid),
            "bid1Size": str(self._bids[best_bid]),
            "ask1Price": self._price(best_ask),
            "ask1Size": str(self._asks[best_ask]),
            "volume24h": str(self._volume),
            "turnover24h": str(self._turnover.quantize(Decimal("0.0001"))),
            "highPrice24h": self._price(self._high),
            "lowPrice24h": self._price(self._low),
            "price24hPcnt": str((self._last_price / self._open_24h - 1).quantize(Decimal("1e-6"))),
        }
        if full:
            data.update(
                {
                    "prevPrice24h": self._price(self._open_24h),
                    "prevPrice1h": self._price(self._open_24h),
                    "openInterest": "492373.72",
                    "openInterestValue": str((Decimal("492373.72") * mark).quantize(Decimal("0.01"))),
                    "fundingRate": "0.0001",
                    "nextFundingTime": str((int(time.time()) // 28_800 + 1) * 28_800_000),
                    "fundingIntervalHour": "8",
                }
            )
        return data

    # ------------------------------------------------------------------------------- publishing
    def _levels(self, side: Mapping[Decimal, Decimal], bids: bool) -> list[list[str]]:
        return [[self._price(p), str(side[p])] for p in sorted(side, reverse=bids)]

    def _diff(
        self, old: Mapping[Decimal, Decimal], new: Mapping[Decimal, Decimal], bids: bool
    ) -> list[list[str]]:
        """v5 delta entries turning `old` into `new`: changed or new levels, ``"0"`` for removed ones."""
        changes = {p: "0" for p in old if p not in new}
        changes.update({p: str(q) for p, q in new.items() if old.get(p) != q})
        return [[self._price(p), changes[p]] for p in sorted(changes, reverse=bids)]

    def _price(self, price: Decimal) -> str:
        return f"{price:.{self._places}f}"

    def _publish_book(self, kind: str, bids: list[list[str]], asks: list[list[str]]) -> None:
        self._update_id += 1
        self._seq += self._rng.randint(1, 20)
        data = {"s": self.symbol, "b": bids, "a": asks, "u": self._update_id, "seq": self._seq}
        self._publish("book", data, type=kind, cts=int(time.time() * 1000) - 2)

    def _publish(self, kind: str, data: Any, **envelope: Any) -> None:
        self._fake.publish(self.topics[kind], data, path=self.path, **envelope)
