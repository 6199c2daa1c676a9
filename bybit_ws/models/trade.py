"""Models of v5 order entry (the Trade API on ``/v5/trade``): requests, acks, batch results, rate limits.

The request classes take the keyword arguments of ``client.v5.place_order`` / ``amend_order`` /
``cancel_order`` minus ``category`` (parameter names follow Bybit.Net's V5 ``PlaceOrderAsync`` /
``EditOrderAsync`` / ``CancelOrderAsync`` in snake_case). They check and normalise their arguments when
made, so a bad request raises ``ValueError`` before anything is sent:

- ``side``, ``order_type``, ``time_in_force``, the trigger types and the other enum-valued fields take
  the enum or its wire string (``"Buy"``, ``"buy"`` and ``OrderSide.BUY`` are the same); ``side`` must
  be Buy or Sell and ``order_type`` Market or Limit, the others also keep values the library does not
  know yet;
- prices and quantities take a ``Decimal``, an ``int`` or a numeric string. A ``float`` raises
  ``TypeError``: it is not the number it prints (``0.1 + 0.2`` is ``0.30000000000000004``), so even its
  shortest ``repr`` may send a number the caller never meant. Compute with ``Decimal``, quantized;
- ``trigger_price``, ``take_profit``, ``stop_loss`` and the take-profit / stop-loss limit prices must not
  be negative (``0`` removes a take-profit or stop-loss on amend), ``price`` and ``quantity`` must be
  positive;
- ``symbol`` is a non-empty ``str``; ``client_order_id`` is 1 to 36 of the characters Bybit allows in an
  ``orderLinkId``: ASCII letters, digits, ``-`` and ``_``; flags (``reduce_only``, ...) are ``bool``;
  anything else of the wrong type raises ``TypeError``;
- ``extra`` holds fields Bybit adds later, sent verbatim (wire names) after the typed ones.

Each field's wire name is in its metadata (``attrs.fields(OrderRequest).price.metadata["wire"]``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from bybit_ws.enums import (
    BboSideType,
    OrderFilter,
    OrderSide,
    OrderType,
    PositionMode,
    StopLossTakeProfitMode,
    TimeInForce,
    TriggerDirection,
    TriggerType,
)
from bybit_ws.models.v5 import MarketUnit, SelfMatchPreventionType, SlippageToleranceType

__all__ = [
    "AmendOrderRequest",
    "BatchOrderResult",
    "CancelOrderRequest",
    "OrderAck",
    "OrderRequest",
    "RateLimitStatus",
]

#: Longest ``orderLinkId`` (client order id) Bybit accepts.
MAX_CLIENT_ORDER_ID = 36


# --------------------------------------------------------------------------------------------- converters
def _decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError(
            f"prices and quantities must be exact: pass a decimal.Decimal or a str (Decimal('0.1') or '0.1'),"
            f" not the float {value!r} (a float is not the number it prints)"
        )
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"expected a Decimal, an int or a numeric str, not {type(value).__name__}: {value!r}")
    try:
        number = value if isinstance(value, Decimal) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return number


def _positive(value: Decimal | int | str) -> Decimal:
    number = _decimal(value)
    if number <= 0:
        raise ValueError(f"quantity must be positive, not {value!r}")
    return number


def _opt_decimal(value: Decimal | int | str | None) -> Decimal | None:
    return None if value is None else _decimal(value)


def _opt_positive(value: Decimal | int | str | None) -> Decimal | None:
    return None if value is None else _positive(value)


def _side(value: OrderSide | str) -> OrderSide:
    side = OrderSide(value)
    if side not in (OrderSide.BUY, OrderSide.SELL):
        raise ValueError(f"side must be Buy or Sell, not {value!r}")
    return side


def _order_type(value: OrderType | str) -> OrderType:
    order_type = OrderType(value)
    if order_type not in (OrderType.MARKET, OrderType.LIMIT):
        raise ValueError(f"order type must be Market or Limit, not {value!r}")
    return order_type


def _opt_order_type(value: OrderType | str | None) -> OrderType | None:
    return None if value is None else _order_type(value)


# v5 spells time in force GTC/IOC/FOK; the enum also holds the v2 spellings of the same thing.
_V5_TIME_IN_FORCE = {
    TimeInForce.GOOD_TILL_CANCELED: TimeInForce.GTC,
    TimeInForce.IMMEDIATE_OR_CANCEL: TimeInForce.IOC,
    TimeInForce.FILL_OR_KILL: TimeInForce.FOK,
}


def _time_in_force(value: TimeInForce | str | None) -> TimeInForce | None:
    if value is None:
        return None
    member = TimeInForce(value)
    return _V5_TIME_IN_FORCE.get(member, member)


def _trigger_type(value: TriggerType | str | None) -> TriggerType | None:
    return None if value is None else TriggerType(value)


def _trigger_direction(value: TriggerDirection | int | None) -> TriggerDirection | None:
    _int_not_bool(value, "trigger_direction")
    if value is None:
        return None
    direction = TriggerDirection(value)
    if direction not in (TriggerDirection.RISE, TriggerDirection.FALL):
        raise ValueError(f"trigger direction must be 1 (rise) or 2 (fall), not {value!r}")
    return direction


def _position_idx(value: PositionMode | int | None) -> PositionMode | None:
    _int_not_bool(value, "position_idx")
    if value is None:
        return None
    mode = PositionMode(value)
    if mode not in (PositionMode.ONE_WAY, PositionMode.BOTH_SIDE_BUY, PositionMode.BOTH_SIDE_SELL):
        raise ValueError(f"position_idx must be 0, 1 or 2, not {value!r}")
    return mode


def _order_filter(value: OrderFilter | str | None) -> OrderFilter | None:
    return None if value is None else OrderFilter(value)


def _tpsl_mode(value: StopLossTakeProfitMode | str | None) -> StopLossTakeProfitMode | None:
    return None if value is None else StopLossTakeProfitMode(value)


def _smp_type(value: SelfMatchPreventionType | str | None) -> SelfMatchPreventionType | None:
    return None if value is None else SelfMatchPreventionType(value)


def _market_unit(value: MarketUnit | str | None) -> MarketUnit | None:
    return None if value is None else MarketUnit(value)


def _slippage_type(value: SlippageToleranceType | str | None) -> SlippageToleranceType | None:
    return None if value is None else SlippageToleranceType(value)


def _bbo_side(value: BboSideType | str | None) -> BboSideType | None:
    return None if value is None else BboSideType(value)


def _int_not_bool(value: Any, name: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}: {value!r}")


def _bbo_level(value: int | None) -> int | None:
    _int_not_bool(value, "bbo_level")
    if value is not None and value not in range(1, 6):
        raise ValueError(f"bbo_level must be 1 to 5, not {value!r}")
    return value


def _symbol(value: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"symbol must be a str, not {type(value).__name__}: {value!r}")
    if not value:
        raise ValueError("symbol is required")
    return value


_CLIENT_ORDER_ID = re.compile(f"[A-Za-z0-9_-]{{1,{MAX_CLIENT_ORDER_ID}}}")


def _client_order_id(value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"client_order_id must be a str, not {type(value).__name__}: {value!r}")
    if not _CLIENT_ORDER_ID.fullmatch(value):
        raise ValueError(
            f"client_order_id must be 1 to {MAX_CLIENT_ORDER_ID} ASCII letters, digits, '-' or '_'"
            f" (what Bybit accepts in an orderLinkId), not {value!r}"
        )
    return value


def _order_id(value: str | None) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"order_id must be a str, not {type(value).__name__}: {value!r}")
    return value or None


def _extra(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if value is not None and not isinstance(value, Mapping):
        raise TypeError(f"extra must be a mapping of wire names to values, not {type(value).__name__}")
    fields = dict(value or {})
    for key in fields:
        if not isinstance(key, str):
            raise TypeError(f"extra's keys must be wire names (str), not {key!r}")
    return fields


def _optional_bool(value: bool | None) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"expected True, False or None, not {type(value).__name__}: {value!r}")
    return value


#: Prices that may be 0 (which removes a take-profit or stop-loss on amend) but never negative.
_NOT_NEGATIVE = (
    "trigger_price",
    "take_profit",
    "stop_loss",
    "take_profit_limit_price",
    "stop_loss_limit_price",
)


def _check_prices(request: OrderRequest | AmendOrderRequest) -> None:
    if request.price is not None and request.price <= 0:
        raise ValueError(f"price must be positive, not {request.price}")
    for name in _NOT_NEGATIVE:
        value = getattr(request, name)
        if value is not None and value < 0:
            raise ValueError(f"{name} must not be negative, not {value}")


# --------------------------------------------------------------------------------------------- requests
@attrs.frozen
class OrderRequest:
    """One new order: the arguments of ``place_order`` minus ``category`` (an item of ``place_orders``).

    A ``Limit`` order needs a ``price`` unless it is a BBO order (``bbo_side_type`` and ``bbo_level``).
    """

    symbol: str = attrs.field(converter=_symbol, metadata={"wire": "symbol"})
    side: OrderSide = attrs.field(converter=_side, metadata={"wire": "side"})
    order_type: OrderType = attrs.field(converter=_order_type, metadata={"wire": "orderType"})
    quantity: Decimal = attrs.field(converter=_positive, metadata={"wire": "qty"})
    price: Decimal | None = attrs.field(default=None, converter=_opt_decimal, metadata={"wire": "price"})
    is_leverage: bool | None = attrs.field(
        default=None, converter=_optional_bool, metadata={"wire": "isLeverage"}
    )
    """Spot margin trading (sent as ``1``/``0``)."""
    trigger_direction: TriggerDirection | None = attrs.field(
        default=None, converter=_trigger_direction, metadata={"wire": "triggerDirection"}
    )
    order_filter: OrderFilter | None = attrs.field(
        default=None, converter=_order_filter, metadata={"wire": "orderFilter"}
    )
    trigger_price: Decimal | None = attrs.field(
        default=None, converter=_opt_decimal, metadata={"wire": "triggerPrice"}
    )
    trigger_by: TriggerType | None = attrs.field(
        default=None, converter=_trigger_type, metadata={"wire": "triggerBy"}
    )
    order_iv: Decimal | None = attrs.field(default=None, converter=_opt_decimal, metadata={"wire": "orderIv"})
    time_in_force: TimeInForce | None = attrs.field(
        default=None, converter=_time_in_force, metadata={"wire": "timeInForce"}
    )
    position_idx: PositionMode | None = attrs.field(
        default=None, converter=_position_idx, metadata={"wire": "positionIdx"}
    )
    client_order_id: str | None = attrs.field(
        default=None, converter=_client_order_id, metadata={"wire": "orderLinkId"}
    )
    take_profit_order_type: OrderType | None = attrs.field(
        default=None, converter=_opt_order_type, metadata={"wire": "tpOrderType"}
    )
    take_profit: Decimal | None = attrs.field(
        default=None, converter=_opt_decimal, metadata={"wire": "takeProfit"}
    )
    take_profit_limit_price: Decimal | None = attrs.field(
        default=None, converter=_opt_decimal, metadata={"wire": "tpLimitPrice"}
    )
    stop_loss_order_type: OrderType | None = attrs.field(
        default=None, converter=_opt_order_type, metadata={"wire": "slOrderType"}
    )
    stop_loss: Decimal | None = attrs.field(
        default=None, converter=_opt_decimal, metadata={"wire": "stopLoss"}
    )
    stop_loss_limit_price: Decimal | None = attrs.field(
        default=None, converter=_opt_decimal, metadata={"wire": "slLimitPrice"}
    )
    take_profit_trigger_by: TriggerType | None = attrs.field(
        default=None, converter=_trigger_type, metadata={"wire": "tpTriggerBy"}
    )
    stop_loss_trigger_by: TriggerType | None = attrs.field(
        default=None, converter=_trigger_type, metadata={"wire": "slTriggerBy"}
    )
    reduce_only: bool | None = attrs.field(
        default=None, converter=_optional_bool, metadata={"wire": "reduceOnly"}
    )
    close_on_trigger: bool | None = attrs.field(
        default=None, converter=_optional_bool, metadata={"wire": "closeOnTrigger"}
    )
    market_maker_protection: bool | None = attrs.field(
        default=None, converter=_optional_bool, metadata={"wire": "mmp"}
    )
    stop_loss_take_profit_mode: StopLossTakeProfitMode | None = attrs.field(
        default=None, converter=_tpsl_mode, metadata={"wire": "tpslMode"}
    )
    self_match_prevention_type: SelfMatchPreventionType | None = attrs.field(
        default=None, converter=_smp_type, metadata={"wire": "smpType"}
    )
    market_unit: MarketUnit | None = attrs.field(
        default=None, converter=_market_unit, metadata={"wire": "marketUnit"}
    )
    slippage_tolerance_type: SlippageToleranceType | None = attrs.field(
        default=None, converter=_slippage_type, metadata={"wire": "slippageToleranceType"}
    )
    slippage_tolerance: Decimal | None = attrs.field(
        default=None, converter=_opt_decimal, metadata={"wire": "slippageTolerance"}
    )
    bbo_side_type: BboSideType | None = attrs.field(
        default=None, converter=_bbo_side, metadata={"wire": "bboSideType"}
    )
    bbo_level: int | None = attrs.field(default=None, converter=_bbo_level, metadata={"wire": "bboLevel"})
    rpi_taker_access: bool | None = attrs.field(
        default=None, converter=_optional_bool, metadata={"wire": "rpiTakerAccess"}
    )
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=_extra, hash=False, kw_only=True)
    """Further wire fields, sent verbatim."""

    def __attrs_post_init__(self) -> None:
        if self.order_type is OrderType.LIMIT and self.price is None and self.bbo_side_type is None:
            raise ValueError("a Limit order needs a price (or bbo_side_type and bbo_level)")
        _check_prices(self)


def _needs_an_id(request: AmendOrderRequest | CancelOrderRequest) -> None:
    if request.order_id is None and request.client_order_id is None:
        raise ValueError("give order_id or client_order_id")


@attrs.frozen
class AmendOrderRequest:
    """A change to an open order, found by ``order_id`` or ``client_order_id`` (one is required): the
    arguments of ``amend_order`` minus ``category``. ``take_profit``/``stop_loss`` of ``0`` remove them."""

    symbol: str = attrs.field(converter=_symbol, metadata={"wire": "symbol"})
    order_id: str | None = attrs.field(default=None, converter=_order_id, metadata={"wire": "orderId"})
    client_order_id: str | None = attrs.field(
        default=None, converter=_client_order_id, metadata={"wire": "orderLinkId"}
    )
    quantity: Decimal | None = attrs.field(default=None, converter=_opt_positive, metadata={"wire": "qty"})
    price: Decimal | None = attrs.field(default=None, converter=_opt_decimal, metadata={"wire": "price"})
    trigger_price: Decimal | None = attrs.field(
        default=None, converter=_opt_decimal, metadata={"wire": "triggerPrice"}
    )
    trigger_by: TriggerType | None = attrs.field(
        default=None, converter=_trigger_type, metadata={"wire": "triggerBy"}
    )
    order_iv: Decimal | None = attrs.field(default=None, converter=_opt_decimal, metadata={"wire": "orderIv"})
    take_profit: Decimal | None = attrs.field(
        default=None, converter=_opt_decimal, metadata={"wire": "takeProfit"}
    )
    stop_loss: Decimal | None = attrs.field(
        default=None, converter=_opt_decimal, metadata={"wire": "stopLoss"}
    )
    take_profit_trigger_by: TriggerType | None = attrs.field(
        default=None, converter=_trigger_type, metadata={"wire": "tpTriggerBy"}
    )
    stop_loss_trigger_by: TriggerType | None = attrs.field(
        default=None, converter=_trigger_type, metadata={"wire": "slTriggerBy"}
    )
    stop_loss_take_profit_mode: StopLossTakeProfitMode | None = attrs.field(
        default=None, converter=_tpsl_mode, metadata={"wire": "tpslMode"}
    )
    take_profit_limit_price: Decimal | None = attrs.field(
        default=None, converter=_opt_decimal, metadata={"wire": "tpLimitPrice"}
    )
    stop_loss_limit_price: Decimal | None = attrs.field(
        default=None, converter=_opt_decimal, metadata={"wire": "slLimitPrice"}
    )
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=_extra, hash=False, kw_only=True)
    """Further wire fields, sent verbatim."""

    def __attrs_post_init__(self) -> None:
        _needs_an_id(self)
        _check_prices(self)


@attrs.frozen
class CancelOrderRequest:
    """An open order to cancel, by ``order_id`` or ``client_order_id`` (one is required): the arguments
    of ``cancel_order`` minus ``category``."""

    symbol: str = attrs.field(converter=_symbol, metadata={"wire": "symbol"})
    order_id: str | None = attrs.field(default=None, converter=_order_id, metadata={"wire": "orderId"})
    client_order_id: str | None = attrs.field(
        default=None, converter=_client_order_id, metadata={"wire": "orderLinkId"}
    )
    order_filter: OrderFilter | None = attrs.field(
        default=None, converter=_order_filter, metadata={"wire": "orderFilter"}
    )
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=_extra, hash=False, kw_only=True)
    """Further wire fields, sent verbatim."""

    def __attrs_post_init__(self) -> None:
        _needs_an_id(self)


# --------------------------------------------------------------------------------------------- results
@attrs.frozen
class RateLimitStatus:
    """The account's rate limit for the request's kind, from the reply's ``header``.

    Attributes:
        limit: requests allowed per window (``X-Bapi-Limit``).
        remaining: requests left in the current window (``X-Bapi-Limit-Status``).
        reset_time: when the window resets (``X-Bapi-Limit-Reset-Timestamp``, UTC), if sent.
    """

    limit: int
    remaining: int
    reset_time: datetime | None = None


@attrs.frozen
class OrderAck:
    """Bybit accepted an order request (create, amend or cancel).

    "Accepted" only: the order's fate (filled, rejected by the matching engine, ...) comes on the order
    stream (``subscribe_to_order_updates``).

    Attributes:
        order_id: Bybit's order id.
        client_order_id: the order's ``orderLinkId`` as Bybit sent it: ``""`` when the order has none,
            as in ``Order.client_order_id`` on the order stream (``None`` only if the reply left it out).
        rate_limit: the rate-limit status the reply reported, or ``None`` when it had none.
    """

    order_id: str
    client_order_id: str | None = None
    rate_limit: RateLimitStatus | None = None


@attrs.frozen
class BatchOrderResult:
    """The outcome of one order of a batch request, in request order.

    Attributes:
        order_id: Bybit's order id (``None`` when the order failed).
        client_order_id: the order's ``orderLinkId`` (``""`` when it has none, as in ``OrderAck``).
        symbol: the order's symbol.
        code: Bybit's code for this order (``0``: accepted).
        message: Bybit's message for this order.
        category: the category Bybit reported, if any.
        create_time: when the order was created (create batches only), if Bybit said.
    """

    order_id: str | None
    client_order_id: str | None
    symbol: str
    code: int
    message: str
    category: str | None = None
    create_time: datetime | None = None

    @property
    def ok(self) -> bool:
        """True when Bybit accepted this order (``code == 0``)."""
        return self.code == 0


# Notebook display: every model above gets a _repr_html_ (a table of its fields).
from bybit_ws.models._display import add_html_reprs  # noqa: E402

add_html_reprs(globals())
