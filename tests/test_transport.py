"""The reader on a real socket pair: large reads fed to the sans-I/O core, frames split anywhere."""

from __future__ import annotations

import socket
import threading

import pytest

from bybit_ws.engine._transport import Transport
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
