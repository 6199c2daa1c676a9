"""One logical connection to one endpoint: its supervisor thread, requests, routing and heartbeat.

The supervisor thread (``bybit-ws-supervisor-N``) owns the socket's life: connect, authenticate if any
subscription needs it, resubscribe every registered topic, then ping every ``ping_interval`` and watch
for a missing pong or a stale feed; when the socket dies it reconnects with backoff, or gives up. The
reader thread (``bybit-ws-reader-N``, in :mod:`._transport`) parses frames and routes them to the
subscriptions' mailboxes; it never runs user code.

The registry of subscriptions lives here and is the source of truth: a reconnect replays it.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
import msgspec

from ._convert import required_twin
from ._dialect import PONG, Dialect, Parsed, Parser, Reply, TopicSpec, TypedParser, sign
from ._dispatch import collect_if_quiet
from ._errors import (
    AuthenticationError,
    BybitConnectionError,
    BybitTimeoutError,
    BybitWsError,
    ClientClosedError,
    FrameError,
    SubscriptionError,
)
from ._transport import Transport, TransportOptions, abort_socket
from .models._common import DataEvent

if TYPE_CHECKING:
    from ._subscriptions import Sink, Subscription

_log = logging.getLogger(__name__)

__all__ = ["Backoff", "Connection", "ConnectionConfig", "Credentials"]

_encode = json.JSONEncoder(separators=(",", ":")).encode
# msgspec hands every JSON float's text to Decimal, in C: exact, with no double in between
_decode: Callable[[bytes], Any] = msgspec.json.Decoder(float_hook=Decimal).decode


def decode_frame(data: bytes) -> Any:
    """Decode one frame; JSON floats become exact ``Decimal`` values, integers stay ``int``.

    Raises ValueError (msgspec's DecodeError, UnicodeDecodeError) for bytes that are not JSON.
    """
    return _decode(data)


_TOPIC_FIRST = b'{"topic":"'
_TOPIC_AT = len(_TOPIC_FIRST)


def _topic_of(data: bytes) -> str | None:
    """The topic of a frame that cannot be decoded, if it starts ``{"topic":"...`` (error path only)."""
    end = data.find(b'"', _TOPIC_AT)
    if not data.startswith(_TOPIC_FIRST) or end < 0:
        return None
    return data[_TOPIC_AT:end].decode("utf-8", "replace")


#: bytes a reader reads between two tries of collect_if_quiet: a few hundred frames, whose events
#: are worth a young collection; a quiet feed never reaches it between CPython's own collections
_GC_BYTES = 64 * 1024
_names = itertools.count(1)
_req_ids = itertools.count(1)

_new = object.__new__
_event_twin = required_twin(DataEvent)  # events are built as the generated model builders build models

_OK = "ok"
_PENDING = "pending"
_LEAVING = "leaving"


@attrs.frozen
class Backoff:
    """Reconnect delays: ``initial * factor**n`` capped at ``maximum``, with +/- ``jitter`` (a fraction)."""

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    jitter: float = 0.2

    def delay(self, attempt: int) -> float:
        """Seconds to wait before reconnect attempt number ``attempt`` (1-based)."""
        base = min(self.maximum, self.initial * self.factor ** max(0, attempt - 1))
        return max(0.0, base * (1.0 + random.uniform(-self.jitter, self.jitter)))


class Credentials:
    """An API key and secret. The secret never appears in a repr, a log record or an exception."""

    __slots__ = ("_secret", "key")

    def __init__(self, key: str, secret: str) -> None:
        self.key = key
        self._secret = secret

    def auth_args(self, lifetime: float = 10.0) -> list[Any]:
        """``[key, expires_ms, signature]`` for an auth request valid ``lifetime`` seconds."""
        expires = int((time.time() + lifetime) * 1000)
        return [self.key, expires, sign(self._secret, expires)]

    def __repr__(self) -> str:
        return f"Credentials(key={self.key!r}, secret=<hidden>)"


@attrs.frozen(kw_only=True)
class ConnectionConfig:
    """Per-connection settings (the client's options)."""

    ping_interval: float = 20.0
    pong_timeout: float = 10.0
    request_timeout: float = 10.0
    stale_timeout: float | None = 60.0
    reconnect: bool = True
    max_retries: int | None = None
    backoff: Backoff = Backoff()
    keep_original_data: bool = False
    max_backlog: int = 10_000
    transport: TransportOptions = attrs.field(factory=TransportOptions)


class _ConnectionLost(BybitConnectionError):
    """The socket a request was sent on went away before the reply (internal: the caller retries)."""


class _Retired(BybitWsError):
    """The connection closed itself (last subscription gone) before an add: use another (internal)."""


class _Pending:
    __slots__ = ("args", "done", "error", "gen", "op", "reply", "req_id")

    def __init__(self, op: str, args: tuple[str, ...], req_id: str | None, gen: int) -> None:
        self.op = op
        self.args = args
        self.req_id = req_id
        self.gen = gen
        self.done = threading.Event()
        self.reply: Reply | None = None
        self.error: BaseException | None = None


class _Route:
    """What the reader needs for one frame topic, looked up once per topic and registry version."""

    __slots__ = ("parse", "sinks", "state", "subs", "topic", "typed")

    def __init__(
        self,
        topic: str,
        subs: tuple[Subscription[Any], ...],
        spec: TopicSpec | None,
        state: dict[str, Any],
    ) -> None:
        self.topic = topic
        self.subs = subs
        # no spec (nobody listens, or no parser for the topic): the frame is skipped
        self.parse: Parser | None = spec.parse if spec is not None else None
        self.typed: TypedParser | None = spec.typed if spec is not None else None
        self.state = state
        self.sinks: dict[str, tuple[Sink, ...]] = {}  # per event kind, filled as kinds arrive

    def sinks_of(self, kind: str) -> tuple[Sink, ...]:
        """Where this topic's events of ``kind`` go, one sink per subscription that takes them."""
        sinks = tuple(sink for sink in (sub._sink(kind) for sub in self.subs) if sink is not None)
        self.sinks[kind] = sinks
        return sinks


class _Routes:
    """An immutable snapshot of the registry plus a cache of resolved frame topics (reader side)."""

    __slots__ = ("by_topic", "cache", "mailboxes", "raw")

    def __init__(self, by_topic: dict[str, tuple[Subscription[Any], ...]]) -> None:
        self.by_topic = by_topic
        # the mailboxes this connection's events go to (see Connection._on_read)
        self.mailboxes = tuple({sub._mailbox: None for subs in by_topic.values() for sub in subs})
        self.cache: dict[str, _Route] = {}
        self.raw: dict[bytes, _Route] = {}  # routes with a typed parser, by the topic's UTF-8 bytes

    def resolve(self, topic: str) -> tuple[Subscription[Any], ...]:
        """Subscriptions for a frame topic: exact arg, plus ``prefix.*`` wildcard args (BYBITNET §1.3)."""
        found = self.by_topic.get(topic, ())
        head, dot, _last = topic.rpartition(".")
        if dot:
            wild = self.by_topic.get(head + ".*")
            if wild:
                found = tuple(dict.fromkeys(found + wild))
        return found


class Connection:
    """A supervised connection to one endpoint, shared by the subscriptions routed to it."""

    def __init__(
        self,
        *,
        url: str,
        dialect: Dialect,
        config: ConnectionConfig,
        credentials: Credentials | None,
        on_finished: Callable[[Connection, BaseException | None], None],
    ) -> None:
        self.url = url
        self.dialect = dialect
        self.config = config
        self.name = f"{dialect.name}-{next(_names)}"
        self._credentials = credentials
        self._on_finished = on_finished
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._subs: dict[str, list[Subscription[Any]]] = {}
        self._live: set[Subscription[Any]] = set()  # confirmed here: the supervisor resubscribes these
        self._routes = _Routes({})
        self._status: dict[str, Any] = {}
        self._specs: dict[str, TopicSpec | None] = {}
        self._topic_state: dict[str, dict[str, Any]] = {}
        self._pending: list[_Pending] = []
        self._send_lock = threading.Lock()
        self._transport: Transport | None = None
        self._gen = 0
        self._ready = False
        self._authed = False
        self._auth_inflight = False
        self._ever_connected = False
        self._connect_failures = 0
        self._connect_error: BaseException | None = None
        self._given_up: BaseException | None = None
        self._finished = False
        self._retired = False
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._reconnect_asked = False
        self._pong_deadline: float | None = None
        self._last_data = time.monotonic()  # heartbeat side: see _heartbeat
        self._fed = False  # set by the reader on every data frame, cleared by the heartbeat
        self._continuous = False
        self._chars = 0
        self._read_since_gc = 0  # bytes read since the reader last collected (see _on_read)
        self._thread: threading.Thread | None = None
        self._connecting: Any = None  # the websocket being opened, so close() can abort the handshake

    # ================================================================= public to the client
    @property
    def char_count(self) -> int:
        """Characters of all topic args registered here (for per-connection limits)."""
        return self._chars

    @property
    def is_retired(self) -> bool:
        """True once the connection closed or was given up: it takes no new subscriptions."""
        return self._retired

    def register(self, sub: Subscription[Any], topics: Sequence[str]) -> None:
        """Put ``sub`` in the registry under ``topics`` (before anything is sent: the first data frame
        can arrive right behind the reply). Starts the supervisor on first use.

        Raises:
            _Retired: this connection is closing; the caller should use another one.
        """
        with self._cond:
            if self._retired:
                raise _Retired(self.name)
            for topic in topics:
                self._subs.setdefault(topic, []).append(sub)
                if len(self._subs[topic]) == 1:
                    self._chars += len(topic)
            self._registry_changed()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._supervise, name=f"bybit-ws-supervisor-{self.name}", daemon=True
                )
                self._thread.start()

    def wait_subscribed(
        self, sub: Subscription[Any], topics: Sequence[str], private: bool, deadline: float
    ) -> None:
        """Block until the server has confirmed every one of ``topics``; unregister ``sub`` on failure.

        Raises:
            SubscriptionError / AuthenticationError: the server rejected a request.
            BybitTimeoutError: no reply (or no connection) before ``deadline``.
            BybitConnectionError: the connection could not be opened or was given up.
        """
        try:
            self._await_subscribed(sub, topics, private, deadline)
        except BaseException:
            self.remove(sub, topics, unsubscribe_timeout=1.0)
            raise

    def remove(
        self, sub: Subscription[Any], topics: Sequence[str], unsubscribe_timeout: float | None = None
    ) -> None:
        """Unregister ``sub``; unsubscribe topics nobody else uses; close when nothing is left."""
        with self._cond:
            leaving = self._unregister(sub, topics)
            gen = self._gen
            ready = self._ready
            empty = not self._subs
            if empty:
                self._retired = True
        if leaving and ready and not empty:
            timeout = self.config.request_timeout if unsubscribe_timeout is None else unsubscribe_timeout
            deadline = time.monotonic() + timeout
            try:
                for batch in self._batches(leaving):
                    reply = self._request("unsubscribe", batch, deadline, gen)
                    if not reply.success:
                        _log.warning("unsubscribe %s rejected: %s", batch, reply.ret_msg)
            except BybitWsError as exc:
                _log.debug("unsubscribe %s not confirmed: %s", leaving, exc)
        with self._cond:
            for topic in leaving:
                if self._status.get(topic) == _LEAVING:
                    del self._status[topic]
            self._cond.notify_all()
        if empty:
            self.close()

    def forget(self, sub: Subscription[Any], topics: Sequence[str]) -> None:
        """Unregister ``sub`` without talking to the server (it ended because the server said so)."""
        with self._cond:
            for topic in self._unregister(sub, topics):
                if self._status.get(topic) == _LEAVING:
                    del self._status[topic]
            self._cond.notify_all()

    def resubscribe(self, topics: Sequence[str]) -> None:
        """Unsubscribe and subscribe ``topics`` again on the wire, so the server sends fresh snapshots.

        Every subscription on those topics stays registered (and gets the new snapshot). If the
        round trip fails, the connection is replaced instead, which resubscribes everything.
        """
        with self._cond:
            gen = self._gen
            if not self._ready:
                return  # a reconnect is under way: it resubscribes anyway
            mine = [t for t in topics if self._status.get(t) == _OK]
            for topic in mine:
                self._status[topic] = _PENDING
        deadline = time.monotonic() + self.config.request_timeout
        try:
            for batch in self._batches(mine):
                self._request("unsubscribe", batch, deadline, gen)
            if self._subscribe_topics(mine, gen, deadline):
                raise SubscriptionError("resubscribe rejected")
        except _ConnectionLost:
            return
        except BybitWsError as exc:
            _log.warning("%s: resubscribe of %s failed (%s); reconnecting", self.name, mine, exc)
            self.reconnect()

    def reconnect(self) -> None:
        """Drop the socket; the supervisor reconnects and resubscribes."""
        with self._cond:
            transport = self._transport
            self._reconnect_asked = True
        self._wake.set()
        if transport is not None:
            transport.abort()

    def close(self) -> None:
        """Stop the supervisor, close the socket, join both threads (never the calling one). Idempotent."""
        with self._cond:
            self._retired = True
            self._stop.set()
            transport = self._transport
            thread = self._thread
            connecting = self._connecting
            self._fail_pending(None, ClientClosedError("the connection is closing"))
            self._cond.notify_all()
        self._wake.set()
        if connecting is not None:
            abort_socket(connecting)
        if transport is not None:
            transport.abort()
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        elif thread is None:
            self._finish(None)

    def __repr__(self) -> str:
        return f"<Connection {self.name} {self.url} topics={len(self._subs)} ready={self._ready}>"

    # ================================================================= registry
    def _unregister(self, sub: Subscription[Any], topics: Iterable[str]) -> list[str]:
        """Remove ``sub`` from ``topics`` (lock held); return the confirmed topics nobody uses now."""
        leaving: list[str] = []
        self._live.discard(sub)
        for topic in topics:
            subs = self._subs.get(topic)
            if not subs or sub not in subs:
                continue
            subs.remove(sub)
            if subs:
                continue
            del self._subs[topic]
            self._chars -= len(topic)
            self._topic_state.pop(topic, None)
            status = self._status.pop(topic, None)
            if status == _OK:
                self._status[topic] = _LEAVING
                leaving.append(topic)
        self._registry_changed()
        return leaving

    def _registry_changed(self) -> None:
        self._routes = _Routes({topic: tuple(subs) for topic, subs in self._subs.items()})
        specs = [self._spec(topic) for topic in self._subs]
        self._continuous = any(spec is not None and spec.continuous for spec in specs)
        if not self._continuous:
            self._last_data = time.monotonic()

    def _spec(self, topic: str) -> TopicSpec | None:
        try:
            return self._specs[topic]
        except KeyError:
            spec = self._specs[topic] = self.dialect.topic_spec(topic)
            return spec

    def _all_subscriptions(self) -> list[Subscription[Any]]:
        with self._lock:
            return list(dict.fromkeys(sub for subs in self._subs.values() for sub in subs))

    # ================================================================= requests
    def _batches(self, topics: Sequence[str]) -> list[list[str]]:
        return self.dialect.batches(topics)

    def _request(self, op: str, args: Sequence[Any], deadline: float, gen: int) -> Reply:
        """Send one request on generation ``gen``'s socket and wait for its reply."""
        req_id = str(next(_req_ids)) if self.dialect.uses_req_id else None
        pending = _Pending(op, tuple(str(a) for a in args), req_id, gen)
        text = _encode(self.dialect.request(op, args, req_id))
        # Register and send under one lock: replies without a req_id match requests in send order.
        with self._send_lock:
            with self._cond:
                transport = self._transport
                if transport is None or gen != self._gen or not transport.is_open:
                    raise _ConnectionLost("the connection was lost")
                self._pending.append(pending)
            try:
                transport.send(text)
            except Exception as exc:
                self._drop_pending(pending)
                raise _ConnectionLost(f"send failed: {exc}") from exc
        if not pending.done.wait(max(0.0, deadline - time.monotonic())):
            self._drop_pending(pending)
            what = "auth" if op == "auth" else f"{op} {list(pending.args)}"
            raise BybitTimeoutError(f"no reply to {what} from {self.url} in time")
        if pending.error is not None:
            raise pending.error
        assert pending.reply is not None
        return pending.reply

    def _drop_pending(self, pending: _Pending) -> None:
        with self._lock:
            if pending in self._pending:
                self._pending.remove(pending)

    def _fail_pending(self, gen: int | None, error: BaseException) -> None:
        """Fail the requests waiting on ``gen`` (all if None) at once (lock held)."""
        keep = []
        for pending in self._pending:
            if gen is None or pending.gen == gen:
                pending.error = error
                pending.done.set()
            else:
                keep.append(pending)
        self._pending = keep

    def _match(self, reply: Reply) -> None:
        """Hand a reply to the request it answers (reader thread)."""
        with self._lock:
            found = None
            if reply.req_id:
                # a reply with an id answers that request only: a late one (its request timed out)
                # or a stray one is dropped, never matched by op to another request
                for pending in self._pending:
                    if pending.req_id == reply.req_id:
                        found = pending
                        break
            else:  # dialects and replies without an id: by op (and args), in send order
                for pending in self._pending:
                    if reply.op is not None and pending.op != reply.op:
                        continue
                    if (
                        reply.args is not None
                        and pending.op in ("subscribe", "unsubscribe")
                        and set(pending.args) != set(reply.args)
                    ):
                        continue
                    found = pending
                    break
            if found is None:
                _log.debug(
                    "%s: reply matches no pending request (late or stray), dropped: %s", self.name, reply
                )
                return
            self._pending.remove(found)
        found.reply = reply
        found.done.set()

    def _wait_ready(self, deadline: float, started_failures: int) -> int:
        """Block until the socket is up and resubscribed; return its generation (lock held)."""
        while True:
            given_up = self._given_up
            if given_up is not None and not isinstance(given_up, ClientClosedError):
                raise BybitConnectionError(f"{given_up}") from given_up
            if given_up is not None or self._stop.is_set() or (self._retired and not self._subs):
                raise ClientClosedError("the connection is closed")
            if self._ready:
                return self._gen
            if not self._ever_connected and self._connect_failures > started_failures:
                raise BybitConnectionError(f"cannot connect to {self.url}: {self._connect_error}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BybitTimeoutError(f"not connected to {self.url} in time")
            self._cond.wait(remaining)

    def _await_subscribed(
        self, sub: Subscription[Any], topics: Sequence[str], private: bool, deadline: float
    ) -> None:
        with self._cond:
            failures = self._connect_failures
        while True:
            with self._cond:
                gen = self._wait_ready(deadline, failures)
            try:
                if private:
                    self._ensure_auth(gen, deadline)
                with self._cond:
                    if gen != self._gen:
                        continue
                    to_send = [t for t in topics if t not in self._status]
                    for topic in to_send:
                        self._status[topic] = _PENDING
                if to_send:
                    self._subscribe_topics(to_send, gen, deadline)
                with self._cond:
                    while gen == self._gen:
                        states = [self._status.get(t) for t in topics]
                        errors = [s for s in states if isinstance(s, BaseException)]
                        if errors:
                            raise errors[0]
                        if all(s == _OK for s in states):
                            self._live.add(sub)
                            return
                        if None in states:
                            break  # an unsubscribe of one of them just finished: send it again
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            raise BybitTimeoutError(f"subscription to {list(topics)} not confirmed in time")
                        self._cond.wait(remaining)
            except _ConnectionLost:
                continue

    def _subscribe_topics(self, topics: Sequence[str], gen: int, deadline: float) -> list[str]:
        """Subscribe ``topics`` (already marked pending) on ``gen``; record the outcome; return rejects."""
        rejected: list[str] = []
        for batch in self._batches(topics):
            try:
                reply = self._request("subscribe", batch, deadline, gen)
            except BybitWsError:
                with self._cond:
                    if gen == self._gen:
                        for topic in batch:
                            if self._status.get(topic) == _PENDING:
                                del self._status[topic]
                    self._cond.notify_all()
                raise
            with self._cond:
                if gen != self._gen:
                    raise _ConnectionLost("the connection was lost")
                failed = (
                    set(reply.failed_args) if reply.failed_args else (set() if reply.success else set(batch))
                )
                for topic in batch:
                    if topic not in failed:
                        if self._status.get(topic) == _PENDING:
                            self._status[topic] = _OK
                        continue
                    rejected.append(topic)
                    message = reply.ret_msg or "subscription rejected"
                    _log.warning("%s: subscribe %s rejected: %s", self.name, topic, message)
                    self._status[topic] = SubscriptionError(
                        f"subscribe {topic} rejected: {message}",
                        op="subscribe",
                        ret_msg=reply.ret_msg,
                        req_id=reply.req_id,
                    )
                self._cond.notify_all()
        return rejected

    def _ensure_auth(self, gen: int, deadline: float) -> None:
        """Authenticate generation ``gen`` once, before its first private subscribe."""
        with self._cond:
            while True:
                if gen != self._gen:
                    raise _ConnectionLost("the connection was lost")
                if self._authed:
                    return
                if not self._auth_inflight:
                    self._auth_inflight = True
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise BybitTimeoutError("authentication not confirmed in time")
                self._cond.wait(remaining)
        try:
            self._authenticate(gen, deadline)
        finally:
            with self._cond:
                self._auth_inflight = False
                self._cond.notify_all()

    def _authenticate(self, gen: int, deadline: float) -> None:
        credentials = self._credentials
        if credentials is None:
            raise AuthenticationError(
                "this topic needs API credentials: pass api_key/api_secret "
                "or set BYBIT_API_KEY/BYBIT_API_SECRET",
                op="auth",
            )
        reply = self._request("auth", credentials.auth_args(), deadline, gen)
        if not reply.success:
            _log.warning("%s: authentication rejected: %s", self.name, reply.ret_msg)
            raise AuthenticationError(
                f"authentication rejected: {reply.ret_msg or 'no reason given'}",
                op="auth",
                ret_msg=reply.ret_msg,
            )
        with self._cond:
            if gen == self._gen:
                self._authed = True
        _log.info("%s: authenticated", self.name)

    # ================================================================= reader thread
    def _on_read(self, nbytes: int) -> None:
        """After each socket read (reader thread): past every ``_GC_BYTES``, collect the young GC
        generations if the workers have handled this connection's events (see collect_if_quiet)."""
        read = self._read_since_gc + nbytes
        if read >= _GC_BYTES and collect_if_quiet(self._routes.mailboxes):
            read = 0
        self._read_since_gc = read

    def _on_frame(self, data: bytes, received: datetime) -> None:
        route: _Route | None = None
        parsed: Parsed | None = None
        typed_done = False
        if data.startswith(_TOPIC_FIRST):
            # The common shape, {"topic":"...",...}: a topic with a typed parser takes the fast path,
            # msgspec decoding the whole frame into structs. Anything it cannot take goes the dict way.
            route = self._routes.raw.get(data[_TOPIC_AT : data.find(b'"', _TOPIC_AT)])
            if route is not None and route.typed is not None:
                typed = route.typed
                try:
                    envelope = typed.decode(data)
                    if envelope.topic != route.topic:
                        raise ValueError("another topic")
                    parsed = typed.parse(envelope, route.state)
                except Exception:
                    pass
                else:
                    typed_done = self._fed = True
        if not typed_done:
            found = self._parse_dict(data, route)
            if found is None:
                return
            route, parsed = found
        if parsed is None or route is None:  # (a route is always set here; the test is for mypy)
            return
        # Wrap it in a DataEvent and hand it on: inline, as this runs once a frame.
        kind, payload = parsed
        event: Any = _new(_event_twin)  # DataEvent(payload, topic, received, original), no attrs __init__
        event.data = payload
        event.topic = route.topic
        event.timestamp = received
        event.original_data = data.decode("utf-8", "replace") if self.config.keep_original_data else None
        event.__class__ = DataEvent
        sinks = route.sinks.get(kind)
        if sinks is None:
            sinks = route.sinks_of(kind)
        for put, callback in sinks:
            put(callback, event)

    def _parse_dict(self, data: bytes, missed: _Route | None) -> tuple[_Route, Parsed | None] | None:
        """The dict path: decode, route and parse a frame the typed path did not take (``missed``: the
        typed route that tried). ``None``: nothing to deliver (a control frame, a bad or unrouted one)."""
        try:
            frame = _decode(data)
        except Exception as exc:  # not JSON, or nested too deep (RecursionError): this frame only
            self._bad_frame(data, _topic_of(data), exc)
            return None
        if type(frame) is not dict:
            self._bad_frame(data, None, ValueError("not a JSON object"))
            return None
        topic = frame.get("topic")
        if type(topic) is not str:
            self._on_control(frame, data)
            return None
        route = self._routes.cache.get(topic)
        if route is None:
            route = self._route(topic)
        parse = route.parse
        if parse is None:
            return None
        self._fed = True
        try:
            parsed = parse(frame, topic, route.state)
        except Exception as exc:
            self._bad_frame(data, topic, exc)
            return None
        if missed is route and route.typed is not None:
            # the dict path took a frame the typed one could not: this feed does not fit the schema
            _log.debug(
                "%s: %s frames do not fit their typed schema; the dict path takes them", self.name, topic
            )
            route.typed = None
        return route, parsed

    def _route(self, topic: str) -> _Route:
        """Resolve and cache what the reader needs for a frame topic (reader thread)."""
        routes = self._routes
        subs = routes.resolve(topic)
        state = self._topic_state.get(topic)
        if state is None:
            state = self._topic_state[topic] = {}
        route = _Route(topic, subs, self._spec(topic) if subs else None, state)
        routes.cache[topic] = route
        if route.typed is not None:
            routes.raw[topic.encode()] = route
        return route

    def _on_control(self, frame: dict[str, Any], data: bytes) -> None:
        try:
            result = self.dialect.classify(frame)
        except Exception as exc:
            self._bad_frame(data, None, exc)
            return
        if result is PONG:
            self._pong_deadline = None
        elif isinstance(result, Reply):
            self._match(result)
        else:
            _log.debug("%s: ignored frame %.200r", self.name, data)

    def _bad_frame(self, data: bytes, topic: str | None, exc: BaseException) -> None:
        text = data.decode("utf-8", "replace")
        error = FrameError(
            f"cannot parse frame{' of ' + topic if topic else ''}: {exc}", topic=topic, text=text
        )
        error.__cause__ = exc
        _log.warning("%s: %s; frame starts %.200r", self.name, error, text)
        subs = self._routes.resolve(topic) if topic is not None else tuple(self._all_subscriptions())
        for sub in subs:
            sub._report(error)

    def _on_closed(self, gen: int, error: BaseException | None) -> None:
        with self._cond:
            if gen == self._gen:
                self._ready = False
                self._fail_pending(gen, _ConnectionLost(f"connection lost: {error or 'closed'}"))
                self._cond.notify_all()
        if error is not None and not self._stop.is_set():
            _log.warning("%s: connection lost: %s", self.name, error)
        self._wake.set()

    # ================================================================= supervisor thread
    def _supervise(self) -> None:
        attempt = 0
        lost_at: float | None = None
        give_up: BaseException | None = None
        config = self.config
        try:
            while not self._stop.is_set():
                if attempt:
                    if config.max_retries is not None and attempt > config.max_retries:
                        give_up = BybitConnectionError(f"{self.url}: gave up after {attempt - 1} retries")
                        break
                    delay = config.backoff.delay(attempt)
                    _log.info("%s: reconnecting in %.2f s (attempt %d)", self.name, delay, attempt)
                    if self._stop.wait(delay):
                        break
                attempt += 1
                ws = Transport.new_socket(config.transport)
                with self._cond:
                    if self._stop.is_set():
                        break
                    self._connecting = ws
                try:
                    transport = Transport.open(ws, self.url, config.transport, self.name)
                except Exception as exc:
                    with self._cond:
                        self._connecting = None
                    if self._stop.is_set():
                        break
                    _log.warning("%s: cannot connect to %s: %s", self.name, self.url, exc)
                    with self._cond:
                        self._connect_error = exc
                        self._connect_failures += 1
                        self._cond.notify_all()
                    if not config.reconnect:
                        give_up = BybitConnectionError(f"cannot connect to {self.url}: {exc}")
                        break
                    continue
                with self._cond:
                    self._connecting = None
                    if self._stop.is_set():
                        transport.close(0.2)
                        break
                    self._gen += 1
                    gen = self._gen
                    self._transport = transport
                    self._status.clear()
                    self._topic_state.clear()
                    self._routes = _Routes(self._routes.by_topic)  # routes hold the old state dicts
                    self._authed = False
                    self._reconnect_asked = False
                    # Topics of confirmed subscriptions are replayed here; a subscription still in
                    # its subscribe call sends its own request once the connection is ready.
                    topics = [t for t, subs in self._subs.items() if not self._live.isdisjoint(subs)]
                    # authenticate only if a confirmed subscription still needs it
                    private = any(self.dialect.is_private(t) for t in topics)
                    for topic in topics:
                        self._status[topic] = _PENDING
                transport.start(self._on_frame, functools.partial(self._on_closed, gen), self._on_read)
                _log.info("%s: connected to %s", self.name, self.url)
                try:
                    self._restore(gen, topics, private)
                except AuthenticationError as exc:
                    _log.error("%s: re-authentication rejected; giving up: %s", self.name, exc.ret_msg)
                    give_up = exc
                    transport.close()
                    break
                except BybitWsError as exc:
                    _log.warning("%s: resubscribe failed: %s", self.name, exc)
                    transport.close()
                    with self._cond:
                        self._ready = False
                        self._fail_pending(gen, _ConnectionLost("connection lost"))
                    continue
                attempt = 0
                with self._cond:
                    self._ready = transport.is_open
                    self._ever_connected = True
                    self._cond.notify_all()
                if lost_at is not None:
                    downtime = timedelta(seconds=time.monotonic() - lost_at)
                    _log.info("%s: connection restored after %.3f s", self.name, downtime.total_seconds())
                    for sub in self._all_subscriptions():
                        sub._notify_restored(downtime)
                    lost_at = None
                self._heartbeat(transport)
                transport.close()
                with self._cond:
                    self._ready = False
                    self._fail_pending(gen, _ConnectionLost("connection lost"))
                    self._cond.notify_all()
                if self._stop.is_set():
                    break
                lost_at = time.monotonic()
                for sub in self._all_subscriptions():
                    sub._notify_lost()
                if not config.reconnect:
                    give_up = BybitConnectionError(f"connection to {self.url} lost and reconnect is off")
                    break
                attempt = 1
        except Exception as exc:  # a bug: never die silently
            _log.exception("%s: supervisor failed", self.name)
            give_up = exc
        finally:
            with self._cond:
                transport_left = self._transport
            if transport_left is not None:
                transport_left.close()
            self._finish(give_up)

    def _restore(self, gen: int, topics: list[str], private: bool) -> None:
        """After (re)connecting: authenticate if needed, resubscribe every registered topic."""
        deadline = time.monotonic() + self.config.request_timeout
        if private and self._credentials is not None:
            with self._cond:
                self._auth_inflight = True
            try:
                self._authenticate(gen, deadline)
            finally:
                with self._cond:
                    self._auth_inflight = False
                    self._cond.notify_all()
        if not topics:
            return
        rejected = self._subscribe_topics(topics, gen, deadline)
        _log.info("%s: subscribed %d topic(s)", self.name, len(topics) - len(rejected))
        if rejected:
            # Subscriptions still waiting in their subscribe call see the error status and raise;
            # confirmed ones (a resubscribe after a reconnect) are ended and told why.
            with self._cond:
                errors = {t: self._status.get(t) for t in rejected}
                victims = {
                    sub: errors[t] for t in rejected for sub in self._subs.get(t, ()) if sub in self._live
                }
            for sub, error in victims.items():
                sub._end(error if isinstance(error, BaseException) else None)

    def _heartbeat(self, transport: Transport) -> None:
        """Ping, watch pongs and the data feed; return when the socket must be replaced."""
        config = self.config
        now = time.monotonic()
        next_ping = now + config.ping_interval
        self._pong_deadline = None
        # The stale-feed watchdog. The reader does not read the clock for each frame (a store costs a
        # fraction of that): it sets _fed, and each check here that finds it set counts the data as
        # of that check. Checks come at least every stale / 4, so a feed that falls silent is caught
        # between stale and 1.25 x stale after its last frame, and never before stale.
        self._last_data = now
        self._fed = False
        wake = self._wake
        while True:
            wait = next_ping - now
            pong_deadline: float | None = self._pong_deadline
            if pong_deadline is not None:
                wait = min(wait, pong_deadline - now)
            stale = config.stale_timeout
            if stale and self._continuous:
                wait = min(wait, self._last_data + stale - now, stale / 4)
            wake.wait(max(0.0, wait))
            wake.clear()
            if self._stop.is_set() or not transport.is_open or self._reconnect_asked:
                if self._reconnect_asked:
                    _log.info("%s: reconnect requested", self.name)
                return
            now = time.monotonic()
            if self._fed:
                self._fed = False
                self._last_data = now
            pong_deadline = self._pong_deadline
            if pong_deadline is not None and now >= pong_deadline:
                _log.warning("%s: no pong within %.1f s; reconnecting", self.name, config.pong_timeout)
                return
            if stale and self._continuous and now - self._last_data >= stale:
                silent = now - self._last_data
                _log.warning("%s: no market data for over %.1f s; reconnecting", self.name, silent)
                return
            if now >= next_ping:
                req_id = str(next(_req_ids)) if self.dialect.uses_req_id else None
                try:
                    transport.send(_encode(self.dialect.ping(req_id)))
                except Exception as exc:
                    _log.warning("%s: ping failed: %s", self.name, exc)
                    return
                if self._pong_deadline is None:
                    self._pong_deadline = now + config.pong_timeout
                next_ping = now + config.ping_interval

    def _finish(self, error: BaseException | None) -> None:
        with self._cond:
            if self._finished:
                return
            self._finished = True
            self._retired = True
            self._given_up = error if error is not None else ClientClosedError("closed")
            self._ready = False
            self._fail_pending(None, BybitConnectionError(f"connection to {self.url} closed"))
            self._cond.notify_all()
        if error is not None and not self._stop.is_set():
            _log.error("%s: connection to %s given up: %s", self.name, self.url, error)
            with self._lock:
                live = list(self._live)  # the others are still in their subscribe call: it raises
            for sub in live:
                sub._end(error)
        try:
            self._on_finished(self, error if not self._stop.is_set() else None)
        except Exception:
            _log.exception("on_finished callback failed")
