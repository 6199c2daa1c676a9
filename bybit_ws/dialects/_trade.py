"""The v5 Trade API (order entry on ``/v5/trade``) as pure functions: no sockets, no threads.

Wire reference: V5_MORE.md §5.1. This module validates order arguments and builds each op's ``args``,
the request frame, classifies the frames the trade endpoint sends, and turns a reply into an
:class:`~bybit_ws.OrderAck`, a list of :class:`~bybit_ws.BatchOrderResult` or an
:class:`~bybit_ws.OrderRejectedError`. :class:`TradeMethods` (in :mod:`bybit_ws.api._trade_methods`) is
the public face built on these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from enum import Enum, IntEnum
from typing import Any, Literal

import attrs

from bybit_ws._errors import OrderRejectedError, TradeRetCode
from bybit_ws.models.trade import (
    AmendOrderRequest,
    BatchOrderResult,
    CancelOrderRequest,
    OrderAck,
    OrderRequest,
    RateLimitStatus,
)

__all__ = [
    "AMEND",
    "AMEND_BATCH",
    "BATCH_LIMITS",
    "CANCEL",
    "CANCEL_BATCH",
    "CATEGORIES",
    "CREATE",
    "CREATE_BATCH",
    "OPS",
    "TradeReply",
    "batch_args",
    "batch_results",
    "check_category",
    "classify_reply",
    "order_ack",
    "ping_frame",
    "rate_limit_of",
    "rejection",
    "request_frame",
    "single_args",
    "wire_fields",
]

CREATE = "order.create"
AMEND = "order.amend"
CANCEL = "order.cancel"
CREATE_BATCH = "order.create-batch"
AMEND_BATCH = "order.amend-batch"
CANCEL_BATCH = "order.cancel-batch"
#: Every op the trade endpoint serves.
OPS = (CREATE, AMEND, CANCEL, CREATE_BATCH, AMEND_BATCH, CANCEL_BATCH)
#: Categories the Trade API serves (not spread).
CATEGORIES = ("linear", "inverse", "spot", "option")
#: Most orders in one batch request, per category.
BATCH_LIMITS: Mapping[str, int] = {"spot": 10, "linear": 20, "inverse": 20, "option": 20}
#: Longest ``reqId`` Bybit accepts.
MAX_REQ_ID = 36

AnyRequest = OrderRequest | AmendOrderRequest | CancelOrderRequest
_OP_OF: Mapping[type[Any], tuple[str, str]] = {
    OrderRequest: (CREATE, CREATE_BATCH),
    AmendOrderRequest: (AMEND, AMEND_BATCH),
    CancelOrderRequest: (CANCEL, CANCEL_BATCH),
}
_INT_BOOL = frozenset({"isLeverage"})  # sent as 1/0 rather than true/false
_STRING_INT = frozenset({"bboLevel"})  # an int sent as a string


# --------------------------------------------------------------------------------------------- requests
def check_category(category: str) -> str:
    """``category`` if the Trade API serves it, else ``ValueError`` (``TypeError`` for a non-``str``)."""
    if not isinstance(category, str):
        raise TypeError(f"category must be a str, not {type(category).__name__}: {category!r}")
    if category not in CATEGORIES:
        raise ValueError(f"category must be one of {', '.join(CATEGORIES)}, not {category!r}")
    return category


def _wire_value(key: str, value: Any) -> Any:
    if isinstance(value, bool):
        return int(value) if key in _INT_BOOL else value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, IntEnum):
        return int(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, int) and key in _STRING_INT:
        return str(value)
    return value


#: (attribute, wire name) of each request class's wire fields, in field order (made on first use)
_WIRE_NAMES: dict[type, tuple[tuple[str, str], ...]] = {}
_PLAIN = (str, float)  # values sent as they are (a str enum member is not plain: its type differs)


def _wire_names(kind: type) -> tuple[tuple[str, str], ...]:
    names = _WIRE_NAMES.get(kind)
    if names is None:
        fields = attrs.fields(kind)
        names = tuple((f.name, f.metadata["wire"]) for f in fields if "wire" in f.metadata)
        _WIRE_NAMES[kind] = names
    return names


def wire_fields(request: AnyRequest) -> dict[str, Any]:
    """The request's wire fields (no ``category``): set fields only, then ``extra`` verbatim."""
    fields: dict[str, Any] = {}
    for name, wire in _wire_names(type(request)):
        value = getattr(request, name)
        if value is not None:
            fields[wire] = value if type(value) in _PLAIN else _wire_value(wire, value)
    fields.update(request.extra)
    return fields


