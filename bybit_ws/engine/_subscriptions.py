"""The :class:`Subscription` handle users hold: handlers, buffered iteration, lifecycle callbacks, close."""

from __future__ import annotations

import itertools
import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import timedelta
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

import attrs

from bybit_ws._errors import ClientClosedError
from bybit_ws.models._common import DataEvent
from bybit_ws.models._display import fields_html

from ._buffer import Buffer, FailureLog
from ._dispatch import Dispatcher, Mailbox

_log = logging.getLogger(__name__)

__all__ = ["Subscription", "SubscriptionSink", "SubscriptionStats", "resubscribe"]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
_ids = itertools.count(1)


@attrs.frozen
class SubscriptionStats:
    """Counters of one subscription.

    Attributes:
        received: events routed to the subscription.
        delivered: events its handler has finished with (or its consumer has taken).
        dropped: events discarded because the backlog was full (the oldest go first).
        backlog: events waiting now.
    """

    received: int
    delivered: int
    dropped: int
    backlog: int


class Membership(Protocol):
    """A connection a subscription's topics are placed on, as the subscription sees it."""

    def remove(self, sub: SubscriptionSink, topics: Sequence[str]) -> None:
        """Unregister ``sub`` from ``topics`` (and unsubscribe them if nobody else listens)."""

    def forget(self, sub: SubscriptionSink, topics: Sequence[str]) -> None:
        """Unregister ``sub`` without talking to the server."""

    def reconnect(self) -> None:
        """Replace the socket (everything is resubscribed)."""

    def resubscribe(self, topics: Sequence[str]) -> None:
        """Subscribe ``topics`` again on the wire, for fresh snapshots."""

    def record(self, recorder: Any, topics: Sequence[str] | None = None) -> None:
        """Hand the raw frames of ``topics`` to ``recorder``."""

    def stop_recording(self, recorder: Any) -> None:
        """Stop handing frames to ``recorder``."""


