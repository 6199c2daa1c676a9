"""The worker pool that runs user callbacks, and the per-subscription mailboxes that feed it.

The reader thread never runs user code: it puts callbacks with their argument into a subscription's
:class:`Mailbox`. A mailbox is scheduled on the pool when it goes from idle to busy and is drained by
one worker at a time, so the callbacks of one subscription run one at a time, in arrival order, while
different subscriptions run in parallel. Each mailbox is bounded: when it is full the *oldest* item is
dropped and counted, so a slow handler never grows memory without bound and never delays the reader.
A :class:`PoolFuture` (a trade request's future) runs its done callbacks on the pool the same way.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any, TypeVar

from bybit_ws._errors import BybitTimeoutError, ClientClosedError

_log = logging.getLogger(__name__)

__all__ = [
    "CLOSE_GRACE",
    "Buffer",
    "HANDLER_ERROR_LOG_INTERVAL",
    "Dispatcher",
    "FailureLog",
    "Mailbox",
    "PoolFuture",
]

_BATCH = 64
_DROP_LOG_INTERVAL = 5.0
#: seconds ``close()`` waits for handlers still running before it returns without them
CLOSE_GRACE = 5.0
#: seconds between two log lines about one subscription's raising handler (the first has its traceback)
HANDLER_ERROR_LOG_INTERVAL = 5.0

#: A queued callback: ``(callback, argument, counted)``. An item that is not a tuple is a data event for
#: the mailbox's primary callback, queued alone (see :class:`Mailbox`).
Item = tuple[Callable[[Any], object], Any, bool]


class Dispatcher:
    """A fixed pool of worker threads (``bybit-ws-worker_N``) that drain mailboxes."""

    def __init__(self, workers: int, name: str = "bybit-ws-worker") -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._ready: queue.SimpleQueue[Mailbox | _Task | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, args=(i,), name=f"{name}_{i}", daemon=True)
            for i in range(workers)
        ]
        self._busy: list[Mailbox | None] = [None] * workers  # the mailbox each worker drains now
        self._closed = False
        self._abandoned = False  # close() gave up waiting: workers still alive run nothing more
        self._lock = threading.Lock()
        for thread in self._threads:
            thread.start()

    def schedule(self, mailbox: Mailbox) -> None:
        """Queue a mailbox that has work (called by the mailbox itself)."""
        self._ready.put(mailbox)

    def run(self, fn: Callable[[], object]) -> None:
        """Run ``fn()`` once on a worker (an exception is logged); on the calling thread if closed."""
        with self._lock:
            if not self._closed:
                self._ready.put(_Task(fn))
                return
        _Task(fn).drain()

    def _work(self, index: int) -> None:
        get = self._ready.get
        busy = self._busy
        while True:
            mailbox = get()
            if mailbox is None:
                return
            if isinstance(mailbox, _Task):  # a future's done callbacks (see run)
                if not self._abandoned:
                    mailbox.drain()
                continue
            if self._abandoned:
                mailbox.close()
                continue
            busy[index] = mailbox
            mailbox.drain()
            busy[index] = None

    def close(self, grace: float | None = None) -> None:
        """Stop the workers after the mailboxes already queued; join them (never the calling thread).

        Waits at most ``grace`` seconds (:data:`CLOSE_GRACE`) in all. A worker still in a handler then is
        left to finish that one call (a daemon thread: it exits when the handler returns, and runs no
        other callback); a WARNING names it and its subscription.
        """
        grace = CLOSE_GRACE if grace is None else grace
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for _ in self._threads:
            self._ready.put(None)
        current = threading.current_thread()
        deadline = time.monotonic() + grace
        for thread in self._threads:
            if thread is not current:
                thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [
            (t, box)
            for t, box in zip(self._threads, self._busy, strict=True)
            if t.is_alive() and t is not current
        ]
        if not stuck:
            return
        self._abandoned = True
        for thread, box in stuck:
            if box is not None:
                box.close()  # nothing more of it runs after the handler returns
            _log.warning(
                "close(): a handler of subscription %s is still running after the %.1f s grace; "
                "its worker %s (a daemon thread) exits when it returns and runs nothing else",
                box._name if box is not None else "?",
                grace,
                thread.name,
            )


class _Task:
    """One call queued by :meth:`Dispatcher.run`."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[], object]) -> None:
        self.fn = fn

    def drain(self) -> None:
        try:
            self.fn()
        except Exception:
            _log.exception("a task on the worker pool raised")


T = TypeVar("T")
#: guards every PoolFuture's callback list (held for a few instructions; most futures get no callback,
#: so none pays for a lock of its own)
_callbacks_lock = threading.Lock()


