"""`FakeBybit`: a real websocket server on localhost that speaks Bybit's v2, v3 and v5 dialects."""

from __future__ import annotations

import collections
import functools
import http
import itertools
import json
import logging
import socket
import ssl
import struct
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import TracebackType
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.sync.server import Server, ServerConnection, serve

from bybit_ws.testing._protocol import (
    INVALID_ARGS,
    INVALID_OP,
    Dialect,
    Endpoint,
    check_auth,
    endpoints_for,
    now_ms,
)

__all__ = ["FakeBybit"]

_log = logging.getLogger("bybit_ws.testing")

_REJECTABLE_OPS = frozenset({"subscribe", "unsubscribe", "auth"})
_WAIT_POLL = 0.05  # wait_for re-checks its predicate at least this often (client-side state)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"FakeBybit cannot serialise {type(value).__name__} to JSON")


def _dumps(frame: object) -> str:
    return json.dumps(frame, default=_json_default, separators=(",", ":"))


class _Connection:
    """Server-side state of one client connection.

    `args` and `multi` change only while holding both `send_lock` and the fake's lock, so either lock
    alone is enough to read them. `send_lock` orders a reply before any data for the topics it confirms.
    """

    __slots__ = ("args", "authenticated", "closing", "conn_id", "endpoint", "multi", "send_lock", "ws")

    def __init__(self, ws: ServerConnection, endpoint: Endpoint) -> None:
        self.ws = ws
        self.endpoint = endpoint
        self.conn_id = str(uuid.uuid4())
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


