"""Settings every connection shares: reconnect backoff and the per-connection options (the client's),
and :class:`ClientOptions`, the client's options checked in one place."""

from __future__ import annotations

import random
import ssl
from collections.abc import Mapping
from typing import Any

import attrs

from bybit_ws.protocol.frames import DEFAULT_MAX_MESSAGE_SIZE

from ._pacing import parse_limits
from ._transport import TransportOptions

__all__ = ["Backoff", "ClientOptions", "ConnectionConfig"]


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


def _at_least_one(instance: Any, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ValueError(f"{attribute.name} must be at least 1")


def _positive(instance: Any, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        raise ValueError(f"{attribute.name} must be positive")


def _not_with_testnet(instance: ClientOptions, attribute: attrs.Attribute[bool], value: bool) -> None:
    if value and instance.testnet:
        raise ValueError("demo and testnet exclude each other: demo trading runs on mainnet's demo host")


def _recv_window(instance: Any, attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is not None and not (isinstance(value, int) and value > 0):
        raise ValueError(f"recv_window must be a positive number of milliseconds, not {value!r}")


def _active_time(instance: Any, attribute: attrs.Attribute[float | None], value: float | None) -> None:
    if value is not None and (not 30 <= value <= 600 or value != int(value)):
        raise ValueError(f"max_active_time must be whole seconds from 30 to 600, not {value!r}")


def _region(instance: ClientOptions, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    if value is not None and (instance.testnet or instance.demo):
        raise ValueError("region picks a local site's mainnet host: it excludes testnet and demo")


@attrs.frozen(kw_only=True)
class ClientOptions:
    """The options of :class:`~bybit_ws.BybitSocketClient` but its credentials and ``urls`` (see its
    docstring), checked when made: ``ValueError`` names the first bad one. ``order_rate_limit`` is kept
    parsed (see :func:`~bybit_ws.engine._pacing.parse_limits`)."""

    testnet: bool = False
    workers: int = attrs.field(default=4, validator=_at_least_one)
    max_backlog: int = attrs.field(default=10_000, validator=_at_least_one)
    ping_interval: float = attrs.field(default=20.0, validator=_positive)
    pong_timeout: float = attrs.field(default=10.0, validator=_positive)
    request_timeout: float = attrs.field(default=10.0, validator=_positive)
    connect_timeout: float = attrs.field(default=10.0, validator=_positive)
    demo: bool = attrs.field(default=False, validator=_not_with_testnet)
    recv_window: int | None = attrs.field(default=None, validator=_recv_window)
    max_active_time: float | None = attrs.field(default=None, validator=_active_time)
    region: str | None = attrs.field(default=None, validator=_region)
    order_rate_limit: dict[str, dict[str, int]] | None = attrs.field(default=None, converter=parse_limits)
    reconnect: bool = True
    keep_original_data: bool = False
    stale_timeout: float | None = 60.0
    sslopt: Mapping[str, Any] | None = None
    proxy: Mapping[str, Any] | str | None = attrs.field(default=None, repr=False)  # may hold a password
    ssl_context: ssl.SSLContext | None = None
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    backoff: Backoff | None = None
    max_retries: int | None = None
    referer: str | None = None
    connect_trade: bool = False

    @property
    def active_time(self) -> str | None:
        """``max_active_time`` as Bybit's query value (``"60s"``), or None."""
        return None if self.max_active_time is None else f"{int(self.max_active_time)}s"

    def connection_config(self) -> ConnectionConfig:
        """The settings every connection of the client shares."""
        stale = self.stale_timeout
        return ConnectionConfig(
            ping_interval=self.ping_interval,
            pong_timeout=self.pong_timeout,
            request_timeout=self.request_timeout,
            stale_timeout=stale if stale and stale > 0 else None,
            reconnect=self.reconnect,
            max_retries=self.max_retries,
            backoff=self.backoff or Backoff(),
            keep_original_data=self.keep_original_data,
            max_backlog=self.max_backlog,
            transport=TransportOptions(
                connect_timeout=self.connect_timeout,
                send_timeout=self.request_timeout,
                sslopt=self.sslopt,
                proxy=self.proxy,
                ssl_context=self.ssl_context,
                max_message_size=self.max_message_size,
            ),
        )