class Subscription(Generic[T]):
    """A live subscription to one or more topics.

    Returned by every ``subscribe_to_*`` call once the server has confirmed it. Close it with
    :meth:`close` (or use it as a context manager). When it was made without a handler it buffers its
    events: iterate over it, or call :meth:`get`.
    """

    def __init__(
        self,
        topics: Sequence[str],
        handlers: Mapping[str, Callable[[Any], object] | None],
        dispatcher: Dispatcher,
        max_backlog: int,
        engine_side: SubscriptionSink,
    ) -> None:
        self._engine_side = engine_side
        self.id: int = next(_ids)
        self.topics: tuple[str, ...] = tuple(topics)
        self._handlers = {kind: fn for kind, fn in handlers.items() if fn is not None}
        name = f"{self.id}"
        # the handler of the frequent kind (deltas, or the only one) gets the mailbox's lean lane
        primary = self._handlers.get("delta", self._handlers.get("data"))
        self._mailbox = Mailbox(dispatcher, max_backlog, self._handler_failed, name, primary)
        self._buffer = None if self._handlers else Buffer(max_backlog, name)
        self._parts: list[tuple[Membership, tuple[str, ...]]] = []
        self._lock = threading.Lock()
        self._closed = False
        self._ended = False
        self._lost: list[Callable[[], object]] = []
        self._restored: list[Callable[[timedelta], object]] = []
        self._closed_callbacks: list[Callable[[], object]] = []
        self._exception: list[Callable[[BaseException], object]] = []
        self._recorders: list[Any] = []
        self._failures = FailureLog()
        self._pid = os.getpid()  # a forked child must not touch the parent's connections

    # ----------------------------------------------------------------------------- public
    @property
    def is_active(self) -> bool:
        """True until the subscription is closed or its connection is given up for good."""
        return not self._closed and not self._ended

    @property
    def stats(self) -> SubscriptionStats:
        """Counters: received, delivered, dropped, backlog."""
        box = self._mailbox
        buffer = self._buffer
        if buffer is not None:
            return SubscriptionStats(buffer.received, buffer.delivered, buffer.dropped, len(buffer))
        return SubscriptionStats(box.received, box.delivered, box.dropped, box.backlog)

    def close(self) -> None:
        """Unsubscribe. Idempotent; safe from any thread, including this subscription's own handler.

        The unsubscribe request goes out when this was the last subscription on its topics; the
        connection closes when its last subscription goes. No handler call starts after this returns.
        """
        check_process(self._pid)
        with self._lock:
            if self._closed:
                return
            self._closed = True
            parts = list(self._parts)
        self._mailbox.discard_data()
        if self._buffer is not None:
            self._buffer.end(discard=True)
        for connection, topics in parts:
            try:
                connection.remove(self._engine_side, topics)
            except Exception:
                _log.exception("error while closing subscription %d", self.id)
        self._finish()

    def record(self, recorder: Any) -> None:
        """Record the raw frames of this subscription's topics with ``recorder``, a sink (e.g. a
        :class:`bybit_ws.recording.Recorder` or :class:`bybit_ws.sinks.RedisStreamSink`, whose
        ``write(data, received, endpoint)`` is called on the reader thread) until :meth:`stop_recording`
        or until this subscription ends."""
        with self._lock:
            if self._closed or self._ended or any(r is recorder for r in self._recorders):
                return
            self._recorders.append(recorder)
            parts = list(self._parts)
        for connection, topics in parts:
            connection.record(recorder, topics)

    def stop_recording(self, recorder: Any | None = None) -> None:
        """Stop recording with ``recorder`` (every recorder if None); what it has is kept."""
        with self._lock:
            stopped = [r for r in self._recorders if recorder is None or r is recorder]
            self._recorders = [r for r in self._recorders if r not in stopped]
            parts = list(self._parts)
        for item in stopped:
            for connection, _topics in parts:
                connection.stop_recording(item)

    def reconnect(self) -> None:
        """Force the connection(s) of this subscription to reconnect (and resubscribe)."""
        check_process(self._pid)
        for connection, _topics in list(self._parts):
            connection.reconnect()

    def _resubscribe(self) -> None:
        """Ask the server for fresh snapshots of this subscription's topics (local order books)."""
        for connection, topics in list(self._parts):
            connection.resubscribe(topics)

    def get(self, timeout: float | None = None) -> DataEvent[T]:
        """Take the next buffered event (only without a handler).

        Raises:
            BybitTimeoutError: nothing arrived within ``timeout`` seconds.
            ClientClosedError: the subscription has ended and nothing is buffered.
        """
        if self._buffer is None:
            raise RuntimeError("this subscription has a handler; events go to the handler, not to get()")
        return self._buffer.get(timeout)  # type: ignore[no-any-return]

    def drain(self) -> list[DataEvent[T]]:
        """Take every buffered event now, oldest first, without waiting (only without a handler).

        After an interrupted ``for event in sub`` (Ctrl-C in a notebook cell), the events that arrived
        meanwhile are still buffered: ``sub.drain()`` hands them over (or just skips them), so the next
        loop starts with fresh events. Drained events count as delivered in :attr:`stats`.
        """
        return self._need_buffer().take_all()

    def latest(self, timeout: float | None = None) -> DataEvent[T]:
        """The newest event, skipping the older buffered ones (only without a handler).

        With nothing buffered it waits for the next event, like :meth:`get`. Skipped events count as
        delivered in :attr:`stats`.

        Raises:
            BybitTimeoutError: nothing arrived within ``timeout`` seconds.
            ClientClosedError: the subscription has ended and nothing is buffered.
        """
        return self._need_buffer().newest(timeout)  # type: ignore[no-any-return]

    def _need_buffer(self) -> Buffer:
        if self._buffer is None:
            raise RuntimeError("this subscription has a handler; events go to the handler, not to the caller")
        return self._buffer

    def __iter__(self) -> Iterator[DataEvent[T]]:
        """Yield buffered events until the subscription ends.

        A loop that was left (``break``, Ctrl-C) can be started again and goes on with the buffered
        events; call :meth:`drain` or :meth:`latest` first to skip the backlog.
        """
        if self._buffer is None:
            raise RuntimeError("this subscription has a handler; it cannot be iterated")
        buffer = self._buffer
        while True:
            try:
                yield buffer.get(None)
            except ClientClosedError:
                return

    def __enter__(self) -> Subscription[T]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def on_connection_lost(self, fn: F) -> F:
        """Call ``fn()`` when the connection drops (a reconnect follows unless it is given up)."""
        self._lost.append(fn)
        return fn

    def on_connection_restored(self, fn: F) -> F:
        """Call ``fn(downtime: timedelta)`` once the connection is back and resubscribed."""
        self._restored.append(fn)
        return fn

    def on_connection_closed(self, fn: F) -> F:
        """Call ``fn()`` when the subscription ends for good: closed, or its connection given up."""
        self._closed_callbacks.append(fn)
        return fn

    def on_exception(self, fn: F) -> F:
        """Call ``fn(exc)`` when a handler raises or a frame of this subscription cannot be parsed."""
        self._exception.append(fn)
        return fn

    def __repr__(self) -> str:
        state = "active" if self.is_active else "closed"
        return f"<Subscription {self.id} {state} topics={list(self.topics)!r}>"

    def _repr_html_(self) -> str:
        """A notebook's view: state, topics, how events are taken, and the counters."""
        stats = self.stats
        mode = "handler" if self._buffer is None else "buffered: iterate, get(), latest(), drain()"
        return fields_html(
            {
                "state": "active" if self.is_active else "closed",
                "topics": ", ".join(self.topics),
                "events": mode,
                **attrs.asdict(stats),
            },
            f"Subscription {self.id}",
        )

    # ----------------------------------------------------------------------------- engine side
    def _report(self, exc: BaseException) -> None:
        """Report a problem found off the worker pool (e.g. a frame that did not parse)."""
        self._mailbox.put(self._call_exception_callbacks, exc, counted=False)

    def _handler_failed(self, exc: BaseException) -> None:
        self._failures.failed(exc, f"handler of subscription {self.id} {list(self.topics)}")
        self._call_exception_callbacks(exc)

    def _call_exception_callbacks(self, exc: BaseException) -> None:
        for fn in list(self._exception):
            try:
                fn(exc)
            except Exception:
                _log.exception("on_exception callback of subscription %d raised", self.id)

    def _end(self, error: BaseException | None) -> None:
        """The connection was given up for good (or a resubscribe was rejected): end, keep the buffer."""
        with self._lock:
            if self._closed or self._ended:
                return
            self._ended = True
            parts = list(self._parts)
        for connection, topics in parts:
            connection.forget(self._engine_side, topics)
        if error is not None:
            self._report(error)
        if self._buffer is not None:
            self._buffer.end(discard=False)
        self._finish()

    def _finish(self) -> None:
        if self._recorders:
            self.stop_recording()
        for fn in list(self._closed_callbacks):
            self._mailbox.put(_call0, fn, counted=False)
        self._mailbox.put(_close_mailbox, self._mailbox, counted=False)


