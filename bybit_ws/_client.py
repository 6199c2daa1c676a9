"""The client users make: options, endpoints, the connection pool, the worker pool, close and wait."""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

from ._connection import Backoff, Connection, ConnectionConfig, Credentials, _Retired
from ._contract import ContractDialect, ContractStreams
from ._dialect import Dialect
from ._dispatch import Dispatcher
from ._errors import AuthenticationError, BybitConnectionError, BybitTimeoutError, ClientClosedError
from ._inverse import InverseDialect, InverseStreams
from ._subscriptions import Subscription
from ._transport import TransportOptions
from ._v5 import V5Streams

_log = logging.getLogger(__name__)

__all__ = ["MAINNET_URLS", "TESTNET_URLS", "BybitSocketClient"]

_V5_PUBLIC = ("linear", "inverse", "spot", "option")


def _endpoints(host: str) -> dict[str, str]:
    urls = {
        "inverse": f"wss://{host}/realtime",
        "contract": f"wss://{host}/contract/private/v3",
        "v5.private": f"wss://{host}/v5/private",
        "v5.status": f"wss://{host}/v5/public/misc/status",
    }
    urls.update({f"v5.{category}": f"wss://{host}/v5/public/{category}" for category in _V5_PUBLIC})
    return urls


#: Default endpoints, by ``urls`` key.
MAINNET_URLS: Mapping[str, str] = _endpoints("stream.bybit.com")
#: Testnet endpoints, by ``urls`` key.
TESTNET_URLS: Mapping[str, str] = _endpoints("stream-testnet.bybit.com")

_live_clients: weakref.WeakSet[BybitSocketClient] = weakref.WeakSet()


@atexit.register
def _close_live_clients() -> None:
    for client in list(_live_clients):
        try:
            client.close()
        except Exception:
            pass


