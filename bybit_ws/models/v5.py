"""Models of the v5 streams (public linear/inverse/spot/option, and private).

Field names are Bybit.Net's V5 property names in snake_case (``BybitTrade``, ``BybitLinearTickerUpdate``,
``BybitOrderbook``, ``BybitKlineUpdate``, ``BybitLiquidationUpdate``, ``BybitOrderUpdate``,
``BybitPositionUpdate``, ``BybitUserTradeUpdate``, ``BybitBalance``/``BybitAssetBalance``).

v5 drifts from its docs (PROTOCOL.md §C, §6): numbers come as strings or as JSON numbers, unset values
as ``""`` (read as ``None``), new fields appear (ignored), and new enum values appear (kept, open enums).
Times are epoch milliseconds, as ints or strings.

The order book's ``b``/``a`` are lists of ``[price, size]`` pairs, which the generic structurer does not
build: :func:`parse_order_book` builds an :class:`OrderBookUpdate` directly (the hot path), and the
class also works with :func:`~bybit_ws._convert.structurer`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from bybit_ws._convert import (
    _PRICES,
    OpenEnum,
    boolean,
    decimal,
    enum_of,
    integer,
    price_decimal,
    required_twin,
    structurer,
    text,
    time_auto,
    time_ms,
    wire,
)
from bybit_ws.enums import (
    KlineInterval,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionMode,
    PositionSide,
    PositionStatus,
    StopLossTakeProfitMode,
    StopOrderType,
    TickDirection,
    TimeInForce,
    TradeMode,
    TradeType,
    TriggerDirection,
    TriggerType,
)

__all__ = [
    "AccountType",
    "AssetBalance",
    "AuctionPhase",
    "Balance",
    "CancelType",
    "Category",
    "Kline",
    "Liquidation",
    "MarketUnit",
    "OcoTriggerType",
    "Order",
    "OrderBookEntry",
    "OrderBookUpdate",
    "Position",
    "SelfMatchPreventionType",
    "SlippageToleranceType",
    "Ticker",
    "Trade",
    "UserTrade",
    "parse_order_book",
]


# --------------------------------------------------------------------------------------------- enums
class Category(OpenEnum):
    """Product category of a v5 symbol, order, position or execution."""

    SPOT = "spot"
    LINEAR = "linear"
    INVERSE = "inverse"
    OPTION = "option"


class CancelType(OpenEnum):
    """Why an order was cancelled (``UNKNOWN`` when it was not)."""

    CANCEL_BY_USER = "CancelByUser"
    CANCEL_BY_REDUCE_ONLY = "CancelByReduceOnly"
    CANCEL_BY_PREPARE_LIQ = "CancelByPrepareLiq"
    CANCEL_ALL_BEFORE_LIQ = "CancelAllBeforeLiq"
    CANCEL_BY_PREPARE_ADL = "CancelByPrepareAdl"
    CANCEL_ALL_BEFORE_ADL = "CancelAllBeforeAdl"
    CANCEL_BY_ADMIN = "CancelByAdmin"
    CANCEL_BY_SETTLE = "CancelBySettle"
    CANCEL_BY_TP_SL_TS_CLEAR = "CancelByTpSlTsClear"
    CANCEL_BY_SMP = "CancelBySmp"
    CANCEL_BY_DCP = "CancelByDCP"
    CANCEL_BY_REBALANCE = "CancelByRebalance"
    UNKNOWN = "UNKNOWN"


class AccountType(OpenEnum):
    """Wallet account type."""

    UNIFIED = "UNIFIED"
    CONTRACT = "CONTRACT"
    SPOT = "SPOT"
    FUND = "FUND"
    OPTION = "OPTION"
    INVESTMENT = "INVESTMENT"


class MarketUnit(OpenEnum):
    """Unit of a spot market order's quantity."""

    BASE_COIN = "baseCoin"
    QUOTE_COIN = "quoteCoin"


class SelfMatchPreventionType(OpenEnum):
    """Self-match prevention mode of an order."""

    NONE = "None"
    CANCEL_MAKER = "CancelMaker"
    CANCEL_TAKER = "CancelTaker"
    CANCEL_BOTH = "CancelBoth"


class OcoTriggerType(OpenEnum):
    """Which leg of a spot OCO order triggered."""

    UNKNOWN = "OcoTriggerByUnknown"
    TAKE_PROFIT = "OcoTriggerByTp"
    STOP_LOSS = "OcoTriggerBySl"


class SlippageToleranceType(OpenEnum):
    """How a market order's slippage tolerance is expressed."""

    TICK_SIZE = "TickSize"
    PERCENT = "Percent"
    UNKNOWN = "UNKNOWN"


