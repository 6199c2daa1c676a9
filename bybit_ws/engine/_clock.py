"""Bybit's clock as estimated from what its sockets send (for ``expires`` and ``X-BAPI-TIMESTAMP``).

Bybit refuses an auth whose ``expires`` has passed and an order whose ``X-BAPI-TIMESTAMP`` is outside
``[server - recv_window, server + 1000)`` (V5_2026.md §2), so a local clock that is off breaks both. The
server tells its time in the private and trade pongs (``args[0]`` / ``data[0]``) and in every trade reply
(``header.Timenow``). Each such time ``S`` received at local ``t1`` for a frame sent at ``t0`` gives a
sample ``offset = S - (t0 + t1) / 2`` with error at most ``(t1 - t0) / 2``.

The estimate is the sample with the smallest error, each sample's error growing with its age (so newer
samples take over); one sample never moves the estimate by more than the two errors allow, unless it
contradicts it outright (the local clock was stepped): then it starts over from that sample.

How the first auth learns the offset (before any pong): see :meth:`bybit_ws.engine._auth.Auth` — a connection
that authenticates while no sample exists pings first and waits briefly for the pong.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

__all__ = ["ServerClock", "pong_time_ms", "reply_time_ms"]

_log = logging.getLogger(__name__)

#: how much a sample's error bound grows per second of age (ms/s: a generous clock drift)
_AGING = 0.05
#: how many samples are kept
_KEEP = 16
#: an offset above this is warned about (once per clock)
WARN_MS = 1000.0


def _ms(value: Any) -> int | None:
    try:
        ms = int(value)
    except (TypeError, ValueError):
        return None
    return ms if ms > 0 else None


def pong_time_ms(frame: Mapping[str, Any]) -> int | None:
    """The server time of a pong: trade ``data[0]``, private/option ``args[0]`` (string ms), or None."""
    for key in ("data", "args"):
        items = frame.get(key)
        if isinstance(items, list) and items:
            return _ms(items[0])
    return None


def reply_time_ms(frame: Mapping[str, Any]) -> int | None:
    """The server time of a trade reply: its ``header.Timenow`` (any case), or None."""
    header = frame.get("header")
    if not isinstance(header, Mapping):
        return None
    for key, value in header.items():
        if str(key).casefold() == "timenow":
            return _ms(value)
    return None


class ServerClock:
    """Bybit's time as this client estimates it; one per client, shared by its connections.

    Args:
        wall: local epoch seconds (``time.time``); monotonic: for samples' age (``time.monotonic``).
    """

    def __init__(
        self,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._wall = wall
        self._monotonic = monotonic
        self._cond = threading.Condition()
        self._samples: list[tuple[float, float, float]] = []  # (offset ms, error ms, taken at monotonic)
        self._offset_ms: float | None = None
        self._count = 0
        self._warned = False

    # ---------------------------------------------------------------------------------------- reading
    @property
    def offset(self) -> timedelta | None:
        """Server time minus local time, or None until measured."""
        offset = self._offset_ms
        return None if offset is None else timedelta(milliseconds=offset)

    @property
    def offset_ms(self) -> float:
        """The offset in ms (0 until measured)."""
        return self._offset_ms or 0.0

    @property
    def samples(self) -> int:
        """How many samples were taken so far."""
        return self._count

    def local_ms(self) -> float:
        """The local clock, epoch ms (to stamp ``t0``/``t1`` of a sample)."""
        return self._wall() * 1000.0

    def now_ms(self) -> int:
        """The server's time as estimated now, epoch ms (the local clock until measured)."""
        return int(self._wall() * 1000.0 + (self._offset_ms or 0.0))

    # ---------------------------------------------------------------------------------------- sampling
    def sample(self, sent_ms: float | None, server_ms: int, received_ms: float) -> None:
        """Take ``server_ms``, received at local ``received_ms`` for a frame sent at local ``sent_ms``
        (None when unknown: the sample then counts as a poor one, error 1 s)."""
        if sent_ms is None or sent_ms > received_ms:
            offset, error = server_ms - received_ms, 1000.0
        else:
            offset, error = server_ms - (sent_ms + received_ms) / 2, (received_ms - sent_ms) / 2
        now = self._monotonic()
        with self._cond:
            best = self._best(now)
            if best is not None and abs(offset - best[0]) > error + best[1]:
                # contradicts the estimate beyond both error bounds: the local clock was stepped
                self._samples.clear()
            # A kept sample whose error bound is wider than this one's now stays wider for ever (every
            # sample ages alike): it can never be the best again, so it goes (the best is then found in
            # a few samples, not 16: the reader takes a sample per order reply).
            kept = [s for s in self._samples if s[1] + max(0.0, now - s[2]) * _AGING <= error]
            kept.append((offset, error, now))
            self._samples = kept[-_KEEP:]
            chosen = self._best(now)
            assert chosen is not None
            self._offset_ms = chosen[0]
            self._count += 1
            warn = not self._warned and abs(chosen[0]) > WARN_MS
            self._warned = self._warned or warn
            self._cond.notify_all()
        if warn:
            _log.warning(
                "the local clock is %+.3f s off Bybit's (server minus local); expires and "
                "X-BAPI-TIMESTAMP follow the server's clock: consider syncing this machine's clock (NTP)",
                chosen[0] / 1000.0,
            )

    def _best(self, now: float) -> tuple[float, float] | None:
        best: tuple[float, float] | None = None
        for offset, error, taken in self._samples:
            aged = error + max(0.0, now - taken) * _AGING
            if best is None or aged < best[1]:
                best = (offset, aged)
        return best

    def wait_sample(self, after: int, timeout: float) -> bool:
        """Wait up to ``timeout`` s until more than ``after`` samples were taken; True if so."""
        with self._cond:
            return self._cond.wait_for(lambda: self._count > after, max(0.0, timeout))

    def __repr__(self) -> str:
        return f"<ServerClock offset={self.offset} samples={self._count}>"
