"""Models of the Derivatives v3 contract private streams (``user.*.contractAccount``).

Field names are Bybit.Net's ``BybitContract*Update`` property names in snake_case (BYBITNET.md §3.10).
Every value arrives as a string in the docs, but numbers are accepted too; ``""`` means unset (``None``).
Times are epoch milliseconds (usually as strings), turned into UTC datetimes.

Deliberate differences from Bybit.Net (§9 of BYBITNET.md):

* ``triggerDirection`` ``0`` is :attr:`TriggerDirection.NONE`, not ``Rise``.
* ``lastLiquidityInd`` ``AddedLiquidity`` stays :attr:`LiquidityType.ADDED_LIQUIDITY` (Bybit.Net turns it
  into ``Taker``).
* Unknown enum values are kept (open enums) instead of dropping the message.
* ``tpSlMode`` (the doc example) and ``tpslMode`` (the doc table) are both accepted.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from bybit_ws._convert import boolean, decimal, enum_of, integer, text, time_ms, wire
from bybit_ws.enums import (
    LiquidityType,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionMode,
    PositionSide,
    PositionStatus,
    StopLossTakeProfitMode,
    StopOrderType,
    TimeInForce,
    TradeMode,
    TradeType,
    TriggerDirection,
    TriggerType,
)

__all__ = [
    "ContractBalanceUpdate",
    "ContractOrderUpdate",
    "ContractPositionUpdate",
    "ContractUserTradeUpdate",
]

_side = enum_of(OrderSide)
_trigger_type = enum_of(TriggerType)
_stop_order_type = enum_of(StopOrderType)
_order_type = enum_of(OrderType)
_position_mode = enum_of(PositionMode)
_tpsl_mode = enum_of(StopLossTakeProfitMode)


@attrs.frozen(kw_only=True, weakref_slot=False)
class ContractBalanceUpdate:
    """One coin of the contract wallet (topic ``user.wallet.contractAccount``)."""

    asset: str = wire("coin", text, optional=False)
    equity: Decimal | None = wire("equity", decimal)
    wallet_balance: Decimal | None = wire("walletBalance", decimal)
    position_margin: Decimal | None = wire("positionMargin", decimal)
    available_balance: Decimal | None = wire("availableBalance", decimal)
    order_margin: Decimal | None = wire("orderMargin", decimal)
    unrealised_pnl: Decimal | None = wire("unrealisedPnl", decimal)
    total_realized_pnl: Decimal | None = wire("cumRealisedPnl", decimal)


@attrs.frozen(kw_only=True, weakref_slot=False)
class ContractOrderUpdate:
    """An active or conditional order changed (topic ``user.order.contractAccount``)."""

    id: str = wire("orderId", text, optional=False)
    symbol: str = wire("symbol", text, optional=False)
    block_trade_id: str | None = wire("blockTradeId", text)
    side: OrderSide | None = wire("side", _side)
    type: OrderType | None = wire("orderType", _order_type)
    price: Decimal | None = wire("price", decimal)
    quantity: Decimal | None = wire("qty", decimal)
    reduce_only: bool | None = wire("reduceOnly", boolean)
    time_in_force: TimeInForce | None = wire("timeInForce", enum_of(TimeInForce))
    status: OrderStatus | None = wire("orderStatus", enum_of(OrderStatus))
    leaves_value: Decimal | None = wire("leavesValue", decimal)
    leaves_quantity: Decimal | None = wire("leavesQty", decimal)
    accumulative_trading_volume: Decimal | None = wire("cumExecQty", decimal)
    accumulative_trading_value: Decimal | None = wire("cumExecValue", decimal)
    accumulative_trading_fee: Decimal | None = wire("cumExecFee", decimal)
    client_order_id: str | None = wire("orderLinkId", text)
    reject_reason: str | None = wire("rejectReason", text)
    create_time: datetime | None = wire("createdTime", time_ms)
    update_time: datetime | None = wire("updatedTime", time_ms)
    take_profit: Decimal | None = wire("takeProfit", decimal)
    stop_loss: Decimal | None = wire("stopLoss", decimal)
    trigger_price: Decimal | None = wire("triggerPrice", decimal)
    base_price: Decimal | None = wire("basePrice", decimal)
    take_profit_trigger_type: TriggerType | None = wire("tpTriggerBy", _trigger_type)
    stop_loss_trigger_type: TriggerType | None = wire("slTriggerBy", _trigger_type)
    trigger_by: TriggerType | None = wire("triggerBy", _trigger_type)
    close_on_trigger: bool | None = wire("closeOnTrigger", boolean)
    conditional_order_type: StopOrderType | None = wire("stopOrderType", _stop_order_type)
    last_trade_price: Decimal | None = wire("lastPriceOnCreated", decimal)
    trigger_direction: TriggerDirection | None = wire("triggerDirection", enum_of(TriggerDirection))
    position_mode: PositionMode | None = wire("positionIdx", _position_mode)
    closed_size: Decimal | None = wire("closedSize", decimal)
    trade_time: datetime | None = wire("execTime", time_ms)
    filled_price: Decimal | None = wire("lastExecPrice", decimal)
    filled_quantity: Decimal | None = wire("lastExecQty", decimal)


@attrs.frozen(kw_only=True, weakref_slot=False)
class ContractPositionUpdate:
    """A position changed (topic ``user.position.contractAccount``)."""

    symbol: str = wire("symbol", text, optional=False)
    position_mode: PositionMode | None = wire("positionIdx", _position_mode)
    risk_id: int | None = wire("riskId", integer)
    side: PositionSide | None = wire("side", enum_of(PositionSide))
    position_status: PositionStatus | None = wire("positionStatus", enum_of(PositionStatus))
    quantity: Decimal | None = wire("size", decimal)
    position_value: Decimal | None = wire("positionValue", decimal)
    entry_price: Decimal | None = wire("entryPrice", decimal)
    mark_price: Decimal | None = wire("markPrice", decimal)
    settlement_price: Decimal | None = wire("sessionAvgPrice", decimal)
    total_realized_pnl: Decimal | None = wire("cumRealisedPnl", decimal)
    leverage: Decimal | None = wire("leverage", decimal)
    take_profit: Decimal | None = wire("takeProfit", decimal)
    stop_loss: Decimal | None = wire("stopLoss", decimal)
    trailing_stop: Decimal | None = wire("trailingStop", decimal)
    unrealised_pnl: Decimal | None = wire("unrealisedPnl", decimal)
    initial_margin: Decimal | None = wire("positionIM", decimal)
    maintenance_margin: Decimal | None = wire("positionMM", decimal)
    create_time: datetime | None = wire("createdTime", time_ms)
    update_time: datetime | None = wire("updatedTime", time_ms)
    position_balance: Decimal | None = wire("positionBalance", decimal)
    risk_limit_value: Decimal | None = wire("riskLimitValue", decimal)
    liquidation_price: Decimal | None = wire("liqPrice", decimal)
    bankruptcy_price: Decimal | None = wire("bustPrice", decimal)
    active_price: Decimal | None = wire("activePrice", decimal)
    closing_fee: Decimal | None = wire("occClosingFee", decimal)
    auto_add_margin: bool | None = wire("autoAddMargin", boolean)
    trade_mode: TradeMode | None = wire("tradeMode", enum_of(TradeMode))
    stop_mode: StopLossTakeProfitMode | None = wire(
        "tpSlMode", _tpsl_mode, aliases=(("tpslMode", _tpsl_mode),)
    )


@attrs.frozen(kw_only=True, weakref_slot=False)
class ContractUserTradeUpdate:
    """One execution (fill) of the user's order (topic ``user.execution.contractAccount``).

    ``accumulative_trading_volume`` is the quantity of *this* fill (``execQty``), despite the name it
    keeps from Bybit.Net.
    """

    order_id: str = wire("orderId", text, optional=False)
    trading_id: str = wire("execId", text, optional=False)
    symbol: str = wire("symbol", text, optional=False)
    order_type: OrderType | None = wire("orderType", _order_type)
    accumulative_trading_volume: Decimal | None = wire("execQty", decimal)
    trading_value: Decimal | None = wire("execValue", decimal)
    trading_fee: Decimal | None = wire("execFee", decimal)
    trading_price: Decimal | None = wire("execPrice", decimal)
    fee_rate: Decimal | None = wire("feeRate", decimal)
    client_order_id: str | None = wire("orderLinkId", text)
    order_price: Decimal | None = wire("orderPrice", decimal)
    order_quantity: Decimal | None = wire("orderQty", decimal)
    side: OrderSide | None = wire("side", _side)
    trading_time: datetime | None = wire("execTime", time_ms)
    conditional_order_type: StopOrderType | None = wire("stopOrderType", _stop_order_type)
    trade_type: TradeType | None = wire("execType", enum_of(TradeType))
    liquidity_type: LiquidityType | None = wire("lastLiquidityInd", enum_of(LiquidityType))
    remaining_order_quantity: Decimal | None = wire("leavesQty", decimal)
    closed_size: Decimal | None = wire("closedSize", decimal)


# Notebook display: every model above gets a _repr_html_ (a table of its fields).
from bybit_ws.models._display import add_html_reprs  # noqa: E402

add_html_reprs(globals())