class AuctionPhase(OpenEnum):
    """Phase of a pre-market (pre-listing) contract."""

    NOT_STARTED = "NotStarted"
    FINISHED = "Finished"
    CALL_AUCTION = "CallAuction"
    CALL_AUCTION_NO_CANCEL = "CallAuctionNoCancel"
    CROSS_MATCHING = "CrossMatching"
    CONTINUOUS_TRADING = "ContinuousTrading"


# --------------------------------------------------------------------------------------------- hooks
_side = enum_of(OrderSide)
_category = enum_of(Category)
_order_type = enum_of(OrderType)
_stop_order_type = enum_of(StopOrderType)
_trigger_type = enum_of(TriggerType)
_tick_direction = enum_of(TickDirection)
_INTERVALS: dict[str, KlineInterval] = {member.value: member for member in KlineInterval}


def _interval(value: Any, _type: Any = None) -> KlineInterval | str | None:
    """A :class:`KlineInterval`, or the wire text itself when the interval is new (never dropped)."""
    if value is None or value == "":
        return None
    name = value if type(value) is str else str(value)
    return _INTERVALS.get(name, name)


def _fee_details(value: Any, _type: Any = None) -> tuple[tuple[str, Decimal], ...] | None:
    """``{"USDT": "0.1", ...}`` as ``(("USDT", Decimal("0.1")), ...)`` (a tuple keeps models hashable)."""
    if value is None or value == "":
        return None
    if not isinstance(value, Mapping):
        raise ValueError(f"not a fee mapping: {value!r}")
    result: list[tuple[str, Decimal]] = []
    for asset, amount in value.items():
        number = decimal(amount)
        if number is not None:
            result.append((str(asset), number))
    return tuple(result)


def _number(value: Any) -> Decimal:
    if type(value) is str:
        return Decimal(value)
    result = decimal(value)
    if result is None:
        raise ValueError("order book level without a price or size")
    return result


# --------------------------------------------------------------------------------------------- public
@attrs.frozen(kw_only=True, weakref_slot=False)
class Trade:
    """One public trade (topic ``publicTrade.{symbol}``); ``side`` is the taker's side."""

    timestamp: datetime = wire("T", time_ms, optional=False)
    symbol: str = wire("s", text, optional=False)
    side: OrderSide = wire("S", _side, optional=False)
    quantity: Decimal = wire("v", decimal, optional=False)
    price: Decimal = wire("p", price_decimal, optional=False)
    id: str = wire("i", text, optional=False)
    direction: TickDirection | None = wire("L", _tick_direction)
    is_block_trade: bool | None = wire("BT", boolean)
    is_rpi_trade: bool | None = wire("RPI", boolean)
    sequence: int | None = wire("seq", integer)
    mark_price: Decimal | None = wire("mP", price_decimal)
    """[Options] mark price."""
    index_price: Decimal | None = wire("iP", price_decimal)
    """[Options] index price."""
    mark_iv: Decimal | None = wire("mIv", decimal)
    """[Options] mark price implied volatility."""
    iv: Decimal | None = wire("iv", decimal)
    """[Options] implied volatility."""


