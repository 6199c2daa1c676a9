"""The supervisor: the thread that owns one connection's socket, whatever kind of connection it is.

It connects (with backoff), lets the connection restore its state on the new socket (authenticate,
resubscribe), then pings every ``ping_interval`` and watches for a missing pong or a stale feed; when
the socket dies it reconnects, or gives up. What a kind of connection does at each step, it supplies
through :class:`Supervised`. Where the connection is in that cycle is one
:class:`~bybit_ws.protocol.state.State`; its timers are one :class:`~bybit_ws.protocol.heartbeat.Heartbeat`
(the thread sleeps until its next deadline and acts on it).
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from bybit_ws._errors import (
    AuthenticationError,
    BybitConnectionError,
    BybitTimeoutError,
    BybitWsError,
    ClientClosedError,
)
from bybit_ws.protocol.heartbeat import Due, Heartbeat
from bybit_ws.protocol.state import ConnectionState, State

from ._config import ConnectionConfig
from ._requests import ConnectionLost, Pending, RequestTracker, encode, next_req_id
from ._transport import Connecting, Transport, abort_socket

_log = logging.getLogger(__name__)

__all__ = ["AnyFramePath", "HeartbeatLoop", "Supervised", "Supervisor"]


class AnyFramePath(Protocol):
    """A connection's frame path: what the reader thread runs for each frame (a stream connection's
    :class:`~bybit_ws.engine._framepath.FramePath`, the trade connection's reply path)."""

    fed: bool

    def on_frame(self, data: bytes, received: datetime) -> None: ...


def _reader_calls(frame_path: AnyFramePath, on_closed: Any) -> tuple[Any, Any, Any]:
    """``Transport.start``'s arguments (a stream's frame path takes a read's frames, then hands over)."""
    return getattr(frame_path, "take", frame_path.on_frame), on_closed, getattr(frame_path, "end_read", None)


class Supervised(Protocol):
    """What a kind of connection does at each step of its socket's life."""

    @property
    def continuous(self) -> bool:
        """Data should arrive all the time (the stale-feed watchdog is on)."""

    def ping(self, req_id: str | None) -> Mapping[str, Any]:
        """The heartbeat request frame."""

    def on_attached(self, gen: int) -> Callable[[], None]:
        """A new socket of generation ``gen`` (lock held): reset per-socket state; return the step that
        restores the connection on it (run without the lock; raises AuthenticationError to give up,
        any other BybitWsError to replace the socket)."""

    def timeout_error(self, pending: Pending) -> BaseException:
        """The error of a request whose deadline passed with no reply (see
        :meth:`RequestTracker.expire`)."""

    def on_lost(self) -> None:
        """The socket died; a reconnect follows unless the connection is given up."""

    def on_restored(self, downtime: timedelta) -> None:
        """A socket is back and restored after ``downtime``."""

    def on_finished(self, error: BaseException | None, closed: bool) -> None:
        """The supervisor ended: closed (``closed``), or given up because of ``error``."""


