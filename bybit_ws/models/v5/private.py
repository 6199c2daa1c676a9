"""v5 private streams: orders, positions, executions, wallet."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from bybit_ws._convert import boolean, decimal, enum_of, integer, structurer, text, time_ms, wire
from bybit_ws.enums import (
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

from ._base import (
    AccountType,
    CancelType,
    Category,
    CreateType,
    MarketUnit,
    OcoTriggerType,
    SelfMatchPreventionType,
    SlippageToleranceType,
    _category,
    _fee_details,
    _order_type,
    _side,
    _stop_order_type,
    _trigger_type,
)

__all__ = ["AssetBalance", "Balance", "ExtraFee", "Order", "Position", "UserTrade"]

_create_type = enum_of(CreateType)
_oco_trigger = enum_of(OcoTriggerType)


def _time_ms_set(value: Any, _type: Any = None) -> datetime | None:
    """Epoch milliseconds, ``0`` meaning unset."""
    if value in (0, "0"):
        return None
    return time_ms(value)


@attrs.frozen(kw_only=True, weakref_slot=False)
class Order:
    """An order changed (topic ``order`` / ``order.{category}``)."""

    order_id: str = wire("orderId", text, optional=False)
    symbol: str = wire("symbol", text, optional=False)
    category: Category | None = wire("category", _category)
    client_order_id: str | None = wire("orderLinkId", text)
    parent_client_order_id: str | None = wire("parentOrderLinkId", text)
    """The client order id (``orderLinkId``) of the parent order (``parentOrderLinkId``)."""
    block_trade_id: str | None = wire("blockTradeId", text)
    price: Decimal | None = wire("price", decimal)
    quantity: Decimal | None = wire("qty", decimal)
    side: OrderSide | None = wire("side", _side)
    is_leverage: bool | None = wire("isLeverage", boolean)
    position_idx: PositionMode | None = wire("positionIdx", enum_of(PositionMode))
    status: OrderStatus | None = wire("orderStatus", enum_of(OrderStatus))
    cancel_type: CancelType | None = wire("cancelType", enum_of(CancelType))
    reject_reason: str | None = wire("rejectReason", text)
    average_price: Decimal | None = wire("avgPrice", decimal)
    quantity_remaining: Decimal | None = wire("leavesQty", decimal)
    value_remaining: Decimal | None = wire("leavesValue", decimal)
    quantity_filled: Decimal | None = wire("cumExecQty", decimal)
    value_filled: Decimal | None = wire("cumExecValue", decimal)
    executed_fee: Decimal | None = wire("cumExecFee", decimal)
    fee_asset: str | None = wire("feeCurrency", text)
    fee_details: tuple[tuple[str, Decimal], ...] | None = wire("cumFeeDetail", _fee_details)
    """Cumulative fee per asset, as ``(asset, amount)`` pairs (``dict(order.fee_details)`` for a map)."""
    time_in_force: TimeInForce | None = wire("timeInForce", enum_of(TimeInForce))
    order_type: OrderType | None = wire("orderType", _order_type)
    stop_order_type: StopOrderType | None = wire("stopOrderType", _stop_order_type)
    order_iv: Decimal | None = wire("orderIv", decimal)
    trigger_price: Decimal | None = wire("triggerPrice", decimal)
    take_profit: Decimal | None = wire("takeProfit", decimal)
    stop_loss: Decimal | None = wire("stopLoss", decimal)
    take_profit_trigger_by: TriggerType | None = wire("tpTriggerBy", _trigger_type)
    stop_loss_trigger_by: TriggerType | None = wire("slTriggerBy", _trigger_type)
    trigger_direction: TriggerDirection | None = wire("triggerDirection", enum_of(TriggerDirection))
    trigger_by: TriggerType | None = wire("triggerBy", _trigger_type)
    last_price_on_created: Decimal | None = wire("lastPriceOnCreated", decimal)
    close_on_trigger: bool | None = wire("closeOnTrigger", boolean)
    reduce_only: bool | None = wire("reduceOnly", boolean)
    create_time: datetime | None = wire("createdTime", time_ms)
    update_time: datetime | None = wire("updatedTime", time_ms)
    create_type: CreateType | None = wire("createType", _create_type)
    market_unit: MarketUnit | None = wire("marketUnit", enum_of(MarketUnit))
    oco_trigger_type: OcoTriggerType | None = wire(
        "ocoTriggerBy", _oco_trigger, aliases=(("ocoTriggerType", _oco_trigger),)
    )
    """Which leg of a spot OCO order triggered (``ocoTriggerBy``; the older name ``ocoTriggerType`` is
    read too)."""
    take_profit_limit_price: Decimal | None = wire("tpLimitPrice", decimal)
    stop_loss_limit_price: Decimal | None = wire("slLimitPrice", decimal)
    self_match_prevention_type: SelfMatchPreventionType | None = wire(
        "smpType", enum_of(SelfMatchPreventionType)
    )
    self_match_prevention_group: int | None = wire("smpGroup", integer)
    self_match_prevention_order_id: str | None = wire("smpOrderId", text)
    tp_sl_mode: StopLossTakeProfitMode | None = wire("tpslMode", enum_of(StopLossTakeProfitMode))
    place_type: str | None = wire("placeType", text)
    slippage_tolerance_type: SlippageToleranceType | None = wire(
        "slippageToleranceType", enum_of(SlippageToleranceType)
    )
    slippage_tolerance: Decimal | None = wire("slippageTolerance", decimal)
    rpi_match: bool | None = wire("rpiTakerAccess", boolean)
    rpi_matched_quantity: Decimal | None = wire("rpiMatchedQty", decimal)
    closed_pnl: Decimal | None = wire("closedPnl", decimal)
    broker_order_price: Decimal | None = wire("brokerOrderPrice", decimal)
    """[EU] the price the broker shows for the order."""

    @property
    def parent_order_id(self) -> str | None:
        """Deprecated: :attr:`parent_client_order_id` (it holds the parent's client id, not an order id)."""
        return self.parent_client_order_id


@attrs.frozen(kw_only=True, weakref_slot=False)
class Position:
    """A position changed (topic ``position`` / ``position.{category}``); ``side`` is ``None`` when flat."""

    symbol: str = wire("symbol", text, optional=False)
    category: Category | None = wire("category", _category)
    position_idx: PositionMode | None = wire("positionIdx", enum_of(PositionMode))
    risk_id: int | None = wire("riskId", integer)
    risk_limit_value: Decimal | None = wire("riskLimitValue", decimal)
    side: PositionSide | None = wire("side", enum_of(PositionSide))
    quantity: Decimal | None = wire("size", decimal)
    average_price: Decimal | None = wire("entryPrice", decimal, aliases=(("avgPrice", decimal),))
    """Average entry price (``entryPrice`` on the stream, ``avgPrice`` over REST)."""
    break_even_price: Decimal | None = wire("breakEvenPrice", decimal)
    position_value: Decimal | None = wire("positionValue", decimal)
    trade_mode: TradeMode | None = wire("tradeMode", enum_of(TradeMode))
    position_status: PositionStatus | None = wire("positionStatus", enum_of(PositionStatus))
    leverage: Decimal | None = wire("leverage", decimal)
    mark_price: Decimal | None = wire("markPrice", decimal)
    liquidation_price: Decimal | None = wire("liqPrice", decimal)
    bust_price: Decimal | None = wire("bustPrice", decimal)
    initial_margin: Decimal | None = wire("positionIM", decimal)
    initial_margin_by_mark_price: Decimal | None = wire("positionIMByMp", decimal)
    maintenance_margin: Decimal | None = wire("positionMM", decimal)
    maintenance_margin_by_mark_price: Decimal | None = wire("positionMMByMp", decimal)
    position_balance: Decimal | None = wire("positionBalance", decimal)
    take_profit_stop_loss_mode: StopLossTakeProfitMode | None = wire(
        "tpslMode", enum_of(StopLossTakeProfitMode)
    )
    take_profit: Decimal | None = wire("takeProfit", decimal)
    stop_loss: Decimal | None = wire("stopLoss", decimal)
    trailing_stop: Decimal | None = wire("trailingStop", decimal)
    session_average_price: Decimal | None = wire("sessionAvgPrice", decimal)
    unrealized_pnl: Decimal | None = wire("unrealisedPnl", decimal)
    current_realized_pnl: Decimal | None = wire("curRealisedPnl", decimal)
    realized_pnl: Decimal | None = wire("cumRealisedPnl", decimal)
    auto_deleverage_rank_indicator: int | None = wire("adlRankIndicator", integer)
    auto_add_margin: bool | None = wire("autoAddMargin", boolean)
    is_reduce_only: bool | None = wire("isReduceOnly", boolean)
    create_time: datetime | None = wire("createdTime", time_ms)
    update_time: datetime | None = wire("updatedTime", time_ms)
    maintenance_margin_update_time: datetime | None = wire("mmrSysUpdatedTime", time_ms)
    leverage_update_time: datetime | None = wire("leverageSysUpdatedTime", time_ms)
    sequence: int | None = wire("seq", integer)
    open_time: datetime | None = wire("openTime", _time_ms_set)
    """When the position was opened (``openTime``; ``None`` when flat, sent as ``0``)."""
    delta: Decimal | None = wire("delta", decimal)
    """[Options] position delta."""
    gamma: Decimal | None = wire("gamma", decimal)
    vega: Decimal | None = wire("vega", decimal)
    theta: Decimal | None = wire("theta", decimal)


@attrs.frozen(kw_only=True, weakref_slot=False)
class ExtraFee:
    """A fee of an execution charged besides its trading fee (an item of :attr:`UserTrade.extra_fees`)."""

    fee_asset: str | None = wire("feeCoin", text)
    fee_type: str | None = wire("feeType", text)
    """e.g. ``"GST"``."""
    sub_fee_type: str | None = wire("subFeeType", text)
    """e.g. ``"IND_GST"``."""
    fee_rate: Decimal | None = wire("feeRate", decimal)
    fee: Decimal | None = wire("fee", decimal)


_structure_extra_fee = structurer(ExtraFee)


def _extra_fees(value: Any, _type: Any = None) -> tuple[ExtraFee, ...] | None:
    """``extraFees``: a list of fee objects, or ``""`` when there are none."""
    if not value:
        return None
    if not isinstance(value, list):
        raise ValueError(f"not a list of extra fees: {value!r}")
    return tuple([_structure_extra_fee(item) for item in value])


@attrs.frozen(kw_only=True, weakref_slot=False)
class UserTrade:
    """One execution (fill) of the user's order (topic ``execution`` / ``execution.{category}``)."""

    symbol: str = wire("symbol", text, optional=False)
    order_id: str = wire("orderId", text, optional=False)
    trade_id: str = wire("execId", text, optional=False)
    category: Category | None = wire("category", _category)
    client_order_id: str | None = wire("orderLinkId", text)
    side: OrderSide | None = wire("side", _side)
    order_price: Decimal | None = wire("orderPrice", decimal)
    order_quantity: Decimal | None = wire("orderQty", decimal)
    quantity_remaining: Decimal | None = wire("leavesQty", decimal)
    order_type: OrderType | None = wire("orderType", _order_type)
    stop_order_type: StopOrderType | None = wire("stopOrderType", _stop_order_type)
    fee: Decimal | None = wire("execFee", decimal)
    fee_asset: str | None = wire("feeCurrency", text)
    fee_rate: Decimal | None = wire("feeRate", decimal)
    price: Decimal | None = wire("execPrice", decimal)
    quantity: Decimal | None = wire("execQty", decimal)
    value: Decimal | None = wire("execValue", decimal)
    timestamp: datetime | None = wire("execTime", time_ms)
    trade_type: TradeType | None = wire("execType", enum_of(TradeType))
    is_maker: bool | None = wire("isMaker", boolean)
    is_leverage: bool | None = wire("isLeverage", boolean)
    trade_iv: Decimal | None = wire("tradeIv", decimal)
    mark_iv: Decimal | None = wire("markIv", decimal)
    mark_price: Decimal | None = wire("markPrice", decimal)
    index_price: Decimal | None = wire("indexPrice", decimal)
    underlying_price: Decimal | None = wire("underlyingPrice", decimal)
    block_trade_id: str | None = wire("blockTradeId", text)
    closed_quantity: Decimal | None = wire("closedSize", decimal)
    pnl: Decimal | None = wire("execPnl", decimal)
    sequence: int | None = wire("seq", integer)
    create_type: CreateType | None = wire("createType", _create_type)
    market_unit: MarketUnit | None = wire("marketUnit", enum_of(MarketUnit))
    extra_fees: tuple[ExtraFee, ...] | None = wire("extraFees", _extra_fees)
    """Fees charged besides ``fee`` (e.g. a tax), one :class:`ExtraFee` each; ``None`` when there are none."""


@attrs.frozen(kw_only=True, weakref_slot=False)
class AssetBalance:
    """One coin of a wallet (an item of :attr:`Balance.assets`)."""

    asset: str = wire("coin", text, optional=False)
    equity: Decimal | None = wire("equity", decimal)
    usd_value: Decimal | None = wire("usdValue", decimal)
    wallet_balance: Decimal | None = wire("walletBalance", decimal)
    free: Decimal | None = wire("free", decimal)
    locked: Decimal | None = wire("locked", decimal)
    borrow_amount: Decimal | None = wire("borrowAmount", decimal)
    available_to_borrow: Decimal | None = wire("availableToBorrow", decimal)
    available_to_withdraw: Decimal | None = wire("availableToWithdraw", decimal)
    accrued_interest: Decimal | None = wire("accruedInterest", decimal)
    total_order_initial_margin: Decimal | None = wire("totalOrderIM", decimal)
    total_position_initial_margin: Decimal | None = wire("totalPositionIM", decimal)
    total_position_maintenance_margin: Decimal | None = wire("totalPositionMM", decimal)
    unrealized_pnl: Decimal | None = wire("unrealisedPnl", decimal)
    realized_pnl: Decimal | None = wire("cumRealisedPnl", decimal)
    bonus: Decimal | None = wire("bonus", decimal)
    spot_hedging_quantity: Decimal | None = wire("spotHedgingQty", decimal)
    spot_borrow: Decimal | None = wire("spotBorrow", decimal)
    collateral_switch: bool | None = wire("collateralSwitch", boolean)
    margin_collateral: bool | None = wire("marginCollateral", boolean)
    collateral_restriction: int | None = wire("colRes", integer)
    """Collateral-restriction status of the coin (``colRes``: ``-1``, ``0``, ``1`` or ``2``)."""


_structure_asset_balance = structurer(AssetBalance)


def _asset_balances(value: Any, _type: Any = None) -> tuple[AssetBalance, ...]:
    """The wallet's ``coin`` list as a tuple of :class:`AssetBalance`."""
    if not value:
        return ()
    return tuple([_structure_asset_balance(item) for item in value])


@attrs.frozen(kw_only=True, weakref_slot=False)
class Balance:
    """A wallet changed (topic ``wallet``): account totals (in USD) and one :class:`AssetBalance` per coin."""

    account_type: AccountType | None = wire("accountType", enum_of(AccountType))
    account_ltv: Decimal | None = wire("accountLTV", decimal)
    account_initial_margin_rate: Decimal | None = wire("accountIMRate", decimal)
    account_initial_margin_rate_by_mark_price: Decimal | None = wire("accountIMRateByMp", decimal)
    account_maintenance_margin_rate: Decimal | None = wire("accountMMRate", decimal)
    account_maintenance_margin_rate_by_mark_price: Decimal | None = wire("accountMMRateByMp", decimal)
    total_equity: Decimal | None = wire("totalEquity", decimal)
    total_wallet_balance: Decimal | None = wire("totalWalletBalance", decimal)
    total_margin_balance: Decimal | None = wire("totalMarginBalance", decimal)
    total_available_balance: Decimal | None = wire("totalAvailableBalance", decimal)
    total_perp_unrealized_pnl: Decimal | None = wire("totalPerpUPL", decimal)
    total_initial_margin: Decimal | None = wire("totalInitialMargin", decimal)
    total_initial_margin_by_mark_price: Decimal | None = wire("totalInitialMarginByMp", decimal)
    total_maintenance_margin: Decimal | None = wire("totalMaintenanceMargin", decimal)
    total_maintenance_margin_by_mark_price: Decimal | None = wire("totalMaintenanceMarginByMp", decimal)
    assets: tuple[AssetBalance, ...] = wire("coin", _asset_balances, optional=False)


# Notebook display: every model above gets a _repr_html_ (a table of its fields).
from bybit_ws.models._display import add_html_reprs  # noqa: E402

add_html_reprs(globals())