class SubscriptionSink:
    """The engine's side of one :class:`Subscription`: everything the engine (the registry, the
    connections, the frame path) does with a subscription, and nothing else.

    The engine makes this object (which makes the user's handle, :attr:`handle`), registers it on
    connections and holds it; the handle keeps it to unregister itself. One per subscription.
    """

    __slots__ = ("handle",)

    def __init__(
        self,
        topics: Sequence[str],
        handlers: Mapping[str, Callable[[Any], object] | None],
        dispatcher: Dispatcher,
        max_backlog: int,
    ) -> None:
        #: the user's handle (what ``subscribe_to_*`` returns)
        self.handle: Subscription[Any] = Subscription(topics, handlers, dispatcher, max_backlog, self)

    @property
    def id(self) -> int:
        """The subscription's id."""
        return self.handle.id

    @property
    def parts(self) -> list[tuple[Membership, tuple[str, ...]]]:
        """The connections the subscription's topics are placed on, with the topics on each (a copy)."""
        with self.handle._lock:
            return list(self.handle._parts)

    def placed(self, connection: Membership, topics: Sequence[str]) -> None:
        """``topics`` were registered on ``connection``."""
        with self.handle._lock:
            self.handle._parts.append((connection, tuple(topics)))

    def unplaced(self) -> None:
        """The placement was undone before the subscription was confirmed: no connection holds it."""
        with self.handle._lock:
            self.handle._parts.clear()

    def sink_of(self, kind: str) -> Sink | None:
        """Where events of ``kind`` go: ``(target, callback)``, see :data:`Sink`.

        ``None``: this subscription takes no events of ``kind``. The reader caches sinks per topic and
        kind (a subscription's handlers never change).
        """
        handle = self.handle
        handler = handle._handlers.get(kind)
        mailbox = handle._mailbox
        if handler is not None:
            return mailbox, (None if handler is mailbox.primary else handler)
        if handle._buffer is not None:
            return handle._buffer, None
        return None

    def report(self, exc: BaseException) -> None:
        """Report a problem found off the worker pool (e.g. a frame that did not parse) to the
        subscription's ``on_exception`` callbacks."""
        self.handle._report(exc)

    def notify_lost(self) -> None:
        """The socket dropped: queue the ``on_connection_lost`` callbacks."""
        handle = self.handle
        for fn in list(handle._lost):
            handle._mailbox.put(_call0, fn, counted=False)

    def notify_restored(self, downtime: timedelta) -> None:
        """The socket is back and resubscribed: queue the ``on_connection_restored`` callbacks."""
        handle = self.handle
        for fn in list(handle._restored):
            handle._mailbox.put(_Call1(fn), downtime, counted=False)

    def end(self, error: BaseException | None) -> None:
        """The connection was given up for good (or a resubscribe was rejected): end the subscription,
        keeping its buffered events; ``error`` (if any) goes to its ``on_exception`` callbacks."""
        self.handle._end(error)

    def close(self) -> None:
        """Close the subscription (as the user would: unsubscribe, end)."""
        self.handle.close()

    def __repr__(self) -> str:
        return f"<SubscriptionSink of {self.handle!r}>"


