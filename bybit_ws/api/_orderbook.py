"""A local order book kept in sync from snapshot + delta streams, for inverse v2 and v5.

It never serves a book it knows is wrong. It resyncs (asks the server for a fresh snapshot) after a
sequence gap, a crossed book, a delete or update of a level it does not hold, a frame it cannot use (a
first snapshot included, or a snapshot price that is not a positive number), or a reconnect; from the
moment it detects a problem until the fresh snapshot arrives it is empty and not ``SYNCED``.
Updates are applied on the worker pool, one at a time; readers take a lock, so they see the book
before or after an update, never half way through one.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Any

import attrs

from bybit_ws._errors import BybitTimeoutError, BybitWsError, ClientClosedError, FrameError
from bybit_ws.engine._subscriptions import Subscription, resubscribe
from bybit_ws.enums import OrderSide
from bybit_ws.models._common import DataEvent
from bybit_ws.models._display import table_html

#: a snapshot frame's type, in the text of a frame that did not parse
_SNAPSHOT_TYPE = re.compile(r'"type"\s*:\s*"snapshot"')

#: Levels per side an order book shows in a notebook.
_SHOWN_LEVELS = 10

_log = logging.getLogger(__name__)

__all__ = ["OrderBook", "OrderBookLevel", "OrderBookStatus", "OrderBookView"]

Subscriber = Callable[[Callable[[DataEvent[Any]], None], Callable[[DataEvent[Any]], None]], Subscription[Any]]


class OrderBookStatus(str, enum.Enum):
    """Where a local order book is in its life."""

    CONNECTING = "connecting"
    SYNCING = "syncing"  # waiting for a snapshot (first, after a resync, or after a reconnect)
    SYNCED = "synced"
    RECONNECTING = "reconnecting"
    DISCONNECTED = "disconnected"  # the connection was given up for good
    CLOSED = "closed"


@attrs.frozen
class OrderBookLevel:
    """One price level."""

    price: Decimal
    quantity: Decimal
    rpi_quantity: Decimal = Decimal(0)
    """The RPI orders' size (a book made with ``rpi=True``; 0 elsewhere). ``quantity`` is the rest."""


@attrs.frozen
class OrderBookView:
    """A consistent copy of the whole book at one sequence (bids best first, asks best first)."""

    symbol: str
    bids: tuple[OrderBookLevel, ...]
    asks: tuple[OrderBookLevel, ...]
    sequence: int | None
    timestamp: datetime | None


