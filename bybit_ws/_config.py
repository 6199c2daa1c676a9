"""Settings every connection shares: reconnect backoff and the per-connection options (the client's)."""

from __future__ import annotations

import random

import attrs

from ._transport import TransportOptions

__all__ = ["Backoff", "ConnectionConfig"]


@attrs.frozen
class Backoff:
    """Reconnect delays: ``initial * factor**n`` capped at ``maximum``, with +/- ``jitter`` (a fraction)."""

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    jitter: float = 0.2

    def delay(self, attempt: int) -> float:
        """Seconds to wait before reconnect attempt number ``attempt`` (1-based)."""
        base = min(self.maximum, self.initial * self.factor ** max(0, attempt - 1))
        return max(0.0, base * (1.0 + random.uniform(-self.jitter, self.jitter)))


@attrs.frozen(kw_only=True)
class ConnectionConfig:
    """Per-connection settings (the client's options)."""

    ping_interval: float = 20.0
    pong_timeout: float = 10.0
    request_timeout: float = 10.0
    stale_timeout: float | None = 60.0
    reconnect: bool = True
    max_retries: int | None = None
    backoff: Backoff = Backoff()
    keep_original_data: bool = False
    max_backlog: int = 10_000
    transport: TransportOptions = attrs.field(factory=TransportOptions)
