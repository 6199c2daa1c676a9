"""The websocket server behind `FakeBybit`: its shared state, connections, threads and shutdown."""

from __future__ import annotations

import collections
import http
import itertools
import json
import logging
import socket
import ssl
import struct
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from types import TracebackType
from typing import Any, TypeVar

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.sync.server import Server, ServerConnection, serve

from bybit_ws.testing._addresses import AddressesMixin, SnapshotSource
from bybit_ws.testing._catalog import Catalog
from bybit_ws.testing._protocol import Dialect, Endpoint, account_key, endpoints_for, now_ms
from bybit_ws.testing._rest import INSTRUMENTS_PATH, rest_response

__all__ = ["REJECTABLE_OPS", "Connection", "FakeServer", "SnapshotSource", "dumps"]

_log = logging.getLogger("bybit_ws.testing")

REJECTABLE_OPS = frozenset({"subscribe", "unsubscribe", "auth"})

_Self = TypeVar("_Self", bound="FakeServer")


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"FakeBybit cannot serialise {type(value).__name__} to JSON")


def dumps(frame: object) -> str:
    """Compact JSON text of a frame; Decimal values become strings."""
    return json.dumps(frame, default=_json_default, separators=(",", ":"))


class Connection:
    """Server-side state of one client connection.

    `args` and `multi` change only while holding both `send_lock` and the fake's lock, so either lock
    alone is enough to read them. `send_lock` orders a reply before any data for the topics it confirms.
    """

    __slots__ = (
        "args",
        "authenticated",
        "closing",
        "conn_id",
        "endpoint",
        "idle_limit",
        "last_active",
        "multi",
        "send_lock",
        "ws",
    )

    def __init__(self, ws: ServerConnection, endpoint: Endpoint, idle_limit: float | None = None) -> None:
        self.ws = ws
        self.endpoint = endpoint
        self.conn_id = endpoint.new_conn_id()
        self.idle_limit = idle_limit  # max_active_time: cut after this long with no frame either way
        self.last_active = time.monotonic()
        self.args: dict[str, None] = {}  # subscribed args, in subscription order
        # multi-filter args: "trade.BTCUSD|ETHUSD" -> {"trade": {"BTCUSD", "ETHUSD"}}
        self.multi: dict[str, frozenset[str]] = {}
        self.authenticated = False
        self.closing = False
        self.send_lock = threading.Lock()

    @property
    def path(self) -> str:
        return self.endpoint.path

    def set_args(self, args: dict[str, None]) -> None:
        multi: dict[str, set[str]] = {}
        for arg in args:
            prefix, dot, filters = arg.rpartition(".")
            if dot and "|" in filters:
                multi.setdefault(prefix, set()).update(filters.split("|"))
        self.args = args
        self.multi = {prefix: frozenset(f) for prefix, f in multi.items()}

    def matches(self, topic: str) -> bool:
        """Whether a frame with this topic goes to this connection (exact, ``prefix.*``, ``prefix.A|B``)."""
        if topic in self.args:
            return True
        prefix, dot, last = topic.rpartition(".")
        if not dot:
            return False
        if prefix + ".*" in self.args:
            return True
        filters = self.multi.get(prefix)
        return filters is not None and last in filters

    def send_if(self, text: str, still: Callable[[], bool] | None = None) -> bool:
        """Send `text` unless the connection is closing or `still()` turned false; True if sent."""
        with self.send_lock:
            if still is not None and not still():
                return False
            return self.send_locked(text)

    def send_locked(self, text: str) -> bool:
        # Caller holds self.send_lock.
        if self.closing or self.ws.state is not State.OPEN:
            return False
        try:
            self.ws.send(text)
        except ConnectionClosed:
            return False
        self.last_active = time.monotonic()
        return True

    def idle_wait(self) -> float | None:
        """How long until the idle cut-off (``max_active_time``) comes; None: never."""
        if self.idle_limit is None or self.closing:
            return None
        return max(0.0, self.last_active + self.idle_limit - time.monotonic())

    def idle(self) -> bool:
        """Whether nothing went either way for ``max_active_time`` (live Bybit then cuts it)."""
        return self.idle_limit is not None and time.monotonic() - self.last_active >= self.idle_limit

    def reset(self) -> None:
        """Reset the TCP connection: no close frame; SO_LINGER 0 makes the final close() a TCP reset."""
        try:  # shutdown() also wakes a send blocked on a client that stopped reading
            self.ws.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.ws.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class FakeServer(AddressesMixin):
    """The server half of `FakeBybit`: state, lifecycle, addresses, handshakes and teardown.

    Everything runs under one lock (`_lock`, with `_cond` on it); `_on_text` answers each text frame
    a client sends (`RepliesMixin`). The constructor arguments are `FakeBybit`'s.
    """

    def __init__(
        self,
        dialect: Dialect = "inverse",
        api_key: str | None = None,
        api_secret: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        close_timeout: float = 1.0,
        ssl_context: ssl.SSLContext | None = None,
        rsa_public_key: str | bytes | None = None,
        clock_skew: float = 0.0,
        symbols: Mapping[str, Iterable[str]] | None = None,
        check_topics: bool = True,
    ) -> None:
        self._rsa_public_key = account_key(api_key, api_secret, rsa_public_key)
        self._skew_ms = int(clock_skew * 1000)
        self._catalog = Catalog(symbols, check=check_topics)
        self._endpoints = {ep.path: ep for ep in endpoints_for(dialect, self._catalog)}
        for endpoint in self._endpoints.values():
            endpoint.clock = self.server_time_ms
        self._by_key = {ep.key: ep for ep in self._endpoints.values()}
        self._dialect: Dialect = dialect
        self._api_key = api_key
        self._api_secret = api_secret
        self._host = host
        self._port = port
        self._close_timeout = close_timeout
        self._ssl = ssl_context  # serve wss:// with this server-side context

        self._lifecycle = threading.Lock()  # serialises start() and close()
        self._lock = threading.Lock()  # guards all other state
        self._cond = threading.Condition(self._lock)
        self._generation = 0  # bumped on every server event; lets wait_for never miss one
        self._state = "new"  # new -> running -> closing -> closed
        self._server: Server | None = None
        self._server_thread: threading.Thread | None = None
        self._bound_port = 0
        self._threads: list[threading.Thread] = []  # connection threads (websockets'), joined on close()
        self._closers: list[threading.Thread] = []  # threads closing connections gracefully
        self._sockets: list[ServerConnection] = []  # every websocket connection, handshake included
        self._conns: dict[ServerConnection, Connection] = {}  # open connections, in accept order
        self._connections_total = 0
        self._refused_total = 0
        self._received: list[tuple[str, dict[str, Any]]] = []
        self._reject: dict[str, collections.deque[str | None]] = {
            op: collections.deque() for op in REJECTABLE_OPS
        }
        self._ignore: collections.Counter[str] = collections.Counter()
        self._answer_pings = True
        self._paused = False
        self._refuse_until = 0.0
        self._thread_ids = itertools.count(1)
        self._snapshot_sources: list[SnapshotSource] = []
        self._latency = 0.0  # seconds between a client frame's arrival and its handling

    # ---------------------------------------------------------------------------------------------
    # lifecycle

    def start(self: _Self) -> _Self:
        """Bind and serve in a daemon thread named ``bybit-fake-server``. Returns self."""
        with self._lifecycle:
            if self._state != "new":
                raise RuntimeError(f"FakeBybit can be started once; it is {self._state}")
            self._serve()
        _log.debug("FakeBybit(%s) listening on %s", self._dialect, self.url)
        return self

    def _serve(self) -> None:
        fake = self

        class _TrackedConnection(ServerConnection):
            # Built in the connection's handler thread, right after websockets started its reader.
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                fake._track_socket(self)

            def handshake(self, *args: Any, **kwargs: Any) -> None:
                try:
                    super().handshake(*args, **kwargs)
                finally:
                    if self.protocol.state is not State.OPEN:  # registered, then the handshake failed
                        fake._unregister(self, counted=False)

        try:
            self._server = serve(
                self._handle,
                self._host,
                self._port,
                process_request=self._process_request,
                process_response=self._process_response,
                compression=None,
                ping_interval=None,  # no keepalive thread; clients ping at the application level
                close_timeout=self._close_timeout,
                logger=_log,
                create_connection=_TrackedConnection,
                ssl=self._ssl,
            )
        except BaseException:
            with self._lock:
                self._state = "closed"
            raise
        self._bound_port = self._server.socket.getsockname()[1]
        self._server_thread = threading.Thread(
            target=self._server.serve_forever, name="bybit-fake-server", daemon=True
        )
        with self._lock:
            self._state = "running"
        self._server_thread.start()

    def close(self) -> None:
        """Close every connection (close frame), stop the server and join every thread it started.

        Idempotent. Waits at most about `close_timeout` for clients that do not answer the close frame.
        """
        with self._lifecycle:
            with self._cond:
                previous, self._state = self._state, "closing"  # handshakes now get HTTP 503
                self._bump()
            if previous == "running":
                self._shut_down()
            with self._cond:
                self._state = "closed"
                self._bump()

    def _shut_down(self) -> None:
        assert self._server is not None and self._server_thread is not None
        self._close_connections(code=1001, reason="server shutting down")
        if not self._join_threads(self._closers, timeout=self._close_timeout + 0.5):
            self._kill_sockets()  # a close() is stuck behind a send to a client that stopped reading
            self._join_threads(self._closers)
        self._stop_handshakes()
        self._join_threads(self._threads)
        self._server.shutdown()
        self._server_thread.join()
        self._stop_handshakes()
        self._join_threads(self._threads)

    def __enter__(self: _Self) -> _Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def server_time_ms(self) -> int:
        """The fake's clock, epoch ms: the wall clock plus its skew (see `set_clock_skew`)."""
        return now_ms() + self._skew_ms

    def _bump(self) -> None:
        # Caller holds self._cond.
        self._generation += 1
        self._cond.notify_all()

    # ---------------------------------------------------------------------------------------------
    # server side (runs in websockets' threads)

    def _track_socket(self, ws: ServerConnection) -> None:
        n = next(self._thread_ids)
        handler = threading.current_thread()
        handler.name = f"bybit-fake-conn-{n}"
        ws.recv_events_thread.name = f"bybit-fake-recv-{n}"
        with self._lock:
            self._threads[:] = [t for t in self._threads if t.is_alive()]
            self._threads += (handler, ws.recv_events_thread)
            self._sockets[:] = [s for s in self._sockets if s.state is not State.CLOSED]
            self._sockets.append(ws)

    def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        with self._lock:
            refuse = self._state != "running" or time.monotonic() < self._refuse_until
            if refuse:
                self._refused_total += 1
        if refuse:
            return ws.respond(http.HTTPStatus.SERVICE_UNAVAILABLE, "Service Unavailable\n")
        if path == INSTRUMENTS_PATH and self._dialect == "v5":  # REST: a client's market metadata
            return rest_response(ws, request, self._catalog)
        if path not in self._endpoints:
            return ws.respond(http.HTTPStatus.NOT_FOUND, f"Not Found: {path}\n")
        return None

    def _process_response(
        self, ws: ServerConnection, request: Request, response: Response
    ) -> Response | None:
        # Register the connection before the client sees "101 Switching Protocols", so that
        # connection_count, drop_connections() and publish() know it once the client is connected.
        if response.status_code != http.HTTPStatus.SWITCHING_PROTOCOLS:
            return None
        path, _, query = request.path.partition("?")
        endpoint = self._endpoints[path]
        conn = Connection(ws, endpoint, endpoint.idle_limit(urllib.parse.parse_qs(query)))
        with self._cond:
            if self._state != "running":  # close() began during the handshake
                self._refused_total += 1
                return ws.respond(http.HTTPStatus.SERVICE_UNAVAILABLE, "Service Unavailable\n")
            self._conns[ws] = conn
            self._connections_total += 1
            self._bump()
        return None

    def _unregister(self, ws: ServerConnection, *, counted: bool = True) -> None:
        with self._cond:
            conn = self._conns.pop(ws, None)
            if conn is not None:
                if not counted:
                    self._connections_total -= 1
                self._bump()
        if conn is not None:
            self._on_closed(conn)

    def _on_closed(self, conn: Connection) -> None:
        """A connection ended (runs in its handler thread, no lock held)."""

    def _handle(self, ws: ServerConnection) -> None:
        with self._lock:
            conn = self._conns.get(ws)
        if conn is None:  # unregistered meanwhile
            return
        try:
            while True:
                try:
                    message = ws.recv(timeout=conn.idle_wait())
                except TimeoutError:
                    if conn.idle():
                        _log.debug("FakeBybit: %s idle (max_active_time): closing it", conn.conn_id)
                        self._close_idle(conn)
                    continue
                conn.last_active = time.monotonic()
                with self._lock:
                    latency = self._latency
                if latency > 0:  # the network's latency: the request reaches the exchange later
                    time.sleep(latency)
                text = message if isinstance(message, str) else message.decode("utf-8", "replace")
                self._on_text(conn, text)
        except ConnectionClosed:
            pass
        finally:
            self._unregister(ws)

    def _close_idle(self, conn: Connection) -> None:
        with self._cond:
            conn.closing = True
            self._bump()
        conn.ws.close(1000, "max_active_time exceeded")

    def _on_text(self, conn: Connection, text: str) -> None:
        """Answer one text frame a client sent (runs in the connection's handler thread)."""
        raise NotImplementedError

    def _close_connections(
        self, *, abrupt: bool = False, path: str | None = None, code: int = 1000, reason: str = ""
    ) -> int:
        with self._lock:
            targets = [c for c in self._conns.values() if not c.closing and (path is None or c.path == path)]
            for c in targets:
                c.closing = True  # publish and replies skip it from now on
        for c in targets:
            if abrupt:  # no close frame, a TCP reset
                c.reset()
            else:  # close() waits for the client's answer: do it off the caller's thread
                closer = threading.Thread(
                    target=c.ws.close,
                    args=(code, reason),
                    name=f"bybit-fake-close-{next(self._thread_ids)}",
                    daemon=True,
                )
                with self._lock:
                    self._closers[:] = [t for t in self._closers if t.is_alive()]
                    self._closers.append(closer)
                closer.start()
        return len(targets)

    def _stop_handshakes(self) -> None:
        """Cut TCP connections still in the opening handshake (a client that never sent its request)."""
        with self._lock:
            opening = [ws for ws in self._sockets if ws.state is State.CONNECTING]
        for ws in opening:
            ws.close_socket()

    def _kill_sockets(self) -> None:
        """Shut down every connection's TCP socket: wakes any thread blocked sending or receiving."""
        with self._lock:
            sockets = [ws.socket for ws in self._sockets if ws.state is not State.CLOSED]
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _join_threads(self, threads: list[threading.Thread], timeout: float | None = None) -> bool:
        """Join `threads` (a list the fake appends to) and any added meanwhile; True if all ended."""
        deadline = None if timeout is None else time.monotonic() + timeout
        me = threading.current_thread()
        while True:
            with self._lock:
                pending = [t for t in threads if t.is_alive() and t is not me]
            if not pending:
                return True
            for t in pending:
                t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if deadline is not None and time.monotonic() >= deadline:
                return not any(t.is_alive() for t in pending)
