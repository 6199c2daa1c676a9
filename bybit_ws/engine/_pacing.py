"""Client-side order pacing (``order_rate_limit=``): keep order requests within Bybit's per-second limits.

Bybit counts order requests per UID in a rolling second, per category and op (V5_2026.md §6): linear and
inverse share one budget, batches have budgets of their own, and a linear/inverse/spot batch costs one
unit per order (option: one per request). :class:`Pacer` is the pure bookkeeping (an injectable clock,
no threads): a request goes at once when its budget has room and nothing of its symbol waits; otherwise
it is queued, and sent later in order. Within one budget the queue is strictly first in, first out; a
request never passes an earlier one of the same symbol (nor one being sent), so nothing is reordered
per symbol. Nothing is ever sent twice: a queued request is sent once, or fails unsent.
:class:`PacerThread` runs the queue.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import Future
from typing import Any

from bybit_ws._errors import BybitTimeoutError, ClientClosedError

__all__ = ["DEFAULT_LIMITS", "Entry", "OrderPacing", "Pacer", "PacerThread", "parse_limits"]

_log = logging.getLogger(__name__)

_KINDS = ("create", "amend", "cancel")
#: Bybit's default limits (requests/s per UID; "UTA2.0 Pro", ``rate-limit.mdx``), by category and op kind.
DEFAULT_LIMITS: Mapping[str, Mapping[str, int]] = {
    "linear": {"create": 10, "amend": 10, "cancel": 10},
    "inverse": {"create": 10, "amend": 10, "cancel": 10},
    "option": {"create": 10, "amend": 10, "cancel": 10},
    "spot": {"create": 20, "amend": 10, "cancel": 20},
}
_SHARED = {"inverse": "linear"}  # inverse draws from linear's budgets
#: a budget: (category group, op kind, batch?)
Budget = tuple[str, str, bool]


def parse_limits(value: object) -> dict[str, dict[str, int]] | None:
    """``order_rate_limit``: None/False (off), True (Bybit's defaults) or ``{category: requests/s}`` (each
    op kind of that category gets that many). ``ValueError`` for anything else."""
    if value is None or value is False:
        return None
    if value is True:
        return {category: dict(kinds) for category, kinds in DEFAULT_LIMITS.items()}
    if not isinstance(value, Mapping) or not value:
        raise ValueError(
            f"order_rate_limit must be True or a mapping of category to requests/s, not {value!r}"
        )
    limits: dict[str, dict[str, int]] = {}
    for category, per_second in value.items():
        if category not in DEFAULT_LIMITS:
            raise ValueError(
                f"order_rate_limit: unknown category {category!r}; known: {', '.join(DEFAULT_LIMITS)}"
            )
        if isinstance(per_second, bool) or not isinstance(per_second, int) or per_second < 1:
            raise ValueError(f"order_rate_limit[{category!r}] must be a positive int, not {per_second!r}")
        limits[category] = dict.fromkeys(_KINDS, per_second)
    return limits


class Entry:
    """One order request on its way: its budget, cost, symbols and what to send."""

    __slots__ = ("budget", "cost", "deadline", "payload", "symbols")

    def __init__(
        self,
        budget: Budget,
        cost: int,
        symbols: frozenset[Hashable],
        payload: Any,
        deadline: float | None = None,
    ) -> None:
        self.budget = budget
        self.cost = cost
        self.symbols = symbols
        self.payload = payload
        #: when a queued entry gives up (the clock's time; None: it waits as long as it takes)
        self.deadline = deadline


class Pacer:
    """Rolling one-second budgets and the queue of requests waiting for room (thread-safe, no threads).

    Args:
        limits: as :func:`parse_limits` returns.
        clock: seconds, monotonic (injectable for tests).
        span: the rolling window, seconds.
    """

    def __init__(
        self,
        limits: Mapping[str, Mapping[str, int]],
        clock: Callable[[], float] = time.monotonic,
        span: float = 1.0,
    ) -> None:
        self._limits = limits
        #: the pacer's clock (seconds)
        self.clock = clock
        self._span = span
        self._lock = threading.Lock()
        self._queue: deque[Entry] = deque()
        self._closed = False  # closing: nothing more is queued
        self._used: dict[Budget, deque[tuple[float, int]]] = {}
        self._sending: Counter[Hashable] = Counter()

    def paces(self, category: str) -> bool:
        """Whether requests of ``category`` are paced."""
        group = _SHARED.get(category, category)
        return group in self._limits or (group == "linear" and "inverse" in self._limits)

    def entry(
        self, op: str, args: Sequence[Mapping[str, Any]], payload: Any, deadline: float | None
    ) -> Entry:
        """The :class:`Entry` of a trade request (``op``, its ``args``), its budget and cost."""
        body = args[0] if args else {}
        category = str(body.get("category", ""))
        kind = op.removeprefix("order.").removesuffix("-batch")
        batch = op.endswith("-batch")
        items = body.get("request") if batch else [body]
        items = items if isinstance(items, list) else []
        group = _SHARED.get(category, category)
        budget: Budget = (group, kind, batch)
        cost = 1 if not batch or category == "option" else max(1, len(items))
        symbols = frozenset(
            (group, str(item.get("symbol", ""))) for item in items if isinstance(item, Mapping)
        )
        return Entry(budget, min(cost, self._limit(budget)), symbols, payload, deadline)

    def _limit(self, budget: Budget) -> int:
        group, kind, _ = budget
        found = [
            self._limits[c][kind]
            for c in (group, "inverse" if group == "linear" else "")
            if c in self._limits
        ]
        return min(found) if found else 1_000_000

    def _room(self, budget: Budget, cost: int, now: float) -> float:
        """0 when ``cost`` fits now, else the time when it will (lock held)."""
        used = self._used.setdefault(budget, deque())
        while used and used[0][0] <= now - self._span:
            used.popleft()
        total, limit = sum(c for _, c in used), self._limit(budget)
        if total + cost <= limit:
            return 0.0
        for taken, c in used:  # the oldest leave first
            total -= c
            if total + cost <= limit:
                return taken + self._span
        return now + self._span  # (cost is capped at the limit: not reached)

    def _take(self, entry: Entry, now: float) -> None:
        self._used[entry.budget].append((now, entry.cost))
        self._sending.update(entry.symbols)

    def offer(self, entry: Entry) -> bool:
        """True: ``entry`` may be sent now by the caller (then call :meth:`done`); False: it was queued.

        Raises:
            ClientClosedError: the pacer was closed (nothing would ever send or fail a queued entry).
        """
        with self._lock:
            if self._closed:
                raise ClientClosedError("the client is closed (order pacing)")
            now = self.clock()
            budgets, symbols, _ = self._scan(now, None)
            held = entry.budget in budgets or entry.symbols & symbols
            if not held and not self._room(entry.budget, entry.cost, now):
                self._take(entry, now)
                return True
            self._queue.append(entry)
            return False

    def take_due(self) -> tuple[list[Entry], list[Entry], float | None]:
        """``(ready, expired, wake)``: queued entries to send now (in order; call :meth:`done` for each
        once sent), entries whose deadline passed (removed, never to be sent), and when to look again
        (None: nothing queued)."""
        with self._lock:
            now = self.clock()
            expired = [e for e in self._queue if e.deadline is not None and e.deadline <= now]
            if expired:
                self._queue = deque(e for e in self._queue if e not in expired)
            ready: list[Entry] = []
            _, _, wake = self._scan(now, ready)
            if ready:
                self._queue = deque(e for e in self._queue if e not in ready)
            return ready, expired, wake

    def _scan(self, now: float, ready: list[Entry] | None) -> tuple[set[Budget], set[Hashable], float | None]:
        """Walk the queue in order (lock held): what it holds back (budgets first in, first out, and
        symbols, those being sent included) and when to look again. With ``ready``, entries free to go
        take their room and are added to it; without, such entries only hold their budget."""
        budgets: set[Budget] = set()
        symbols: set[Hashable] = {s for s, n in self._sending.items() if n}
        wake: float | None = None
        for entry in self._queue:
            # (behind an earlier request of its symbol, an entry leaves its budget free for others)
            if not (entry.symbols & symbols or entry.budget in budgets):
                free_at = self._room(entry.budget, entry.cost, now)
                if not free_at and ready is not None:
                    self._take(entry, now)
                    ready.append(entry)
                    symbols |= entry.symbols  # the rest of its symbol waits for its send
                    continue
                budgets.add(entry.budget)
                if free_at and (wake is None or free_at < wake):
                    wake = free_at
            symbols |= entry.symbols
            if entry.deadline is not None and (wake is None or entry.deadline < wake):
                wake = entry.deadline
        return budgets, symbols, wake

    def done(self, entry: Entry) -> None:
        """``entry``'s send call returned (sent, or failed unsent): its symbols may move on."""
        with self._lock:
            self._sending.subtract(entry.symbols)
            for symbol in entry.symbols:
                if self._sending[symbol] <= 0:
                    del self._sending[symbol]

    def drain(self) -> list[Entry]:
        """Remove and return every queued entry (closing)."""
        with self._lock:
            queued, self._queue = list(self._queue), deque()
            return queued

    def close(self) -> list[Entry]:
        """Take no more entries (:meth:`offer` raises from now on); remove and return the queued ones."""
        with self._lock:
            self._closed = True
        return self.drain()

    @property
    def queued(self) -> int:
        """Entries waiting."""
        with self._lock:
            return len(self._queue)