class Supervisor:
    """Runs the ``bybit-ws-supervisor-NAME`` thread of one connection.

    Shares the connection's lock (``requests.cond``), under which its :class:`State` changes (the
    thread makes every change but two: the reader's drop and :meth:`reconnect` move an up socket to
    CLOSING). ``ready`` is true while a socket is up and restored (OPEN).
    """

    def __init__(
        self,
        name: str,
        url: str,
        config: ConnectionConfig,
        requests: RequestTracker,
        frame_path: AnyFramePath,
        owner: Supervised,
        *,
        uses_req_id: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.url = url
        self.config = config
        self._requests = requests
        self._frame_path = frame_path
        self._owner = owner
        self._cond = requests.cond
        self._state = ConnectionState()  # lock held to change
        self._ever_connected = False  # history, not state: a first connect that fails is an error
        self.connect_failures = 0
        self._connect_error: BaseException | None = None
        self._given_up: BaseException | None = None
        self.stop = threading.Event()
        self._heartbeat = HeartbeatLoop(
            name, config, requests, frame_path, owner, uses_req_id=uses_req_id, clock=clock
        )
        self._thread: threading.Thread | None = None
        self._connecting: Any = None  # the websocket being opened, so close() can abort the handshake

    # ================================================================= other threads
    def start(self) -> None:
        """Start the thread (lock held), once."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._supervise, name=f"bybit-ws-supervisor-{self.name}", daemon=True
            )
            self._thread.start()

    @property
    def state(self) -> State:
        """Where the connection is: connecting, authenticating, open, closing, backing off, closed."""
        return self._state.value

    @property
    def ready(self) -> bool:
        """A socket is up and restored: requests may go out."""
        return self._state.value is State.OPEN

    @property
    def finished(self) -> bool:
        """Whether the thread has ended (closed or given up)."""
        return self._state.value is State.CLOSED

    def wait_ready(self, deadline: float, started_failures: int, closed: Callable[[], bool]) -> int:
        """Block until a socket is up and restored; return its generation (lock held).

        Raises:
            ClientClosedError: the connection is closed (or ``closed()`` says it takes nothing more).
            BybitConnectionError: it was given up, or its first connect failed after ``started_failures``
                or did not complete before ``deadline`` (a server that never answers gives this error
                whether ``connect_timeout`` or the request's deadline runs out first).
            BybitTimeoutError: connected before, but not ready (reconnected and restored) before ``deadline``.
        """
        while True:
            given_up = self._given_up
            if given_up is not None and not isinstance(given_up, ClientClosedError):
                raise BybitConnectionError(f"{given_up}") from given_up
            if given_up is not None or self.stop.is_set() or closed():
                raise ClientClosedError("the connection is closed")
            if self.ready:
                return self._requests.gen
            if not self._ever_connected and self.connect_failures > started_failures:
                raise BybitConnectionError(f"cannot connect to {self.url}: {self._connect_error}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if not self._ever_connected:
                    raise BybitConnectionError(f"cannot connect to {self.url}: no answer in time")
                raise BybitTimeoutError(f"not connected to {self.url} in time")
            self._cond.wait(remaining)

    def wake(self, deadline: float | None = None) -> None:
        """Make the heartbeat look again now (given a request's ``deadline``: unless it wakes before)."""
        self._heartbeat.wake(deadline)

    def touch(self) -> None:
        """Count the data feed as alive now (the watchdog starts over)."""
        self._heartbeat.touch()

    def pong(self) -> None:
        """A heartbeat reply arrived (reader thread): it answers the ping outstanding, if any."""
        self._heartbeat.pong()

    def reconnect(self) -> None:
        """Drop the socket; the thread reconnects and restores (a request not yet on the socket is
        :class:`NotSent` there; one written before the cut is outcome unknown: see ``retire``)."""
        with self._cond:
            if self._state.value in (State.AUTHENTICATING, State.OPEN):
                _log.info("%s: reconnect requested", self.name)
                self._state.to(State.CLOSING)
        self._heartbeat.wake()
        transport = self._requests.retire()
        if transport is not None:
            transport.abort()

    def close(self) -> None:
        """Stop the thread, close the socket, join it (not from the thread or its reader). Idempotent."""
        with self._cond:
            self.stop.set()
            transport = self._requests.transport
            thread = self._thread
            connecting = self._connecting
            self._requests.fail(None, ClientClosedError("the connection is closing"))
            self._cond.notify_all()
        self._requests.run_callbacks()
        self._heartbeat.wake()
        if connecting is not None:
            abort_socket(connecting)
        if transport is not None:
            transport.begin_close()  # one Close (1000); the thread's transport.close() waits for the echo
        if thread is None:
            self._finish(None)
        elif thread is not threading.current_thread() and not (
            transport is not None and transport.on_reader_thread()
        ):
            thread.join()  # (not from the reader, e.g. a future's callback: the thread joins the reader)

    # ================================================================= reader thread
    def _on_closed(self, gen: int, error: BaseException | None) -> None:
        with self._cond:
            if gen == self._requests.gen:
                if self._state.value in (State.AUTHENTICATING, State.OPEN):
                    self._state.to(State.CLOSING)
                self._requests.fail(gen, ConnectionLost(f"connection lost: {error or 'closed'}"))
                self._cond.notify_all()
        self._requests.run_callbacks()
        if error is not None and not self.stop.is_set():
            _log.warning("%s: connection lost: %s", self.name, error)
        self._heartbeat.wake()

    # ================================================================= the thread
    def _connect(self) -> Transport | None:
        """Open a socket (None: it failed, or the connection is stopping)."""
        config = self.config
        ws = Connecting()
        with self._cond:
            if self.stop.is_set():
                return None
            self._connecting = ws
        try:
            transport = Transport.open(ws, self.url, config.transport, self.name)
        except Exception as exc:
            with self._cond:
                self._connecting = None
            if self.stop.is_set():
                return None
            _log_connect_failure(
                self.name, self.url, exc, first=not (self._ever_connected or self.connect_failures)
            )
            with self._cond:
                self._connect_error = exc
                self.connect_failures += 1
                self._cond.notify_all()
            return None
        return transport

    def _is_open(self) -> bool:
        """The socket is up and restored, and the connection is not stopping."""
        return not self.stop.is_set() and self._state.value is State.OPEN

    def _to(self, state: State) -> None:
        """Move to ``state`` (lock held); CLOSING may already have been reached from another thread."""
        if state is not State.CLOSING or self._state.value is not State.CLOSING:
            self._state.to(state)

    def _socket_gone(self, gen: int) -> None:
        """The socket of ``gen`` is closed: its requests fail (outcome unknown if sent)."""
        with self._cond:
            self._to(State.CLOSING)
            self._requests.fail(gen, ConnectionLost("connection lost"))
            self._cond.notify_all()
        self._requests.run_callbacks()

    def _supervise(self) -> None:
        attempt = 0
        lost_at: float | None = None
        give_up: BaseException | None = None
        config = self.config
        requests = self._requests
        frame_path = self._frame_path
        try:
            while not self.stop.is_set():
                if attempt:  # BACKING_OFF
                    if config.max_retries is not None and attempt > config.max_retries:
                        give_up = BybitConnectionError(f"{self.url}: gave up after {attempt - 1} retries")
                        break
                    delay = config.backoff.delay(attempt)
                    _log.info("%s: reconnecting in %.2f s (attempt %d)", self.name, delay, attempt)
                    if self.stop.wait(delay):
                        break
                    with self._cond:
                        self._to(State.CONNECTING)
                attempt += 1
                transport = self._connect()
                if transport is None:
                    if self.stop.is_set():
                        break
                    if not config.reconnect:
                        give_up = BybitConnectionError(f"cannot connect to {self.url}: {self._connect_error}")
                        break
                    with self._cond:
                        self._to(State.BACKING_OFF)
                    continue
                with self._cond:
                    self._connecting = None
                    if self.stop.is_set():
                        transport.close(0.2)
                        break
                    gen = requests.attach(transport)
                    self._to(State.AUTHENTICATING)
                    restore = self._owner.on_attached(gen)
                transport.start(*_reader_calls(frame_path, functools.partial(self._on_closed, gen)))
                _log.info("%s: connected to %s", self.name, self.url)
                try:
                    restore()
                except AuthenticationError as exc:
                    login = "re-authentication after a reconnect" if self._ever_connected else "first login"
                    _log.error("%s: %s rejected; giving up: %s", self.name, login, exc.ret_msg)
                    give_up = exc
                    transport.close()
                    break
                except BybitWsError as exc:
                    _log.warning("%s: restoring the connection failed: %s", self.name, exc)
                    transport.close()
                    self._socket_gone(gen)
                    with self._cond:
                        self._to(State.BACKING_OFF)
                    continue
                attempt = 0
                with self._cond:
                    # (not OPEN if the socket died or a reconnect was asked meanwhile: CLOSING already)
                    if self._state.value is State.AUTHENTICATING and transport.is_open:
                        self._to(State.OPEN)
                    self._ever_connected = True
                    self._cond.notify_all()
                if lost_at is not None:
                    downtime = timedelta(seconds=time.monotonic() - lost_at)
                    _log.info("%s: connection restored after %.3f s", self.name, downtime.total_seconds())
                    self._owner.on_restored(downtime)
                    lost_at = None
                self._heartbeat.run(transport, self._is_open)
                requests.retire()
                transport.close()
                self._socket_gone(gen)
                if self.stop.is_set():
                    break
                lost_at = time.monotonic()
                self._owner.on_lost()
                if not config.reconnect:
                    give_up = BybitConnectionError(f"connection to {self.url} lost and reconnect is off")
                    break
                attempt = 1
                with self._cond:
                    self._to(State.BACKING_OFF)
        except Exception as exc:  # a bug: never die silently
            _log.exception("%s: supervisor failed", self.name)
            give_up = exc
        finally:
            with self._cond:
                transport_left = requests.transport
            if transport_left is not None:
                transport_left.close()
            self._finish(give_up)

    def _finish(self, error: BaseException | None) -> None:
        with self._cond:
            if self._state.value is State.CLOSED:
                return
            self._to(State.CLOSED)
            self._given_up = error if error is not None else ClientClosedError("closed")
            self._requests.fail(None, BybitConnectionError(f"connection to {self.url} closed"))
            self._cond.notify_all()
        self._heartbeat.done()
        self._requests.run_callbacks()
        closed = self.stop.is_set()
        if error is not None and not closed:
            _log.error("%s: connection to %s given up: %s", self.name, self.url, error)
        try:
            self._owner.on_finished(error, closed)
        except Exception:
            _log.exception("%s: on_finished failed", self.name)


def _log_connect_failure(name: str, url: str, exc: BaseException, *, first: bool) -> None:
    """The first connect's failure reaches the caller as BybitConnectionError: INFO, not a warning too."""
    _log.log(logging.INFO if first else logging.WARNING, "%s: cannot connect to %s: %s", name, url, exc)


class HeartbeatLoop:
    """The supervisor's watch over one open socket at a time: pings, pongs, the data feed (stale-feed
    watchdog) and request deadlines. :meth:`run` runs on the supervisor's thread; :meth:`wake`,
    :meth:`touch` and :meth:`pong` come from other threads (the reader's pongs, callers' requests)."""

    def __init__(
        self,
        name: str,
        config: ConnectionConfig,
        requests: RequestTracker,
        frame_path: AnyFramePath,
        owner: Supervised,
        *,
        uses_req_id: bool,
        clock: Callable[[], float],
    ) -> None:
        self.name = name
        self.config = config
        self._requests = requests
        self._frame_path = frame_path
        self._owner = owner
        self._uses_req_id = uses_req_id
        self._clock = clock
        self._wake = threading.Event()
        #: the current socket's timers; the reader (pongs) and other threads (touch) reach them too
        self._timers: Heartbeat | None = None
        self._lock = threading.Lock()
        #: when the sleep under way ends (inf while the next one is being worked out: any request wakes)
        self._sleep_until = math.inf

    def wake(self, deadline: float | None = None) -> None:
        """Look again now (the socket closed, ...), or if the sleep under way ends after ``deadline`` (a
        request due then was sent): one order after another wakes this thread once per request
        timeout, not once per order (a thread woken per order competed for the GIL with the reply)."""
        if deadline is None or deadline < self._sleep_until:
            self._wake.set()

    def touch(self) -> None:
        """Count the data feed as alive now (the watchdog starts over)."""
        with self._lock:
            if self._timers is not None:
                self._timers.data_seen(self._clock())

    def pong(self) -> None:
        """A heartbeat reply arrived (reader thread): it answers the ping outstanding, if any."""
        with self._lock:
            if self._timers is not None:
                self._timers.pong()

    def done(self) -> None:
        """No socket is watched any more."""
        with self._lock:
            self._timers = None

    def run(self, transport: Transport, is_open: Callable[[], bool]) -> None:
        """Ping, watch pongs, the data feed and request deadlines; return when the socket must be replaced
        (or ``is_open()`` turns false).

        One computation (:meth:`Heartbeat.next_deadline`) says how long to sleep; each wake asks the
        timers what is due. The stale-feed watchdog: the reader does not read the clock for each frame
        (a store costs a fraction of that): it sets ``fed``, and each check here that finds it set
        counts the data as of that check.
        """
        config = self.config
        owner = self._owner
        frame_path = self._frame_path
        requests = self._requests
        clock = self._clock
        lock = self._lock
        timers = Heartbeat(config.ping_interval, config.pong_timeout, config.stale_timeout, clock())
        with lock:
            self._timers = timers
        frame_path.fed = False
        wake = self._wake
        while True:
            self._sleep_until = math.inf
            now = clock()
            request_due = requests.next_deadline()
            with lock:
                deadline = timers.next_deadline(now, continuous=owner.continuous, request_due=request_due)
            self._sleep_until = deadline
            wake.wait(max(0.0, deadline - now))
            wake.clear()
            if not transport.is_open or not is_open():
                return
            now = clock()
            if request_due is not None:
                requests.expire(now, owner.timeout_error)
            with lock:
                if frame_path.fed:
                    frame_path.fed = False
                    timers.data_seen(now)
                due = timers.due(now, continuous=owner.continuous)
                if due is Due.PING:
                    timers.ping(now)  # the pong deadline is armed before the ping goes out
                silent = now - timers.last_data
            if due is Due.PONG_TIMEOUT:
                _log.warning("%s: no pong within %.1f s; reconnecting", self.name, config.pong_timeout)
                return
            if due is Due.STALE:
                _log.warning("%s: no market data for over %.1f s; reconnecting", self.name, silent)
                return
            if due is Due.PING:
                req_id = next_req_id() if self._uses_req_id else None
                try:
                    transport.send(encode(owner.ping(req_id)))
                except Exception as exc:
                    _log.warning("%s: ping failed: %s", self.name, exc)
                    return