class _Resources:
    """What a client owns, kept apart from it so a finalizer can close it without keeping it alive."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.connections: dict[str, list[Connection]] = {}
        self.dispatcher: Dispatcher | None = None
        self.closed = False

    def close(self) -> None:
        with self.lock:
            if self.closed:
                return
            self.closed = True
            connections = [c for group in self.connections.values() for c in group]
            self.connections.clear()
            dispatcher = self.dispatcher
        for connection in connections:
            for sub in connection._all_subscriptions():
                sub._end(None)
        for connection in connections:
            connection.close()
        if dispatcher is not None:
            dispatcher.close()


class BybitSocketClient:
    """A synchronous, threaded client for Bybit's websocket streams.

    Three API families share one engine: ``client.inverse`` (Inverse Perpetual v2), ``client.contract``
    (v3 contract private streams) and ``client.v5`` (the API live Bybit serves today). Each subscribe
    call blocks until the server confirms, then returns a :class:`Subscription`; events reach handlers
    on a pool of ``workers`` threads, one at a time and in order per subscription.

    Args:
        api_key, api_secret: credentials for private topics; default to the environment variables
            ``BYBIT_API_KEY`` / ``BYBIT_API_SECRET``. The secret never appears in reprs, logs or errors.
        testnet: use Bybit's testnet endpoints.
        urls: override endpoints by key (``"inverse"``, ``"contract"``, ``"v5.linear"``, ``"v5.inverse"``,
            ``"v5.spot"``, ``"v5.option"``, ``"v5.private"``, ``"v5.status"``: ``system.status``), e.g.
            to point at ``FakeBybit``.
        workers: size of the callback worker pool.
        ping_interval, pong_timeout: heartbeat; no pong for ``pong_timeout`` s marks the connection dead.
        reconnect: reconnect, re-authenticate and resubscribe after a drop (else give up on the first drop).
        request_timeout: how long subscribe/auth calls wait for the server's reply.
        keep_original_data: put the raw frame text in ``DataEvent.original_data``.
        stale_timeout: no data this long on an order book or ticker topic (while pings still succeed)
            means a stale feed: reconnect and resubscribe. ``None`` turns the watchdog off.
        sslopt: TLS options for websocket-client (verification stays on unless you turn it off), e.g.
            ``{"ca_certs": "/path/ca.pem"}``.
        proxy: ``"http://host:port"``, ``"socks5://user:pw@host:port"``, or a mapping of websocket-client's
            proxy arguments (``http_proxy_host``, ``http_proxy_port``, ``proxy_type``, ...).
        connect_timeout: seconds allowed to open a connection.
        max_backlog: events each subscription may queue for a slow handler; beyond it the oldest are
            dropped and counted in ``Subscription.stats.dropped``.
        backoff: reconnect delays (exponential with jitter).
        max_retries: give up after this many failed reconnect attempts in a row (``None``: never).
    """

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | None = None,
        *,
        testnet: bool = False,
        urls: Mapping[str, str] | None = None,
        workers: int = 4,
        ping_interval: float = 20.0,
        pong_timeout: float = 10.0,
        reconnect: bool = True,
        request_timeout: float = 10.0,
        keep_original_data: bool = False,
        stale_timeout: float | None = 60.0,
        sslopt: Mapping[str, Any] | None = None,
        proxy: Mapping[str, Any] | str | None = None,
        connect_timeout: float = 10.0,
        max_backlog: int = 10_000,
        backoff: Backoff | None = None,
        max_retries: int | None = None,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("BYBIT_API_KEY")
        secret = api_secret if api_secret is not None else os.environ.get("BYBIT_API_SECRET")
        if bool(key) != bool(secret):
            raise ValueError("api_key and api_secret must be given together")
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if max_backlog < 1:
            raise ValueError("max_backlog must be at least 1")
        for name, value in (
            ("ping_interval", ping_interval),
            ("pong_timeout", pong_timeout),
            ("request_timeout", request_timeout),
            ("connect_timeout", connect_timeout),
        ):
            if not value > 0:
                raise ValueError(f"{name} must be positive")
        self._credentials = Credentials(key, secret) if key and secret else None
        self.testnet = testnet
        endpoints = dict(TESTNET_URLS if testnet else MAINNET_URLS)
        for name, url in (urls or {}).items():
            if name not in endpoints:
                raise ValueError(f"unknown endpoint key {name!r}; known: {', '.join(sorted(endpoints))}")
            if not isinstance(url, str) or not url.startswith(("ws://", "wss://")):
                raise ValueError(f"endpoint {name!r} must be a ws:// or wss:// URL, not {url!r}")
            endpoints[name] = url
        self._urls = endpoints
        self._workers = workers
        self._config = ConnectionConfig(
            ping_interval=ping_interval,
            pong_timeout=pong_timeout,
            request_timeout=request_timeout,
            stale_timeout=stale_timeout if stale_timeout and stale_timeout > 0 else None,
            reconnect=reconnect,
            max_retries=max_retries,
            backoff=backoff or Backoff(),
            keep_original_data=keep_original_data,
            max_backlog=max_backlog,
            transport=TransportOptions(
                connect_timeout=connect_timeout, send_timeout=request_timeout, sslopt=sslopt, proxy=proxy
            ),
        )
        self._res = _Resources()
        self._done = threading.Event()
        self._failure: BaseException | None = None
        self._finalizer = weakref.finalize(self, self._res.close)
        _live_clients.add(self)
        #: Inverse Perpetual v2 streams (Bybit.Net ``InversePerpetualStreams``).
        self.inverse = InverseStreams(self, _INVERSE)
        #: Derivatives v3 contract private streams (Bybit.Net ``ContractApi``).
        self.contract = ContractStreams(self, _CONTRACT)
        #: v5 streams: the API live Bybit serves today.
        self.v5 = V5Streams(self)

    @property
    def urls(self) -> Mapping[str, str]:
        """The endpoints in use, by key."""
        return dict(self._urls)

    @property
    def is_closed(self) -> bool:
        """True once :meth:`close` has run."""
        return self._res.closed

    # -------------------------------------------------------------------------------- subscribing
    def _subscribe(
        self,
        endpoint: str,
        dialect: Dialect,
        topics: list[str],
        handlers: Mapping[str, Callable[[Any], object] | None],
        *,
        private: bool = False,
    ) -> Subscription[Any]:
        """The one subscribe path of every dialect: place topics on connections, register, confirm."""
        if private and self._credentials is None:
            raise AuthenticationError(
                "private topics need API credentials: pass api_key and api_secret, "
                "or set BYBIT_API_KEY and BYBIT_API_SECRET",
                op="auth",
            )
        url = self._urls[endpoint]
        deadline = time.monotonic() + self._config.request_timeout
        res = self._res
        with res.lock:
            if res.closed:
                raise ClientClosedError("the client is closed")
            if res.dispatcher is None:
                res.dispatcher = Dispatcher(self._workers)
            sub: Subscription[Any] = Subscription(topics, handlers, res.dispatcher, self._config.max_backlog)
        while True:
            with res.lock:
                if res.closed:
                    raise ClientClosedError("the client is closed")
                try:
                    parts = self._place(endpoint, url, dialect, topics, sub)
                except _Retired:
                    continue
            break
        try:
            for connection, part in parts:
                connection.wait_subscribed(sub, part, private, deadline)
        except BaseException:
            sub.close()
            raise
        return sub

    def _place(
        self,
        endpoint: str,
        url: str,
        dialect: Dialect,
        topics: list[str],
        sub: Subscription[Any],
    ) -> list[tuple[Connection, tuple[str, ...]]]:
        """Choose connections for ``topics`` (respecting per-connection limits) and register ``sub``."""
        group = self._res.connections.setdefault(endpoint, [])
        group[:] = [c for c in group if not c.is_retired]
        limit = dialect.max_chars_per_connection
        remaining = list(topics)
        plan: list[tuple[Connection | None, list[str]]] = []
        for existing in group:
            if not remaining:
                break
            room = None if limit is None else limit - existing.char_count
            taken = _take(remaining, room)
            if taken:
                plan.append((existing, taken))
                remaining = remaining[len(taken) :]
        while remaining:
            taken = _take(remaining, limit) or remaining[:1]
            plan.append((None, taken))
            remaining = remaining[len(taken) :]
        parts: list[tuple[Connection, tuple[str, ...]]] = []
        try:
            for planned, part in plan:
                connection = planned or self._new_connection(group, url, dialect)
                connection.register(sub, part)
                parts.append((connection, tuple(part)))
                sub._parts.append((connection, tuple(part)))
        except _Retired:
            for registered, topics_part in parts:
                registered.forget(sub, topics_part)
            sub._parts.clear()
            raise
        return parts

    def _new_connection(self, group: list[Connection], url: str, dialect: Dialect) -> Connection:
        connection = Connection(
            url=url,
            dialect=dialect,
            config=self._config,
            credentials=self._credentials,
            on_finished=_weak_finished(self),
        )
        group.append(connection)
        return connection

    def _connection_finished(self, connection: Connection, error: BaseException | None) -> None:
        with self._res.lock:
            for group in self._res.connections.values():
                if connection in group:
                    group.remove(connection)
        if error is not None:
            self._failure = error
            self._done.set()

    # -------------------------------------------------------------------------------- lifecycle
    def close(self) -> None:
        """Close every subscription and connection and join every thread the client started.

        Idempotent; safe from any thread, a handler included (a worker cannot join itself: the pool's
        other threads are joined and the calling worker ends when its handler returns).
        """
        self._res.close()
        _live_clients.discard(self)
        self._done.set()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the client is closed or one of its connections is given up for good.

        Ctrl-C gets through at once: the client is closed and ``KeyboardInterrupt`` propagates.

        Raises:
            BybitConnectionError: a connection was given up (retries exhausted, re-auth rejected, or a
                drop with ``reconnect=False``).
            BybitTimeoutError: ``timeout`` passed first.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while not self._done.wait(
                0.25 if deadline is None else min(0.25, max(0.0, deadline - time.monotonic()))
            ):
                if deadline is not None and time.monotonic() >= deadline:
                    raise BybitTimeoutError(f"client still running after {timeout} s")
        except KeyboardInterrupt:
            self.close()
            raise
        if self._failure is not None:
            raise BybitConnectionError(f"a connection was given up: {self._failure}") from self._failure

    def __enter__(self) -> BybitSocketClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        key = self._credentials.key if self._credentials else None
        shown = f"{key[:4]}…" if key else None
        with self._res.lock:
            count = sum(len(group) for group in self._res.connections.values())
        state = "closed" if self._res.closed else "open"
        return f"<BybitSocketClient {state} testnet={self.testnet} api_key={shown!r} connections={count}>"


def _take(topics: list[str], room: int | None) -> list[str]:
    if room is None:
        return list(topics)
    taken: list[str] = []
    for topic in topics:
        if len(topic) > room:
            break
        taken.append(topic)
        room -= len(topic)
    return taken


def _weak_finished(client: BybitSocketClient) -> Callable[[Connection, BaseException | None], None]:
    ref = weakref.ref(client)

    def finished(connection: Connection, error: BaseException | None) -> None:
        target = ref()
        if target is not None:
            target._connection_finished(connection, error)

    return finished


_INVERSE = InverseDialect()
_CONTRACT = ContractDialect()
