"""What the conformance tests share: one running fake exchange with a linear and a spot market, the
credentials it accepts, and a queue that waits with a deadline."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bybit_ws.testing import FakeBybit, SimulatedMarket
from tests.support import API_KEY, API_SECRET

__all__ = ["API_KEY", "API_SECRET", "Inbox", "running_exchange"]


@contextmanager
def running_exchange() -> Iterator[FakeBybit]:
    """A v5 FakeBybit with ``BTCUSDT`` markets on linear and spot, stepping quickly (20/s)."""
    with (
        FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET) as fake,
        SimulatedMarket(fake, "BTCUSDT", seed=24, rate=20),
        SimulatedMarket(fake, "BTCUSDT", category="spot", seed=25, rate=20),
    ):
        yield fake


class Inbox:
    """Collects what a peer library hands its callbacks; `take` waits for a matching item."""

    def __init__(self) -> None:
        self._items: queue.Queue[Any] = queue.Queue()

    def __call__(self, item: Any) -> None:
        self._items.put(item)

    def take(self, match: Callable[[Any], bool] = lambda _: True, timeout: float = 10.0) -> Any:
        """The next item for which `match` is true (others are dropped); TimeoutError after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no matching message in time")
            try:
                item = self._items.get(timeout=remaining)
            except queue.Empty:
                continue
            if match(item):
                return item