class FakeBybit:
    """A local Bybit websocket exchange for tests, demos and offline strategy runs.

    A real websocket server (``websockets``' threaded server) on ``host:port`` (port 0 picks a free
    one) serving the URL paths of one Bybit API family, answering subscribe/unsubscribe/auth/ping the
    way Bybit did, and pushing whatever frames the test publishes. Every method is thread-safe.

    Args:
        dialect: ``"inverse"`` (v2 ``/realtime``), ``"contract"`` (v3 ``/contract/private/v3``) or
            ``"v5"`` (``/v5/public/{linear,inverse,spot,option}`` and ``/v5/private``).
        api_key, api_secret: the one account whose auth requests succeed (HMAC-SHA256 of
            ``"GET/realtime" + expires``, see `sign`). Without them every auth request fails with
            "invalid api_key". Give both or neither.
        host, port: where to listen. Port 0 (the default) picks a free port; read it from `url`.
        close_timeout: how long closing a connection waits for the client's close frame before
            cutting the TCP connection.

    Replies per dialect (``conn_id`` is a UUID per connection; ``req_id`` echoes the request's,
    ``""`` when it had none, unless noted):

    * inverse: ``{"success", "ret_msg", "conn_id", "request": {"op", "args"}}``, one per request, args
      echoed as sent (auth args echoed as strings, like Bybit); pong has ``ret_msg: "pong"`` and
      ``request: {"op": "ping", "args": null}``. Private topics (position, execution, order,
      stop_order, wallet) before auth fail the whole request with ``error:topic:<name> needs auth
      first``. Auth failures: ``error:request expired``, ``error:invalid api_key``,
      ``error:signature verification failed``, ``error:invalid args``.
    * contract: ``{"success", "ret_msg", "conn_id", "req_id", "op"}``; pong is the same with
      ``ret_msg: "pong"``, ``op: "ping"``; auth ``{"success", "ret_msg", "op": "auth", "conn_id"}``
      (+ ``req_id`` only if sent). Any subscribe before auth fails with ``Request not authorized``.
      Auth failures: ``Params Error`` (malformed args), ``Params Error: request expired``,
      ``Invalid api_key``, ``Signature verification failed``.
    * v5 linear/inverse: like contract, no auth. Spot: ``ret_msg`` is the op (``"subscribe"``) on
      success, the pong has no ``req_id``, more than 10 args in one request fail. Option:
      ``{"success", "conn_id", "data": {"failTopics", "successTopics"}, "type": "COMMAND_RESP"}``
      (+ ``req_id`` only if sent, + ``ret_msg`` when the whole request failed), pong
      ``{"args": ["<ms>"], "op": "pong"}``. Public paths refuse a topic the connection already has
      (``error:already subscribed,topic:<t>``; option: that topic goes to ``failTopics``, the rest
      succeed; elsewhere the whole request fails). Private: ``{"success", "ret_msg", "op",
      "conn_id"}`` (+ ``req_id`` only if sent), pong ``{"req_id", "op": "pong", "args": ["<ms>"],
      "conn_id"}``, auth as contract.
    * Everywhere: an unknown op (or auth on a public path) gets ``error:invalid op``; args that are
      not a non-empty list of strings get ``error:invalid args``; text that is not a JSON object gets
      a ``Failed to decode incoming data`` failure (inverse: ``error:failed to decode ...``).
      Unsubscribe always succeeds, even for args the connection does not have.

    Use as a context manager, or call `start` and `close`::

        with FakeBybit("v5") as fake:
            client = BybitSocketClient(urls=fake.urls)
            ...
            fake.wait_for_subscribers("publicTrade.BTCUSDT")
            fake.publish("publicTrade.BTCUSDT", [...], path="v5.linear")
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
    ) -> None:
        if (api_key is None) != (api_secret is None):
            raise ValueError("give both api_key and api_secret, or neither")
        self._endpoints = {ep.path: ep for ep in endpoints_for(dialect)}
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
        self._conns: dict[ServerConnection, _Connection] = {}  # open connections, in accept order
        self._connections_total = 0
        self._refused_total = 0
        self._received: list[tuple[str, dict[str, Any]]] = []
        self._reject: dict[str, collections.deque[str | None]] = {
            op: collections.deque() for op in _REJECTABLE_OPS
        }
        self._ignore: collections.Counter[str] = collections.Counter()
        self._answer_pings = True
        self._paused = False
        self._refuse_until = 0.0
        self._thread_ids = itertools.count(1)

    # ---------------------------------------------------------------------------------------------
    # lifecycle

    def start(self) -> FakeBybit:
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

    def __enter__(self) -> FakeBybit:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self.url if self._bound_port else "not bound"
        return f"<FakeBybit {self._dialect} {where} {self._state}, {self.connection_count} connection(s)>"

    # ---------------------------------------------------------------------------------------------
    # addresses

    @property
    def dialect(self) -> Dialect:
        return self._dialect

    @property
    def url(self) -> str:
        """Base URL, e.g. ``ws://127.0.0.1:54321``. Only after `start`."""
        if not self._bound_port:
            raise RuntimeError("FakeBybit is not started")
        scheme = "wss" if self._ssl is not None else "ws"
        return f"{scheme}://{self._host}:{self._bound_port}"

    @property
    def urls(self) -> dict[str, str]:
        """The client's ``urls`` mapping: ``"inverse"``, ``"contract"`` or the five ``"v5.*"`` keys."""
        base = self.url
        return {ep.key: base + ep.path for ep in self._endpoints.values()}

    def _resolve_path(self, path: str | None) -> str | None:
        """Accept a URL path (``"/v5/public/spot"``) or a `urls` key (``"v5.spot"``)."""
        if path is None or path in self._endpoints:
            return path
        endpoint = self._by_key.get(path)
        if endpoint is None:
            known = ", ".join([*self._endpoints, *self._by_key])
            raise ValueError(f"unknown path {path!r} for dialect {self._dialect!r}; known: {known}")
        return endpoint.path

    # ---------------------------------------------------------------------------------------------
    # pushing data

    def publish(self, topic: str, data: Any, *, path: str | None = None, **envelope: Any) -> int:
        """Send a data frame to every connection subscribed to `topic`; return how many got it.

        A connection is subscribed when it holds `topic` itself, the wildcard ``prefix.*`` or a
        multi-filter ``prefix.A|B`` naming the topic's last segment (``prefix`` = `topic` minus its last
        ``.segment``); it gets one frame however many of its args match. The frame is the dialect's
        envelope: inverse and contract ``{"topic", "data", **envelope}`` (e.g. ``type="snapshot"``,
        ``cross_seq=...``, ``timestamp_e6=...``); v5 ``{"topic", "ts": <now ms>, "type": "snapshot",
        "data", **envelope}`` (e.g. ``type="delta"``, ``cts=...``; private frames: ``id=...``,
        ``creationTime=...``, ``ts=None, type=None``). An envelope value of None removes that key.
        Decimal values are sent as JSON strings. `path` (a URL path or a `urls` key such as
        ``"v5.spot"``) restricts delivery to connections on that path. Sends nothing while paused.
        """
        frame: dict[str, Any] = {"topic": topic}
        if self._dialect == "v5":
            frame["ts"] = now_ms()
            frame["type"] = "snapshot"
        frame["data"] = data
        for key, value in envelope.items():
            if value is None:
                frame.pop(key, None)
            else:
                frame[key] = value
        return self._publish(topic, _dumps(frame), path)

    def publish_frame(self, frame: Mapping[str, Any], *, path: str | None = None) -> int:
        """Send a complete frame (e.g. a recorded one) as is, routed by its ``"topic"`` like `publish`."""
        topic = frame.get("topic")
        if not isinstance(topic, str):
            raise ValueError("frame has no string 'topic'")
        return self._publish(topic, _dumps(frame), path)

    def _publish(self, topic: str, text: str, path: str | None) -> int:
        path = self._resolve_path(path)
        with self._lock:
            if self._paused:
                return 0
            targets = [
                c for c in self._conns.values() if (path is None or c.path == path) and c.matches(topic)
            ]
        sent = 0
        for c in targets:  # re-checked under the send lock: no data after an unsubscribe reply
            if self._send_if(c, text, functools.partial(c.matches, topic)):
                sent += 1
        if sent:
            with self._cond:
                self._bump()
        return sent

    def send_raw(self, text: str, *, path: str | None = None) -> int:
        """Send `text` as one text frame to every open connection (or those on `path`), e.g. garbage.

        Not affected by `pause_data`. Returns how many connections got it.
        """
        path = self._resolve_path(path)
        with self._lock:
            targets = [c for c in self._conns.values() if path is None or c.path == path]
        return sum(1 for c in targets if self._send_if(c, text))

    # ---------------------------------------------------------------------------------------------
    # faults

    def drop_connections(
        self, *, abrupt: bool = False, path: str | None = None, code: int = 1000, reason: str = ""
    ) -> int:
        """Close every open connection (or those on `path`); return how many.

        Default: a websocket close frame (`code`, `reason`), without waiting for the client's answer.
        ``abrupt=True``: reset the TCP connection at once, no close frame (the client sees a reset).
        """
        return self._close_connections(abrupt=abrupt, path=self._resolve_path(path), code=code, reason=reason)

    def reject_next(self, op: str, ret_msg: str | None = None) -> None:
        """Fail the next request with this op: ``"subscribe"``, ``"unsubscribe"`` or ``"auth"``.

        The reply has the dialect's shape; nothing changes on the connection. `ret_msg` defaults to
        ``"error:rejected by FakeBybit"`` (``"Params Error"`` for auth on contract and v5 private).
        Calls queue up: two calls reject the next two such requests.
        """
        if op not in _REJECTABLE_OPS:
            raise ValueError(f"reject_next takes one of {sorted(_REJECTABLE_OPS)}, not {op!r}")
        with self._lock:
            self._reject[op].append(ret_msg)

    def ignore_next(self, op: str, count: int = 1) -> None:
        """Do not answer the next `count` requests with this op (any op, ``"ping"`` included)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._ignore[op] += count

    def stop_answering_pings(self) -> None:
        """Ignore application-level ``{"op": "ping"}`` requests (websocket protocol pings still get pongs)."""
        with self._lock:
            self._answer_pings = False

    def resume_answering_pings(self) -> None:
        with self._lock:
            self._answer_pings = True

    def pause_data(self) -> None:
        """Make `publish` send nothing (frames are dropped, not queued): a stale feed. Replies go on."""
        with self._lock:
            self._paused = True

    def resume_data(self) -> None:
        with self._lock:
            self._paused = False

    def refuse_connections(self, seconds: float) -> None:
        """Answer new websocket handshakes with HTTP 503 for `seconds` from now (0 stops refusing)."""
        with self._lock:
            self._refuse_until = time.monotonic() + seconds

    # ---------------------------------------------------------------------------------------------
    # inspection

    @property
    def received(self) -> list[dict[str, Any]]:
        """Every JSON object clients sent, parsed, in arrival order (a new list; frames are read-only)."""
        with self._lock:
            return [frame for _, frame in self._received]

    def received_frames(self, path: str | None = None, op: str | None = None) -> list[dict[str, Any]]:
        """Like `received`, only frames sent on `path` (URL path or `urls` key) and/or with this op."""
        path = self._resolve_path(path)
        with self._lock:
            return [
                frame
                for p, frame in self._received
                if (path is None or p == path) and (op is None or frame.get("op") == op)
            ]

    def clear_received(self) -> None:
        with self._lock:
            self._received.clear()

    def subscriptions(self, path: str | None = None) -> dict[str, int]:
        """Subscribed arg -> number of open connections holding it (on `path`, if given)."""
        path = self._resolve_path(path)
        counts: collections.Counter[str] = collections.Counter()
        with self._lock:
            for c in self._conns.values():
                if path is None or c.path == path:
                    counts.update(list(c.args))
        return dict(counts)

    def subscriber_count(self, topic: str, *, path: str | None = None) -> int:
        """How many open connections `publish(topic)` would reach now (ignoring `pause_data`)."""
        path = self._resolve_path(path)
        with self._lock:
            return sum(
                1 for c in self._conns.values() if (path is None or c.path == path) and c.matches(topic)
            )

    @property
    def connection_count(self) -> int:
        """Connections open now (handshake done, not yet closed)."""
        with self._lock:
            return len(self._conns)

    @property
    def connections_total(self) -> int:
        """Websocket connections accepted since start."""
        with self._lock:
            return self._connections_total

    @property
    def refused_total(self) -> int:
        """Handshakes refused by `refuse_connections` or because the server was closing."""
        with self._lock:
            return self._refused_total

    # ---------------------------------------------------------------------------------------------
    # waiting

    def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 5.0, *, message: str | None = None
    ) -> None:
        """Block until `predicate()` is true; raise TimeoutError after `timeout` seconds.

        The predicate runs in the calling thread without any lock held, after every server event
        (frame received, reply or data sent, connection opened or closed) and at least every 50 ms, so
        it may also look at client-side state.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                generation = self._generation
            if predicate():
                return
            with self._cond:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                if self._generation == generation:
                    self._cond.wait(min(remaining, _WAIT_POLL))
        what = message or getattr(predicate, "__qualname__", repr(predicate))
        raise TimeoutError(f"FakeBybit.wait_for: {what} still false after {timeout:g} s; {self._summary()}")

    def wait_for_subscribers(
        self, topic: str, count: int = 1, timeout: float = 5.0, *, path: str | None = None
    ) -> None:
        """Wait until at least `count` open connections would receive `publish(topic)`."""
        self._resolve_path(path)
        self.wait_for(
            lambda: self.subscriber_count(topic, path=path) >= count,
            timeout,
            message=f"{count} subscriber(s) to {topic!r}" + (f" on {path}" if path else ""),
        )

    def _summary(self) -> str:
        with self._lock:
            return (
                f"{len(self._conns)} open connection(s), {self._connections_total} accepted, "
                f"{len(self._received)} frame(s) received, subscriptions: "
                f"{[list(c.args) for c in self._conns.values()]}"
            )

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
        conn = _Connection(ws, self._endpoints[request.path.split("?", 1)[0]])
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
            if self._conns.pop(ws, None) is not None:
                if not counted:
                    self._connections_total -= 1
                self._bump()

    def _handle(self, ws: ServerConnection) -> None:
        with self._lock:
            conn = self._conns.get(ws)
        if conn is None:  # unregistered meanwhile
            return
        try:
            for message in ws:
                text = message if isinstance(message, str) else message.decode("utf-8", "replace")
                self._on_text(conn, text)
        except ConnectionClosed:
            pass
        finally:
            self._unregister(ws)

    def _send_if(self, conn: _Connection, text: str, still: Callable[[], bool] | None = None) -> bool:
        """Send `text` to `conn` unless it is closing or `still()` turned false; True if sent."""
        with conn.send_lock:
            if still is not None and not still():
                return False
            return self._send_locked(conn, text)

    @staticmethod
    def _send_locked(conn: _Connection, text: str) -> bool:
        # Caller holds conn.send_lock.
        if conn.closing or conn.ws.state is not State.OPEN:
            return False
        try:
            conn.ws.send(text)
        except ConnectionClosed:
            return False
        return True

    def _reply(self, conn: _Connection, frame: dict[str, Any]) -> None:
        self._send_if(conn, _dumps(frame))
        with self._cond:
            self._bump()

    def _on_text(self, conn: _Connection, text: str) -> None:
        ep = conn.endpoint
        try:
            frame = json.loads(text)
        except ValueError as exc:
            self._reply(conn, ep.decode_error(conn.conn_id, str(exc)))
            return
        if not isinstance(frame, dict):
            self._reply(
                conn, ep.decode_error(conn.conn_id, f"expected a JSON object, got {type(frame).__name__}")
            )
            return

        op = frame.get("op")
        op = op if isinstance(op, str) else ""
        req_id = frame.get("req_id")
        args = frame.get("args")
        handled = op in ("ping", "subscribe", "unsubscribe") or (op == "auth" and ep.auth_allowed)
        with self._cond:
            self._received.append((ep.path, frame))
            self._bump()
            if self._ignore[op] > 0:
                self._ignore[op] -= 1
                return
            if op == "ping" and not self._answer_pings:
                return
            queue = self._reject.get(op) if handled else None
            rejected = bool(queue)
            rejection = queue.popleft() if queue else None
        if rejected:
            rejection = rejection or ep.default_reject_message(op)

        if op == "ping":
            self._reply(conn, ep.pong(conn.conn_id, req_id))
        elif op in ("subscribe", "unsubscribe"):
            self._on_subscription(conn, op, req_id, args, rejection)
        elif handled:
            self._on_auth(conn, req_id, args, rejection)
        else:
            self._reply(
                conn, ep.command_reply(conn.conn_id, op, req_id, args, success=False, ret_msg=INVALID_OP)
            )

    def _on_subscription(
        self, conn: _Connection, op: str, req_id: object, args: object, rejection: str | None
    ) -> None:
        ep = conn.endpoint

        def failure(ret_msg: str) -> dict[str, Any]:
            return ep.subscription_reply(conn.conn_id, op, req_id, args, (), (), ret_msg)

        if rejection is not None:
            self._reply(conn, failure(rejection))
            return
        if not isinstance(args, list) or not args or not all(isinstance(a, str) for a in args):
            self._reply(conn, failure(INVALID_ARGS))
            return
        refusal = ep.subscribe_refusal(args, conn.authenticated) if op == "subscribe" else None
        if refusal is not None:
            self._reply(conn, failure(refusal))
            return

        with conn.send_lock:  # the reply goes out before any data for these topics
            with self._cond:
                current = dict(conn.args)
                ok: list[str] = []
                failed: list[str] = []
                if op == "subscribe":
                    for arg in args:
                        (failed if ep.rejects_duplicates() and arg in current else ok).append(arg)
                        current[arg] = None
                else:
                    for arg in args:
                        current.pop(arg, None)
                        ok.append(arg)
                if failed and not ep.partial_subscribe:
                    reply = failure(f"error:already subscribed,topic:{failed[0]}")
                else:
                    reply = ep.subscription_reply(conn.conn_id, op, req_id, args, ok, failed, None)
                    conn.set_args(current)
                self._bump()
            self._send_locked(conn, _dumps(reply))

    def _on_auth(self, conn: _Connection, req_id: object, args: object, rejection: str | None) -> None:
        ep = conn.endpoint
        if rejection is None:
            reason = check_auth(args, self._api_key, self._api_secret)
            ret_msg = "" if reason is None else ep.auth_message(reason)
        else:
            reason, ret_msg = "args", rejection
        with conn.send_lock:
            with self._cond:
                if reason is None:
                    conn.authenticated = True
                self._bump()
            self._send_locked(
                conn,
                _dumps(ep.auth_reply(conn.conn_id, req_id, args, success=reason is None, ret_msg=ret_msg)),
            )

    def _close_connections(
        self, *, abrupt: bool = False, path: str | None = None, code: int = 1000, reason: str = ""
    ) -> int:
        with self._lock:
            targets = [c for c in self._conns.values() if not c.closing and (path is None or c.path == path)]
            for c in targets:
                c.closing = True  # publish and replies skip it from now on
        for c in targets:
            if abrupt:  # no close frame; SO_LINGER 0 makes the final close() a TCP reset
                try:  # shutdown() also wakes a send blocked on a client that stopped reading
                    c.ws.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    c.ws.socket.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
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
