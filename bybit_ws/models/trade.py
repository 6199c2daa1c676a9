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

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
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
from bybit_ws.models import _order_args as arg
from bybit_ws.models.v5 import MarketUnit, SelfMatchPreventionType, SlippageToleranceType

__all__ = [
    "AmendOrderRequest",
    "BatchOrderResult",
    "CancelOrderRequest",
    "OrderAck",
    "OrderRequest",
    "RateLimitStatus",
]


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

    symbol: str = attrs.field(converter=arg.symbol, metadata={"wire": "symbol"})
    side: OrderSide = attrs.field(converter=arg.side, metadata={"wire": "side"})
    order_type: OrderType = attrs.field(converter=arg.order_type, metadata={"wire": "orderType"})
    quantity: Decimal = attrs.field(converter=arg.positive, metadata={"wire": "qty"})
    price: Decimal | None = attrs.field(default=None, converter=arg.opt_decimal, metadata={"wire": "price"})
    is_leverage: bool | None = attrs.field(
        default=None, converter=arg.optional_bool, metadata={"wire": "isLeverage"}
    )
    """Spot margin trading (sent as ``1``/``0``)."""
    trigger_direction: TriggerDirection | None = attrs.field(
        default=None, converter=arg.trigger_direction, metadata={"wire": "triggerDirection"}
    )
    order_filter: OrderFilter | None = attrs.field(
        default=None, converter=arg.order_filter, metadata={"wire": "orderFilter"}
    )
    trigger_price: Decimal | None = attrs.field(
        default=None, converter=arg.opt_decimal, metadata={"wire": "triggerPrice"}
    )
    trigger_by: TriggerType | None = attrs.field(
        default=None, converter=arg.trigger_type, metadata={"wire": "triggerBy"}
    )
    order_iv: Decimal | None = attrs.field(
        default=None, converter=arg.opt_decimal, metadata={"wire": "orderIv"}
    )
    time_in_force: TimeInForce | None = attrs.field(
        default=None, converter=arg.time_in_force, metadata={"wire": "timeInForce"}
    )
    position_idx: PositionMode | None = attrs.field(
        default=None, converter=arg.position_idx, metadata={"wire": "positionIdx"}
    )
    client_order_id: str | None = attrs.field(
        default=None, converter=arg.client_order_id, metadata={"wire": "orderLinkId"}
    )
    take_profit_order_type: OrderType | None = attrs.field(
        default=None, converter=arg.opt_order_type, metadata={"wire": "tpOrderType"}
    )
    take_profit: Decimal | None = attrs.field(
        default=None, converter=arg.opt_decimal, metadata={"wire": "takeProfit"}
    )
    take_profit_limit_price: Decimal | None = attrs.field(
        default=None, converter=arg.opt_decimal, metadata={"wire": "tpLimitPrice"}
    )
    stop_loss_order_type: OrderType | None = attrs.field(
        default=None, converter=arg.opt_order_type, metadata={"wire": "slOrderType"}
    )
    stop_loss: Decimal | None = attrs.field(
        default=None, converter=arg.opt_decimal, metadata={"wire": "stopLoss"}
    )
    stop_loss_limit_price: Decimal | None = attrs.field(
        default=None, converter=arg.opt_decimal, metadata={"wire": "slLimitPrice"}
    )
    take_profit_trigger_by: TriggerType | None = attrs.field(
        default=None, converter=arg.trigger_type, metadata={"wire": "tpTriggerBy"}
    )
    stop_loss_trigger_by: TriggerType | None = attrs.field(
        default=None, converter=arg.trigger_type, metadata={"wire": "slTriggerBy"}
    )
    reduce_only: bool | None = attrs.field(
        default=None, converter=arg.optional_bool, metadata={"wire": "reduceOnly"}
    )
    close_on_trigger: bool | None = attrs.field(
        default=None, converter=arg.optional_bool, metadata={"wire": "closeOnTrigger"}
    )
    market_maker_protection: bool | None = attrs.field(
        default=None, converter=arg.optional_bool, metadata={"wire": "mmp"}
    )
    stop_loss_take_profit_mode: StopLossTakeProfitMode | None = attrs.field(
        default=None, converter=arg.tpsl_mode, metadata={"wire": "tpslMode"}
    )
    self_match_prevention_type: SelfMatchPreventionType | None = attrs.field(
        default=None, converter=arg.smp_type, metadata={"wire": "smpType"}
    )
    market_unit: MarketUnit | None = attrs.field(
        default=None, converter=arg.market_unit, metadata={"wire": "marketUnit"}
    )
    slippage_tolerance_type: SlippageToleranceType | None = attrs.field(
        default=None, converter=arg.slippage_type, metadata={"wire": "slippageToleranceType"}
    )
    slippage_tolerance: Decimal | None = attrs.field(
        default=None, converter=arg.opt_decimal, metadata={"wire": "slippageTolerance"}
    )
    bbo_side_type: BboSideType | None = attrs.field(
        default=None, converter=arg.bbo_side, metadata={"wire": "bboSideType"}
    )
    bbo_level: int | None = attrs.field(default=None, converter=arg.bbo_level, metadata={"wire": "bboLevel"})
    rpi_taker_access: bool | None = attrs.field(
        default=None, converter=arg.optional_bool, metadata={"wire": "rpiTakerAccess"}
    )
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=arg.extra, hash=False, kw_only=True)
    """Further wire fields, sent verbatim."""

    def __attrs_post_init__(self) -> None:
        if self.order_type is OrderType.LIMIT and self.price is None and self.bbo_side_type is None:
            raise ValueError("a Limit order needs a price (or bbo_side_type and bbo_level)")
        _check_prices(self)
        _check_bbo(self)
        _check_slippage(self)


