"""`SimulatedMarket`: a random-walk market for one v5 symbol, published through a `FakeBybit`.

It drives the demo (``python -m bybit_ws demo``) and is handy for trying a strategy offline::

    with FakeBybit("v5") as fake, SimulatedMarket(fake, "BTCUSDT", seed=1) as market:
        client = BybitSocketClient(urls=fake.urls)
        client.v5.subscribe_to_order_book_updates("linear", "BTCUSDT", 50, on_book, on_book)
        ...

One simulated market serves every public topic of its symbol that Bybit serves in its category, in
the category's shapes (``_market_frames.py``; PROTOCOL.md §C):

* ``orderbook.{depth}.{symbol}`` for every depth of the category (linear/inverse/spot 1, 50, 200,
  1000; option 25, 100), all views of one book: deltas (``[price, size]``, ``"0"`` deletes, ``u`` up
  by exactly 1 per depth, ``seq`` increasing); depth 1 is snapshot-only and re-sent every 3 s when
  unchanged (same ``u``); `restart_book` (or ``restart_every``) sends the ``u=1`` snapshot of a
  restarted book service;
* ``publicTrade.{symbol}`` now and then (option: ``publicTrade.{baseCoin}``);
* ``tickers.{symbol}`` every other step: linear/inverse deltas, spot and option snapshots;
* ``kline.{interval}.{symbol}`` for every interval (not option), at most once a second per interval
  and when a candle closes (``confirm: true``);
* ``allLiquidation.{symbol}`` (linear, inverse) now and then.

Only topics with subscribers are computed. A new subscriber to a book or ticker gets its snapshot
first thing in the next step, after its subscribe reply and before any delta, and nobody else does
(the fake holds the market's lock while subscribing, `FakeBybit.add_snapshot_source`). The market
lists its symbol in the fake's catalogue.

The market also drives the fake's paper exchange (the Trade API, ``fake.paper``): the start price at
construction, then the last trade price after every step that traded, go to ``fake.set_price``, so
market orders fill at the market's last price and resting limits fill as the market crosses them.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import TracebackType
from typing import Any

from bybit_ws.testing._catalog import DEPTHS, KLINE_INTERVALS
from bybit_ws.testing._fake import FakeBybit
from bybit_ws.testing._market_book import DepthBook, Side
from bybit_ws.testing._market_frames import Candle, Stats, liquidation_item, market_topics, trade_item
from bybit_ws.testing._server import dumps

__all__ = ["SimulatedMarket"]

_log = logging.getLogger("bybit_ws.testing")

_QTY = Decimal("0.001")
_RESEND_DEPTH_1 = 3.0  # Bybit re-sends an unchanged level-1 book every 3 s
_KLINE_EVERY = 1.0


class SimulatedMarket:
    """A simulated market for `symbol` on a v5 `FakeBybit`, stepping `rate` times a second.

    Args:
        fake: a started or not yet started ``FakeBybit("v5")``.
        symbol: the symbol of every topic (option: e.g. ``BTC-26DEC25-100000-C``).
        category: the v5 public category (the fake's path ``v5.{category}``) to publish on.
        seed: seed of the random walk (``None``: a different market each run).
        rate: steps per second; each step publishes a few frames per subscribed topic.
        depth: the main book depth: `book`, `update_id` and ``topics["book"]`` refer to it.
        start_price: the first best bid.
        tick_size: price step.
        restart_every: seconds between ``u=1`` restart snapshots (``None``: only `restart_book`).

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
        depth: int | None = None,
        start_price: Decimal | str = "30000.00",
        tick_size: Decimal | str = "0.10",
        restart_every: float | None = None,
    ) -> None:
        if fake.dialect != "v5":
            raise ValueError(f"SimulatedMarket publishes v5 frames; the fake speaks {fake.dialect!r}")
        if category not in ("linear", "inverse", "spot", "option"):
            raise ValueError(f"category must be linear, inverse, spot or option, not {category!r}")
        if not rate > 0:
            raise ValueError("rate must be positive")
        depths = [int(d) for d in DEPTHS[category]]
        depth = depth if depth is not None else (25 if category == "option" else 50)
        if depth < 2:
            raise ValueError("depth must be at least 2")
        self._fake = fake
        self.symbol = symbol
        self.category = category
        self.path = f"v5.{category}"
        self._url_path = f"/v5/public/{category}"
        self.interval = 1.0 / rate
        self.depth = depth
        self.depths = sorted({*depths, depth})
        self._max_depth = max(self.depths)
        self.tick = Decimal(tick_size)
        base = symbol.split("-", 1)[0]
        #: The topics the market publishes on, by kind: ``"trade"``, ``"book"`` (depth `depth`),
        #: ``"ticker"``, ``"book.{n}"`` per depth, ``"kline.{interval}"``, ``"liquidation"``.
        self.topics: Mapping[str, str] = market_topics(category, symbol, depth, self.depths)
        self._book_topics = {f"orderbook.{d}.{symbol}": d for d in self.depths}
        self._rng = random.Random(seed)
        self._lock = threading.Lock()  # one step at a time; held by the fake while it subscribes
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._steps = 0
        self._update_ids = {d: self._rng.randrange(1_000_000, 9_000_000) for d in self.depths}
        self._views: dict[int, tuple[Side, Side] | None] = dict.fromkeys(self.depths)
        self._depth1_sent = 0.0
        self._seq = self._rng.randrange(10**10, 9 * 10**10)
        best_bid = Decimal(start_price).quantize(self.tick)
        self._book = DepthBook(self._rng, self.tick, self._max_depth, best_bid)
        self._stats = Stats(best_bid)
        now = int(time.time() * 1000)
        self._candles = {i: Candle.new(i, now, best_bid) for i in KLINE_INTERVALS}
        self._kline_sent: dict[str, float] = {}
        self._restart_every = restart_every
        self._newcomers: list[tuple[str, Callable[[str], bool]]] = []  # snapshots due next step
        self._restarted = time.monotonic()
        fake.list_symbols(category, base if category == "option" else symbol)
        fake.set_price(symbol, self._stats.last)  # the paper exchange trades at the market's price
        fake.add_snapshot_source(self)  # until close(); `step` alone serves snapshots too

    # ------------------------------------------------------------------------------- lifecycle
    @property
    def lock(self) -> threading.Lock:
        """Held during a step, and by the fake while it serves a subscriber its snapshot."""
        return self._lock

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
        self._fake.remove_snapshot_source(self)
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
            return max(self._book.bids)

    @property
    def best_ask(self) -> Decimal:
        with self._lock:
            return min(self._book.asks)

    @property
    def update_id(self) -> int:
        """``u`` of the last frame of the main-depth book (before any: one less than the first's)."""
        with self._lock:
            return self._update_ids[self.depth]

    def book(self) -> tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]:
        """Copies of the current bids and asks of the main depth, price -> size."""
        with self._lock:
            return self._book.view(self.depth)

    # ------------------------------------------------------------------------------- snapshots
    def subscribed(self, path: str, topic: str, send: Callable[[str], bool]) -> None:
        """A new subscriber to `topic` gets its snapshot first thing in the next step, before that
        step moves the market (the fake holds `lock` while calling this; see the module). A step's
        latency, as on Bybit, where the snapshot follows the reply over the network."""
        if path == self._url_path and (topic in self._book_topics or topic == self.topics["ticker"]):
            self._newcomers.append((topic, send))

    def _send_snapshots(self) -> None:
        newcomers, self._newcomers = self._newcomers, []
        for topic, send in newcomers:
            depth = self._book_topics.get(topic)
            if depth is None:
                send(self._ticker_text(full=True))
                continue
            view = self._views[depth] or self._book.view(depth)
            self._views[depth] = view
            levels = self._book.both_levels(view)
            send(dumps(self._book_frame(depth, "snapshot", *levels)))

    def restart_book(self) -> None:
        """Send every book subscriber the ``u=1`` snapshot of a restarted book service."""
        with self._lock:
            self._restart()

    def _restart(self) -> None:
        for depth in self.depths:
            self._update_ids[depth] = 0 if self._subscribed(f"book.{depth}") else 1
            if self._update_ids[depth] == 0:
                view = self._views[depth] = self._book.view(depth)
                self._publish_book(depth, "snapshot", *self._book.both_levels(view))
        self._restarted = time.monotonic()

    # ------------------------------------------------------------------------------- one step
    def step(self) -> None:
        """Move the market once and publish what changed on the topics that have subscribers."""
        with self._lock:
            self._steps += 1
            self._send_snapshots()
            moved = self._book.move()
            now = int(time.time() * 1000)
            self._publish_klines(now)  # the candles so far (a closed one with confirm), then trade
            trades = self._trades(moved, now)
            if trades and self._subscribed("trade"):
                mark = self._stats.mark(self._book)
                self._publish("trade", [trade_item(self.category, t, t["L"], mark) for t in trades])
            if trades:
                self._fake.set_price(self.symbol, self._stats.last)  # resting paper orders may fill
            self._publish_books()
            if self._steps % 2 == 0 and self._subscribed("ticker"):
                self._publish_ticker()
            self._maybe_liquidate(now)
            if self._restart_every is not None and time.monotonic() - self._restarted >= self._restart_every:
                self._restart()

    def _subscribed(self, kind: str) -> bool:
        topic = self.topics.get(kind)
        return topic is not None and self._fake.subscriber_count(topic, path=self.path) > 0

    def _publish_books(self) -> None:
        for depth in self.depths:
            if not self._subscribed(f"book.{depth}"):
                self._views[depth] = None  # nobody to keep current: the next one gets a snapshot
                continue
            old = self._views[depth]
            new = self._book.view(depth)
            self._views[depth] = new
            if depth == 1:  # snapshot-only; re-sent unchanged (same u) every 3 s
                stale = time.monotonic() - self._depth1_sent >= _RESEND_DEPTH_1
                if old != new or stale:
                    if old == new:
                        self._update_ids[1] -= 1
                    self._publish_book(1, "snapshot", *self._book.both_levels(new))
                    self._depth1_sent = time.monotonic()
                continue
            assert old is not None
            bids, asks = self._book.diff(old[0], new[0], True), self._book.diff(old[1], new[1], False)
            if bids or asks:
                self._publish_book(depth, "delta", bids, asks)

    def _trades(self, moved: int, now: int) -> list[dict[str, Any]]:
        rng = self._rng
        count = rng.choice((0, 0, 1, 1, 1, 2, 3))
        trades: list[dict[str, Any]] = []
        buy_odds = 0.5 + 0.15 * max(-3, min(3, moved))
        for _ in range(count):
            side = "Buy" if rng.random() < buy_odds else "Sell"
            price = min(self._book.asks) if side == "Buy" else max(self._book.bids)
            size = (Decimal(rng.randint(1, 500)) * _QTY).quantize(_QTY)
            self._stats.trade(price, size)
            for candle in self._candles.values():
                candle.trade(price, size)
            self._seq += rng.randint(1, 20)
            trade_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            trades.append(
                {
                    "T": now,
                    "s": self.symbol,
                    "S": side,
                    "v": str(size),
                    "p": self._book.price(price),
                    "i": trade_id,
                }
                | {"seq": self._seq, "L": self._stats.direction}
            )
        return trades

    # ------------------------------------------------------------------------------- publishing
    def _publish_ticker(self) -> None:
        if self.category in ("linear", "inverse"):
            self._publish(
                "ticker",
                self._ticker(full=False),
                type="delta",
                cs=self._seq,
            )
        else:  # spot and option tickers are snapshot-only
            self._publish("ticker", self._ticker(full=True), cs=self._seq)

    def _ticker(self, *, full: bool) -> dict[str, Any]:
        return self._stats.ticker(self.category, self.symbol, self._book, full=full)

    def _ticker_text(self, *, full: bool) -> str:
        frame = {"topic": self.topics["ticker"], "ts": int(time.time() * 1000), "type": "snapshot"}
        return dumps(frame | {"cs": self._seq, "data": self._ticker(full=full)})

    def _publish_klines(self, now: int) -> None:
        clock = time.monotonic()
        for interval, candle in self._candles.items():
            closed = now > candle.end
            if closed:  # the closing push (confirm), then a new candle at the last price
                self._candles[interval] = Candle.new(interval, now, self._stats.last)
            kind = f"kline.{interval}"
            if kind not in self.topics or not self._subscribed(kind):
                continue
            if closed or clock - self._kline_sent.get(interval, 0.0) >= _KLINE_EVERY:
                self._kline_sent[interval] = clock
                wire = [candle.wire(closed, now, self._book.places)]
                if closed:
                    wire.append(self._candles[interval].wire(False, now, self._book.places))
                for item in wire:
                    self._publish(kind, [item])

    def _maybe_liquidate(self, now: int) -> None:
        if "liquidation" in self.topics and self._rng.random() < 0.1 and self._subscribed("liquidation"):
            self._publish("liquidation", [liquidation_item(self._rng, self._book, self.symbol, now)])

    def _book_frame(
        self, depth: int, kind: str, bids: list[list[str]], asks: list[list[str]]
    ) -> dict[str, Any]:
        self._seq += self._rng.randint(1, 20)
        data = {"s": self.symbol, "b": bids, "a": asks, "u": self._update_ids[depth], "seq": self._seq}
        now = int(time.time() * 1000)
        return {"topic": self.topics[f"book.{depth}"], "ts": now, "type": kind, "data": data, "cts": now - 2}

    def _publish_book(self, depth: int, kind: str, bids: list[list[str]], asks: list[list[str]]) -> None:
        self._update_ids[depth] += 1
        self._fake.publish_frame(self._book_frame(depth, kind, bids, asks), path=self.path)

    def _publish(self, kind: str, data: Any, **envelope: Any) -> None:
        self._fake.publish(self.topics[kind], data, path=self.path, **envelope)
