"""A full-depth local order book: ``orderbook.full.{symbol}`` deltas on top of a REST snapshot.

Bybit's full book stream (V5_2026.md §4.1) pushes deltas only, never a snapshot: the book starts from the
REST full-depth snapshot (``GET /v5/market/full_orderbook``), which the library cannot fetch itself (it
has no REST client), so the user hands in a callable that returns it. The book calls it when the first
delta arrives, after an update-id gap, a crossed book, an unusable frame or a reconnect, and whenever
Bybit restarts the sequence (a delta with ``u == 1``).

Synchronisation follows Bybit's procedure: a snapshot older than the delta that asked for it (lower
``seq``, or the same ``seq`` with another ``u``) is fetched again (up to :data:`FETCH_ATTEMPTS` times, then
the next delta tries again); deltas the snapshot already holds (``u`` at most the book's) are skipped; a
delta that skips an ``u`` or whose ``seq`` went down re-syncs. A delete of a level the book does not hold
is not an error here: the snapshot carries at most 10,000 levels a side, the stream touches deeper ones.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from bybit_ws._errors import BybitWsError
from bybit_ws.models._common import DataEvent
from bybit_ws.models.v5 import OrderBookUpdate, parse_order_book

from ._orderbook import OrderBook, OrderBookStatus, Subscriber, _levels

__all__ = ["FETCH_ATTEMPTS", "FullOrderBook", "SnapshotProvider", "snapshot_update"]

_log = logging.getLogger(__name__)

#: ``snapshot()``: the REST full-depth order book of the book's symbol. Bybit's ``result`` object
#: ``{"s", "b", "a", "u", "seq", "ts", "cts"}`` (levels ``[price, size]``, numbers as strings or JSON
#: numbers), or the whole REST reply ``{"retCode": 0, "result": {...}, ...}`` as pybit returns it.
SnapshotProvider = Callable[[], Mapping[str, Any]]
#: Snapshot fetches per re-sync before waiting for the next delta to try again.
FETCH_ATTEMPTS = 3


def snapshot_update(reply: Mapping[str, Any], symbol: str) -> OrderBookUpdate:
    """The :class:`~bybit_ws.models.v5.OrderBookUpdate` of a REST full-depth snapshot of ``symbol``.

    Raises:
        BybitWsError: not a snapshot of ``symbol``: a failed REST reply (``retCode`` not 0), another
            symbol, a missing ``u``, or levels that are not ``[price, size]`` numbers.
    """
    if not isinstance(reply, Mapping):
        raise BybitWsError(f"the order-book snapshot must be a mapping, not {type(reply).__name__}")
    result: Any = reply
    if "result" in reply:
        code = reply.get("retCode", 0)
        if code not in (0, "0"):
            raise BybitWsError(f"the order-book snapshot failed: retCode {code} {reply.get('retMsg', '')!r}")
        result = reply["result"]
    if not isinstance(result, Mapping):
        raise BybitWsError(f"the order-book snapshot's result must be a mapping, not {result!r}")
    if result.get("s") != symbol:
        raise BybitWsError(f"the order-book snapshot is of {result.get('s')!r}, not {symbol!r}")
    try:
        return parse_order_book(result)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise BybitWsError(f"not an order-book snapshot ({type(exc).__name__}: {exc})") from exc


class FullOrderBook(OrderBook):
    """A local full-depth order book (``client.v5.full_order_book``); reads as :class:`OrderBook`.

    Attributes:
        snapshot_fetches: how many times it has called the snapshot provider.
    """

    def __init__(self, symbol: str, snapshot: SnapshotProvider, subscribe: Subscriber) -> None:
        if not callable(snapshot):
            raise TypeError(f"snapshot must be a callable returning the REST order book, not {snapshot!r}")
        self._provider = snapshot
        self.snapshot_fetches = 0
        self._book_seq: int | None = None
        super().__init__(symbol, "v5.full", subscribe)

    def _on_delta(self, event: DataEvent[Any]) -> None:
        update: OrderBookUpdate = event.data
        with self._cond:
            if self._status is OrderBookStatus.SYNCED:
                problem = self._live(update)
                if problem == "":
                    return  # the book already holds it
                if problem is None:
                    self._timestamp = update.timestamp or event.timestamp
                    self._view = None
                else:
                    self._resync(problem)  # SYNCING: this delta fetches the snapshot below
            if self._status is OrderBookStatus.SYNCING:
                if not self._sync_from(update):
                    return
            elif self._status is not OrderBookStatus.SYNCED:
                return
        self._fire()

    def _live(self, update: OrderBookUpdate) -> str | None:
        """Apply a delta to the synced book: None when applied, ``""`` when skipped, else the problem."""
        assert self._sequence is not None
        if update.update_id == 1:
            return "Bybit restarted the sequence (u=1)"
        seq = update.sequence
        if seq is not None and self._book_seq is not None and seq < self._book_seq:
            return f"seq went down ({self._book_seq} -> {seq})"
        if update.update_id <= self._sequence:
            return ""
        if update.update_id != self._sequence + 1:
            return f"update id gap (expected {self._sequence + 1}, got {update.update_id})"
        self._apply(update)
        return self._crossed()

    def _apply(self, update: OrderBookUpdate) -> None:
        for side, levels in ((self._bids, update.bids), (self._asks, update.asks)):
            for level in levels:
                if level.quantity:
                    side[level.price] = level.quantity
                else:
                    side.pop(level.price, None)  # may lie beyond the snapshot's 10,000 levels
        self._sequence = update.update_id
        if update.sequence is not None:
            self._book_seq = update.sequence

    def _sync_from(self, delta: OrderBookUpdate) -> bool:
        """Lock held, SYNCING: load a snapshot at least as new as ``delta``. True when synced."""
        for _ in range(FETCH_ATTEMPTS):
            snap = self._fetch()
            if self._status is not OrderBookStatus.SYNCING:
                return False  # closed or lost while fetching
            if snap is None:
                return False
            if _older(snap, delta):
                _log.info(
                    "order book %s: snapshot (u=%s) older than the stream: fetching again",
                    self.symbol,
                    snap.update_id,
                )
                continue
            bids: dict[Decimal, Any] = {}
            asks: dict[Decimal, Any] = {}
            _levels(bids, snap.bids)
            _levels(asks, snap.asks)
            self._bids, self._asks = bids, asks
            self._sequence = snap.update_id
            self._book_seq = snap.sequence
            self._timestamp = snap.timestamp
            problem = self._crossed()
            if problem:
                _log.warning("order book %s: snapshot unusable (%s)", self.symbol, problem)
                self._clear()
                continue
            self._set_status(OrderBookStatus.SYNCED)
            return True
        _log.warning(
            "order book %s: no usable snapshot after %d fetches; the next delta tries again",
            self.symbol,
            FETCH_ATTEMPTS,
        )
        return False

    def _fetch(self) -> OrderBookUpdate | None:
        """Lock held: call the provider with the lock released (readers go on). None if it failed."""
        self.snapshot_fetches += 1
        self._lock.release()
        try:
            return snapshot_update(self._provider(), self.symbol)
        except Exception:
            _log.warning("order book %s: the snapshot provider failed", self.symbol, exc_info=True)
            return None
        finally:
            self._lock.acquire()

    def _clear(self) -> None:
        super()._clear()
        self._book_seq = None

    def _resync(self, reason: str) -> None:
        """Lock held: clear and go back to SYNCING; the next delta (or this one) fetches a snapshot.
        Resubscribing would not help: the stream never sends a snapshot."""
        _log.warning("order book %s: %s; resyncing", self.symbol, reason)
        self.resyncs += 1
        self._clear()
        self._set_status(OrderBookStatus.SYNCING)


def _older(snap: OrderBookUpdate, delta: OrderBookUpdate) -> bool:
    """Whether the snapshot predates ``delta`` (Bybit: compare ``seq``, then ``u``; ``u`` alone without
    a ``seq``)."""
    if snap.sequence is not None and delta.sequence is not None:
        if snap.sequence != delta.sequence:
            return snap.sequence < delta.sequence
        return snap.update_id != delta.update_id
    return snap.update_id < delta.update_id
