"""Credentials and the auth handshake of one connection (at most one in flight, once per socket)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from ._dialect import sign
from ._errors import AuthenticationError, BybitTimeoutError
from ._requests import ConnectionLost, Requests

_log = logging.getLogger(__name__)

__all__ = ["Auth", "Credentials"]


class Credentials:
    """An API key and secret. The secret never appears in a repr, a log record or an exception."""

    __slots__ = ("_secret", "key")

    def __init__(self, key: str, secret: str) -> None:
        self.key = key
        self._secret = secret

    def auth_args(self, lifetime: float = 10.0) -> list[Any]:
        """``[key, expires_ms, signature]`` for an auth request valid ``lifetime`` seconds."""
        expires = int((time.time() + lifetime) * 1000)
        return [self.key, expires, sign(self._secret, expires)]

    def __repr__(self) -> str:
        return f"Credentials(key={self.key!r}, secret=<hidden>)"


class Auth:
    """Authenticates a connection's socket once per generation, for whichever caller needs it first.

    Shares the connection's lock (``cond``); :meth:`reset` (lock held) on every new socket.
    """

    def __init__(self, name: str, credentials: Credentials | None, requests: Requests) -> None:
        self._name = name
        self._credentials = credentials
        self._requests = requests
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
            raise AuthenticationError(
                "this topic needs API credentials: pass api_key/api_secret "
                "or set BYBIT_API_KEY/BYBIT_API_SECRET",
                op="auth",
            )
        reply = self._requests.request("auth", credentials.auth_args(), deadline, gen)
        if not reply.success:
            _log.warning("%s: authentication rejected: %s", self._name, reply.ret_msg)
            raise AuthenticationError(
                f"authentication rejected: {reply.ret_msg or 'no reason given'}",
                op="auth",
                ret_msg=reply.ret_msg,
            )
        with self._cond:
            if gen == self._requests.gen:
                self._authed = True
        _log.info("%s: authenticated", self._name)
