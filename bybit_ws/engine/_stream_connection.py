"""A stream connection: one endpoint's socket shared by the subscriptions placed on it.

Assembled from the engine's parts, all sharing one lock: the :class:`Registry` (topics and
subscriptions), the :class:`RequestTracker` and :class:`Auth` (subscribe, unsubscribe, auth and their
replies), the :class:`FramePath` (the reader thread's work) and the :class:`Supervisor` (the socket's
life). This class holds what is particular to streams: the subscribe handshake, and restoring every
subscription on a new socket.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bybit_ws._errors import BybitTimeoutError, BybitWsError, SubscriptionError
from bybit_ws.dialects._base import Dialect

from ._auth import Auth, Credentials
from ._clock import ServerClock, pong_time_ms
from ._config import ConnectionConfig
from ._framepath import FramePath, FrameRecorder, FrameTap
from ._registry import OK, PENDING, Registry
from ._requests import ConnectionLost, Pending, RequestTracker
from ._supervisor import Supervisor

if TYPE_CHECKING:
    from ._subscriptions import SubscriptionSink

_log = logging.getLogger(__name__)

__all__ = ["Retired", "StreamConnection", "SubscribeHandshake"]

_names = itertools.count(1)


class Retired(BybitWsError):
    """The connection closed itself (last subscription gone) before an add: use another (internal)."""


class StreamConnection:
    """A supervised connection to one endpoint, shared by the subscriptions routed to it."""

    def __init__(
        self,
        *,
        url: str,
        dialect: Dialect,
        config: ConnectionConfig,
        credentials: Credentials | None,
        on_finished: Callable[[StreamConnection, BaseException | None], None],
        key: str = "",
        clock: ServerClock | None = None,
    ) -> None:
        self.url = url
        self._ping_sent: float | None = None  # local ms of the oldest ping not answered yet
        #: the client's ``urls`` key of this endpoint
        self.key = key
        self.dialect = dialect
        self.config = config
        self.name = f"{dialect.name}-{next(_names)}"
        self._on_finished = on_finished
        self._cond = threading.Condition(threading.RLock())
        self._retired = False
        self.registry = Registry(dialect)
        self.requests = RequestTracker(
            url, self._cond, dialect.request, uses_req_id=dialect.uses_req_id, name=self.name
        )
        timed = clock if dialect.pong_has_time else None  # (other pongs tell no time)
        self._clock = timed
        self.auth = Auth(
            self.name, credentials, self.requests, clock=clock, ping=self.ping if timed else None,
            ping_req_id=dialect.uses_req_id,
        )  # fmt: skip
        self.frame_path = FramePath(
            self.name,
            dialect,
            self.registry,
            keep_original_data=config.keep_original_data,
            on_reply=self.requests.match,
            on_pong=self._pong,
            on_pong_frame=None if timed is None else self._pong_time,
        )
        self.supervisor = Supervisor(
            self.name, url, config, self.requests, self.frame_path, self, uses_req_id=dialect.uses_req_id
        )
        self.handshake = SubscribeHandshake(
            self.name, dialect, self.registry, self.requests, self.supervisor, self.auth, self._closed_to_new
        )

    def _pong(self) -> None:
        self.supervisor.pong()

    def _pong_time(self, frame: Mapping[str, Any]) -> None:
        """A pong that may carry the server's time (v5 private, option, spread: ``args[0]``)."""
        server = pong_time_ms(frame)
        clock = self._clock
        if server is not None and clock is not None:
            sent, self._ping_sent = self._ping_sent, None
            clock.sample(sent, server, clock.local_ms())

    # ================================================================= the pool's side
    @property
    def char_count(self) -> int:
        """Characters of all topic args registered here (for per-connection limits)."""
        return self.registry.chars

    @property
    def is_retired(self) -> bool:
        """True once the connection closed or was given up: it takes no new subscriptions."""
        return self._retired or self.supervisor.finished

    def subscriptions(self) -> list[SubscriptionSink]:
        """Every subscription registered here."""
        with self._cond:
            return self.registry.subscriptions()

    def record(self, recorder: FrameRecorder, topics: Sequence[str] | None = None) -> None:
        """Hand this connection's raw frames (all, or those of ``topics``) to ``recorder``."""
        tap = FrameTap(recorder, self.key, None if topics is None else frozenset(topics))
        with self._cond:
            self.frame_path.taps = (*self.frame_path.taps, tap)

    def stop_recording(self, recorder: FrameRecorder) -> None:
        """Stop handing frames to ``recorder``."""
        with self._cond:
            self.frame_path.taps = tuple(t for t in self.frame_path.taps if t.recorder is not recorder)

    def register(self, sub: SubscriptionSink, topics: Sequence[str]) -> None:
        """Put ``sub`` in the registry under ``topics`` (before anything is sent: the first data frame
        can arrive right behind the reply). Starts the supervisor on first use.

        Raises:
            Retired: this connection is closing; the caller should use another one.
        """
        with self._cond:
            if self.is_retired:
                raise Retired(self.name)
            self.registry.add(sub, topics)
            self._registry_changed()
            self.supervisor.start()

    def wait_subscribed(
        self, sub: SubscriptionSink, topics: Sequence[str], private: bool, deadline: float
    ) -> None:
        """Block until the server has confirmed every one of ``topics``; unregister ``sub`` on failure.

        Raises:
            SubscriptionError / AuthenticationError: the server rejected a request.
            BybitTimeoutError: no reply (or no connection) before ``deadline``.
            BybitConnectionError: the connection could not be opened or was given up.
        """
        try:
            self.handshake.run(sub, topics, private, deadline)
        except BaseException:
            self.remove(sub, topics, unsubscribe_timeout=1.0)
            raise

    # ================================================================= a subscription's side
    def remove(
        self, sub: SubscriptionSink, topics: Sequence[str], unsubscribe_timeout: float | None = None
    ) -> None:
        """Unregister ``sub``; unsubscribe topics nobody else uses; close when nothing is left."""
        with self._cond:
            leaving = self.registry.remove(sub, topics)
            self._registry_changed()
            gen = self.requests.gen
            ready = self.supervisor.ready
            empty = not self.registry.subs
            if empty:
                self._retired = True
        if leaving and ready and not empty:
            timeout = self.config.request_timeout if unsubscribe_timeout is None else unsubscribe_timeout
            deadline = time.monotonic() + timeout
            try:
                for batch in self.dialect.batches(leaving):
                    reply = self.requests.request("unsubscribe", batch, deadline, gen)
                    if not reply.success:
                        _log.warning("unsubscribe %s rejected: %s", batch, reply.ret_msg)
            except BybitWsError as exc:
                _log.debug("unsubscribe %s not confirmed: %s", leaving, exc)
        with self._cond:
            self.registry.left(leaving)
            self._cond.notify_all()
        if empty:
            self.close()

    def forget(self, sub: SubscriptionSink, topics: Sequence[str]) -> None:
        """Unregister ``sub`` without talking to the server (it ended because the server said so)."""
        with self._cond:
            self.registry.left(self.registry.remove(sub, topics))
            self._registry_changed()
            self._cond.notify_all()

    def resubscribe(self, topics: Sequence[str]) -> None:
        """Unsubscribe and subscribe ``topics`` again on the wire, so the server sends fresh snapshots.

        Every subscription on those topics stays registered (and gets the new snapshot). If the
        round trip fails, the connection is replaced instead, which resubscribes everything.
        """
        with self._cond:
            gen = self.requests.gen
            if not self.supervisor.ready:
                return  # a reconnect is under way: it resubscribes anyway
            status = self.registry.status
            mine = [t for t in topics if status.get(t) == OK]
            for topic in mine:
                status[topic] = PENDING
        deadline = time.monotonic() + self.config.request_timeout
        try:
            for batch in self.dialect.batches(mine):
                self.requests.request("unsubscribe", batch, deadline, gen)
            if self.handshake.send(mine, gen, deadline):
                raise SubscriptionError("resubscribe rejected")
        except ConnectionLost:
            return
        except BybitWsError as exc:
            _log.warning("%s: resubscribe of %s failed (%s); reconnecting", self.name, mine, exc)
            self.reconnect()

    def reconnect(self) -> None:
        """Drop the socket; the supervisor reconnects and resubscribes."""
        self.supervisor.reconnect()

    def close(self) -> None:
        """Stop the supervisor, close the socket, join both threads (never the calling one). Idempotent."""
        with self._cond:
            self._retired = True
        self.supervisor.close()

    def __repr__(self) -> str:
        topics = len(self.registry.subs)
        return f"<StreamConnection {self.name} {self.url} topics={topics} ready={self.supervisor.ready}>"

    # ================================================================= subscribing
    def _registry_changed(self) -> None:
        if not self.registry.continuous:
            self.supervisor.touch()

    def _closed_to_new(self) -> bool:
        return self._retired and not self.registry.subs

    # ================================================================= the supervisor's side
    @property
    def continuous(self) -> bool:
        """Some topic here streams all the time (a silent feed is stale)."""
        return self.registry.continuous

    def ping(self, req_id: str | None) -> Mapping[str, Any]:
        """The dialect's heartbeat frame (its send time is kept for the server-time sample)."""
        if self._clock is not None and self._ping_sent is None:
            self._ping_sent = self._clock.local_ms()
        return self.dialect.ping(req_id)

    def timeout_error(self, pending: Pending) -> BaseException:
        """(Stream requests time out in their callers; none has a deadline.)"""
        return BybitTimeoutError(f"no reply to {pending.op} from {self.url} in time")

    def on_attached(self, gen: int) -> Callable[[], None]:
        """A new socket (lock held): forget per-socket state; restoring re-auths and resubscribes."""
        self.auth.reset()
        self._ping_sent = None
        topics = self.registry.renew()
        # authenticate only if a confirmed subscription still needs it
        private = any(self.registry.is_private(t) for t in topics)

        def restore() -> None:
            self._restore(gen, topics, private)

        return restore

    def _restore(self, gen: int, topics: list[str], private: bool) -> None:
        """After (re)connecting: authenticate if needed, resubscribe every registered topic."""
        deadline = time.monotonic() + self.config.request_timeout
        if private and self.auth.has_credentials:
            self.auth.restore(gen, deadline)
        if not topics:
            return
        rejected = self.handshake.send(topics, gen, deadline)
        _log.info("%s: subscribed %d topic(s)", self.name, len(topics) - len(rejected))
        if rejected:
            # Subscriptions still waiting in their subscribe call see the error status and raise;
            # confirmed ones (a resubscribe after a reconnect) are ended and told why.
            with self._cond:
                errors = {t: self.registry.status.get(t) for t in rejected}
                victims = {
                    sub: errors[t] for t in rejected for sub in self.registry.on_topics([t], live_only=True)
                }
            for sub, error in victims.items():
                sub.end(error if isinstance(error, BaseException) else None)

    def on_lost(self) -> None:
        """Tell every subscription the socket dropped."""
        for sub in self.subscriptions():
            sub.notify_lost()

    def on_restored(self, downtime: timedelta) -> None:
        """Tell every subscription the socket is back."""
        for sub in self.subscriptions():
            sub.notify_restored(downtime)

    def on_finished(self, error: BaseException | None, closed: bool) -> None:
        """The supervisor ended: end the confirmed subscriptions if it gave up; tell the pool."""
        with self._cond:
            self._retired = True
            live = list(self.registry.live)  # the others are still in their subscribe call: it raises
        if error is not None and not closed:
            for sub in live:
                sub.end(error)
        try:
            self._on_finished(self, error if not closed else None)
        except Exception:
            _log.exception("on_finished callback failed")