@attrs.frozen(kw_only=True, weakref_slot=False)
class Ticker:
    """A ticker of any category (topic ``tickers.{symbol}``); every field is optional.

    Linear/inverse tickers come as a snapshot then deltas: the client merges them and delivers the full
    ticker. Spot and option tickers are snapshots only; fields of other categories stay ``None``.
    Option tickers' ``bidPrice``/``bidSize``/``askPrice``/``askSize`` fill the ``best_*`` fields.
    """

    symbol: str | None = wire("symbol", text)
    tick_direction: TickDirection | None = wire("tickDirection", _tick_direction)
    price_percentage_24h: Decimal | None = wire("price24hPcnt", decimal)
    """Price change over 24 h as a fraction (``-0.158315`` is -15.8315 %)."""
    last_price: Decimal | None = wire("lastPrice", price_decimal)
    high_price_24h: Decimal | None = wire("highPrice24h", price_decimal)
    low_price_24h: Decimal | None = wire("lowPrice24h", price_decimal)
    previous_price_24h: Decimal | None = wire("prevPrice24h", price_decimal)
    previous_price_1h: Decimal | None = wire("prevPrice1h", price_decimal)
    mark_price: Decimal | None = wire("markPrice", price_decimal)
    index_price: Decimal | None = wire("indexPrice", price_decimal)
    open_interest: Decimal | None = wire("openInterest", decimal)
    open_interest_value: Decimal | None = wire("openInterestValue", decimal)
    turnover_24h: Decimal | None = wire("turnover24h", decimal)
    volume_24h: Decimal | None = wire("volume24h", decimal)
    next_funding_time: datetime | None = wire("nextFundingTime", time_auto)
    funding_rate: Decimal | None = wire("fundingRate", decimal)
    funding_interval: int | None = wire("fundingIntervalHour", integer)
    """Funding interval in hours."""
    funding_cap: Decimal | None = wire("fundingCap", decimal)
    best_bid_price: Decimal | None = wire("bid1Price", price_decimal, aliases=(("bidPrice", price_decimal),))
    best_bid_quantity: Decimal | None = wire("bid1Size", decimal, aliases=(("bidSize", decimal),))
    best_ask_price: Decimal | None = wire("ask1Price", price_decimal, aliases=(("askPrice", price_decimal),))
    best_ask_quantity: Decimal | None = wire("ask1Size", decimal, aliases=(("askSize", decimal),))
    delivery_time: datetime | None = wire("deliveryTime", time_auto)
    """[Futures] delivery time."""
    basis: Decimal | None = wire("basis", decimal)
    basis_rate: Decimal | None = wire("basisRate", decimal)
    basis_rate_year: Decimal | None = wire("basisRateYear", decimal)
    delivery_fee_rate: Decimal | None = wire("deliveryFeeRate", decimal)
    predicted_delivery_price: Decimal | None = wire("predictedDeliveryPrice", price_decimal)
    pre_open_price: Decimal | None = wire("preOpenPrice", price_decimal)
    pre_open_quantity: Decimal | None = wire("preQty", decimal)
    pre_listing_phase: AuctionPhase | None = wire("curPreListingPhase", enum_of(AuctionPhase))
    usd_index_price: Decimal | None = wire("usdIndexPrice", price_decimal)
    """[Spot] USD index price."""
    bid_iv: Decimal | None = wire("bidIv", decimal)
    """[Options] best bid implied volatility."""
    ask_iv: Decimal | None = wire("askIv", decimal)
    """[Options] best ask implied volatility."""
    mark_price_iv: Decimal | None = wire("markPriceIv", decimal)
    underlying_price: Decimal | None = wire("underlyingPrice", price_decimal)
    total_volume: Decimal | None = wire("totalVolume", decimal)
    total_turnover: Decimal | None = wire("totalTurnover", decimal)
    delta: Decimal | None = wire("delta", decimal)
    gamma: Decimal | None = wire("gamma", decimal)
    vega: Decimal | None = wire("vega", decimal)
    theta: Decimal | None = wire("theta", decimal)
    change_24h: Decimal | None = wire("change24h", decimal)
    """[Options] price change over 24 h."""


@attrs.frozen(kw_only=True, weakref_slot=False)
class OrderBookEntry:
    """One price level; a ``quantity`` of 0 in a delta deletes the level.

    On the wire a level is a ``[price, size]`` pair (the wire names below are the pair's positions);
    :func:`parse_order_book` builds levels directly.
    """

    price: Decimal = wire("0", price_decimal, optional=False)
    quantity: Decimal = wire("1", decimal, optional=False)


_new = object.__new__
_entry_twin = required_twin(OrderBookEntry)


def book_levels(pairs: Iterable[tuple[Any, Decimal]]) -> tuple[OrderBookEntry, ...]:
    """``(price, size)`` pairs as a tuple of :class:`OrderBookEntry`, each built as the generated
    builders build models (a layout twin), in one loop: a call per level would be a fifth of its cost.

    A book repeats its prices: string prices come from the cache of
    :func:`~bybit_ws._convert.price_decimal`, anything else goes through it in full.
    """
    cached = _PRICES.get
    levels: list[OrderBookEntry] = []
    append = levels.append
    for p, q in pairs:
        entry: Any = _new(_entry_twin)
        entry.price = (type(p) is str and cached(p)) or _level_price(p)
        entry.quantity = q
        entry.__class__ = OrderBookEntry
        append(entry)
    return tuple(levels)


def _level_price(value: Any) -> Decimal:
    result = price_decimal(value)
    if result is None:
        raise ValueError("order book level without a price")
    return result


def _levels(value: Any, _type: Any = None) -> tuple[OrderBookEntry, ...]:
    """``[["16493.50", "0.006"], ...]`` as a tuple of :class:`OrderBookEntry` (the dict path)."""
    if not value:
        return ()
    return book_levels([(_level_price(pair[0]), _number(pair[1])) for pair in value])


@attrs.frozen(kw_only=True, weakref_slot=False)
class OrderBookUpdate:
    """An order-book snapshot or delta (topic ``orderbook.{depth}.{symbol}``).

    ``update_id`` (``u``) is 1 after a service restart: treat that delta as a snapshot. ``timestamp`` and
    ``matching_engine_timestamp`` are the frame's ``ts`` and ``cts`` when they are known.
    """

    symbol: str = wire("s", text, optional=False)
    bids: tuple[OrderBookEntry, ...] = wire("b", _levels, optional=False)
    asks: tuple[OrderBookEntry, ...] = wire("a", _levels, optional=False)
    update_id: int = wire("u", integer, optional=False)
    sequence: int | None = wire("seq", integer)
    timestamp: datetime | None = wire("ts", time_ms)
    matching_engine_timestamp: datetime | None = wire("cts", time_ms)


