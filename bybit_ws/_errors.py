"""Exceptions raised by bybit_ws.

All of them derive from :class:`BybitWsError`::

    BybitWsError
    ├── BybitConnectionError          the socket could not be opened (refused, or no answer in time),
    │                                 or was given up for good
    ├── BybitTimeoutError             (also TimeoutError) no reply in time, or nothing buffered
    ├── SubscriptionError             the server rejected a request (.op, .ret_msg, .req_id)
    │   └── AuthenticationError       the server rejected the credentials, or none were given
    ├── ClientClosedError             (also RuntimeError) the client or subscription is closed
    └── FrameError                    (also ValueError) a frame that could not be parsed
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "BybitConnectionError",
    "BybitTimeoutError",
    "BybitWsError",
    "ClientClosedError",
    "FrameError",
    "SubscriptionError",
]


class BybitWsError(Exception):
    """Base class of every exception this library raises."""


class BybitConnectionError(BybitWsError):
    """A connection could not be opened, was lost, or was given up for good."""


class BybitTimeoutError(BybitWsError, TimeoutError):
    """Nothing arrived in time: a reply to a request, or a buffered event in ``Subscription.get``."""


class SubscriptionError(BybitWsError):
    """The server rejected a request.

    Attributes:
        op: the request's operation (``"subscribe"``, ``"auth"``, ...).
        ret_msg: the server's own message, verbatim.
        req_id: the request id, where the dialect has one.
    """

    def __init__(self, message: str, *, op: str = "", ret_msg: str = "", req_id: str | None = None) -> None:
        super().__init__(message)
        self.op = op
        self.ret_msg = ret_msg
        self.req_id = req_id


class AuthenticationError(SubscriptionError):
    """The server rejected the credentials, or a private topic was asked for without any."""


class ClientClosedError(BybitWsError, RuntimeError):
    """The client (or the subscription) has been closed."""


class FrameError(BybitWsError, ValueError):
    """A frame from the server could not be parsed into its model.

    Attributes:
        topic: the frame's topic, when it had one.
        text: the start of the frame text (at most 500 characters).
    """

    def __init__(self, message: str, *, topic: str | None = None, text: str = "") -> None:
        super().__init__(message)
        self.topic = topic
        self.text = text[:500]


# Shown (in tracebacks, reprs, help) under the name users import them by: bybit_ws.BybitConnectionError.
for _error in (
    AuthenticationError,
    BybitConnectionError,
    BybitTimeoutError,
    BybitWsError,
    ClientClosedError,
    FrameError,
    SubscriptionError,
):
    _error.__module__ = "bybit_ws"
del _error