def op_of(request: AnyRequest, *, batch: bool = False) -> str:
    """The op that carries ``request`` (``order.create``, ...; ``order.create-batch`` for a batch)."""
    ops = _OP_OF.get(type(request))
    if ops is None:
        raise TypeError(f"not an order request: {request!r}")
    return ops[batch]


#: Categories that take BBO orders (``bboSideType``/``bboLevel``; V5_2026.md §6).
BBO_CATEGORIES = ("linear", "inverse")


def _check_bbo_category(category: str, request: AnyRequest) -> None:
    if (
        isinstance(request, OrderRequest)
        and request.bbo_side_type is not None
        and category not in BBO_CATEGORIES
    ):
        raise ValueError(f"BBO orders are for {' and '.join(BBO_CATEGORIES)}, not {category}")


def single_args(category: str, request: AnyRequest) -> list[dict[str, Any]]:
    """The ``args`` of a single op: ``[{"category", ...fields}]``."""
    op_of(request)
    _check_bbo_category(check_category(category), request)
    return [{"category": category, **wire_fields(request)}]


def batch_args(category: str, requests: Sequence[AnyRequest]) -> tuple[str, list[dict[str, Any]]]:
    """``(op, args)`` of a batch: ``[{"category", "request": [...fields]}]``.

    Raises ``ValueError`` for an empty batch, one over the category's limit (10 spot, 20 others) or an
    unknown category, and ``TypeError`` when the requests are not all of one kind.
    """
    check_category(category)
    requests = list(requests)
    if not requests:
        raise ValueError("a batch needs at least one request")
    limit = BATCH_LIMITS[category]
    if len(requests) > limit:
        raise ValueError(f"a {category} batch takes at most {limit} orders, not {len(requests)}")
    op = op_of(requests[0], batch=True)
    kind = type(requests[0])
    for request in requests:
        if type(request) is not kind:
            raise TypeError(f"a batch holds requests of one kind ({kind.__name__}), not {request!r}")
        _check_bbo_category(category, request)
    return op, [{"category": category, "request": [wire_fields(r) for r in requests]}]


def request_frame(
    op: str,
    args: list[dict[str, Any]],
    *,
    req_id: str,
    timestamp_ms: int,
    recv_window_ms: int | None = None,
    referer: str | None = None,
) -> dict[str, Any]:
    """A trade request frame: ``{"reqId", "header": {"X-BAPI-TIMESTAMP", "X-BAPI-RECV-WINDOW"?,
    "Referer"?}, "op", "args"}``. ``req_id`` must be unique and at most 36 characters."""
    if not 0 < len(req_id) <= MAX_REQ_ID:
        raise ValueError(f"reqId must be 1 to {MAX_REQ_ID} characters, not {req_id!r}")
    header = {"X-BAPI-TIMESTAMP": str(int(timestamp_ms))}
    if recv_window_ms is not None:
        header["X-BAPI-RECV-WINDOW"] = str(int(recv_window_ms))
    if referer:
        header["Referer"] = referer
    return {"reqId": req_id, "header": header, "op": op, "args": args}


def ping_frame(req_id: str | None = None) -> dict[str, Any]:
    """The heartbeat request (``{"op": "ping"}``, with ``req_id`` if given)."""
    return {"op": "ping"} if req_id is None else {"req_id": req_id, "op": "ping"}


# --------------------------------------------------------------------------------------------- replies
@attrs.frozen
class TradeReply:
    """A frame from the trade endpoint, classified.

    Attributes:
        kind: ``"pong"``, ``"auth"`` (the auth reply) or ``"op"`` (the reply to an order request).
        op: the frame's ``op``.
        req_id: the echoed ``reqId`` (``req_id`` for auth and ping), or ``None``: a failure reply
            without one must be matched to a pending request by ``op``.
        ret_code: ``retCode`` (``-1`` when the frame had none, as in the ``success: false`` shape).
        ret_msg: ``retMsg`` / ``ret_msg``, verbatim.
    """

    kind: Literal["pong", "auth", "op"]
    op: str | None
    req_id: str | None
    ret_code: int
    ret_msg: str

    @property
    def ok(self) -> bool:
        """True for ``retCode`` 0."""
        return self.ret_code == 0


def _ret_code(frame: Mapping[str, Any]) -> int:
    code = frame.get("retCode", frame.get("ret_code"))
    if code is None:
        success = frame.get("success")
        return 0 if success is True else TradeRetCode.NO_CODE
    try:
        return int(code)
    except (TypeError, ValueError):
        return TradeRetCode.NO_CODE


