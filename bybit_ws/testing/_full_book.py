"""`FullBookFeed`: a full-depth order book served as Bybit serves ``orderbook.full`` (issue 25, V5_2026.md
§4.1): deltas only, over a v5 `FakeBybit`, and the REST snapshot ``GET /v5/market/full_orderbook`` as a
plain callable (`snapshot`) to hand to ``client.v5.full_order_book``."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from bybit_ws.testing._fake import FakeBybit
from bybit_ws.testing._protocol import now_ms

__all__ = ["FullBookFeed"]

Level = Sequence[Any]  # [price, size]; size 0 deletes


class FullBookFeed:
    """One symbol's full-depth book on a v5 `FakeBybit`; every method is thread-safe.

    `update` changes the book, bumps ``u`` by one and ``seq`` by `seq_step`, and publishes the delta on
    ``orderbook.full.{symbol}`` (``send=False``: a message lost on the way, which leaves a gap);
    `restart` re-initialises the book as Bybit does after a restart, a delisting or an auction
    (``u`` back to 1, an empty delta pushed); `snapshot` returns the REST reply of the current book,
    ``{"retCode": 0, "retMsg": "OK", "result": {"s", "b", "a", "ts", "u", "seq", "cts"}, ...}``;
    `snapshots` counts its calls. ``stale_snapshots(n)`` makes the next ``n`` snapshots return the book
    as it was before the last update (a REST node lagging the stream); ``fail_snapshots(n)`` makes them
    raise ``ConnectionError``.

    Args:
        fake: a ``FakeBybit("v5")``.
        symbol: the book's symbol.
        category: its endpoint (``"spot"``; ``"linear"``/``"inverse"`` as Bybit rolls it out).
        bids, asks: the starting levels, ``[price, size]``.
        update_id, sequence: the starting ``u`` and ``seq``.
    """

    def __init__(
        self,
        fake: FakeBybit,
        symbol: str,
        category: str = "spot",
        bids: Iterable[Level] = (),
        asks: Iterable[Level] = (),
        *,
        update_id: int = 1,
        sequence: int = 1,
    ) -> None:
        self._fake = fake
        self.symbol = symbol
        self.topic = f"orderbook.full.{symbol}"
        self._path = f"v5.{category}"
        self._lock = threading.Lock()
        self._bids: dict[Decimal, Decimal] = {}
        self._asks: dict[Decimal, Decimal] = {}
        _apply(self._bids, bids)
        _apply(self._asks, asks)
        self.update_id = update_id
        self.sequence = sequence
        self._previous = self._result()
        self._stale = 0
        self._failing = 0
        self.snapshots = 0

    # ------------------------------------------------------------------------------- the stream
    def update(
        self, bids: Iterable[Level] = (), asks: Iterable[Level] = (), *, send: bool = True, seq_step: int = 1
    ) -> int:
        """Apply a delta, ``u`` + 1, ``seq`` + `seq_step`; publish it unless ``send=False``. Returns how
        many connections got it."""
        bids, asks = list(bids), list(asks)
        with self._lock:
            self._previous = self._result()
            _apply(self._bids, bids)
            _apply(self._asks, asks)
            self.update_id += 1
            self.sequence += seq_step
            data = self._delta(bids, asks, self.update_id, self.sequence)
        return self._publish(data) if send else 0

    def restart(
        self, bids: Iterable[Level] = (), asks: Iterable[Level] = (), *, sequence_step: int = 1
    ) -> int:
        """Re-initialise: the book becomes `bids`/`asks`, ``u`` 1, ``seq`` + `sequence_step`; push the
        empty ``u=1`` delta Bybit sends. Returns how many connections got it."""
        with self._lock:
            self._previous = self._result()
            self._bids, self._asks = {}, {}
            _apply(self._bids, bids)
            _apply(self._asks, asks)
            self.update_id = 1
            self.sequence += sequence_step
            data = self._delta([], [], 1, self.sequence)
        return self._publish(data)

    def send(self, bids: Iterable[Level], asks: Iterable[Level], update_id: int, sequence: int) -> int:
        """Publish a delta as given, without changing the book (a stale, repeated or odd message)."""
        return self._publish(self._delta(bids, asks, update_id, sequence))

    # ------------------------------------------------------------------------------- REST
    def snapshot(self) -> dict[str, Any]:
        """The REST full-depth reply of the current book (or a stale or failed one, when asked for)."""
        with self._lock:
            self.snapshots += 1
            if self._failing:
                self._failing -= 1
                raise ConnectionError("FullBookFeed: snapshot request failed (as asked)")
            if self._stale:
                self._stale -= 1
                result = self._previous
            else:
                result = self._result()
        return {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": now_ms()}

    def stale_snapshots(self, count: int) -> None:
        """The next `count` snapshots return the book as it was before the last update or restart."""
        with self._lock:
            self._stale = count

    def fail_snapshots(self, count: int) -> None:
        """The next `count` snapshots raise ``ConnectionError``."""
        with self._lock:
            self._failing = count

    def levels(self) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """The current book: bids best first, asks best first."""
        with self._lock:
            return sorted(self._bids.items(), reverse=True), sorted(self._asks.items())

    # ------------------------------------------------------------------------------- internals
    def _result(self) -> dict[str, Any]:
        bids = [[str(p), str(q)] for p, q in sorted(self._bids.items(), reverse=True)]
        asks = [[str(p), str(q)] for p, q in sorted(self._asks.items())]
        now = now_ms()
        return {
            "s": self.symbol,
            "b": bids,
            "a": asks,
            "ts": now,
            "u": self.update_id,
            "seq": self.sequence,
            "cts": now,
        }

    def _delta(
        self, bids: Iterable[Level], asks: Iterable[Level], update_id: int, sequence: int
    ) -> dict[str, Any]:
        return {"s": self.symbol, "b": _wire(bids), "a": _wire(asks), "u": update_id, "seq": sequence}

    def _publish(self, data: dict[str, Any]) -> int:
        return self._fake.publish(self.topic, data, path=self._path, type="delta", cts=now_ms())


def _apply(side: dict[Decimal, Decimal], levels: Iterable[Level]) -> None:
    for price, size in levels:
        if Decimal(size):
            side[Decimal(price)] = Decimal(size)
        else:
            side.pop(Decimal(price), None)


def _wire(levels: Iterable[Level]) -> list[list[str]]:
    return [[str(price), str(size)] for price, size in levels]