class PacerThread:
    """Sends a :class:`Pacer`'s queued entries when their time comes, on the ``bybit-ws-order-pacer`` thread.

    ``send(entry)`` sends one (its errors are its own business); ``expire(entry)`` and ``drop(entry)``
    fail one unsent (deadline passed / closing).
    """

    def __init__(
        self,
        pacer: Pacer,
        send: Callable[[Entry], None],
        expire: Callable[[Entry], None],
        drop: Callable[[Entry], None],
    ) -> None:
        self.pacer = pacer
        self._send = send
        self._expire = expire
        self._drop = drop
        self._cond = threading.Condition()
        self._stop = False
        self._dirty = False  # wake() was called since the thread last looked
        self._wake_at: float | None = None  # when the queue's head may go (the pacer's clock)
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Something was queued or finished sending: look again (starts the thread on first use)."""
        with self._cond:
            if self._stop:
                return
            self._dirty = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="bybit-ws-order-pacer", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def _next(self) -> bool:
        """Wait until there may be work (False: stop)."""
        with self._cond:
            if not self._dirty and not self._stop:
                wake = self._wake_at
                self._cond.wait(None if wake is None else max(0.0, wake - self.pacer.clock()))
            self._dirty = False
            return not self._stop

    def _run(self) -> None:
        pacer = self.pacer
        while self._next():
            ready, expired, self._wake_at = pacer.take_due()
            for entry in expired:
                self._expire(entry)
            for entry in ready:
                try:
                    self._send(entry)
                except Exception:  # send reports its own failures; never let the thread die
                    _log.exception("order pacer: sending failed")
                finally:
                    pacer.done(entry)
            if ready or expired:
                with self._cond:
                    self._dirty = True
        for entry in pacer.drain():
            self._drop(entry)

    def close(self) -> None:
        """Stop the thread, fail what is still queued (unsent) and join it (never from itself)."""
        with self._cond:
            self._stop = True
            thread = self._thread
            self._cond.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        for entry in self.pacer.close():  # what was queued (a race with close included): failed unsent
            self._drop(entry)


Reply = Future[Mapping[str, Any]]


class OrderPacing:
    """``order_rate_limit`` on one client: order requests through a :class:`Pacer` and its thread.

    ``send(op, args)`` sends one request (the trade connection's ``submit``). A request with room goes
    at once on the caller's thread (its errors raise there, as without pacing); one without waits in the
    queue, and its future waits with it: ``blocking`` (a blocking call waits on the future) bounds that
    by ``request_timeout``, after which it fails unsent with :class:`BybitTimeoutError`; on close what
    still waits fails unsent with :class:`ClientClosedError`.
    """

    def __init__(
        self,
        limits: Mapping[str, Mapping[str, int]],
        send: Callable[[str, list[dict[str, Any]]], Reply],
        request_timeout: float,
    ) -> None:
        self._send = send
        self._timeout = request_timeout
        self.pacer = Pacer(limits)
        self._thread = PacerThread(self.pacer, self._send_queued, self._expire, self._drop)

    def paces(self, args: Sequence[Mapping[str, Any]]) -> bool:
        """Whether the request with these ``args`` is paced (its category has a budget)."""
        return self.pacer.paces(str(args[0].get("category", "")) if args else "")

    def submit(self, op: str, args: list[dict[str, Any]], *, blocking: bool = False) -> Reply:
        """Send now if there is room, else queue; the future gives the reply frame."""
        result: Reply = Future()
        result.set_running_or_notify_cancel()
        deadline = self.pacer.clock() + self._timeout if blocking else None
        entry = self.pacer.entry(op, args, (op, args, result), deadline)
        if not self.pacer.offer(entry):
            _log.debug("order pacing: %s queued (%d waiting)", op, self.pacer.queued)
            self._thread.wake()
            return result
        try:
            sent = self._send(op, args)
        finally:
            self.pacer.done(entry)
            if self.pacer.queued:
                self._thread.wake()
        _chain(sent, result)
        return result

    def _send_queued(self, entry: Entry) -> None:
        op, args, result = entry.payload
        try:
            sent = self._send(op, args)
        except BaseException as exc:  # not sent (or outcome unknown): the error says which
            result.set_exception(exc)
            return
        _chain(sent, result)

    def _expire(self, entry: Entry) -> None:
        op, _, result = entry.payload
        message = f"{op} waited {self._timeout} s for room under order_rate_limit and was not sent"
        result.set_exception(BybitTimeoutError(message))

    def _drop(self, entry: Entry) -> None:
        op, _, result = entry.payload
        result.set_exception(ClientClosedError(f"the client closed before {op} was sent (order pacing)"))

    def close(self) -> None:
        """Stop the thread; what still waits fails unsent."""
        self._thread.close()


def _chain(source: Reply, target: Reply) -> None:
    """Complete ``target`` as ``source`` completes."""

    def done(future: Reply) -> None:
        error = future.exception()
        if error is not None:
            target.set_exception(error)
        else:
            target.set_result(future.result())

    source.add_done_callback(done)