def resubscribe(sub: Subscription[Any]) -> None:
    """Ask the server for fresh snapshots of ``sub``'s topics (local order books)."""
    sub._resubscribe()


def check_process(pid: int) -> None:
    """Raise :class:`ClientClosedError` unless this is process ``pid``, which made the client: a forked
    child has copies of the parent's sockets and none of its threads, and must not use them."""
    if os.getpid() != pid:
        raise ClientClosedError(
            f"this client belongs to process {pid}; a forked child (process {os.getpid()}) cannot use "
            "it, as its connections and threads are the parent's: create a new client in the child"
        )


#: ``(target, callback)``: the reader stages a socket read's items per target (a subscription's
#: :class:`Mailbox` or :class:`Buffer`: one queue, so one list keeps the subscription's order) and
#: hands them over with ``target.put_items(items)``. An item is the event itself when ``callback`` is
#: None (the mailbox's primary callback, or a buffer), else ``(callback, event, True)``.
Sink = tuple[Any, Callable[[Any], object] | None]


def _call0(fn: Callable[[], object]) -> None:
    fn()


class _Call1:
    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[Any], object]) -> None:
        self.fn = fn

    def __call__(self, argument: Any) -> None:
        self.fn(argument)


def _close_mailbox(mailbox: Mailbox) -> None:
    mailbox.close()
