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
from bybit_ws.testing import FakeBybit

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
