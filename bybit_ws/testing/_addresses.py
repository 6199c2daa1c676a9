"""`FakeServer`'s addresses (`AddressesMixin`) and what serves new subscribers their snapshots
(`SnapshotSource`)."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from typing import Protocol

from bybit_ws.testing._protocol import Dialect, Endpoint

__all__ = ["AddressesMixin", "SnapshotSource"]


class SnapshotSource(Protocol):
    """What serves a new subscriber its snapshot (a `SimulatedMarket`).

    The fake holds `lock` while it adds a topic to a connection, sends the reply and calls
    `subscribed`, so that the source publishes nothing in between; the source sends the snapshot
    through `send` (to that connection only) before any later data of the topic.
    """

    @property
    def lock(self) -> threading.Lock: ...

    def subscribed(self, path: str, topic: str, send: Callable[[str], bool]) -> None:
        """A connection on `path` subscribed `topic`; `send(text)` sends a frame to it alone."""
        ...


class AddressesMixin:
    """`FakeServer`'s addresses: its dialect, base URL, REST URL and the client's `urls` mapping."""

    _dialect: Dialect
    _ssl: ssl.SSLContext | None
    _host: str
    _bound_port: int
    _endpoints: dict[str, Endpoint]
    _by_key: dict[str, Endpoint]

    @property
    def dialect(self) -> Dialect:
        return self._dialect

    @property
    def url(self) -> str:
        """Base URL, e.g. ``ws://127.0.0.1:54321``. Only after `start`."""
        if not self._bound_port:
            raise RuntimeError("FakeBybit is not started")
        scheme = "wss" if self._ssl is not None else "ws"
        return f"{scheme}://{self._host}:{self._bound_port}"

    @property
    def rest_url(self) -> str:
        """Base URL of the REST route (``GET /v5/market/instruments-info``), e.g. ``http://127.0.0.1:54321``."""
        return ("https" if self._ssl is not None else "http") + self.url.removeprefix("wss").removeprefix(
            "ws"
        )

    @property
    def urls(self) -> dict[str, str]:
        """The client's ``urls`` mapping: ``"inverse"``, ``"contract"`` or the ``"v5.*"`` keys."""
        base = self.url
        return {ep.key: base + ep.path for ep in self._endpoints.values()}

    def _resolve_path(self, path: str | None) -> str | None:
        """Accept a URL path (``"/v5/public/spot"``) or a `urls` key (``"v5.spot"``)."""
        if path is None or path in self._endpoints:
            return path
        endpoint = self._by_key.get(path)
        if endpoint is None:
            known = ", ".join([*self._endpoints, *self._by_key])
            raise ValueError(f"unknown path {path!r} for dialect {self._dialect!r}; known: {known}")
        return endpoint.path
