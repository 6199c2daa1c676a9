"""The reader on a real socket pair: large reads fed to the sans-I/O core, frames split anywhere."""

from __future__ import annotations

import socket
import threading

import pytest

from bybit_ws._transport import Transport
from bybit_ws.protocol.frames import CLOSE, ClientProtocol

from .support import ClientFrames, server_frame, wait_until

PAYLOADS = [b"{}", b'{"topic":"trade.BTCUSD","data":[]}', b"x" * 125, b"y" * 126, b"z" * 70_000, b""]
STREAM = b"".join(server_frame(p) for p in PAYLOADS)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 125, 126, 127, 4096, 65_536, len(STREAM)])
def test_frames_split_across_reads_parse_whole(size: int) -> None:
    core = ClientProtocol()
    for start in range(0, len(STREAM), size):
        core.receive_data(STREAM[start : start + size])
    assert core.events_received() == PAYLOADS


def test_a_failing_on_read_callback_is_logged_and_reading_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    ours, theirs = socket.socketpair()
    transport = Transport(ours, "test")
    frames: list[bytes] = []
    reads: list[int] = []
    closed = threading.Event()

    def on_read(nbytes: int) -> None:
        reads.append(nbytes)
        raise RuntimeError("boom")

    transport.start(lambda data, received: frames.append(data), lambda error: closed.set(), on_read)
    try:
        theirs.sendall(server_frame(b'{"n":1}'))
        wait_until(lambda: frames == [b'{"n":1}'], message="the first frame")
        theirs.sendall(server_frame(b'{"n":2}'))
        wait_until(lambda: len(frames) == 2, message="the second frame, after the callback failed")
        assert reads and all(n > 0 for n in reads)
        assert "on_read callback failed" in caplog.text
    finally:
        theirs.close()
        assert closed.wait(5)
        transport.close()


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
