"""A request-only connection: the v5 Trade API (order entry over the websocket).

Assembled from the same parts as a stream connection (requests, auth, supervisor), with no registry and
no market data: its frame path only matches replies. Requests are sent **at most once**: a request whose
socket died before the reply fails with :class:`OrderOutcomeUnknownError` and is never resent (the order
may or may not exist: check the order stream); one that was never sent waits for the next socket.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from datetime import datetime, timedelta
from typing import Any

from bybit_ws._errors import (
    AuthenticationError,
    BybitConnectionError,
    BybitTimeoutError,
    ClientClosedError,
    OrderOutcomeUnknownError,
    TradeRetCode,
)
from bybit_ws.dialects import _trade
from bybit_ws.dialects._base import Reply

from ._auth import Auth, Credentials
from ._clock import ServerClock, pong_time_ms, reply_time_ms
from ._config import ConnectionConfig
from ._framepath import decode_frame
from ._requests import ConnectionLost, NotSent, Pending, RequestTracker
from ._supervisor import Supervisor

_log = logging.getLogger(__name__)

__all__ = ["TradeConnection"]

_names = itertools.count(1)
_ANONYMOUS_OPS = frozenset({"auth"})
_UNKNOWN = "the order may or may not exist: check the order stream; it was not sent again"


class _ReplyPath:
    """The trade socket's frame path: every frame is a reply (or a pong) to match."""

    def __init__(
        self,
        name: str,
        requests: RequestTracker,
        on_pong: Callable[[], None],
        on_time: Callable[[Mapping[str, Any], _trade.TradeReply], None] | None = None,
    ) -> None:
        self.name = name
        self._requests = requests
        self._on_pong = on_pong
        self._on_time = on_time  # every reply and pong, for the server time it carries
        self.fed = False  # no data feed here: the stale watchdog is off

    def on_frame(self, data: bytes, received: datetime) -> None:
        """Match one reply to its request."""
        try:
            frame = decode_frame(data)
            reply = _trade.classify_reply(frame) if type(frame) is dict else None
        except Exception as exc:  # not JSON, nested too deep: this frame's problem only
            _log.warning("%s: cannot parse a trade reply (%s); frame starts %.200r", self.name, exc, data)
            return
        if reply is None:
            _log.debug("%s: ignored frame %.200r", self.name, data)
            return
        if self._on_time is not None:
            self._on_time(frame, reply)
        if reply.kind == "pong":
            self._on_pong()
        else:
            self._requests.match(
                Reply(op=reply.op, success=reply.ok, ret_msg=reply.ret_msg, req_id=reply.req_id, frame=frame)
            )


