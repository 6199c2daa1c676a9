"""The reader's buffer layer under websocket-client's frame parser: frames split anywhere still parse."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import websocket
from websocket import ABNF

from bybit_ws._transport import Transport, _BufferedFrames

from .support import wait_until


def server_frame(payload: bytes, opcode: int = ABNF.OPCODE_TEXT, fin: int = 1) -> bytes:
    """An unmasked frame as a server sends it."""
    frame = ABNF(fin, 0, 0, 0, opcode, 0, payload)
    return bytes(frame.format())


PAYLOADS = [b"{}", b'{"topic":"trade.BTCUSD","data":[]}', b"x" * 125, b"y" * 126, b"z" * 70_000, b""]
STREAM = b"".join(server_frame(p) for p in PAYLOADS)


def chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 125, 126, 127, 4096, 65_536, len(STREAM)])
def test_frames_split_across_reads_parse_whole(size: int) -> None:
    supply = chunks(STREAM, size)
    frames = _BufferedFrames(lambda: next(supply))
    parsed = [frames.recv_frame() for _ in PAYLOADS]
    assert [f.data for f in parsed] == PAYLOADS
    assert all(f.opcode == ABNF.OPCODE_TEXT and f.fin for f in parsed)


def test_control_and_fragmented_frames_pass_through() -> None:
    stream = (
        server_frame(b"ping!", ABNF.OPCODE_PING)
        + server_frame(b'{"a":', ABNF.OPCODE_TEXT, fin=0)
        + server_frame(b"1}", ABNF.OPCODE_CONT, fin=1)
    )
    supply = chunks(stream, 5)
    frames = _BufferedFrames(lambda: next(supply))
    ping, first, last = (frames.recv_frame() for _ in range(3))
    assert (ping.opcode, ping.data) == (ABNF.OPCODE_PING, b"ping!")
    assert (first.opcode, first.fin, last.opcode, last.fin) == (ABNF.OPCODE_TEXT, 0, ABNF.OPCODE_CONT, 1)
    assert [first.data, last.data] == [b'{"a":', b"1}"]


def test_a_closed_socket_ends_the_read() -> None:
    def closed() -> bytes:
        raise ConnectionResetError("gone")

    frames = _BufferedFrames(closed)
    with pytest.raises(ConnectionResetError):
        frames.recv_frame()


def test_a_failing_on_read_callback_is_logged_and_reading_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    ours, theirs = socket.socketpair()
    ws = websocket.WebSocket()
    ws.sock = ours
    transport = Transport(ws, "test")
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
