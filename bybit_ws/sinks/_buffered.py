"""The sink interface and the bounded buffer every network sink shares.

A sink's share of the reader thread is one append to a bounded buffer. A background thread (the
flusher) hands the frames on in batches; when the target is down it keeps retrying the same batch
with backoff, so nothing buffered is lost; when the buffer is full, new frames are dropped and
counted. Falling behind and failing are reported in :attr:`BufferedSink.stats` and by one log line
per episode (and one when it is over), never by an exception on the reader thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from datetime import datetime
from types import TracebackType
from typing import Any, NamedTuple, Protocol, TypeVar, runtime_checkable

__all__ = ["BufferedSink", "Sink", "SinkStats"]

_log = logging.getLogger(__name__)
_S = TypeVar("_S", bound="BufferedSink")

#: first and longest wait between attempts to deliver a batch to a target that is down
_BACKOFF_FIRST = 0.05
_BACKOFF_MAX = 2.0


@runtime_checkable
class Sink(Protocol):
    """What ``client.record(sink)`` and ``Subscription.record(sink)`` take:
    :class:`bybit_ws.recording.Recorder`, :class:`bybit_ws.sinks.RedisStreamSink`, or your own.

    ``write`` is called on the connections' reader threads (several at once): it must be thread-safe
    and cheap (an append to a bounded buffer; see :class:`BufferedSink`), and should not raise.
    ``flush`` hands on what is buffered; ``close`` flushes and releases the sink.
    """

    def write(self, data: bytes, received: datetime, endpoint: str) -> None:
        """Take one frame: its exact bytes, its receive time, its endpoint's ``urls`` key."""

    def flush(self) -> None:
        """Hand on everything written so far."""

    def close(self) -> None:
        """Flush, then release the sink (idempotent)."""


class SinkStats(NamedTuple):
    """A sink's counts since it was made.

    Attributes:
        written: frames handed on to the target.
        dropped: frames lost: the buffer was full, the sink was closed, or ``close`` gave up on them.
        skipped: frames not for this sink (control frames without a topic).
        pending: frames buffered, not yet handed on.
        failures: failed attempts to hand a batch on (each is retried; none loses a frame by itself).
    """

    written: int
    dropped: int
    skipped: int
    pending: int
    failures: int