class TradeConnection:
    """The supervised connection to ``urls["v5.trade"]``: opened on first use, authenticated, pinged,
    reconnected after a drop (and re-authenticated), closed with the client."""

    def __init__(
        self,
        *,
        url: str,
        config: ConnectionConfig,
        credentials: Credentials,
        recv_window: int | None = None,
        referer: str | None = None,
        clock: ServerClock | None = None,
    ) -> None:
        self.url = url
        self._clock = clock
        self._sent: dict[str, float] = {}  # local ms each request (and ping: key "") left, by reqId
        self._sent_lock = threading.Lock()
        self.config = config
        self.name = f"trade-{next(_names)}"
        self._recv_window = recv_window
        self._referer = referer
        self._cond = threading.Condition(threading.RLock())
        self._closed = False
        self._replace = False  # the service said it is restarting: replace the socket when idle
        # A reply without reqId completes no order (it cannot say which one it concerns): each order ends
        # with its own reply or times out. Auth is one request per socket, so its reply matches by op.
        self.requests = RequestTracker(
            url,
            self._cond,
            self._build,
            uses_req_id=True,
            name=self.name,
            anonymous_ops=_ANONYMOUS_OPS,
            keep_args=False,
        )
        self.auth = Auth(self.name, credentials, self.requests, clock=clock, ping=self.ping)
        self.supervisor = Supervisor(
            self.name,
            url,
            config,
            self.requests,
            _ReplyPath(self.name, self.requests, self._pong, None if clock is None else self._server_time),
            self,
            uses_req_id=False,
        )

    @property
    def is_retired(self) -> bool:
        """True once closed or given up: the engine opens a new one for the next request."""
        return self._closed or self.supervisor.finished

    # ============================================================================== requests
    def submit(self, op: str, args: list[dict[str, Any]]) -> Future[Mapping[str, Any]]:
        """Send one trade request once; the future gives the raw reply frame.

        Blocks only while the connection is being opened (first use, or a reconnect): nothing is sent
        until it is up and authenticated, and what is not sent may wait for the next socket.

        Raises (nothing was sent):
            BybitTimeoutError / BybitConnectionError: not connected within ``request_timeout``.
            AuthenticationError: Bybit rejected the credentials.
            ClientClosedError: the client is closed.
            OrderOutcomeUnknownError: the send itself failed half way.
        The future fails with :class:`BybitTimeoutError` (no reply within ``request_timeout``) or
        :class:`OrderOutcomeUnknownError` (the connection died first): the order may or may not exist.
        """
        future: Future[Mapping[str, Any]] = Future()
        future.set_running_or_notify_cancel()  # a request on the wire cannot be called back
        timeout = self.config.request_timeout
        deadline = time.monotonic() + timeout
        supervisor = self.supervisor
        with self._cond:
            if self._closed:
                raise ClientClosedError("the client is closed")
            supervisor.start()
            failures = supervisor.connect_failures
        while True:
            self._replace_if_idle()
            gen = self._wait_ready(deadline, failures)
            due = time.monotonic() + timeout
            try:
                self.requests.send(
                    op, args, gen, callback=lambda pending: self._done(future, pending), deadline=due
                )
            except NotSent:
                continue  # the socket went away before anything left: wait for the next one
            except ConnectionLost as exc:
                raise OrderOutcomeUnknownError(f"sending {op} failed: {exc}: {_UNKNOWN}") from exc
            supervisor.wake(due)  # the heartbeat times requests out
            return future

    def connect(self, timeout: float | None = None) -> None:
        """Open and authenticate the connection now, ahead of the first request; return once it is
        ready (at once if it is). ``timeout`` (s): None allows ``connect_timeout + request_timeout``.

        Raises as :meth:`submit` does before sending (BybitConnectionError, BybitTimeoutError,
        AuthenticationError, ClientClosedError).
        """
        if timeout is None:
            timeout = self.config.transport.connect_timeout + self.config.request_timeout
        deadline = time.monotonic() + timeout
        with self._cond:
            if self._closed:
                raise ClientClosedError("the client is closed")
            self.supervisor.start()
            failures = self.supervisor.connect_failures
        self._wait_ready(deadline, failures)

    def _wait_ready(self, deadline: float, failures: int) -> int:
        """The generation of the ready socket, once there is one (see :meth:`Supervisor.wait_ready`)."""
        with self._cond:
            try:
                return self.supervisor.wait_ready(deadline, failures, lambda: self._closed)
            except BybitConnectionError as exc:
                if isinstance(exc.__cause__, AuthenticationError):  # the socket's auth was rejected
                    raise exc.__cause__ from None
                raise

    def _done(self, future: Future[Mapping[str, Any]], pending: Pending) -> None:
        """The request ended (reader thread, or the thread that failed it; never with the lock held)."""
        error = pending.error
        if error is None:
            assert pending.reply is not None and pending.reply.frame is not None
            frame = pending.reply.frame
            if frame.get("retCode") == TradeRetCode.SERVICE_RESTARTING:
                _log.warning("%s: trade service restarting; the socket is replaced when idle", self.name)
                self._replace = True
            future.set_result(frame)
            return
        if not isinstance(error, BybitTimeoutError):
            cause = error
            error = OrderOutcomeUnknownError(
                f"the connection closed after {pending.op} was sent and before Bybit replied ({cause}): "
                f"{_UNKNOWN}"
            )
            error.__cause__ = cause
        future.set_exception(error)

    def _replace_if_idle(self) -> None:
        if self._replace and self.requests.next_deadline() is None:
            self._replace = False
            self.supervisor.reconnect()

    def _build(self, op: str, args: Sequence[Any], req_id: str | None) -> Mapping[str, Any]:
        assert req_id is not None
        if op == "auth":
            return {"reqId": req_id, "op": "auth", "args": list(args)}
        clock = self._clock
        if clock is not None:
            self._mark_sent(req_id)
        return _trade.request_frame(
            op,
            list(args),
            req_id=req_id,
            timestamp_ms=int(time.time() * 1000) if clock is None else clock.now_ms(),
            recv_window_ms=self._recv_window,
            referer=self._referer,
        )

    def _pong(self) -> None:
        self.supervisor.pong()

    def _mark_sent(self, key: str) -> None:
        """Keep when a request (or a ping, key ``""``) left; at most 1,024 kept (the oldest go)."""
        assert self._clock is not None
        now = self._clock.local_ms()
        with self._sent_lock:
            sent = self._sent
            if key not in sent:
                sent[key] = now
            if len(sent) > 1024:
                del sent[next(iter(sent))]

    def _server_time(self, frame: Mapping[str, Any], reply: _trade.TradeReply) -> None:
        """A reply's ``header.Timenow`` or a pong's ``data[0]``: a server-time sample (reader thread)."""
        clock = self._clock
        assert clock is not None
        pong = reply.kind == "pong"
        server = pong_time_ms(frame) if pong else reply_time_ms(frame)
        key = "" if pong else reply.req_id
        with self._sent_lock:
            sent = self._sent.pop(key, None) if key is not None else None
        if server is not None:
            clock.sample(sent, server, clock.local_ms())

    def close(self) -> None:
        """Close the socket and join the threads; requests still waiting fail (outcome unknown)."""
        with self._cond:
            self._closed = True
        self.supervisor.close()

    def __repr__(self) -> str:
        return f"<TradeConnection {self.name} {self.url} ready={self.supervisor.ready}>"

    # ============================================================================== the supervisor's side
    @property
    def continuous(self) -> bool:
        """No data feed: the stale watchdog stays off."""
        return False

    def ping(self, req_id: str | None) -> Mapping[str, Any]:
        """The trade endpoint's heartbeat frame (its send time is kept for the server-time sample)."""
        if self._clock is not None:
            self._mark_sent("")
        return _trade.ping_frame(req_id)

    def timeout_error(self, pending: Pending) -> BaseException:
        """No reply in time: the order may or may not exist."""
        return BybitTimeoutError(
            f"no reply to {pending.op} (reqId {pending.req_id}) from {self.url} within "
            f"{self.config.request_timeout} s: {_UNKNOWN}"
        )

    def on_attached(self, gen: int) -> Callable[[], None]:
        """A new socket: authenticate it before any order goes out."""
        self.auth.reset()
        with self._sent_lock:
            self._sent.pop("", None)

        def restore() -> None:
            self.auth.restore(gen, time.monotonic() + self.config.request_timeout)

        return restore

    def on_lost(self) -> None:
        """(Requests in flight were failed by the supervisor; none is resent.)"""

    def on_restored(self, downtime: timedelta) -> None:
        """(Nothing to restore beyond auth.)"""

    def on_finished(self, error: BaseException | None, closed: bool) -> None:
        """Given up or closed: the engine opens a new connection for the next request."""
        with self._cond:
            self._closed = True