class SubscribeHandshake:
    """A stream connection's subscribe handshake: send subscribe requests, record the server's answers
    in the registry, and wait until a subscription's topics are confirmed (all under the connection's
    lock, ``cond``)."""

    def __init__(
        self,
        name: str,
        dialect: Dialect,
        registry: Registry,
        requests: RequestTracker,
        supervisor: Supervisor,
        auth: Auth,
        closed_to_new: Callable[[], bool],
    ) -> None:
        self.name = name
        self.dialect = dialect
        self.registry = registry
        self.requests = requests
        self.supervisor = supervisor
        self.auth = auth
        self._cond = requests.cond
        self._closed_to_new = closed_to_new

    def run(self, sub: SubscriptionSink, topics: Sequence[str], private: bool, deadline: float) -> None:
        """Until ``topics`` are confirmed: wait for a ready socket, authenticate if ``private``, send what
        is not under way, wait for the replies; again on a new socket or after a racing unsubscribe."""
        with self._cond:
            failures = self.supervisor.connect_failures
        while True:
            with self._cond:
                gen = self.supervisor.wait_ready(deadline, failures, self._closed_to_new)
            try:
                if private:
                    self.auth.ensure(gen, deadline)
                with self._cond:
                    to_send = self.registry.to_send(topics) if gen == self.requests.gen else []
                if to_send:
                    self.send(to_send, gen, deadline)
                if self._confirmed(sub, topics, gen, deadline):
                    return
            except ConnectionLost:
                continue

    def _confirmed(self, sub: SubscriptionSink, topics: Sequence[str], gen: int, deadline: float) -> bool:
        """Wait until the server has answered for every one of ``topics`` on socket ``gen``: True when
        all are confirmed (``sub`` is then live); False to send again (a new socket, or an unsubscribe
        of one of them just ended). Raises the rejection, or BybitTimeoutError at ``deadline``."""
        with self._cond:
            while gen == self.requests.gen:
                outcome = self.registry.outcome(topics)
                if outcome:
                    self.registry.live.add(sub)
                    return True
                if outcome is None:
                    return False
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise BybitTimeoutError(f"subscription to {list(topics)} not confirmed in time")
                self._cond.wait(remaining)
        return False

    def send(self, topics: Sequence[str], gen: int, deadline: float) -> list[str]:
        """Subscribe ``topics`` (already marked pending) on ``gen``; record the outcome; return rejects."""
        rejected: list[str] = []
        for batch in self.dialect.batches(topics):
            try:
                reply = self.requests.request("subscribe", batch, deadline, gen)
            except BybitWsError:
                with self._cond:
                    if gen == self.requests.gen:
                        self.registry.unsent(batch)
                    self._cond.notify_all()
                raise
            with self._cond:
                if gen != self.requests.gen:
                    raise ConnectionLost("the connection was lost")
                refused = self.registry.answered(batch, reply)
                self._cond.notify_all()
            for topic in refused:
                _log.warning(
                    "%s: subscribe %s rejected: %s",
                    self.name,
                    topic,
                    reply.ret_msg or "subscription rejected",
                )
            rejected += refused
        return rejected
