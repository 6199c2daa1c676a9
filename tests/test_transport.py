"""The reader on a real socket pair: large reads fed to the sans-I/O core, frames split anywhere."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from bybit_ws.dialects._base import Reply
from bybit_ws.engine._requests import NotSent, Pending, RequestTracker
from bybit_ws.engine._transport import NotWritten, Transport
from bybit_ws.protocol.frames import CLOSE, ClientProtocol

from .support import ClientFrames, server_frame

PAYLOADS = [b"{}", b'{"topic":"trade.BTCUSD","data":[]}', b"x" * 125, b"y" * 126, b"z" * 70_000, b""]
STREAM = b"".join(server_frame(p) for p in PAYLOADS)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 125, 126, 127, 4096, 65_536, len(STREAM)])
def test_frames_split_across_reads_parse_whole(size: int) -> None:
    core = ClientProtocol()
    for start in range(0, len(STREAM), size):
        core.receive_data(STREAM[start : start + size])
    assert core.events_received() == PAYLOADS


def test_close_sends_one_close_and_waits_for_the_echo() -> None:
    """close(): one Close frame with 1000, the reader ends on the echo, then the socket is closed."""
    ours, theirs = socket.socketpair()
    transport = Transport(ours, "test")
    errors: list[BaseException | None] = []
    transport.start(lambda data, received: None, errors.append)
    done = threading.Event()

    def echo() -> None:
        opcode, fin, payload = ClientFrames(theirs).next_frame()
        assert (opcode, fin, payload) == (CLOSE, True, (1000).to_bytes(2, "big"))
        theirs.sendall(server_frame(payload, CLOSE))
        done.set()

    server = threading.Thread(target=echo, name="test-echo", daemon=True)
    server.start()
    try:
        transport.close(timeout=5.0)
        server.join(5)  # it set done right after its echo, which ended our reader
        assert done.is_set() and errors == [None]
        assert theirs.recv(10) == b""  # nothing after the Close, and the TCP connection is closed
    finally:
        server.join(5)
        theirs.close()


def test_a_write_cut_short_cuts_the_connection_so_no_frame_is_swallowed() -> None:
    """``sendall`` timing out part way (a peer that stops reading) leaves a frame half written: whatever
    came next would be read as its payload. The transport cuts the connection instead (review finding)."""
    ours, theirs = socket.socketpair()
    for sock in (ours, theirs):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    transport = Transport(ours, "test", send_timeout=0.3)
    ended = threading.Event()
    transport.start(lambda data, received: None, lambda error: ended.set())
    try:
        with pytest.raises(OSError):
            transport.send("x" * 2_000_000)  # the peer reads nothing: the write stops part way
        assert ended.wait(5), "the reader did not end: the half-written socket stayed in use"
        assert not transport.is_open
        with pytest.raises((ConnectionError, OSError)):
            transport.send('{"op":"order.create"}')
    finally:
        transport.close(timeout=0.5)
        theirs.close()


def test_a_send_after_the_close_frame_writes_nothing_and_says_so() -> None:
    """Once the Close frame went, a send raises ``NotWritten`` (nothing of it left: the request tracker
    reports it as never sent, not as an order whose outcome is unknown)."""
    ours, theirs = socket.socketpair()
    transport = Transport(ours, "test")
    transport.start(lambda data, received: None, lambda error: None)
    try:
        transport.begin_close(timeout=1.0)
        with pytest.raises(NotWritten):
            transport.send('{"op":"order.create"}')
        assert ClientFrames(theirs).next_frame()[0] == CLOSE  # the Close, and nothing after it
        theirs.setblocking(False)
        with pytest.raises(BlockingIOError):
            theirs.recv(10)
    finally:
        transport.abort()
        transport.close(timeout=0.5)
        theirs.close()


def test_a_request_that_could_not_be_written_is_reported_not_sent() -> None:
    """The request tracker turns ``NotWritten`` into ``NotSent`` (safe to send on the next socket), not
    into ``ConnectionLost`` (which a trade connection reports as an order whose outcome is unknown)."""
    ours, theirs = socket.socketpair()
    transport = Transport(ours, "test")
    transport.start(lambda data, received: None, lambda error: None)
    cond = threading.Condition(threading.RLock())
    tracker = RequestTracker(
        "ws://test", cond, lambda op, args, req_id: {"op": op, "args": list(args), "reqId": req_id},
        uses_req_id=True, name="test", anonymous_ops=frozenset({"auth"}),
    )  # fmt: skip
    try:
        with cond:
            gen = tracker.attach(transport)
        transport.begin_close(timeout=1.0)
        with pytest.raises(NotSent):
            tracker.send("order.create", [{"symbol": "BTCUSDT"}], gen)
        assert tracker.next_deadline() is None  # nothing left pending
    finally:
        transport.abort()
        transport.close(timeout=0.5)
        theirs.close()


class _LateReply(RequestTracker):
    """A tracker whose wait runs out just before the reply is read (the reader's match then comes
    between the wait's end and the request giving up)."""

    def _wait(self, pending: Pending, timeout: float) -> bool:
        ended = super()._wait(pending, timeout)
        if not ended:
            assert self.match(Reply(op=pending.op, success=True, req_id=pending.req_id))
        return ended


def test_a_reply_read_as_the_wait_runs_out_is_the_outcome_not_a_timeout() -> None:
    """A subscribe Bybit confirmed must not be reported as timed out (then marked unsent, or an auth
    that succeeded taken for a reason to reconnect): the reply that ended the request is its outcome."""
    ours, theirs = socket.socketpair()
    transport = Transport(ours, "test")
    transport.start(lambda data, received: None, lambda error: None)
    cond = threading.Condition(threading.RLock())
    tracker = _LateReply(
        "ws://test", cond, lambda op, args, req_id: {"op": op, "args": list(args), "req_id": req_id},
        uses_req_id=True, name="test",
    )  # fmt: skip
    try:
        with cond:
            gen = tracker.attach(transport)
        reply = tracker.request("subscribe", ["orderbook.1.BTCUSDT"], time.monotonic() + 0.05, gen)
        assert reply.success and reply.op == "subscribe"
    finally:
        transport.abort()
        transport.close(timeout=0.5)
        theirs.close()