class OrderBook:
    """A local order book for one symbol; made by ``client.inverse.order_book`` or ``client.v5.order_book``.

    Attributes:
        symbol: the symbol it follows.
        resyncs: how many times it has asked for a fresh snapshot after finding a problem.
    """

    def __init__(self, symbol: str, kind: str, subscribe: Subscriber) -> None:
        if kind not in ("inverse", "v5", "v5.rpi", "v5.full"):
            raise ValueError(kind)
        self.symbol = symbol
        self._kind = kind
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        # price -> size; an RPI book's (kind "v5.rpi") price -> (size, RPI size)
        self._bids: dict[Decimal, Any] = {}
        self._asks: dict[Decimal, Any] = {}
        self._sequence: int | None = None
        self._timestamp: datetime | None = None
        self._view: OrderBookView | None = None
        self._status = OrderBookStatus.CONNECTING
        self._callbacks: list[Callable[[OrderBook], object]] = []
        self.resyncs = 0
        self._status = OrderBookStatus.SYNCING
        self._sub: Subscription[Any] = subscribe(self._on_snapshot, self._on_delta)
        self._sub.on_connection_lost(self._on_lost)
        self._sub.on_connection_restored(self._on_restored)
        self._sub.on_connection_closed(self._on_closed)
        self._sub.on_exception(self._on_exception)

    # ------------------------------------------------------------------------------------ reading
    @property
    def status(self) -> OrderBookStatus:
        """Current status; the book has data only when ``SYNCED``."""
        return self._status

    @property
    def sequence(self) -> int | None:
        """The exchange sequence of the last update applied (v2 ``cross_seq``, v5 ``u``)."""
        return self._sequence

    def snapshot(self) -> OrderBookView:
        """The whole book, consistently (empty unless ``SYNCED``)."""
        with self._lock:
            view = self._view
            if view is None:
                if self._status is OrderBookStatus.SYNCED:
                    bids = tuple(_level(p, q) for p, q in sorted(self._bids.items(), reverse=True))
                    asks = tuple(_level(p, q) for p, q in sorted(self._asks.items()))
                    view = OrderBookView(self.symbol, bids, asks, self._sequence, self._timestamp)
                else:
                    view = OrderBookView(self.symbol, (), (), None, None)
                self._view = view
            return view

    @property
    def bids(self) -> tuple[OrderBookLevel, ...]:
        """Bid levels, best (highest) first; empty unless ``SYNCED``."""
        return self.snapshot().bids

    @property
    def asks(self) -> tuple[OrderBookLevel, ...]:
        """Ask levels, best (lowest) first; empty unless ``SYNCED``."""
        return self.snapshot().asks

    @property
    def best_bid(self) -> OrderBookLevel | None:
        """The highest bid, or None."""
        bids = self.snapshot().bids
        return bids[0] if bids else None

    @property
    def best_ask(self) -> OrderBookLevel | None:
        """The lowest ask, or None."""
        asks = self.snapshot().asks
        return asks[0] if asks else None

    def wait_synced(self, timeout: float | None = None) -> None:
        """Block until the book is ``SYNCED``.

        Raises:
            BybitTimeoutError: not synced within ``timeout`` seconds.
            ClientClosedError: the book was closed or its connection given up.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._status is not OrderBookStatus.SYNCED:
                if self._status in (OrderBookStatus.CLOSED, OrderBookStatus.DISCONNECTED):
                    raise ClientClosedError(f"order book {self.symbol} is {self._status.value}")
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise BybitTimeoutError(f"order book {self.symbol} not synced within {timeout} s")
                self._cond.wait(remaining)

    def calculate_average_fill_price(self, quantity: Decimal | int | str, side: OrderSide | str) -> Decimal:
        """Average price of a market order of ``quantity`` on ``side`` (a buy walks the asks).

        Raises:
            ValueError: ``quantity`` is not positive, or the book is too thin to fill it.
            BybitWsError: the book is not ``SYNCED``.
        """
        amount = Decimal(quantity)
        if not amount > 0:
            raise ValueError(f"quantity must be positive, not {quantity!r}")
        view = self.snapshot()
        if self._status is not OrderBookStatus.SYNCED:
            raise BybitWsError(f"order book {self.symbol} is not synced ({self._status.value})")
        levels = view.asks if OrderSide(side) is OrderSide.BUY else view.bids
        left = amount
        cost = Decimal(0)
        for level in levels:
            take = min(left, level.quantity)
            cost += take * level.price
            left -= take
            if not left:
                return cost / amount
        raise ValueError(f"the book holds only {amount - left} of the {amount} asked for on the {side} side")

    def on_update(self, fn: Callable[[OrderBook], object]) -> Callable[[OrderBook], object]:
        """Call ``fn(book)`` after each applied snapshot or delta (on the worker pool)."""
        self._callbacks.append(fn)
        return fn

    # ------------------------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Stop following the book (unsubscribe). Idempotent."""
        with self._cond:
            self._set_status(OrderBookStatus.CLOSED)
            self._clear()
        self._sub.close()

    def __enter__(self) -> OrderBook:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        bid, ask = self.best_bid, self.best_ask
        top = f" {bid.price if bid else '-'}/{ask.price if ask else '-'}" if bid or ask else ""
        return f"<OrderBook {self.symbol} {self._status.value} seq={self._sequence}{top}>"

    def _repr_html_(self) -> str:
        """A notebook's view: status, sequence and the top levels of both sides."""
        view = self.snapshot()
        rows = []
        for n in range(min(_SHOWN_LEVELS, max(len(view.bids), len(view.asks)))):
            bid = view.bids[n] if n < len(view.bids) else None
            ask = view.asks[n] if n < len(view.asks) else None
            rows.append((bid and bid.quantity, bid and bid.price, ask and ask.price, ask and ask.quantity))
        caption = f"OrderBook {self.symbol}: {self._status.value}, sequence {self._sequence}"
        if len(view.bids) > _SHOWN_LEVELS or len(view.asks) > _SHOWN_LEVELS:
            caption += f" (top {_SHOWN_LEVELS} of {len(view.bids)} bids, {len(view.asks)} asks)"
        return table_html(("bid size", "bid", "ask", "ask size"), rows, caption)

    # ------------------------------------------------------------------------------------ updates
    def _set_status(self, status: OrderBookStatus) -> None:
        if self._status is OrderBookStatus.CLOSED:
            return
        self._status = status
        self._view = None
        self._cond.notify_all()

    def _clear(self) -> None:
        self._bids = {}
        self._asks = {}
        self._sequence = None
        self._timestamp = None
        self._view = None

    def _on_snapshot(self, event: DataEvent[Any]) -> None:
        data = event.data
        with self._cond:
            if self._status is OrderBookStatus.CLOSED:
                return None
            bids: dict[Decimal, Any] = {}
            asks: dict[Decimal, Any] = {}
            if self._kind == "inverse":
                for entry in data:
                    side = bids if entry.side is OrderSide.BUY else asks
                    if entry.quantity:
                        side[entry.price] = entry.quantity
                sequence = data.sequence
                timestamp = data.timestamp
            else:
                _levels(bids, data.bids)
                _levels(asks, data.asks)
                sequence = data.update_id
                timestamp = data.timestamp
            self._bids, self._asks = bids, asks
            self._sequence = sequence
            self._timestamp = timestamp or event.timestamp
            problem = _bad_price(bids) or _bad_price(asks) or self._crossed()
            if problem:
                return self._resync(problem)
            self._set_status(OrderBookStatus.SYNCED)
        self._fire()
        return None

    def _on_delta(self, event: DataEvent[Any]) -> None:
        data = event.data
        with self._cond:
            if self._status is not OrderBookStatus.SYNCED:
                return None  # waiting for a snapshot: deltas before it mean nothing
            problem = self._apply_inverse(data) if self._kind == "inverse" else self._apply_v5(data)
            problem = problem or self._crossed()
            if problem:
                return self._resync(problem)
            self._timestamp = data.timestamp or event.timestamp
            self._view = None
        self._fire()
        return None

    def _apply_inverse(self, delta: Any) -> str | None:
        sequence = delta.sequence
        if sequence is not None and self._sequence is not None and sequence < self._sequence:
            return f"cross_seq went backwards ({self._sequence} -> {sequence})"
        for entry in delta.delete:
            side = self._bids if entry.side is OrderSide.BUY else self._asks
            if side.pop(entry.price, None) is None:
                return f"delete of a level it does not hold ({entry.side} {entry.price})"
        for entry in delta.update:
            side = self._bids if entry.side is OrderSide.BUY else self._asks
            if entry.price not in side:
                return f"update of a level it does not hold ({entry.side} {entry.price})"
            side[entry.price] = entry.quantity
        for entry in delta.insert:
            side = self._bids if entry.side is OrderSide.BUY else self._asks
            side[entry.price] = entry.quantity
        if sequence is not None:
            self._sequence = sequence
        return None

    def _apply_v5(self, update: Any) -> str | None:
        expected = None if self._sequence is None else self._sequence + 1
        if expected is not None and update.update_id != expected:
            return f"update id gap (expected {expected}, got {update.update_id})"
        rpi = self._kind == "v5.rpi"
        for side, levels in ((self._bids, update.bids), (self._asks, update.asks)):
            for level in levels:
                if rpi and (level.quantity or level.rpi_quantity):
                    side[level.price] = (level.quantity, level.rpi_quantity)
                elif level.quantity and not rpi:
                    side[level.price] = level.quantity
                elif side.pop(level.price, None) is None:
                    return f"delete of a level it does not hold ({level.price})"
        self._sequence = update.update_id
        return None

    def _crossed(self) -> str | None:
        if self._bids and self._asks:
            best_bid, best_ask = max(self._bids), min(self._asks)
            if best_bid >= best_ask:
                return f"crossed book (bid {best_bid} >= ask {best_ask})"
        return None

    def _resync(self, reason: str) -> None:
        """Lock held: clear, go back to SYNCING, and ask the server for a fresh snapshot."""
        _log.warning("order book %s: %s; resyncing", self.symbol, reason)
        self.resyncs += 1
        self._clear()
        self._set_status(OrderBookStatus.SYNCING)
        self._lock.release()
        try:
            resubscribe(self._sub)
        finally:
            self._lock.acquire()

    def _fire(self) -> None:
        for fn in list(self._callbacks):
            try:
                fn(self)
            except Exception:
                _log.exception("on_update callback of order book %s raised", self.symbol)

    def _on_lost(self) -> None:
        with self._cond:
            self._clear()
            self._set_status(OrderBookStatus.RECONNECTING)

    def _on_restored(self, downtime: timedelta) -> None:
        with self._cond:
            if self._status is not OrderBookStatus.SYNCED:
                self._set_status(OrderBookStatus.SYNCING)

    def _on_closed(self) -> None:
        with self._cond:
            self._clear()
            self._set_status(OrderBookStatus.DISCONNECTED)

    def _on_exception(self, exc: BaseException) -> None:
        with self._cond:
            if _resyncs(self._status, exc):
                _log.warning("order book %s: a frame could not be used (%s); resyncing", self.symbol, exc)
                self._resync("unusable frame")


