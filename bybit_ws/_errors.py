"""Exceptions raised by bybit_ws.

All of them derive from :class:`BybitWsError`::

    BybitWsError
    ├── BybitConnectionError          the socket could not be opened (refused, or no answer in time),
    │   │                             or was given up for good
    │   └── OrderOutcomeUnknownError  the connection died after an order request was sent
    ├── BybitTimeoutError             (also TimeoutError) no reply in time, or nothing buffered
    ├── OrderRejectedError            the Trade API answered an order request with a non-zero retCode
    ├── SubscriptionError             the server rejected a request (.op, .ret_msg, .req_id)
    │   └── AuthenticationError       the server rejected the credentials, or none were given
    ├── ClientClosedError             (also RuntimeError) the client or subscription is closed
    └── FrameError                    (also ValueError) a frame that could not be parsed

:class:`TradeRetCode` names the Trade API's ``retCode`` values a caller acts on. :func:`deprecated` warns
about a spelling of 0.1 that goes in 0.3; :func:`renamed` makes a method's old name that warns.
"""

from __future__ import annotations

import enum
import functools
import warnings
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

__all__ = [
    "AuthenticationError",
    "BybitConnectionError",
    "BybitTimeoutError",
    "BybitWsError",
    "ClientClosedError",
    "FrameError",
    "OrderOutcomeUnknownError",
    "OrderRejectedError",
    "SubscriptionError",
    "TradeRetCode",
    "deprecated",
    "renamed",
]


