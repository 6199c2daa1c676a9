"""Credentials and the auth handshake of one connection (at most one in flight, once per socket)."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from bybit_ws._errors import AuthenticationError, BybitTimeoutError, no_credentials
from bybit_ws.dialects._base import Reply
from bybit_ws.dialects._signing import make_signer

from ._clock import ServerClock
from ._requests import ConnectionLost, RequestTracker, encode, next_req_id

_log = logging.getLogger(__name__)

__all__ = ["Auth", "Credentials"]


#: longest a connection waits for the pong of its clock probe before authenticating anyway (s)
PROBE_WAIT = 1.0
#: an auth is tried again (once) when a fresh measurement moved the offset at least this much (ms)
RETRY_MS = 1000.0


class Credentials:
    """An API key and secret: an HMAC secret, or an RSA private key (PEM text, bytes or a path; see
    :mod:`bybit_ws.dialects._signing`). The secret never appears in a repr, a log record, an exception or a
    pickle (pickling raises)."""

    __slots__ = ("_signer", "key")

    def __init__(self, key: str, secret: str | bytes | os.PathLike[str]) -> None:
        self.key = key
        self._signer = make_signer(secret)

    @property
    def kind(self) -> str:
        """``"hmac"`` or ``"rsa"``."""
        return self._signer.kind

    def auth_args(self, lifetime: float = 10.0, now_ms: int | None = None) -> list[Any]:
        """``[key, expires_ms, signature]`` for an auth request valid ``lifetime`` seconds after
        ``now_ms`` (the server's time as estimated; default: the local clock)."""
        now = int(time.time() * 1000) if now_ms is None else now_ms
        expires = now + int(lifetime * 1000)
        return [self.key, expires, self._signer.sign(expires)]

    def __repr__(self) -> str:
        return f"Credentials(key={self.key!r}, {self.kind} secret=<hidden>)"

    def __reduce__(self) -> Any:
        raise TypeError("API credentials cannot be pickled (they hold a secret)")


class Auth:
    """Authenticates a connection's socket once per generation, for whichever caller needs it first.

    Shares the connection's lock (``cond``); :meth:`reset` (lock held) on every new socket.

    Server time (``clock``, with ``ping``: the connection's heartbeat frame builder): ``expires`` follows
    the server's clock as estimated. Before any sample exists (the client's first private or trade
    connection), the socket is pinged once and the pong awaited up to :data:`PROBE_WAIT` s, so the first
    auth already uses the server's time. A rejected auth is tried once more when a fresh ping shows the
    offset moved by :data:`RETRY_MS` or more since (Bybit's ``Params Error`` does not say "expired").
    """

    def __init__(
        self,
        name: str,
        credentials: Credentials | None,
        requests: RequestTracker,
        *,
        clock: ServerClock | None = None,
        ping: Callable[[str | None], Mapping[str, Any]] | None = None,
        ping_req_id: bool = False,
    ) -> None:
        self._name = name
        self._credentials = credentials
        self._requests = requests
        self._clock = clock
        self._ping = ping
        self._ping_req_id = ping_req_id
        self._cond: threading.Condition = requests.cond
        self._authed = False
        self._inflight = False

    @property
    def has_credentials(self) -> bool:
        """Whether there is anything to authenticate with."""
        return self._credentials is not None

    def reset(self) -> None:
        """A new socket is not authenticated (lock held)."""
        self._authed = False

    def ensure(self, gen: int, deadline: float) -> None:
        """Authenticate generation ``gen`` unless it already is (waits for one in flight)."""
        with self._cond:
            while True:
                if gen != self._requests.gen:
                    raise ConnectionLost("the connection was lost")
                if self._authed:
                    return
                if not self._inflight:
                    self._inflight = True
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise BybitTimeoutError("authentication not confirmed in time")
                self._cond.wait(remaining)
        self._run(gen, deadline)

    def restore(self, gen: int, deadline: float) -> None:
        """Authenticate a fresh socket (the supervisor, before any other request on it)."""
        with self._cond:
            self._inflight = True
        self._run(gen, deadline)

    def _run(self, gen: int, deadline: float) -> None:
        try:
            self._authenticate(gen, deadline)
        finally:
            with self._cond:
                self._inflight = False
                self._cond.notify_all()

    def _authenticate(self, gen: int, deadline: float) -> None:
        credentials = self._credentials
        if credentials is None:
            raise no_credentials("private topics")
        clock = self._clock
        if clock is not None and clock.samples == 0:
            self._measure(gen, deadline)
        used = clock.offset_ms if clock is not None else 0.0
        reply = self._request(credentials, gen, deadline)
        retry = not reply.success and clock is not None and self._measure(gen, deadline)
        if retry and clock is not None and abs(clock.offset_ms - used) >= RETRY_MS:
            _log.warning(
                "%s: authentication rejected (%s) with the clock %.3f s off what Bybit now shows; "
                "trying once more",
                self._name,
                reply.ret_msg,
                (clock.offset_ms - used) / 1000,
            )
            reply = self._request(credentials, gen, deadline)
        if not reply.success:
            _log.warning("%s: authentication rejected: %s", self._name, reply.ret_msg)
            skew = ""
            if clock is not None and clock.offset is not None and abs(clock.offset_ms) >= RETRY_MS:
                skew = f" (the local clock is {clock.offset_ms / 1000:+.3f} s off Bybit's)"
            raise AuthenticationError(
                f"authentication rejected: {reply.ret_msg or 'no reason given'}{skew}",
                op="auth",
                ret_msg=reply.ret_msg,
            )
        with self._cond:
            if gen == self._requests.gen:
                self._authed = True
        _log.info("%s: authenticated", self._name)

    def _request(self, credentials: Credentials, gen: int, deadline: float) -> Reply:
        now = self._clock.now_ms() if self._clock is not None else None
        return self._requests.request("auth", credentials.auth_args(now_ms=now), deadline, gen)

    def _measure(self, gen: int, deadline: float) -> bool:
        """Ping generation ``gen``'s socket and wait (up to :data:`PROBE_WAIT` s) for a server-time
        sample; True if one came."""
        clock, ping = self._clock, self._ping
        if clock is None or ping is None:
            return False
        before = clock.samples
        with self._cond:
            transport = self._requests.transport
            if transport is None or gen != self._requests.gen or not transport.is_open:
                return False
        try:
            transport.send(encode(ping(next_req_id() if self._ping_req_id else None)))
        except Exception as exc:  # the socket died: the auth that follows (or raised) says so
            _log.debug("%s: clock probe not sent: %s", self._name, exc)
            return False
        wait = min(PROBE_WAIT, deadline - time.monotonic())
        if not clock.wait_sample(before, wait):
            _log.info(
                "%s: no server time within %.1f s; authenticating with the local clock", self._name, wait
            )
            return False
        return True