def _levels(side: dict[Decimal, Any], levels: Iterable[Any]) -> None:
    for level in levels:
        rpi = getattr(level, "rpi_quantity", None)
        if rpi is not None:
            if level.quantity or rpi:
                side[level.price] = (level.quantity, rpi)
        elif level.quantity:
            side[level.price] = level.quantity


def _resyncs(status: OrderBookStatus, exc: BaseException) -> bool:
    """Whether a frame that did not parse (a FrameError), or that the book's handlers could not apply,
    calls for a fresh snapshot. Synced: any, as the book may be wrong now. Waiting for a snapshot: the
    snapshot itself (deltas are ignored then), which the server sends only once."""
    if status is OrderBookStatus.SYNCING and isinstance(exc, FrameError):
        return _SNAPSHOT_TYPE.search(exc.text) is not None
    return status is OrderBookStatus.SYNCED or status is OrderBookStatus.SYNCING


def _bad_price(side: dict[Decimal, Any]) -> str | None:
    for price in side:
        if not (price.is_finite() and price > 0):
            return f"a snapshot price that is not a positive number ({price})"
    return None


def _level(price: Decimal, value: Any) -> OrderBookLevel:
    if type(value) is tuple:
        return OrderBookLevel(price, value[0], value[1])
    return OrderBookLevel(price, value)