class BybitWsError(Exception):
    """Base class of every exception this library raises.

    Every one pickles (across a ``ProcessPoolExecutor`` or ``multiprocessing`` boundary) whatever its
    constructor's arguments: it is rebuilt from its ``args`` and attributes, not by calling ``__init__``.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), self.args, self.__dict__ or None)


def _rebuild(cls: type[BybitWsError], args: tuple[Any, ...], state: dict[str, Any] | None) -> BybitWsError:
    """Unpickle an exception without calling its ``__init__`` (keyword-only or computed arguments)."""
    error = cls.__new__(cls, *args)
    error.args = args
    if state:
        error.__dict__.update(state)
    return error


class BybitConnectionError(BybitWsError):
    """A connection could not be opened, was lost, or was given up for good."""


class BybitTimeoutError(BybitWsError, TimeoutError):
    """Nothing arrived in time: a reply to a request, or a buffered event in ``Subscription.get``.

    For an order request (the Trade API) the order may or may not exist: check the order stream. The
    library never resends it.
    """


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


def no_credentials(what: str) -> AuthenticationError:
    """The error for ``what`` (plural: "private topics", "orders") asked for without API credentials."""
    return AuthenticationError(
        f"{what} need API credentials: pass api_key and api_secret, "
        "or set BYBIT_API_KEY and BYBIT_API_SECRET",
        op="auth",
    )


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


class TradeRetCode(enum.IntEnum):
    """``retCode`` values of the v5 Trade API (``/v5/trade``) worth acting on.

    Business errors use Bybit's REST codes; the ones the library and the paper exchange produce are
    named here. Compare ``OrderRejectedError.ret_code`` with these (an ``IntEnum`` equals its int).
    """

    OK = 0
    #: The reply carried no code at all (the ``{"success": false, "ret_msg": ...}`` shape).
    NO_CODE = -1
    #: Request parameter error.
    PARAMS_ERROR = 10001
    #: The request's ``X-BAPI-TIMESTAMP`` is outside ``X-BAPI-RECV-WINDOW`` of the server's clock.
    INVALID_TIMESTAMP = 10002
    #: Too many trade sessions (connections) under the same UID (the number is undocumented); on
    #: ``/v5/trade`` only: REST's ``10003`` means an invalid API key.
    TOO_MANY_SESSIONS = 10003
    #: Invalid signature (auth).
    INVALID_SIGN = 10004
    #: Too many requests for this UID (the account's rate limit): slow down.
    TOO_MANY_VISITS = 10006
    #: Internal error or the service is restarting.
    INTERNAL_ERROR = 10016
    #: The trade service is restarting: open a new connection (requests already in flight are unaffected).
    SERVICE_RESTARTING = 10019
    #: The IP's request limit (3,000 requests a second) is exceeded.
    IP_RATE_LIMITED = 10403
    #: Unknown ``op``, or a category the op does not serve.
    UNKNOWN_OP = 10404
    #: System-level frequency protection: slow down.
    SYSTEM_RATE_LIMITED = 10429
    #: The connection is already authenticated.
    REPEAT_AUTH = 20001
    #: Too frequent requests under the same session (connection): slow down.
    SESSION_RATE_LIMITED = 20003
    #: A ``reqId`` that was already used.
    DUPLICATE_REQ_ID = 20006
    #: The order does not exist (or is already filled or cancelled).
    ORDER_NOT_FOUND = 110001
    #: Not enough available balance.
    INSUFFICIENT_BALANCE = 110007
    #: A reduce-only order that would not reduce the position.
    REDUCE_ONLY_REJECTED = 110017
    #: An ``orderLinkId`` (client order id) already used by an active order.
    DUPLICATE_CLIENT_ORDER_ID = 110072


_RATE_LIMITED = frozenset(
    {
        TradeRetCode.TOO_MANY_VISITS,
        TradeRetCode.IP_RATE_LIMITED,
        TradeRetCode.SYSTEM_RATE_LIMITED,
        TradeRetCode.SESSION_RATE_LIMITED,
    }
)


class OrderRejectedError(BybitWsError):
    """The Trade API answered an order request with a non-zero ``retCode``: the request was not carried out.

    For a batch the whole request was refused; per-order failures of an accepted batch come back as
    :class:`~bybit_ws.BatchOrderResult` items instead.

    Attributes:
        ret_code: Bybit's ``retCode`` (see :class:`TradeRetCode`; ``-1`` when the reply had none).
        ret_msg: Bybit's ``retMsg``, verbatim.
        op: the request's operation (``"order.create"``, ...).
        req_id: the request's ``reqId``, when the reply echoed it.
        rate_limit: the reply's :class:`~bybit_ws.RateLimitStatus`, when it had one.
    """

    def __init__(
        self,
        ret_code: int,
        ret_msg: str,
        *,
        op: str = "",
        req_id: str | None = None,
        rate_limit: Any = None,
    ) -> None:
        super().__init__(f"{op or 'order request'} rejected: retCode {ret_code}: {ret_msg}")
        self.ret_code = ret_code
        self.ret_msg = ret_msg
        self.op = op
        self.req_id = req_id
        self.rate_limit = rate_limit

    @property
    def is_rate_limited(self) -> bool:
        """True for the rate-limit codes (10006, 10403, 10429, 20003): retry later, more slowly. (10003,
        too many sessions for the UID, is not: fewer connections help, not a slower pace.)"""
        return self.ret_code in _RATE_LIMITED

    @property
    def should_reconnect(self) -> bool:
        """True for 10019 (the trade service is restarting): later requests need a new connection."""
        return self.ret_code == TradeRetCode.SERVICE_RESTARTING


class OrderOutcomeUnknownError(BybitConnectionError):
    """The connection died after an order request was sent and before its reply arrived.

    The order may or may not exist: check the order stream (``subscribe_to_order_updates``), or query
    the order by its client order id. The library never resends such a request.
    """


# Shown (in tracebacks, reprs, help) under the name users import them by: bybit_ws.BybitConnectionError.
for _error in (
    AuthenticationError,
    BybitConnectionError,
    BybitTimeoutError,
    BybitWsError,
    ClientClosedError,
    FrameError,
    OrderOutcomeUnknownError,
    OrderRejectedError,
    SubscriptionError,
    TradeRetCode,
):
    _error.__module__ = "bybit_ws"
del _error


def deprecated(old: str, new: str) -> None:
    """Warn that the public method ``old`` (a 0.1 spelling) is deprecated for ``new``; call it first
    thing in ``old``, so the warning points at the line that called ``old``."""
    warnings.warn(
        f"{old} is deprecated since bybit_ws 0.2 and goes in 0.3: use {new}",
        DeprecationWarning,
        stacklevel=3,
    )


P = ParamSpec("P")
R = TypeVar("R")


def renamed(new: Callable[P, R], old: str) -> Callable[P, R]:
    """``new`` under its 0.1 name ``old``, warning (:func:`deprecated`) on every call; for a class body:
    ``submit_amend = renamed(submit_amend_order, "submit_amend")``."""

    @functools.wraps(new)  # signature and type hints (through __wrapped__) are new's
    def method(*args: P.args, **kwargs: P.kwargs) -> R:
        deprecated(old, new.__name__)
        return new(*args, **kwargs)

    method.__name__ = old
    method.__qualname__ = f"{new.__qualname__.rpartition('.')[0]}.{old}".lstrip(".")
    method.__doc__ = f"Deprecated since 0.2 (goes in 0.3): use :meth:`{new.__name__}`."
    return method