#: ``slippageTolerance`` ranges per ``slippageToleranceType`` since 2025-10-09 (V5_2026.md §6).
_SLIPPAGE_RANGES = {
    SlippageToleranceType.TICK_SIZE: (Decimal(1), Decimal(10_000), 0),
    SlippageToleranceType.PERCENT: (Decimal("0.01"), Decimal(10), 2),
}


def _check_bbo(request: OrderRequest) -> None:
    """A BBO order: a Limit order with both ``bbo_side_type`` and ``bbo_level`` (linear and inverse
    only: the request has no category, the order-entry call checks it)."""
    if (request.bbo_side_type is None) != (request.bbo_level is None):
        raise ValueError("a BBO order needs both bbo_side_type and bbo_level")
    if request.bbo_side_type is not None and request.order_type is not OrderType.LIMIT:
        raise ValueError(f"a BBO order is a Limit order, not {request.order_type.value}")


def _check_slippage(request: OrderRequest) -> None:
    """Slippage tolerance: both fields, a Market order that is not conditional, in Bybit's range."""
    kind, value = request.slippage_tolerance_type, request.slippage_tolerance
    if (kind is None) != (value is None):
        raise ValueError("a slippage tolerance needs both slippage_tolerance_type and slippage_tolerance")
    if kind is None or value is None:
        return
    if request.order_type is not OrderType.MARKET:
        raise ValueError(f"slippage tolerance is for Market orders, not {request.order_type.value}")
    # Bybit: "take profit, stoploss, conditional orders are not supported" - orders that are themselves
    # TP/SL or conditional; a market order's attached TP/SL is not said to be refused, so it is let through
    conditional = request.order_filter not in (None, OrderFilter.ORDER)
    if request.trigger_price is not None or conditional:
        raise ValueError(
            "slippage tolerance is not supported with conditional or take-profit/stop-loss orders"
        )
    bounds = _SLIPPAGE_RANGES.get(kind)
    if bounds is None:
        raise ValueError(f"slippage_tolerance_type must be TickSize or Percent, not {kind.value!r}")
    low, high, places = bounds
    if not low <= value <= high or value != value.quantize(Decimal(1).scaleb(-places)):
        unit = "a whole number of ticks" if places == 0 else f"a percentage with at most {places} decimals"
        raise ValueError(f"{kind.value} slippage_tolerance must be {unit} from {low} to {high}, not {value}")


