"""The engine behind a client: its connections by endpoint, the worker pool, and the one subscribe path.

Stream groups (``client.v5`` ...) reach the engine through :class:`Engine`'s narrow interface
(:meth:`Engine.subscribe`), never the client. The engine holds no reference to the client, so a client
nobody references is freed at once, and its finalizer closes the engine.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

from bybit_ws._errors import BybitWsError, ClientClosedError, no_credentials
from bybit_ws.dialects._base import Dialect

from ._auth import Credentials
from ._clock import ServerClock
from ._config import ConnectionConfig
from ._dispatch import Dispatcher, PoolFuture
from ._framepath import FrameRecorder
from ._pacing import OrderPacing
from ._stream_connection import Retired, StreamConnection
from ._subscriptions import Subscription, SubscriptionSink, check_process
from ._trade_connection import TradeConnection

_log = logging.getLogger(__name__)

__all__ = ["Engine"]


class Engine:
    """Connections, workers and the subscribe path of one client."""

    def __init__(
        self,
        urls: Mapping[str, str],
        config: ConnectionConfig,
        credentials: Credentials | None,
        workers: int,
        *,
        demo: bool = False,
        recv_window: int | None = None,
        referer: str | None = None,
        order_rate_limit: Mapping[str, Mapping[str, int]] | None = None,
    ) -> None:
        self.urls = dict(urls)
        #: Bybit's clock as measured from its pongs and trade replies (shared by every connection)
        self.clock = ServerClock()
        self._pacing = (
            None
            if order_rate_limit is None
            else OrderPacing(order_rate_limit, self._submit_now, config.request_timeout)
        )
        self._demo = demo
        self._recv_window = recv_window
        self._referer = referer
        self._trade: TradeConnection | None = None
        self.config = config
        self.credentials = credentials
        self._workers = workers
        self.lock = threading.RLock()
        self.connections: dict[str, list[StreamConnection]] = {}
        self._dispatcher: Dispatcher | None = None
        self.closed = False
        #: set when the engine closes or a connection is given up for good (``failure`` says why)
        self.done = threading.Event()
        self.failure: BaseException | None = None
        self._recorders: list[FrameRecorder] = []
        #: when this engine opened connections for subscriptions, by URL host (per-IP limits)
        self._opened: dict[str, collections.deque[float]] = {}
        #: the process that owns the sockets and threads (a forked child must not touch them)
        self.pid = os.getpid()

    # -------------------------------------------------------------------------------- subscribing
    def subscribe(
        self,
        endpoint: str,
        dialect: Dialect,
        topics: list[str],
        handlers: Mapping[str, Callable[[Any], object] | None],
        *,
        private: bool = False,
    ) -> Subscription[Any]:
        """The one subscribe path of every dialect: place topics on connections, register, confirm."""
        if private and self.credentials is None:
            raise no_credentials("private topics")
        check_process(self.pid)
        url = self.urls[endpoint]
        deadline = time.monotonic() + self.config.request_timeout
        sub = SubscriptionSink(topics, handlers, self.dispatcher(), self.config.max_backlog)
        while True:
            with self.lock:
                if self.closed:
                    raise ClientClosedError("the client is closed")
                try:
                    parts = self._place(endpoint, url, dialect, topics, sub)
                except Retired:
                    continue
                except ValueError:  # over a per-IP connection limit: nothing was registered
                    sub.close()
                    raise
            break
        try:
            for connection, part in parts:
                connection.wait_subscribed(sub, part, private, deadline)
        except BaseException:
            sub.close()
            raise
        return sub.handle

    def dispatcher(self) -> Dispatcher:
        """The worker pool (started on first use)."""
        check_process(self.pid)
        with self.lock:
            if self.closed:
                raise ClientClosedError("the client is closed")
            if self._dispatcher is None:
                self._dispatcher = Dispatcher(self._workers)
            return self._dispatcher

    def _place(
        self,
        endpoint: str,
        url: str,
        dialect: Dialect,
        topics: list[str],
        sub: SubscriptionSink,
    ) -> list[tuple[StreamConnection, tuple[str, ...]]]:
        """Choose connections for ``topics`` (respecting per-connection limits) and register ``sub``."""
        group = self.connections.setdefault(endpoint, [])
        group[:] = [c for c in group if not c.is_retired]
        limit, most = dialect.max_chars_per_connection, dialect.max_topics_per_connection
        remaining = list(topics)
        plan: list[tuple[StreamConnection | None, list[str]]] = []
        for existing in group:
            if not remaining:
                break
            room = None if limit is None else limit - existing.char_count
            taken = _take(remaining, room, None if most is None else most - len(existing.registry.subs))
            if taken:
                plan.append((existing, taken))
                remaining = remaining[len(taken) :]
        while remaining:
            taken = _take(remaining, limit, most) or remaining[:1]
            plan.append((None, taken))
            remaining = remaining[len(taken) :]
        self._check_new_connections(url, dialect, len(group), sum(1 for c, _ in plan if c is None))
        parts: list[tuple[StreamConnection, tuple[str, ...]]] = []
        try:
            for planned, part in plan:
                connection = planned or self._new_connection(group, endpoint, url, dialect)
                connection.register(sub, part)
                parts.append((connection, tuple(part)))
                sub.placed(connection, part)
        except Retired:
            for registered, topics_part in parts:
                registered.forget(sub, topics_part)
            sub.unplaced()
            raise
        return parts

    def _check_new_connections(self, url: str, dialect: Dialect, open_now: int, new: int) -> None:
        """Raise ``ValueError`` before connecting if ``new`` connections would break Bybit's per-IP limits
        (counting the connections this client opened for subscriptions; reconnects reuse them)."""
        if not new:
            return
        now = time.monotonic()
        opened = self._opened.setdefault(urllib.parse.urlsplit(url).netloc, collections.deque())
        window = dialect.max_new_connections[1] if dialect.max_new_connections else 0.0
        while opened and opened[0] <= now - window:
            opened.popleft()
        problem = dialect.connection_limit_error(open_now, new, len(opened))
        if problem is not None:
            raise ValueError(problem)
        opened.extend([now] * new)

    def _new_connection(
        self, group: list[StreamConnection], endpoint: str, url: str, dialect: Dialect
    ) -> StreamConnection:
        connection = StreamConnection(
            url=url,
            dialect=dialect,
            config=self.config,
            credentials=self.credentials,
            on_finished=self._connection_finished,
            key=endpoint,
            clock=self.clock,
        )
        for recorder in self._recorders:
            connection.record(recorder)
        group.append(connection)
        return connection

    # -------------------------------------------------------------------------------- order entry
    def trade_connection(self) -> TradeConnection:
        """The trade connection (made on first use, and again once retired)."""
        check_process(self.pid)
        if self._demo:
            raise BybitWsError(
                "Bybit's demo trading has no websocket Trade API: place demo orders over the REST API "
                "(demo=True serves private streams only)"
            )
        credentials = self.credentials
        if credentials is None:
            raise no_credentials("orders")
        with self.lock:
            if self.closed:
                raise ClientClosedError("the client is closed")
            trade = self._trade
            if trade is None or trade.is_retired:
                trade = self._trade = TradeConnection(
                    url=self.urls["v5.trade"],
                    config=self.config,
                    credentials=credentials,
                    recv_window=self._recv_window,
                    referer=self._referer,
                    clock=self.clock,
                )
            return trade

    def connect_trade(self, timeout: float | None = None) -> None:
        """Open and authenticate the trade connection now (see :meth:`TradeConnection.connect`)."""
        self.trade_connection().connect(timeout)

    def trade_submit(
        self, op: str, args: list[dict[str, Any]], *, blocking: bool = False
    ) -> Future[Mapping[str, Any]]:
        """Send one Trade API request on the trade connection (opened on first use); the future gives
        the raw reply frame. See :meth:`TradeConnection.submit`; with ``order_rate_limit``, through
        :class:`OrderPacing` (``blocking``: a blocking call waits on the future)."""
        pacing = self._pacing
        if pacing is not None and pacing.paces(args):
            self.trade_connection()  # the errors that need no socket come before anything is queued
            return pacing.submit(op, args, blocking=blocking)
        return self._submit_now(op, args)

    def _submit_now(self, op: str, args: list[dict[str, Any]]) -> Future[Mapping[str, Any]]:
        return self.trade_connection().submit(op, args)

    def trade_future(self) -> Future[Any]:
        """A future for a converted trade reply: the reader sets its result, its done callbacks run on
        the worker pool (never on the reader).

        Raises:
            ClientClosedError: the client is closed.
        """
        return PoolFuture(self.dispatcher().run)

    # -------------------------------------------------------------------------------- recording
    def record(self, recorder: FrameRecorder) -> None:
        """Hand every frame of every connection, now and later, to ``recorder``."""
        check_process(self.pid)
        with self.lock:
            if recorder in self._recorders:
                return
            self._recorders.append(recorder)
            connections = [c for group in self.connections.values() for c in group]
        for connection in connections:
            connection.record(recorder)

    def stop_recording(self, recorder: FrameRecorder) -> None:
        """Stop handing frames to ``recorder`` (what it has is kept)."""
        with self.lock:
            if recorder in self._recorders:
                self._recorders.remove(recorder)
            connections = [c for group in self.connections.values() for c in group]
        for connection in connections:
            connection.stop_recording(recorder)

    def _connection_finished(self, connection: StreamConnection, error: BaseException | None) -> None:
        with self.lock:
            for group in self.connections.values():
                if connection in group:
                    group.remove(connection)
        if error is not None:
            self.failure = error
            self.done.set()

    # -------------------------------------------------------------------------------- lifecycle
    def connection_count(self) -> int:
        """Open connections."""
        with self.lock:
            trade = self._trade is not None and not self._trade.is_retired
            return sum(len(group) for group in self.connections.values()) + trade

    def close(self) -> None:
        """End every subscription, close every connection, join every thread (never the caller).

        In a forked child it only marks the engine closed: the sockets are the parent's (closing them
        would cut the parent off), its threads do not exist here, and a lock may have been held by one
        of them at the fork."""
        if os.getpid() != self.pid:
            self.closed = True
            return
        with self.lock:
            if self.closed:
                return
            self.closed = True
            connections = [c for group in self.connections.values() for c in group]
            self.connections.clear()
            dispatcher = self._dispatcher
            trade, self._trade = self._trade, None
        for connection in connections:
            for sub in connection.subscriptions():
                sub.end(None)
        for connection in connections:
            connection.close()
        if trade is not None:
            trade.close()
        if self._pacing is not None:  # after the trade connection: a send it is making ends at once
            self._pacing.close()
        if dispatcher is not None:
            dispatcher.close()
        self.done.set()


def _take(topics: list[str], room: int | None, slots: int | None = None) -> list[str]:
    """The first of ``topics`` that fit in ``room`` characters and ``slots`` topics (None: no limit)."""
    if slots is not None:
        topics = topics[: max(slots, 0)]
    if room is None:
        return list(topics)
    taken: list[str] = []
    for topic in topics:
        if len(topic) > room:
            break
        taken.append(topic)
        room -= len(topic)
    return taken
