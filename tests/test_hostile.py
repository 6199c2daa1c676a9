"""A hostile server: deeply nested frames, fragmented messages, stray and late replies, connects that hang.

Issue #14. FakeBybit serves what it can produce; a small websocket server on a raw socket
(:class:`RawServer`) sends what it cannot: fragmented messages with control frames between the
fragments, and a listener whose accept queue is full, so a client's TCP connect hangs.

1. deep nesting (dict path, typed v5 path): test_a_deeply_nested_frame_on_the_dict_path_is_its_own_problem,
   test_a_deeply_nested_frame_on_the_typed_v5_path_is_reported_for_its_topic
2. fragmented messages: test_fragmented_binary_and_text_messages_split_across_reads_reassemble
3. replies with an unknown req_id: test_a_stray_failure_reply_does_not_fail_a_pending_subscribe,
   test_a_stray_success_reply_does_not_confirm_a_pending_subscribe,
   test_a_late_reply_to_a_timed_out_subscribe_is_logged_and_dropped
4. a burst of stray replies: test_a_burst_of_stray_replies_leaves_a_pending_subscribe_its_own_reply
5. close() while the TCP connect hangs: test_close_while_the_tcp_connect_hangs_is_prompt
6. close() during a reconnect: test_close_while_a_reconnect_is_in_progress_is_prompt
7. 1 and 2 on every dialect: test_fragmented_messages_and_deep_nesting_on_every_dialect
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bybit_ws import (
    Backoff,
    BybitSocketClient,
    BybitTimeoutError,
    ClientClosedError,
    FrameError,
    SubscriptionError,
)
from bybit_ws.protocol.frames import BINARY, CLOSE, PING, PONG, TEXT
from bybit_ws.testing import FakeBybit

from .support import (
    API_KEY,
    API_SECRET,
    ClientFactory,
    ClientFrames,
    Collector,
    clients_for,
    frame_text,
    server_frame,
    wait_until,
)

CONT = 0

DEPTH = 10_000
DEEP_ARRAYS = "[" * DEPTH + "]" * DEPTH
DEEP_OBJECTS = '{"a":' * DEPTH + "1" + "}" * DEPTH
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_names = itertools.count(1)


def compact(name: str) -> str:
    """A fixture frame as Bybit sends it: one line, keys in their order (the typed path's shape)."""
    return json.dumps(json.loads(frame_text(name)), separators=(",", ":"))


def deep_frame(topic: str, nested: str) -> str:
    """A frame of ``topic`` whose data holds ``nested`` (10,000 levels) in an extra field."""
    return f'{{"topic":"{topic}","data":[{{"x":{nested}}}]}}'


def fragmented(text: str, opcode: int = TEXT, pieces: int = 3) -> bytes:
    """``text`` as a first frame plus continuation frames, with a ping and a pong between fragments."""
    data = text.encode()
    size = -(-len(data) // pieces)
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    out = [server_frame(chunks[0], opcode, fin=False), server_frame(b"between", PING)]
    for index, chunk in enumerate(chunks[1:], 2):
        out.append(server_frame(chunk, CONT, fin=index == len(chunks)))
        if index == 2:
            out.append(server_frame(b"", PONG))
    return b"".join(out)


class Background:
    """A call run on its own thread (a subscribe that must wait while the test acts); join with result()."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.value: Any = None
        self.error: BaseException | None = None

        def run() -> None:
            try:
                self.value = fn()
            except BaseException as exc:
                self.error = exc

        self._thread = threading.Thread(target=run, name=f"test-call-{next(_names)}", daemon=True)
        self._thread.start()

    def result(self, timeout: float = 10.0) -> Any:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the call did not return"
        if self.error is not None:
            raise self.error
        return self.value


# ------------------------------------------------------------------------------ a raw websocket server
class RawServer:
    """A websocket server on a plain socket that answers subscribe/auth/ping the way ``dialect`` does
    (success always) and sends whatever bytes the test gives it.

    ``accept_limit`` connections are accepted; after that the listener stays open and nobody accepts,
    so :meth:`fill_backlog` makes further connects hang.
    """

    def __init__(self, dialect: str, path: str, accept_limit: int = 100) -> None:
        self.dialect = dialect
        self.path = path
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=0)
        self.port = self._listener.getsockname()[1]
        self._accept_limit = accept_limit
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._send_lock = threading.Lock()  # whole frames: replies and test bytes never interleave
        self._socks: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._fillers: list[socket.socket] = []
        self.requests: list[dict[str, Any]] = []
        self.pongs: list[bytes] = []
        self.closes: list[bytes] = []  # the payloads of the client's Close frames
        self._closed_by_server: set[socket.socket] = set()
        accept = threading.Thread(target=self._accept, name="bybit-fake-raw-accept", daemon=True)
        self._threads.append(accept)
        accept.start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{self.path}"

    @property
    def accepted(self) -> int:
        with self._lock:
            return len(self._socks)

    def send(self, data: bytes) -> None:
        """Send raw bytes to the latest connection."""
        with self._lock:
            sock = self._socks[-1]
        with self._send_lock:
            sock.sendall(data)

    def send_close(self, payload: bytes) -> None:
        """Start the close handshake on the latest connection."""
        with self._lock:
            sock = self._socks[-1]
            self._closed_by_server.add(sock)
        with self._send_lock:
            sock.sendall(server_frame(payload, CLOSE))

    def drop(self) -> None:
        """Cut the latest connection."""
        with self._lock:
            sock = self._socks[-1]
        sock.shutdown(socket.SHUT_RDWR)

    def wait(self, predicate: Callable[[], bool], message: str) -> None:
        with self._cond:
            if not self._cond.wait_for(predicate, 5.0):
                raise AssertionError(f"timed out waiting for {message}")

    def fill_backlog(self) -> None:
        """Connect until the listener's accept queue is full: from then on a connect hangs (the kernel
        drops the SYNs). The first connect that does not complete at once shows the queue is full."""
        while len(self._fillers) < 64:
            filler = socket.socket()
            filler.settimeout(0.5)
            try:
                filler.connect(("127.0.0.1", self.port))
            except TimeoutError:
                filler.close()
                return
            self._fillers.append(filler)
        raise AssertionError("the accept queue never filled")

    def close(self) -> None:
        for sock in [self._listener, *self._socks]:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self._threads:
            thread.join(5.0)
        for sock in [self._listener, *self._socks, *self._fillers]:
            sock.close()

    def _accept(self) -> None:
        for index in range(self._accept_limit):
            try:
                sock, _address = self._listener.accept()
            except OSError:
                return
            thread = threading.Thread(
                target=self._serve, args=(sock,), name=f"bybit-fake-raw-{index}", daemon=True
            )
            with self._lock:
                self._socks.append(sock)
                self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            buffer = b""
            while b"\r\n\r\n" not in buffer:
                chunk = sock.recv(4096)
                if not chunk:
                    return
                buffer += chunk
            head, _, rest = buffer.partition(b"\r\n\r\n")
            key = next(
                line.split(b":", 1)[1].strip()
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"sec-websocket-key:")
            )
            accept = base64.b64encode(hashlib.sha1(key + _GUID.encode()).digest()).decode()
            sock.sendall(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n\r\n".encode()
            )
            frames = ClientFrames(sock, rest)
            while True:
                opcode, _fin, data = frames.next_frame()
                if opcode == CLOSE:  # recorded and echoed (unless it is the echo); read on to EOF
                    with self._cond:
                        self.closes.append(data)
                        echo = sock not in self._closed_by_server
                        self._cond.notify_all()
                    if echo:
                        with self._send_lock:
                            sock.sendall(server_frame(data, CLOSE))
                    continue
                if opcode == PONG:
                    with self._cond:
                        self.pongs.append(data)
                        self._cond.notify_all()
                    continue
                if opcode != TEXT:
                    continue
                request = json.loads(data)
                with self._cond:
                    self.requests.append(request)
                    self._cond.notify_all()
                with self._send_lock:
                    sock.sendall(server_frame(json.dumps(self._reply(request)).encode()))
        except Exception:  # the connection was cut (by the client, the test, or close())
            return

    def _reply(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        pong = op == "ping"
        if self.dialect == "inverse":
            args = None if pong else request.get("args")
            return {
                "success": True,
                "ret_msg": "pong" if pong else "",
                "conn_id": "raw",
                "request": {"op": op, "args": args},
            }
        return {
            "success": True,
            "ret_msg": "pong" if pong else "",
            "conn_id": "raw",
            "req_id": request.get("req_id", ""),
            "op": op,
        }


@pytest.fixture
def raw_servers() -> Iterator[Callable[..., RawServer]]:
    made: list[RawServer] = []

    def make(dialect: str, path: str, **kwargs: Any) -> RawServer:
        server = RawServer(dialect, path, **kwargs)
        made.append(server)
        return server

    try:
        yield make
    finally:
        for server in made:
            server.close()


@pytest.fixture
def v5_fake() -> Iterator[FakeBybit]:
    with FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET) as server:
        yield server


@pytest.fixture
def make_v5_client(v5_fake: FakeBybit) -> Iterator[ClientFactory]:
    with clients_for(v5_fake) as make:
        yield make


def _connection(client: BybitSocketClient) -> Any:
    """The client's only connection (to see where its supervisor is)."""
    (connection,) = [c for group in client._engine.connections.values() for c in group]
    return connection


# ------------------------------------------------------------------------- 1. deeply nested frames
@pytest.mark.parametrize("nested", [DEEP_ARRAYS, DEEP_OBJECTS], ids=["arrays", "objects"])
def test_a_deeply_nested_frame_on_the_dict_path_is_its_own_problem(
    fake: FakeBybit, make_client: ClientFactory, nested: str
) -> None:
    client = make_client()
    got, errors, lost = Collector(), Collector(), Collector()
    sub = client.inverse.subscribe_to_trade_updates("BTCUSD", got)
    sub.on_exception(errors)
    sub.on_connection_lost(lambda: lost(None))
    fake.send_raw(f'{{"data":[{nested}],"topic":"trade.BTCUSD"}}')  # no topic up front: the dict path
    fake.send_raw(compact("inverse_trade"))
    assert got.wait(1)[0].data[0].cross_sequence == 1052816407
    (error,) = errors.wait(1)
    assert isinstance(error, FrameError) and isinstance(error.__cause__, RecursionError)
    assert fake.connections_total == 1 and lost.events == []


@pytest.mark.parametrize("nested", [DEEP_ARRAYS, DEEP_OBJECTS], ids=["arrays", "objects"])
def test_a_deeply_nested_frame_on_the_typed_v5_path_is_reported_for_its_topic(
    v5_fake: FakeBybit, make_v5_client: ClientFactory, nested: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_v5_client()
    got, errors, other_errors = Collector(), Collector(), Collector()
    sub = client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", got)
    sub.on_exception(errors)
    other = client.v5.subscribe_to_trade_updates("linear", "ETHUSDT", Collector())
    other.on_exception(other_errors)
    good = compact("v5_public_trade")
    v5_fake.send_raw(good, path="v5.linear")
    got.wait(1)
    v5_fake.send_raw(deep_frame("publicTrade.BTCUSDT", nested), path="v5.linear")
    v5_fake.send_raw(deep_frame("publicTrade.XRPUSDT", nested), path="v5.linear")  # nobody's: logged
    v5_fake.send_raw(good, path="v5.linear")
    assert len(got.wait(2)) == 2
    (error,) = errors.wait(1)
    assert isinstance(error, FrameError) and error.topic == "publicTrade.BTCUSDT"
    wait_until(lambda: "publicTrade.XRPUSDT" in caplog.text, message="the unknown topic's frame logged")
    assert other_errors.events == [] and v5_fake.connections_total == 1


# ------------------------------------------------------------------ 2. fragmented messages, 7. dialects
DIALECTS: dict[str, tuple[str, str, str, Callable[[BybitSocketClient, Collector], Any]]] = {
    # urls key: (server dialect, path, fixture frame, subscribe)
    "inverse": (
        "inverse",
        "/realtime",
        "inverse_trade",
        lambda c, h: c.inverse.subscribe_to_trade_updates("BTCUSD", h),
    ),
    "contract": (
        "contract",
        "/contract/private/v3",
        "contract_order",
        lambda c, h: c.contract.subscribe_to_order_updates(h),
    ),
    "v5.linear": (
        "v5",
        "/v5/public/linear",
        "v5_public_trade",
        lambda c, h: c.v5.subscribe_to_trade_updates("linear", "BTCUSDT", h),
    ),
    "v5.private": ("v5", "/v5/private", "v5_order", lambda c, h: c.v5.subscribe_to_order_updates(h)),
}


@pytest.mark.parametrize("key", list(DIALECTS))
def test_fragmented_messages_and_deep_nesting_on_every_dialect(
    raw_servers: Callable[..., RawServer], key: str
) -> None:
    dialect, path, fixture, subscribe = DIALECTS[key]
    server = raw_servers(dialect, path)
    good = compact(fixture)
    topic = json.loads(good)["topic"]
    got, errors = Collector(), Collector()
    with BybitSocketClient(API_KEY, API_SECRET, urls={key: server.url}, request_timeout=5.0) as client:
        sub = subscribe(client, got)
        sub.on_exception(errors)
        server.send(
            server_frame(deep_frame(topic, DEEP_ARRAYS).encode())
            + server_frame(deep_frame(topic, DEEP_OBJECTS).encode())
            + fragmented(good)  # a text message in three fragments, a ping and a pong between them
            + server_frame(good.encode())
        )
        events = got.wait(2)
        assert events[0].data == events[1].data  # the reassembled message is the whole one
        assert [type(e) for e in errors.wait(2)] == [FrameError, FrameError]
        assert all(e.topic == topic for e in errors.events)
        server.wait(lambda: server.pongs == [b"between"], "the pong to the ping between fragments")
        assert server.accepted == 1  # the same connection throughout


def test_fragmented_binary_and_text_messages_split_across_reads_reassemble(
    raw_servers: Callable[..., RawServer],
) -> None:
    server = raw_servers("inverse", "/realtime")
    good = compact("inverse_trade")
    got = Collector()
    with BybitSocketClient(urls={"inverse": server.url}) as client:
        client.inverse.subscribe_to_trade_updates("BTCUSD", got)
        stream = fragmented(good, BINARY, pieces=2) + fragmented(good, pieces=7)
        for start in range(0, len(stream), 5):  # small writes: the buffered reader gets partial frames
            server.send(stream[start : start + 5])
        assert len(got.wait(2)) == 2
        assert server.accepted == 1


def test_a_fragmented_message_without_end_is_cut_off(raw_servers: Callable[..., RawServer]) -> None:
    """Fragments past max_message_size end the connection (close 1009) instead of growing memory; the
    client reconnects and reads on."""
    server = raw_servers("inverse", "/realtime")
    good = compact("inverse_trade")
    got = Collector()
    with BybitSocketClient(
        urls={"inverse": server.url}, backoff=Backoff(initial=0.05, jitter=0.0), max_message_size=4096
    ) as client:
        client.inverse.subscribe_to_trade_updates("BTCUSD", got)
        endless = server_frame(b"x" * 1000, fin=False)
        more = server_frame(b"x" * 1000, CONT, fin=False)
        server.send(endless + more * 5)
        server.wait(
            lambda: len([r for r in server.requests if r.get("op") == "subscribe"]) == 2, "resubscribe"
        )
        assert server.accepted == 2
        server.send(server_frame(good.encode()))
        assert len(got.wait(1)) == 1


# ------------------------------------------------------------------ 3, 4. replies with unknown ids
def _held_subscribe(fake: FakeBybit, client: BybitSocketClient, symbol: str) -> tuple[Background, str]:
    """Start a subscribe the fake does not answer; return it and its request's req_id."""
    before = len(fake.received_frames(op="subscribe"))
    fake.ignore_next("subscribe")
    call = Background(lambda: client.v5.subscribe_to_trade_updates("linear", symbol, Collector()))
    fake.wait_for(lambda: len(fake.received_frames(op="subscribe")) > before, message="the subscribe")
    return call, str(fake.received_frames(op="subscribe")[-1]["req_id"])


def _reply(req_id: str, success: bool, ret_msg: str = "") -> str:
    return json.dumps(
        {"success": success, "ret_msg": ret_msg, "conn_id": "c", "req_id": req_id, "op": "subscribe"}
    )


def test_a_stray_failure_reply_does_not_fail_a_pending_subscribe(
    v5_fake: FakeBybit, make_v5_client: ClientFactory
) -> None:
    client = make_v5_client()
    call, req_id = _held_subscribe(v5_fake, client, "BTCUSDT")
    v5_fake.send_raw(_reply("stray-1", False, "error:not yours"), path="v5.linear")
    v5_fake.send_raw(_reply(req_id, True), path="v5.linear")
    assert call.result().topics == ("publicTrade.BTCUSDT",)


def test_a_stray_success_reply_does_not_confirm_a_pending_subscribe(
    v5_fake: FakeBybit, make_v5_client: ClientFactory
) -> None:
    client = make_v5_client()
    call, req_id = _held_subscribe(v5_fake, client, "BTCUSDT")
    v5_fake.send_raw(_reply("stray-1", True), path="v5.linear")
    v5_fake.send_raw(_reply(req_id, False, "error:the real answer"), path="v5.linear")
    with pytest.raises(SubscriptionError) as caught:
        call.result()
    assert caught.value.ret_msg == "error:the real answer"


def test_a_late_reply_to_a_timed_out_subscribe_is_logged_and_dropped(
    v5_fake: FakeBybit, make_v5_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_v5_client(request_timeout=1.0)
    client.v5.subscribe_to_trade_updates("linear", "ETHUSDT", Collector())  # keeps the connection open
    late, late_id = _held_subscribe(v5_fake, client, "XRPUSDT")
    with pytest.raises(BybitTimeoutError):
        late.result()
    call, req_id = _held_subscribe(v5_fake, client, "BTCUSDT")
    with caplog.at_level(logging.DEBUG, logger="bybit_ws"):
        v5_fake.send_raw(_reply(late_id, False, "error:too late"), path="v5.linear")
        v5_fake.send_raw(_reply(req_id, True), path="v5.linear")
        assert call.result().topics == ("publicTrade.BTCUSDT",)
    (record,) = [r for r in caplog.records if "error:too late" in r.getMessage()]
    assert record.levelno == logging.DEBUG and "dropped" in record.getMessage()
    assert v5_fake.connections_total == 1


def test_a_burst_of_stray_replies_leaves_a_pending_subscribe_its_own_reply(
    v5_fake: FakeBybit, make_v5_client: ClientFactory
) -> None:
    client = make_v5_client(request_timeout=30.0)
    call, req_id = _held_subscribe(v5_fake, client, "BTCUSDT")
    for n in range(10_000):
        v5_fake.send_raw(_reply(f"stray-{n}", n % 2 == 0, f"error:stray {n}"), path="v5.linear")
    v5_fake.send_raw(_reply(req_id, False, "error:its own reply"), path="v5.linear")
    with pytest.raises(SubscriptionError) as caught:
        call.result(30.0)
    assert caught.value.ret_msg == "error:its own reply"
    assert v5_fake.connections_total == 1


# ------------------------------------------------------------------- 5, 6. close while connect hangs
def _close_promptly(client: BybitSocketClient) -> None:
    """close() returns long before the 30 s connect timeout would have run out."""
    started = time.monotonic()
    client.close()
    assert time.monotonic() - started < 10.0, "close() waited for the hanging connect"


def test_close_while_the_tcp_connect_hangs_is_prompt(raw_servers: Callable[..., RawServer]) -> None:
    server = raw_servers("v5", "/v5/public/linear", accept_limit=0)
    server.fill_backlog()
    client = BybitSocketClient(urls={"v5.linear": server.url}, connect_timeout=30.0, request_timeout=30.0)
    try:
        call = Background(lambda: client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", Collector()))
        wait_until(
            lambda: (
                bool(client._engine.connections) and _connection(client).supervisor._connecting is not None
            )
        )
        _close_promptly(client)
        with pytest.raises(ClientClosedError):
            call.result()
    finally:
        client.close()


@pytest.mark.parametrize("phase", ["connecting", "backing off"])
def test_close_while_a_reconnect_is_in_progress_is_prompt(
    raw_servers: Callable[..., RawServer], phase: str
) -> None:
    server = raw_servers("v5", "/v5/public/linear", accept_limit=1)
    delay = 0.0 if phase == "connecting" else 60.0
    client = BybitSocketClient(
        urls={"v5.linear": server.url},
        connect_timeout=30.0,
        backoff=Backoff(initial=delay, maximum=delay, jitter=0.0),
    )
    try:
        lost = threading.Event()
        sub = client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", Collector())
        sub.on_connection_lost(lost.set)
        connection = _connection(client)
        server.fill_backlog()
        server.drop()
        assert lost.wait(5.0)
        if phase == "connecting":
            wait_until(
                lambda: connection.supervisor._connecting is not None, message="the reconnect's connect"
            )
        _close_promptly(client)
    finally:
        client.close()