def parse_order_book(data: Mapping[str, Any], *, ts: Any = None, cts: Any = None) -> OrderBookUpdate:
    """Build an :class:`OrderBookUpdate` from a frame's ``data`` (fast path).

    ``ts``/``cts`` are the frame's top-level epoch-ms times; when omitted, ``data["ts"]``/``data["cts"]``
    are used if present.

    Raises:
        KeyError: ``s`` or ``u`` is missing.
        ValueError, ArithmeticError: a price, size or id is not a number.
    """
    return build_order_book(
        data["s"],
        _levels(data.get("b")),
        _levels(data.get("a")),
        data["u"],
        data.get("seq"),
        data.get("ts") if ts is None else ts,
        data.get("cts") if cts is None else cts,
    )


def build_order_book(
    symbol: Any,
    bids: tuple[OrderBookEntry, ...],
    asks: tuple[OrderBookEntry, ...],
    update_id: Any,
    seq: Any,
    ts: Any,
    cts: Any,
) -> OrderBookUpdate:
    """An :class:`OrderBookUpdate` from its wire values, levels already built (see :func:`book_levels`)."""
    book: Any = _new(_book_twin)  # built as the generated builders build models (see layout_twin)
    book.symbol = symbol if type(symbol) is str else str(symbol)
    book.bids = bids
    book.asks = asks
    book.update_id = update_id if type(update_id) is int else int(update_id)
    book.sequence = seq if seq is None or type(seq) is int else integer(seq)
    book.timestamp = time_ms(ts)
    book.matching_engine_timestamp = time_ms(cts)
    book.__class__ = OrderBookUpdate
    return book  # type: ignore[no-any-return]


_book_twin = required_twin(OrderBookUpdate)


@attrs.frozen(kw_only=True, weakref_slot=False)
class Kline:
    """One candle (topic ``kline.{interval}.{symbol}``); ``confirm`` is true on the candle's last tick.

    The wire item has no symbol: the client fills ``symbol`` from the topic.
    """

    start_time: datetime = wire("start", time_ms, optional=False)
    end_time: datetime = wire("end", time_ms, optional=False)
    interval: KlineInterval | str = wire("interval", _interval, optional=False)
    open_price: Decimal = wire("open", price_decimal, optional=False)
    close_price: Decimal = wire("close", price_decimal, optional=False)
    high_price: Decimal = wire("high", price_decimal, optional=False)
    low_price: Decimal = wire("low", price_decimal, optional=False)
    volume: Decimal = wire("volume", decimal, optional=False)
    turnover: Decimal = wire("turnover", decimal, optional=False)
    confirm: bool = wire("confirm", boolean, optional=False)
    timestamp: datetime = wire("timestamp", time_ms, optional=False)
    symbol: str | None = wire("symbol", text)


@attrs.frozen(kw_only=True, weakref_slot=False)
class Liquidation:
    """One liquidation (topic ``allLiquidation.{symbol}``); ``side`` is the liquidated position's side."""

    update_time: datetime = wire("T", time_ms, optional=False)
    symbol: str = wire("s", text, optional=False)
    side: OrderSide = wire("S", _side, optional=False)
    quantity: Decimal = wire("v", decimal, optional=False)
    price: Decimal = wire("p", price_decimal, optional=False)


# --------------------------------------------------------------------------------------------- private
@attrs.frozen(kw_only=True, weakref_slot=False)
class Order:
    """An order changed (topic ``order`` / ``order.{category}``)."""

    order_id: str = wire("orderId", text, optional=False)
    symbol: str = wire("symbol", text, optional=False)
    category: Category | None = wire("category", _category)
    client_order_id: str | None = wire("orderLinkId", text)
    parent_order_id: str | None = wire("parentOrderLinkId", text)
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
    create_type: str | None = wire("createType", text)
    market_unit: MarketUnit | None = wire("marketUnit", enum_of(MarketUnit))
    oco_trigger_type: OcoTriggerType | None = wire("ocoTriggerType", enum_of(OcoTriggerType))
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
    delta: Decimal | None = wire("delta", decimal)
    """[Options] position delta."""
    gamma: Decimal | None = wire("gamma", decimal)
    vega: Decimal | None = wire("vega", decimal)
    theta: Decimal | None = wire("theta", decimal)


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
    create_type: str | None = wire("createType", text)
    market_unit: MarketUnit | None = wire("marketUnit", enum_of(MarketUnit))


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
