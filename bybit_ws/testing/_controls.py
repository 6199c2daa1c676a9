"""`FakeBybit`'s controls: publishing data, injecting faults, inspecting what clients sent, waiting."""

from __future__ import annotations

import collections
import functools
import time
from collections.abc import Callable, Mapping
from typing import Any

from bybit_ws.testing._server import REJECTABLE_OPS, FakeServer, SnapshotSource, dumps

__all__ = ["ControlsMixin"]

_WAIT_POLL = 0.05  # wait_for re-checks its predicate at least this often (client-side state)


class ControlsMixin(FakeServer):
    """What a test does with the fake: publish, send_raw, drop/reject/ignore/pause/refuse, inspect, wait."""

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
            frame["ts"] = self.server_time_ms()
            frame["type"] = "snapshot"
        frame["data"] = data
        for key, value in envelope.items():
            if value is None:
                frame.pop(key, None)
            else:
                frame[key] = value
        return self._publish(topic, dumps(frame), path)

    def publish_frame(self, frame: Mapping[str, Any], *, path: str | None = None) -> int:
        """Send a complete frame (e.g. a recorded one) as is, routed by its ``"topic"`` like `publish`."""
        topic = frame.get("topic")
        if not isinstance(topic, str):
            raise ValueError("frame has no string 'topic'")
        return self._publish(topic, dumps(frame), path)

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
            if c.send_if(text, functools.partial(c.matches, topic)):
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
        return sum(1 for c in targets if c.send_if(text))

    # ---------------------------------------------------------------------------------------------
    # what the fake serves

    def list_symbols(self, category: str, *symbols: str) -> None:
        """List more v5 symbols in `category` (``"linear"``, ``"inverse"``, ``"spot"``, ``"spread"``;
        ``"option"``: base coins), so that subscribes naming them succeed."""
        self._catalog.list_symbols(category, *symbols)

    def symbols(self, category: str) -> list[str]:
        """The v5 symbols listed in `category`, sorted (option: base coins)."""
        return self._catalog.symbols(category)

    def add_snapshot_source(self, source: SnapshotSource) -> None:
        """Serve `source`'s snapshots to each new subscriber (only to it), right after its reply."""
        with self._lock:
            self._snapshot_sources.append(source)

    def remove_snapshot_source(self, source: SnapshotSource) -> None:
        with self._lock:
            if source in self._snapshot_sources:
                self._snapshot_sources.remove(source)

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
        if op not in REJECTABLE_OPS:
            raise ValueError(f"reject_next takes one of {sorted(REJECTABLE_OPS)}, not {op!r}")
        with self._lock:
            self._reject[op].append(ret_msg)

    def ignore_next(self, op: str, count: int = 1) -> None:
        """Do not answer the next `count` requests with this op (any op, ``"ping"`` included)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._ignore[op] += count

    def set_clock_skew(self, seconds: float) -> None:
        """Run the fake's clock ``seconds`` ahead of this machine's (behind when negative): auth
        ``expires``, order ``X-BAPI-TIMESTAMP`` (on the paper exchange the fake made), pong times,
        ``Timenow`` and the ``ts`` of published frames all follow it."""
        with self._cond:
            self._skew_ms = int(seconds * 1000)
            self._bump()

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

    def set_latency(self, seconds: float) -> None:
        """Handle each frame a client sends `seconds` after it arrives (0: at once), as a network's
        latency delays it: its reply comes that much later, and frames on one connection stay in order.

        A client that registers a request's callback only after sending the request (pybit 5.17 does,
        for subscribes and orders) misses a reply that comes within microseconds; give it some latency.
        """
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        with self._lock:
            self._latency = seconds

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