class BufferedSink:
    """A sink whose frames go through a bounded buffer to a background thread (``bybit-ws-sink``).

    Subclasses implement :meth:`_deliver` (hand a batch on; raise to have it retried as it is) and may
    override :meth:`_release` (free connections, after the flusher stopped).

    Args:
        name: for the log lines and the thread.
        buffer: frames the buffer holds; when full, new frames are dropped and counted.
        batch: frames handed to :meth:`_deliver` at most at once.
        close_timeout: seconds :meth:`close` keeps trying to hand on what is buffered before it drops
            the rest (counted).
    """

    def __init__(self, name: str, *, buffer: int, batch: int, close_timeout: float) -> None:
        if buffer < 1 or batch < 1:
            raise ValueError("buffer and batch must be at least 1")
        if not close_timeout >= 0:
            raise ValueError("close_timeout must be 0 or more")
        self.name = name
        self._capacity = buffer
        self._batch = batch
        self._close_timeout = close_timeout
        self._queue: deque[tuple[bytes, datetime, str]] = deque()
        self._inflight: list[Any] = []  # the batch being handed on (the flusher's own)
        self._lock = threading.Lock()  # the counts, the closed flag
        self._written = self._dropped = self._skipped = self._failures = 0
        self._closed = False
        self._give_up_at: float | None = None  # set by close(): the flusher's last moment
        self._idle = False
        self._wake = threading.Event()
        self._flushed = threading.Condition()
        self._batches = 0  # the number of the batch in flight: the same on every attempt to hand it on
        self._thread = threading.Thread(target=self._run, name=f"bybit-ws-sink-{name}", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------------------ the reader's side
    def write(self, data: bytes, received: datetime, endpoint: str) -> None:
        """Buffer one frame (thread-safe, never blocks, never raises): dropped and counted when the
        buffer is full or the sink closed."""
        queue = self._queue
        if len(queue) >= self._capacity or self._closed:
            with self._lock:
                self._dropped += 1
            return
        queue.append((data, received, endpoint))
        if self._idle:
            self._idle = False
            self._wake.set()

    # ------------------------------------------------------------------------------ the owner's side
    @property
    def stats(self) -> SinkStats:
        """The counts so far (see :class:`SinkStats`)."""
        with self._lock:
            return SinkStats(
                self._written,
                self._dropped,
                self._skipped,
                len(self._queue) + len(self._inflight),
                self._failures,
            )

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until what was written before this call is handed on (or dropped); ``False`` when
        ``timeout`` seconds passed first (the target is down: the frames stay buffered)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._flushed:
            while self._queue or self._inflight:
                self._idle = False
                self._wake.set()
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._flushed.wait(0.05 if left is None else min(left, 0.05))
        return True

    def close(self) -> None:
        """Stop taking frames, hand on what is buffered (for up to ``close_timeout`` seconds: what is
        left then is dropped and counted), stop the thread, release the target. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._give_up_at = time.monotonic() + self._close_timeout
        self._wake.set()
        if self._thread is not threading.current_thread():
            self._thread.join()
        self._release()
        stats = self.stats
        if stats.dropped:
            _log.warning("%s: closed; %d frames written, %d dropped", self.name, stats.written, stats.dropped)

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ------------------------------------------------------------------------------ for subclasses
    def _prepare(self, data: bytes, received: datetime, endpoint: str) -> Any:
        """Turn a buffered frame into what :meth:`_deliver` takes, on the flusher; ``None``: skip it."""
        return (data, received, endpoint)

    def _deliver(self, items: list[Any]) -> int:
        """Hand ``items`` on, in order; return how many count as written. Raise on failure: the same
        items come again (a subclass that may have delivered part of them must tell repeats apart)."""
        raise NotImplementedError

    def _release(self) -> None:
        """Free the target's connections (called once, after the flusher stopped)."""

    # ------------------------------------------------------------------------------ the flusher
    def _take(self) -> None:
        queue, inflight, prepare = self._queue, self._inflight, self._prepare
        skipped = 0
        taken = 0
        while queue and len(inflight) < self._batch:
            item = prepare(*queue.popleft())
            if item is None:
                skipped += 1
            else:
                inflight.append(item)
            taken += 1
            if not taken & 31:
                time.sleep(0)  # let a reader thread waiting for the GIL have it at once
        if inflight:
            self._batches += 1
        if skipped:
            with self._lock:
                self._skipped += skipped

    def _report_drops(self, seen: int) -> int:
        """One log line when frames start being dropped (the buffer is full); another episode starts
        once the buffer has emptied. Returns the drops seen so far, or -1 while none is ongoing."""
        dropped = self._dropped
        if seen < 0:
            if dropped > -seen - 1:
                _log.warning(
                    "%s: buffer of %d frames full: new frames are dropped (%d so far; see .stats)",
                    self.name,
                    self._capacity,
                    dropped,
                )
                return dropped
            return seen
        if not self._queue and not self._inflight:
            return -dropped - 1  # the episode is over
        return seen

    def _run(self) -> None:
        backoff = 0.0
        down_since: float | None = None
        drops = -1  # -(drops seen) - 1 between episodes, the drops seen during one
        while True:
            drops = self._report_drops(drops)
            if not self._inflight:
                self._take()
            if not self._inflight:
                with self._flushed:
                    self._flushed.notify_all()
                if self._closed:
                    return
                self._idle = True
                if not self._queue:
                    self._wake.wait(1.0)
                self._wake.clear()
                self._idle = False
                continue
            try:
                written = self._deliver(self._inflight)
            except Exception as exc:
                with self._lock:
                    self._failures += 1
                if down_since is None:
                    down_since = time.monotonic()
                    _log.warning("%s: cannot hand frames on (%s); buffering and retrying", self.name, exc)
                if self._closed and self._give_up_at is not None and time.monotonic() >= self._give_up_at:
                    lost = len(self._inflight) + len(self._queue)
                    self._inflight.clear()
                    self._queue.clear()
                    with self._lock:
                        self._dropped += lost
                    return
                backoff = min(_BACKOFF_MAX, backoff * 2 or _BACKOFF_FIRST)
                if self._closed and self._give_up_at is not None:
                    backoff = min(backoff, max(0.0, self._give_up_at - time.monotonic()))
                self._wake.wait(backoff)
                self._wake.clear()
                continue
            with self._lock:
                self._written += written
            self._inflight.clear()
            if down_since is not None:
                _log.warning(
                    "%s: handing frames on again after %.1f s", self.name, time.monotonic() - down_since
                )
                down_since, backoff = None, 0.0
