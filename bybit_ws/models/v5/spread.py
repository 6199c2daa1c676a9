"""Spread trading's private streams: ``spread.order`` and ``spread.execution`` (V5_MORE.md §5.11).

A spread order is a *combination* (symbols such as ``SOLUSDT_SOL/USDT``) traded as one; Bybit fills it
as two legs, a spot or futures order each, and reports the combination and its legs apart, told apart
by :attr:`SpreadOrder.category`. Public spread market data needs no models of its own: the order book
is an :class:`OrderBookUpdate`, trades are :class:`Trade` and tickers :class:`Ticker`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from bybit_ws._convert import OpenEnum, boolean, decimal, enum_of, integer, text, time_ms, wire
from bybit_ws.enums import OrderSide, OrderStatus, OrderType, TimeInForce, TradeType

from ._base import CancelType, CreateType, _fee_details, _order_type, _side

__all__ = ["SpreadCategory", "SpreadOrder", "SpreadUserTrade"]


class SpreadCategory(OpenEnum):
    """Whether a spread order or fill is the combination or one of its legs."""

    COMBINATION = "combination"
    SPOT_LEG = "spot_leg"
    FUTURE_LEG = "future_leg"


_spread_category = enum_of(SpreadCategory)
_create_type = enum_of(CreateType)


@attrs.frozen(kw_only=True, weakref_slot=False)
class SpreadOrder:
    """A spread order, or one of its legs, changed (topic ``spread.order``)."""

    order_id: str = wire("orderId", text, optional=False)
    symbol: str = wire("symbol", text, optional=False)
    """The combination's symbol (``SOLUSDT_SOL/USDT``), or the leg's (``SOLUSDT``)."""
    category: SpreadCategory | None = wire("category", _spread_category)
    parent_order_id: str | None = wire("parentOrderId", text)
    """A leg's combination order id (``parentOrderId``)."""
    client_order_id: str | None = wire("orderLinkId", text)
    side: OrderSide | None = wire("side", _side)
    status: OrderStatus | None = wire("orderStatus", enum_of(OrderStatus))
    cancel_type: CancelType | None = wire("cancelType", enum_of(CancelType))
    reject_reason: str | None = wire("rejectReason", text)
    time_in_force: TimeInForce | None = wire("timeInForce", enum_of(TimeInForce))
    order_type: OrderType | None = wire("orderType", _order_type)
    price: Decimal | None = wire("price", decimal)
    quantity: Decimal | None = wire("qty", decimal)
    average_price: Decimal | None = wire("avgPrice", decimal)
    quantity_remaining: Decimal | None = wire("leavesQty", decimal)
    value_remaining: Decimal | None = wire("leavesValue", decimal)
    quantity_filled: Decimal | None = wire("cumExecQty", decimal)
    value_filled: Decimal | None = wire("cumExecValue", decimal)
    executed_fee: Decimal | None = wire("cumExecFee", decimal)
    fee_asset: str | None = wire("feeCurrency", text)
    fee_details: tuple[tuple[str, Decimal], ...] | None = wire("cumFeeDetail", _fee_details)
    """Cumulative fee per asset, as ``(asset, amount)`` pairs (``dict(order.fee_details)`` for a map)."""
    is_leverage: bool | None = wire("isLeverage", boolean)
    create_type: CreateType | None = wire("createType", _create_type)
    closed_pnl: Decimal | None = wire("closedPnl", decimal)
    create_time: datetime | None = wire("createdTime", time_ms)
    update_time: datetime | None = wire("updatedTime", time_ms)


@attrs.frozen(kw_only=True, weakref_slot=False)
class SpreadUserTrade:
    """One fill of a spread order or of one of its legs (topic ``spread.execution``).

    A leg's fill carries its combination's fill id as :attr:`parent_trade_id`, and ``""`` as its
    ``order_id`` and ``client_order_id``.
    """

    symbol: str = wire("symbol", text, optional=False)
    trade_id: str = wire("execId", text, optional=False)
    order_id: str = wire("orderId", text, optional=False)
    category: SpreadCategory | None = wire("category", _spread_category)
    parent_trade_id: str | None = wire("parentExecId", text)
    """A leg fill's combination fill id (``parentExecId``)."""
    client_order_id: str | None = wire("orderLinkId", text)
    side: OrderSide | None = wire("side", _side)
    order_price: Decimal | None = wire("orderPrice", decimal)
    order_quantity: Decimal | None = wire("orderQty", decimal)
    quantity_remaining: Decimal | None = wire("leavesQty", decimal)
    order_type: OrderType | None = wire("orderType", _order_type)
    create_type: CreateType | None = wire("createType", _create_type)
    price: Decimal | None = wire("execPrice", decimal)
    quantity: Decimal | None = wire("execQty", decimal)
    value: Decimal | None = wire("execValue", decimal)
    fee: Decimal | None = wire("execFee", decimal)
    """A leg's fee (``execFee``; deprecated for the spot leg: see :attr:`fee_v2`)."""
    fee_v2: Decimal | None = wire("execFeeV2", decimal)
    """The spot leg's fee (``execFeeV2``)."""
    fee_asset: str | None = wire("feeCoin", text)
    fee_rate: Decimal | None = wire("feeRate", decimal)
    pnl: Decimal | None = wire("execPnl", decimal)
    trade_type: TradeType | None = wire("execType", enum_of(TradeType))
    is_maker: bool | None = wire("isMaker", boolean)
    is_leverage: bool | None = wire("isLeverage", boolean)
    mark_price: Decimal | None = wire("markPrice", decimal)
    closed_quantity: Decimal | None = wire("closedSize", decimal)
    timestamp: datetime | None = wire("execTime", time_ms)
    sequence: int | None = wire("seq", integer)


# Notebook display: every model above gets a _repr_html_ (a table of its fields).
from bybit_ws.models._display import add_html_reprs  # noqa: E402

add_html_reprs(globals())
