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
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any, TypeVar

_log = logging.getLogger(__name__)

__all__ = ["CLOSE_GRACE", "WATCH", "Dispatcher", "Mailbox", "PoolFuture"]

_BATCH = 64
_DROP_LOG_INTERVAL = 5.0
#: seconds ``close()`` waits for handlers still running before it returns without them
CLOSE_GRACE = 5.0
#: seconds a queued mailbox may wait behind running workers before a watching worker takes it (what a
#: handler that blocks can delay another subscription)
WATCH = 0.002
#: checks with nothing to watch before a watching worker parks (it watches ~WATCH x this long idle)
_WATCH_CHECKS = 25
_monotonic = time.monotonic

#: A queued callback: ``(callback, argument, counted)``. An item that is not a tuple is a data event for
#: the mailbox's primary callback, queued alone (see :class:`Mailbox`).
Item = tuple[Callable[[Any], object], Any, bool]
_IDLE, _SEARCHING, _WATCHING = 0, 1, 2


class _Park:
    """Where one worker sleeps: its own lock (released to wake it) and what it was woken as."""

    __slots__ = ("checks", "lock", "role", "woken")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lock.acquire()
        self.woken = False  # released and not yet taken back by the worker
        self.role = _IDLE
        self.checks = 0  # a watcher's checks in a row with nothing to watch


class Dispatcher:
    """A fixed pool of worker threads (``bybit-ws-worker_N``) that drain mailboxes.

    Wake-ups are the cost of a hand-off (a futex call, a context switch and a GIL hand-over each), so a
    worker is woken only for work no awake worker will take: a queued mailbox wakes a parked worker
    when no worker runs and none was woken for it already; while workers run, the first of them to
    finish takes it. So that a handler that blocks cannot hold up other subscriptions, one more worker
    then *watches* (sleeps ``WATCH`` at a time) and takes any mailbox queued longer than ``WATCH``.
    """

    def __init__(self, workers: int, name: str = "bybit-ws-worker") -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._lock = threading.Lock()  # everything below
        self._ready: deque[tuple[float, Mailbox | _Task | None]] = deque()  # (queued at, work)
        self._parked: list[_Park] = []  # workers asleep until woken, the latest parked last
        self._searching = 0  # workers woken for queued work, not yet back at the queue
        self._running = 0  # workers running a mailbox or a task
        self._watcher: _Park | None = None
        self._threads = [
            threading.Thread(target=self._work, args=(i,), name=f"{name}_{i}", daemon=True)
            for i in range(workers)
        ]
        self._busy: list[Mailbox | None] = [None] * workers  # the mailbox each worker drains now
        self._closed = False
        self._abandoned = False  # close() gave up waiting: workers still alive run nothing more
        for thread in self._threads:
            thread.start()

    def schedule(self, mailbox: Mailbox) -> None:
        """Queue a mailbox that has work (called by the mailbox itself)."""
        with self._lock:
            self._ready.append((_monotonic(), mailbox))
            if not self._searching:
                self._wake()

    def run(self, fn: Callable[[], object]) -> None:
        """Run ``fn()`` once on a worker (an exception is logged); on the calling thread if closed."""
        with self._lock:
            if not self._closed:
                self._ready.append((_monotonic(), _Task(fn)))
                if not self._searching:
                    self._wake()
                return
        _Task(fn).drain()

    def _wake(self) -> None:
        """Queued work that no woken worker will take (lock held): a worker to take it now if none
        runs, else a watcher if there is none."""
        if not self._running:
            park = self._watcher
            if park is not None:
                self._watcher = None
            elif self._parked:
                park = self._parked.pop()
            else:
                return  # every worker is awake and on its way back to the queue
            park.role = _SEARCHING
            self._searching += 1
        elif self._watcher is None and self._parked:
            park = self._watcher = self._parked.pop()
            park.role = _WATCHING
            park.checks = 0
        else:
            return
        if not park.woken:
            park.woken = True
            park.lock.release()

    def _take(self, park: _Park) -> Mailbox | _Task | _Park | None:
        """The next work for this worker (lock held), or ``park`` itself when it is to sleep."""
        ready = self._ready
        role = park.role
        if role == _SEARCHING:
            self._searching -= 1
            park.role = role = _IDLE
        if ready:
            if role == _WATCHING:
                if self._running and _monotonic() - ready[0][0] < WATCH:
                    park.checks = 0
                    return park  # the running workers will get to it
                self._watcher = None
                park.role = _IDLE
            work = ready.popleft()[1]
            if work is not None:
                self._running += 1  # before the wake below: this worker comes back for the rest
                if ready and not self._searching:
                    self._wake()
            return work
        if role == _WATCHING:
            park.checks += 1
            if park.checks < _WATCH_CHECKS:
                return park
            self._watcher = None
            park.role = _IDLE
        self._parked.append(park)
        return park

    def _work(self, index: int) -> None:
        park = _Park()
        lock = self._lock
        busy = self._busy
        lock.acquire()
        try:
            while True:
                work = self._take(park)
                if isinstance(work, _Park):
                    timeout = -1.0
                    if park.role == _WATCHING:
                        ready = self._ready
                        timeout = max(0.0, WATCH - (_monotonic() - ready[0][0])) if ready else WATCH
                    lock.release()
                    woke = park.lock.acquire(timeout=timeout)
                    lock.acquire()
                    if park.woken:
                        park.woken = False
                        if not woke:  # woken as the wait ran out: take the wake-up back
                            park.lock.acquire()
                    continue
                if work is None:
                    return
                lock.release()
                try:
                    if isinstance(work, _Task):  # a future's done callbacks (see run)
                        if not self._abandoned:
                            work.drain()
                    elif self._abandoned:
                        work.close()
                    else:
                        busy[index] = work
                        work.drain()
                        busy[index] = None
                finally:
                    lock.acquire()
                    self._running -= 1
        finally:
            lock.release()

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
            self._ready.extend((0.0, None) for _ in self._threads)  # one stop for each worker
            sleeping = self._parked + ([self._watcher] if self._watcher is not None else [])
            self._parked.clear()
            self._watcher = None
            for park in sleeping:
                park.role = _SEARCHING
                self._searching += 1
                if not park.woken:
                    park.woken = True
                    park.lock.release()
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

    The events a worker has handled are released by the reader, at its next :meth:`put_items` (or at
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
        if counted:  # the primary callback's events go alone (see the class docstring)
            self._queue([argument if callback is self._primary else (callback, argument, True)], True)
        else:
            self._queue([(callback, argument, False)], False)

    def put_items(self, items: list[Any]) -> None:
        """Queue the data items of one socket read, in order (events of the primary callback alone,
        others as ``(callback, event, True)``): what ``put`` does for each, under one lock and with at
        most one schedule."""
        self._queue(items, True)

    def _queue(self, items: list[Any], counted: bool) -> None:
        if self._spent:  # release what the workers have handled, on this (the reader's) thread
            self._spent = []
        lock = self._lock
        lock.acquire()  # acquire, try, finally: as safe as ``with`` and 80 ns cheaper (once per read)
        try:
            if self._closed:
                return
            queued = self._items
            limit = self._max_backlog
            if not counted or len(queued) + len(items) <= limit:
                queued.extend(items)
            else:  # full: one at a time (drop the oldest data item, keep lifecycle ones)
                for item in items:
                    if len(queued) >= limit:
                        self._drop_oldest()
                    queued.append(item)
            if counted:
                self.received += len(items)
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
    def primary(self) -> Callable[[Any], object] | None:
        """The callback whose events are queued alone."""
        return self._primary

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