def _needs_an_id(request: AmendOrderRequest | CancelOrderRequest) -> None:
    if request.order_id is None and request.client_order_id is None:
        raise ValueError("give order_id or client_order_id")


@attrs.frozen
class AmendOrderRequest:
    """A change to an open order, found by ``order_id`` or ``client_order_id`` (one is required): the
    arguments of ``amend_order`` minus ``category``. ``take_profit``/``stop_loss`` of ``0`` remove them."""

    symbol: str = attrs.field(converter=arg.symbol, metadata={"wire": "symbol"})
    order_id: str | None = attrs.field(default=None, converter=arg.order_id, metadata={"wire": "orderId"})
    client_order_id: str | None = attrs.field(
        default=None, converter=arg.client_order_id, metadata={"wire": "orderLinkId"}
    )
    quantity: Decimal | None = attrs.field(default=None, converter=arg.opt_positive, metadata={"wire": "qty"})
    price: Decimal | None = attrs.field(default=None, converter=arg.opt_decimal, metadata={"wire": "price"})
    trigger_price: Decimal | None = attrs.field(
        default=None, converter=arg.opt_decimal, metadata={"wire": "triggerPrice"}
    )
    trigger_by: TriggerType | None = attrs.field(
        default=None, converter=arg.trigger_type, metadata={"wire": "triggerBy"}
    )
    order_iv: Decimal | None = attrs.field(
        default=None, converter=arg.opt_decimal, metadata={"wire": "orderIv"}
    )
    take_profit: Decimal | None = attrs.field(
        default=None, converter=arg.opt_decimal, metadata={"wire": "takeProfit"}
    )
    stop_loss: Decimal | None = attrs.field(
        default=None, converter=arg.opt_decimal, metadata={"wire": "stopLoss"}
    )
    take_profit_trigger_by: TriggerType | None = attrs.field(
        default=None, converter=arg.trigger_type, metadata={"wire": "tpTriggerBy"}
    )
    stop_loss_trigger_by: TriggerType | None = attrs.field(
        default=None, converter=arg.trigger_type, metadata={"wire": "slTriggerBy"}
    )
    stop_loss_take_profit_mode: StopLossTakeProfitMode | None = attrs.field(
        default=None, converter=arg.tpsl_mode, metadata={"wire": "tpslMode"}
    )
    take_profit_limit_price: Decimal | None = attrs.field(
        default=None, converter=arg.opt_decimal, metadata={"wire": "tpLimitPrice"}
    )
    stop_loss_limit_price: Decimal | None = attrs.field(
        default=None, converter=arg.opt_decimal, metadata={"wire": "slLimitPrice"}
    )
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=arg.extra, hash=False, kw_only=True)
    """Further wire fields, sent verbatim."""

    def __attrs_post_init__(self) -> None:
        _needs_an_id(self)
        _check_prices(self)


@attrs.frozen
class CancelOrderRequest:
    """An open order to cancel, by ``order_id`` or ``client_order_id`` (one is required): the arguments
    of ``cancel_order`` minus ``category``."""

    symbol: str = attrs.field(converter=arg.symbol, metadata={"wire": "symbol"})
    order_id: str | None = attrs.field(default=None, converter=arg.order_id, metadata={"wire": "orderId"})
    client_order_id: str | None = attrs.field(
        default=None, converter=arg.client_order_id, metadata={"wire": "orderLinkId"}
    )
    order_filter: OrderFilter | None = attrs.field(
        default=None, converter=arg.order_filter, metadata={"wire": "orderFilter"}
    )
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=arg.extra, hash=False, kw_only=True)
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