class PoolFuture(Future[T]):
    """A ``concurrent.futures.Future`` whose done callbacks run on a worker pool.

    Whoever completes it (a reader thread) only sets the result: blocking callers (``result()``,
    ``concurrent.futures.wait``) wake at once, and the callbacks added with :meth:`add_done_callback`
    run later on a worker, in the order added, never on the completing thread. A callback added once
    the future is done runs at once on the calling thread, as with any ``Future``.
    """

    def __init__(self, run: Callable[[Callable[[], object]], None]) -> None:
        super().__init__()
        self._run = run
        self._callbacks: list[Callable[[Future[T]], object]] | None = None  # made by the first add

    def add_done_callback(self, fn: Callable[[Future[T]], object], /) -> None:
        """Call ``fn(future)`` on a worker once the future is done (at once here if it is)."""
        with _callbacks_lock:
            if not self.done():
                if self._callbacks is None:
                    self._callbacks = []
                self._callbacks.append(fn)
                return
        self._call((fn,))

    def set_result(self, result: T) -> None:
        """Set the result (waking blocking callers), then hand the callbacks to the pool."""
        super().set_result(result)
        self._completed()

    def set_exception(self, exception: BaseException | None) -> None:
        """Set the exception (waking blocking callers), then hand the callbacks to the pool."""
        super().set_exception(exception)
        self._completed()

    def _completed(self) -> None:
        with _callbacks_lock:
            callbacks, self._callbacks = self._callbacks, None
        if callbacks:
            self._run(lambda: self._call(callbacks))

    def _call(self, callbacks: Iterable[Callable[[Future[T]], object]]) -> None:
        for fn in callbacks:
            try:
                fn(self)
            except Exception:
                _log.exception("exception calling callback for %r", self)


class Mailbox:
    """A bounded, ordered queue of callbacks for one subscription.

    ``on_error(exc)`` is called (on the worker) when a callback raises. ``primary`` is the callback that
    takes most of the data events (a subscription's only handler, or its delta handler): its events are
    queued alone, not in an ``(callback, argument, counted)`` tuple, which saves the reader a tuple per
    event and the cyclic GC one object to track per queued event (measured: 2-4 % of the time of a
    book frame). Every other item is a tuple, so an item's type tells the two apart: the primary
    callback's arguments must never be tuples (they are ``DataEvent`` objects).

    The events a worker has handled are released by the reader, at its next :meth:`put` (or at
    :meth:`close`), not by the worker: the reader made them, and freeing them on its own thread puts
    their memory back where its next allocations reuse it while it is still in that core's cache. With
    the reader on one core and a worker on another, freeing on the worker moved every object of every
    event between the cores (measured: 2-4 % of the time of a book frame). They are held until then:
    no more of them than the backlog bound.
    """

    __slots__ = (
        "_closed",
        "_dispatcher",
        "_items",
        "_last_drop_log",
        "_lock",
        "_max_backlog",
        "_name",
        "_on_error",
        "_primary",
        "_scheduled",
        "_spent",
        "delivered",
        "dropped",
        "received",
    )

    def __init__(
        self,
        dispatcher: Dispatcher,
        max_backlog: int,
        on_error: Callable[[BaseException], None],
        name: str = "",
        primary: Callable[[Any], object] | None = None,
    ) -> None:
        self._dispatcher = dispatcher
        self._primary = primary
        self._max_backlog = max_backlog
        self._on_error = on_error
        self._name = name
        self._items: deque[Item | Any] = deque()  # an Item, or a data event for the primary callback
        self._lock = threading.Lock()
        self._scheduled = False
        self._spent: list[Any] = []  # data events handled since the last put (see the class docstring)
        self._closed = False
        self._last_drop_log = 0.0
        self.received = 0
        self.delivered = 0
        self.dropped = 0

    def put(self, callback: Callable[[Any], object], argument: Any, *, counted: bool = True) -> None:
        """Queue one callback; drop the oldest queued data item if the backlog is full."""
        if self._spent:  # release what the workers have handled, on this (the reader's) thread
            self._spent = []
        lock = self._lock
        lock.acquire()  # acquire, try, finally: as safe as ``with`` and 80 ns cheaper (once per frame)
        try:
            if self._closed:
                return
            items = self._items
            if counted:
                self.received += 1
                if len(items) >= self._max_backlog:
                    self._drop_oldest()
                # the primary callback's events go alone (see the class docstring)
                items.append(argument if callback is self._primary else (callback, argument, True))
            else:
                items.append((callback, argument, False))
            if self._scheduled:
                return
            self._scheduled = True
        finally:
            lock.release()
        self._dispatcher.schedule(self)

    def _drop_oldest(self) -> None:
        items = self._items
        first = items[0]
        if type(first) is not tuple or first[2]:
            items.popleft()
        else:  # keep lifecycle callbacks; drop the oldest data event
            for index, item in enumerate(items):
                if type(item) is not tuple or item[2]:
                    del items[index]
                    break
            else:
                return
        self.dropped += 1
        now = time.monotonic()
        if now - self._last_drop_log >= _DROP_LOG_INTERVAL:
            self._last_drop_log = now
            _log.warning(
                "subscription %s: handler too slow, backlog full (%d); dropping the oldest (%d so far)",
                self._name,
                self._max_backlog,
                self.dropped,
            )

    def drain(self) -> None:
        """Run queued callbacks, one at a time (called on a worker)."""
        lock = self._lock
        acquire, release = lock.acquire, lock.release
        items = self._items
        primary = self._primary
        for _ in range(_BATCH):
            acquire()  # see put()
            try:
                if self._closed or not items:
                    self._scheduled = False
                    return
                item = items.popleft()
            finally:
                release()
            if type(item) is tuple:
                callback, argument, counted = item
            else:  # a data event for the primary callback
                callback, argument, counted = primary, item, True
            try:
                callback(argument)
            except Exception as exc:
                self._report(exc)
            if counted:
                self._spent.append(argument)
                self.delivered += 1
        with lock:
            if self._closed or not items:
                self._scheduled = False
                return
        # Still busy: go to the back of the queue so other subscriptions get a turn.
        self._dispatcher.schedule(self)

    def _report(self, exc: BaseException) -> None:
        try:
            self._on_error(exc)
        except Exception:
            _log.exception("error callback of subscription %s raised", self._name)

    @property
    def backlog(self) -> int:
        """Callbacks queued and not yet run."""
        return len(self._items)

    def discard_data(self) -> None:
        """Drop the queued data events, keep queued lifecycle callbacks."""
        with self._lock:
            kept = [item for item in self._items if type(item) is tuple and not item[2]]
            self._items.clear()
            self._items.extend(kept)

    def close(self) -> None:
        """Discard queued callbacks; nothing queued or put later runs."""
        with self._lock:
            self._closed = True
            self._items.clear()
            self._spent = []