def classify_reply(frame: Mapping[str, Any]) -> TradeReply | None:
    """Classify a frame from ``/v5/trade``; ``None`` for anything that is not a reply (no ``op``)."""
    op = frame.get("op")
    if not isinstance(op, str):
        return None
    req_id = frame.get("reqId", frame.get("req_id"))
    ret_msg = str(frame.get("retMsg", frame.get("ret_msg")) or "")
    kind: Literal["pong", "auth", "op"] = "op"
    if op in ("pong", "ping"):
        kind = "pong"
    elif op == "auth":
        kind = "auth"
    return TradeReply(kind, op, str(req_id) if req_id not in (None, "") else None, _ret_code(frame), ret_msg)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _time_ms(value: Any) -> datetime | None:
    ms = _int(value)
    if not ms:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def rate_limit_of(frame: Mapping[str, Any]) -> RateLimitStatus | None:
    """The reply header's rate-limit status, or ``None`` when it has none (header names any case)."""
    header = frame.get("header")
    if not isinstance(header, Mapping):
        return None
    found: Mapping[Any, Any] = header
    keys = _LIMIT_KEYS
    if not all(key in header for key in keys):  # not all as Bybit spells them (an ack's fast path)
        found = {str(k).casefold(): v for k, v in header.items()}
        keys = _FOLDED_LIMIT_KEYS
    limit = _int(found.get(keys[0]))
    remaining = _int(found.get(keys[1]))
    if limit is None or remaining is None:
        return None
    return RateLimitStatus(limit, remaining, _time_ms(found.get(keys[2])))


_LIMIT_KEYS = ("X-Bapi-Limit", "X-Bapi-Limit-Status", "X-Bapi-Limit-Reset-Timestamp")
_FOLDED_LIMIT_KEYS = ("x-bapi-limit", "x-bapi-limit-status", "x-bapi-limit-reset-timestamp")


def rejection(frame: Mapping[str, Any]) -> OrderRejectedError | None:
    """The :class:`OrderRejectedError` a reply stands for, or ``None`` when its ``retCode`` is 0."""
    if frame.get("retCode") == 0 and isinstance(frame.get("op"), str):  # an accepted order's reply
        return None
    reply = classify_reply(frame)
    if reply is None:
        return OrderRejectedError(TradeRetCode.NO_CODE, "not a trade reply")
    if reply.ok:
        return None
    return OrderRejectedError(
        reply.ret_code, reply.ret_msg, op=reply.op or "", req_id=reply.req_id, rate_limit=rate_limit_of(frame)
    )


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _link_id(value: Any, request: AnyRequest | None = None) -> str | None:
    """A reply's ``orderLinkId`` as the order models read it: as sent, ``""`` for an order without one
    (as ``Order.client_order_id``), ``None`` when the reply left it out; the request's own id when the
    reply left it out or blank."""
    if not value and request is not None and request.client_order_id:
        return request.client_order_id
    return None if value is None else str(value)


def order_ack(frame: Mapping[str, Any]) -> OrderAck:
    """The :class:`OrderAck` of a single-op reply; raises :class:`OrderRejectedError` for a non-zero code."""
    error = rejection(frame)
    if error is not None:
        raise error
    data = frame.get("data")
    data = data if isinstance(data, Mapping) else {}
    return OrderAck(str(data.get("orderId") or ""), _link_id(data.get("orderLinkId")), rate_limit_of(frame))


def _list_of(container: Any) -> list[Any]:
    if isinstance(container, Mapping):
        items = container.get("list")
        if isinstance(items, list):
            return items
    return []


def batch_results(frame: Mapping[str, Any], requests: Sequence[AnyRequest] = ()) -> list[BatchOrderResult]:
    """The per-order results of a batch reply, in request order.

    Raises :class:`OrderRejectedError` when the whole batch was refused (non-zero ``retCode``).
    ``requests`` (the batch as sent) fills in the symbol and client order id of an item Bybit left
    out, and sets the number of results.
    """
    error = rejection(frame)
    if error is not None:
        raise error
    data = _list_of(frame.get("data"))
    codes = _list_of(frame.get("retExtInfo"))
    results = []
    for i in range(max(len(data), len(codes), len(requests))):
        item = data[i] if i < len(data) and isinstance(data[i], Mapping) else {}
        status = codes[i] if i < len(codes) and isinstance(codes[i], Mapping) else {}
        request = requests[i] if i < len(requests) else None
        code = _int(status.get("code"))
        results.append(
            BatchOrderResult(
                order_id=_text(item.get("orderId")),
                client_order_id=_link_id(item.get("orderLinkId"), request),
                symbol=str(item.get("symbol") or (request.symbol if request is not None else "")),
                code=TradeRetCode.NO_CODE if code is None else code,
                message=str(status.get("msg") or ""),
                category=_text(item.get("category")),
                create_time=_time_ms(item.get("createAt")),
            )
        )
    return results
