"""The v5 enums of :mod:`bybit_ws.models.v5` and the value hooks its models share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from bybit_ws._convert import OpenEnum, decimal, enum_of
from bybit_ws.enums import KlineInterval, OrderSide, OrderType, StopOrderType, TickDirection, TriggerType

__all__ = [
    "AccountType",
    "AuctionPhase",
    "CancelType",
    "Category",
    "CreateType",
    "MarketUnit",
    "OcoTriggerType",
    "SelfMatchPreventionType",
    "SlippageToleranceType",
]


_T = TypeVar("_T")


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
    CANCEL_BY_OCO_TP_CANCELED_BY_SL_TRIGGERED = "CancelByOCOTpCanceledBySlTriggered"
    CANCEL_BY_OCO_SL_CANCELED_BY_TP_TRIGGERED = "CancelByOCOSlCanceledByTpTriggered"
    CANCEL_BY_CANNOT_AFFORD_ORDER_COST = "CancelByCannotAffordOrderCost"
    CANCEL_BY_PM_TRIAL_MM_OVER_EQUITY = "CancelByPmTrialMmOverEquity"
    CANCEL_BY_ACCOUNT_BLOCKING = "CancelByAccountBlocking"
    CANCEL_BY_DELIVERY = "CancelByDelivery"
    CANCEL_BY_MMP_TRIGGERED = "CancelByMmpTriggered"
    CANCEL_BY_CROSS_SELF_MUCH = "CancelByCrossSelfMuch"
    CANCEL_BY_CROSS_REACH_MAX_TRADE_NUM = "CancelByCrossReachMaxTradeNum"
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
    """Which leg of a spot OCO order triggered (wire ``ocoTriggerBy``)."""

    UNKNOWN = "OcoTriggerByUnknown"
    TAKE_PROFIT = "OcoTriggerByTp"
    STOP_LOSS = "OcoTriggerBySl"


class CreateType(OpenEnum):
    """How an order was created (Bybit's ``createType`` enum)."""

    CREATE_BY_USER = "CreateByUser"
    CREATE_BY_FUTURE_SPREAD = "CreateByFutureSpread"
    CREATE_BY_ADMIN_CLOSING = "CreateByAdminClosing"
    CREATE_BY_SETTLE = "CreateBySettle"
    CREATE_BY_STOP_ORDER = "CreateByStopOrder"
    CREATE_BY_TAKE_PROFIT = "CreateByTakeProfit"
    CREATE_BY_PARTIAL_TAKE_PROFIT = "CreateByPartialTakeProfit"
    CREATE_BY_STOP_LOSS = "CreateByStopLoss"
    CREATE_BY_PARTIAL_STOP_LOSS = "CreateByPartialStopLoss"
    CREATE_BY_TRAILING_STOP = "CreateByTrailingStop"
    CREATE_BY_TRAILING_PROFIT = "CreateByTrailingProfit"
    CREATE_BY_LIQ = "CreateByLiq"
    CREATE_BY_TAKE_OVER_PASS_THROUGH = "CreateByTakeOver_PassThrough"
    CREATE_BY_ADL_PASS_THROUGH = "CreateByAdl_PassThrough"
    CREATE_BY_BLOCK_PASS_THROUGH = "CreateByBlock_PassThrough"
    CREATE_BY_BLOCK_TRADE_MOVE_POSITION_PASS_THROUGH = "CreateByBlockTradeMovePosition_PassThrough"
    CREATE_BY_CLOSING = "CreateByClosing"
    CREATE_BY_F_GRID_BOT = "CreateByFGridBot"
    CLOSE_BY_F_GRID_BOT = "CloseByFGridBot"
    CREATE_BY_TWAP = "CreateByTWAP"
    CREATE_BY_TV_SIGNAL = "CreateByTVSignal"
    CREATE_BY_MM_RATE_CLOSE = "CreateByMmRateClose"
    CREATE_BY_MARTINGALE_BOT = "CreateByMartingaleBot"
    CLOSE_BY_MARTINGALE_BOT = "CloseByMartingaleBot"
    CREATE_BY_ICE_BERG = "CreateByIceBerg"
    CREATE_BY_ARBITRAGE = "CreateByArbitrage"
    CREATE_BY_DDH = "CreateByDdh"
    CREATE_BY_BBO_ORDER = "CreateByBboOrder"
    CREATE_BY_CHASE_ORDER = "CreateByChaseOrder"
    """A chase limit order (placed and moved by a ``chaseOrder`` strategy)."""


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


def tuple_of(structure: Callable[[Any], _T], what: str) -> Callable[..., tuple[_T, ...]]:
    """A hook making a tuple of ``structure(item)`` from a wire list (missing or ``""``: empty)."""

    def hook(value: Any, _type: Any = None) -> tuple[_T, ...]:
        if not value:
            return ()
        if not isinstance(value, list):
            raise ValueError(f"not a list of {what}: {value!r}")
        return tuple([structure(item) for item in value])

    hook.__name__ = f"tuple_of_{what}"
    return hook


def _number(value: Any) -> Decimal:
    if type(value) is str:
        return Decimal(value)
    result = decimal(value)
    if result is None:
        raise ValueError("order book level without a price or size")
    return result


# Notebook display: every model above gets a _repr_html_ (a table of its fields).
from bybit_ws.models._display import add_html_reprs  # noqa: E402

add_html_reprs(globals())