class FailureLog:
    """Logs a handler's exceptions without flooding: the first with its traceback at ERROR, then at most
    one summary line (how many, and the latest) every ``interval`` seconds. ``clock``: injectable."""

    __slots__ = ("_clock", "_interval", "_next", "_since", "total")

    def __init__(
        self, interval: float = HANDLER_ERROR_LOG_INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._next = -math.inf  # when the next line may be logged
        self._since = 0  # raised since the last line
        #: every exception counted, logged or not
        self.total = 0

    def failed(self, exc: BaseException, what: str) -> None:
        """One more exception of ``what`` (on the worker running that handler, one at a time)."""
        self.total += 1
        now = self._clock()
        if self.total == 1:
            _log.error(
                "%s raised (further ones are counted, summarised every %g s)",
                what,
                self._interval,
                exc_info=exc,
            )
            self._next = now + self._interval
            return
        self._since += 1
        if now >= self._next:
            _log.error(
                "%s raised %d more time(s) (%d in all); the latest: %s: %s",
                what,
                self._since,
                self.total,
                type(exc).__name__,
                exc,
            )
            self._since = 0
            self._next = now + self._interval


class Buffer:
    """A subscription's events kept for iteration / ``get()`` when it has no handler (bounded: drops the
    oldest when full, as a :class:`Mailbox` does)."""

    def __init__(self, max_backlog: int, name: str) -> None:
        self._items: deque[Any] = deque()
        self._cond = threading.Condition(threading.Lock())
        self._max = max_backlog
        self._ended = False
        self._name = name
        self.received = 0
        self.delivered = 0
        self.dropped = 0

    def put(self, event: Any) -> None:
        with self._cond:
            if self._ended:
                return
            self.received += 1
            if len(self._items) >= self._max:
                self._items.popleft()
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 10_000 == 0:
                    _log.warning(
                        "subscription %s: consumer too slow, buffer full (%d); dropped %d events so far",
                        self._name,
                        self._max,
                        self.dropped,
                    )
            self._items.append(event)
            self._cond.notify()

    def get(self, timeout: float | None) -> Any:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._items:
                if self._ended:
                    raise ClientClosedError(f"subscription {self._name} has ended")
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise BybitTimeoutError(f"no event within {timeout} s")
                self._cond.wait(remaining)
            self.delivered += 1
            return self._items.popleft()

    def take_all(self) -> list[Any]:
        with self._cond:
            items = list(self._items)
            self._items.clear()
            self.delivered += len(items)
            return items

    def newest(self, timeout: float | None) -> Any:
        with self._cond:
            if self._items:
                self.delivered += len(self._items)
                newest = self._items[-1]
                self._items.clear()
                return newest
        return self.get(timeout)

    def end(self, *, discard: bool) -> None:
        with self._cond:
            self._ended = True
            if discard:
                self._items.clear()
            self._cond.notify_all()

    def __len__(self) -> int:
        return len(self._items)
