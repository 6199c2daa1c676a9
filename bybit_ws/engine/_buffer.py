"""What a subscription keeps besides its mailbox: the events of a subscription without a handler
(:class:`Buffer`), and the rate-limited log of a handler's exceptions (:class:`FailureLog`)."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from bybit_ws._errors import BybitTimeoutError, ClientClosedError

_log = logging.getLogger(__name__)

__all__ = ["HANDLER_ERROR_LOG_INTERVAL", "Buffer", "FailureLog"]

#: seconds between two log lines about one subscription's raising handler (the first has its traceback)
HANDLER_ERROR_LOG_INTERVAL = 5.0


class FailureLog:
    """Logs a handler's exceptions without flooding: the first with its traceback at ERROR, then at most
    one summary line (how many, and the latest) every ``interval`` seconds. ``clock``: injectable."""

    __slots__ = ("_clock", "_interval", "_next", "_since", "total")

    def __init__(
        self, interval: float = HANDLER_ERROR_LOG_INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._next = -math.inf  # when the next line may be logged
        self._since = 0  # raised since the last line
        #: every exception counted, logged or not
        self.total = 0

    def failed(self, exc: BaseException, what: str) -> None:
        """One more exception of ``what`` (on the worker running that handler, one at a time)."""
        self.total += 1
        now = self._clock()
        if self.total == 1:
            _log.error(
                "%s raised (further ones are counted, summarised every %g s)",
                what,
                self._interval,
                exc_info=exc,
            )
            self._next = now + self._interval
            return
        self._since += 1
        if now >= self._next:
            _log.error(
                "%s raised %d more time(s) (%d in all); the latest: %s: %s",
                what,
                self._since,
                self.total,
                type(exc).__name__,
                exc,
            )
            self._since = 0
            self._next = now + self._interval


class Buffer:
    """A subscription's events kept for iteration / ``get()`` when it has no handler (bounded: drops the
    oldest when full, as a :class:`Mailbox` does)."""

    def __init__(self, max_backlog: int, name: str) -> None:
        self._items: deque[Any] = deque()
        self._cond = threading.Condition(threading.Lock())
        self._max = max_backlog
        self._ended = False
        self._name = name
        self.received = 0
        self.delivered = 0
        self.dropped = 0

    def put(self, event: Any) -> None:
        self.put_items((event,))

    def put_items(self, events: Sequence[Any]) -> None:
        """Keep ``events`` (one socket read's, in order), dropping the oldest when full."""
        with self._cond:
            if self._ended:
                return
            items = self._items
            for event in events:
                self.received += 1
                if len(items) >= self._max:
                    items.popleft()
                    self.dropped += 1
                    if self.dropped == 1 or self.dropped % 10_000 == 0:
                        _log.warning(
                            "subscription %s: consumer too slow, buffer full (%d); dropped %d events so far",
                            self._name,
                            self._max,
                            self.dropped,
                        )
                items.append(event)
            self._cond.notify(len(events))

    def get(self, timeout: float | None) -> Any:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._items:
                if self._ended:
                    raise ClientClosedError(f"subscription {self._name} has ended")
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise BybitTimeoutError(f"no event within {timeout} s")
                self._cond.wait(remaining)
            self.delivered += 1
            return self._items.popleft()

    def take_all(self) -> list[Any]:
        with self._cond:
            items = list(self._items)
            self._items.clear()
            self.delivered += len(items)
            return items

    def newest(self, timeout: float | None) -> Any:
        with self._cond:
            if self._items:
                self.delivered += len(self._items)
                newest = self._items[-1]
                self._items.clear()
                return newest
        return self.get(timeout)

    def end(self, *, discard: bool) -> None:
        with self._cond:
            self._ended = True
            if discard:
                self._items.clear()
            self._cond.notify_all()

    def __len__(self) -> int:
        return len(self._items)
