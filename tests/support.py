"""Helpers shared by the tests: fixture files, a collecting handler, waiting with a deadline."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from bybit_ws import BybitSocketClient
from bybit_ws.testing import FakeBybit, PaperExchange

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FRAMES = FIXTURES / "frames"
BYBITNET = FIXTURES / "bybitnet"

API_KEY = "test-key-123"
API_SECRET = "test-secret-do-not-log-7f3a9c"


def frame_text(name: str) -> str:
    """The exact text of a fixture frame (``inverse_trade`` -> frames/inverse_trade.json)."""
    return (FRAMES / f"{name}.json").read_text()


def frame(name: str) -> Any:
    """A fixture frame decoded as the engine decodes it (floats as Decimal)."""
    return json.loads(frame_text(name), parse_float=Decimal)


def bybitnet(path: str) -> Any:
    """A Bybit.Net payload fixture with its ``//`` comments stripped."""
    text = (BYBITNET / path).read_text()
    return json.loads(re.sub(r"//[^\n]*", "", text), parse_float=Decimal)


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, message: str = "condition") -> None:
    """Wait for ``predicate`` with a deadline (polls an Event, never a bare sleep)."""
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while not predicate():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        tick.wait(0.005)


class Collector:
    """A handler that records events and lets a test wait for a count."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self._cond = threading.Condition()

    def __call__(self, event: Any) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait(self, count: int = 1, timeout: float = 5.0) -> list[Any]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.events) >= count, timeout):
                raise AssertionError(f"got {len(self.events)} events, expected {count} within {timeout} s")
            return list(self.events)


ClientFactory = Callable[..., BybitSocketClient]


@contextlib.contextmanager
def paper_fake() -> Iterator[FakeBybit]:
    """A v5 FakeBybit with the test credentials and a paper exchange pricing BTCUSDT at 30,000."""
    with FakeBybit(
        "v5", api_key=API_KEY, api_secret=API_SECRET, paper=PaperExchange(prices={"BTCUSDT": "30000"})
    ) as server:
        yield server


@contextlib.contextmanager
def clients_for(fake: FakeBybit, **defaults: Any) -> Iterator[ClientFactory]:
    """Make clients pointed at ``fake`` with short test intervals (plus ``defaults``); all closed on exit."""
    made: list[BybitSocketClient] = []

    def make(**kwargs: Any) -> BybitSocketClient:
        options: dict[str, Any] = {
            "urls": fake.urls,
            "ping_interval": 5.0,
            "pong_timeout": 5.0,
            "request_timeout": 2.0,
            **defaults,
            **kwargs,
        }
        client = BybitSocketClient(**options)
        made.append(client)
        return client

    try:
        yield make
    finally:
        for client in made:
            client.close()


def server_frame(
    payload: bytes,
    opcode: int = 1,
    fin: bool = True,
    *,
    mask: bytes | None = None,
    rsv: int = 0,
    length: int | None = None,
) -> bytes:
    """A websocket frame as a server sends it (RFC 6455 5.2), built by hand so a test can also break the
    rules: ``mask`` (servers must not), ``rsv`` bits, or a header announcing ``length`` bytes."""
    size = len(payload) if length is None else length
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    masked = 0x80 if mask is not None else 0
    if size < 126:
        header = bytes((first, masked | size))
    elif size < 65536:
        header = bytes((first, masked | 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((first, masked | 127)) + size.to_bytes(8, "big")
    if mask is not None:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        header += mask
    return header + payload


class ClientFrames:
    """Reads the frames a client sends (masked) from a socket: ``next_frame()`` -> (opcode, fin, payload)."""

    def __init__(self, sock: Any, pending: bytes = b"") -> None:
        self._sock = sock
        self._buffer = pending

    def has_data(self) -> bool:
        """Whether bytes are buffered (for a stream given whole as ``pending``)."""
        return bool(self._buffer)

    def _exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("the client closed the connection")
            self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def next_frame(self) -> tuple[int, bool, bytes]:
        first, second = self._exactly(2)
        size = second & 0x7F
        if size == 126:
            size = int.from_bytes(self._exactly(2), "big")
        elif size == 127:
            size = int.from_bytes(self._exactly(8), "big")
        mask = self._exactly(4) if second & 0x80 else b""
        payload = self._exactly(size)
        if mask:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return first & 0x0F, bool(first & 0x80), payload
