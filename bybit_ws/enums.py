"""Enumerations shared by the models of every API family.

Member values are Bybit's wire strings. Every enum here except :class:`KlineInterval` is *open*: a value
the library does not know becomes a pseudo-member that keeps the value (``OrderSide("Short").value ==
"Short"``), so a new value from the exchange never drops a message. Matching is case-insensitive
(``"BUY"`` is ``OrderSide.BUY``).
"""

from __future__ import annotations

import enum

from ._convert import OpenEnum, OpenIntEnum

__all__ = [
    "BboSideType",
    "KlineInterval",
    "LiquidityType",
    "OrderFilter",
    "OrderSide",
    "OrderStatus",
    "OrderType",
    "PositionMode",
    "PositionSide",
    "PositionStatus",
    "StopLossTakeProfitMode",
    "StopOrderStatus",
    "StopOrderType",
    "TickDirection",
    "TimeInForce",
    "TradeMode",
    "TradeType",
    "TriggerDirection",
    "TriggerType",
    "UpdateType",
]


class KlineInterval(str, enum.Enum):
    """Candle interval; the value is the wire string used in topics (``klineV2.1.BTCUSD``)."""

    ONE_MINUTE = "1"
    THREE_MINUTES = "3"
    FIVE_MINUTES = "5"
    FIFTEEN_MINUTES = "15"
    THIRTY_MINUTES = "30"
    ONE_HOUR = "60"
    TWO_HOURS = "120"
    FOUR_HOURS = "240"
    SIX_HOURS = "360"
    TWELVE_HOURS = "720"
    ONE_DAY = "D"
    ONE_WEEK = "W"
    ONE_MONTH = "M"

    @property
    def seconds(self) -> int:
        """Length of the interval in seconds (a month counts 30 days, as in Bybit.Net)."""
        return {"D": 86_400, "W": 604_800, "M": 2_592_000}.get(self.value) or int(self.value) * 60

    def __str__(self) -> str:
        return self.value


class OrderSide(OpenEnum):
    """Side of an order or trade (a trade's side is the taker's)."""

    BUY = "Buy"
    SELL = "Sell"


class PositionSide(OpenEnum):
    """Side of a position; ``NONE`` for a flat position."""

    BUY = "Buy"
    SELL = "Sell"
    NONE = "None"


class OrderType(OpenEnum):
    """Order type."""

    LIMIT = "Limit"
    MARKET = "Market"
    LIMIT_MAKER = "LIMIT_MAKER"
    UNKNOWN = "UNKNOWN"


class OrderStatus(OpenEnum):
    """Status of an active order."""

    CREATED = "Created"
    REJECTED = "Rejected"
    NEW = "New"
    PARTIALLY_FILLED = "PartiallyFilled"
    PARTIALLY_FILLED_CANCELED = "PartiallyFilledCanceled"
    FILLED = "Filled"
    CANCELED = "Cancelled"
    PENDING_CANCEL = "PendingCancel"
    UNTRIGGERED = "Untriggered"
    TRIGGERED = "Triggered"
    DEACTIVATED = "Deactivated"
    ACTIVE = "Active"


class StopOrderStatus(OpenEnum):
    """Status of a conditional (stop) order."""

    ACTIVE = "Active"
    UNTRIGGERED = "Untriggered"
    TRIGGERED = "Triggered"
    CANCELED = "Cancelled"
    REJECTED = "Rejected"
    DEACTIVATED = "Deactivated"
    CREATED = "Created"
    NEW = "New"
    PARTIALLY_FILLED = "PartiallyFilled"
    FILLED = "Filled"
    PENDING_CANCEL = "PendingCancel"


class TimeInForce(OpenEnum):
    """Time in force."""

    GOOD_TILL_CANCELED = "GoodTillCancel"
    IMMEDIATE_OR_CANCEL = "ImmediateOrCancel"
    FILL_OR_KILL = "FillOrKill"
    POST_ONLY = "PostOnly"
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    RPI = "RPI"


class TriggerType(OpenEnum):
    """Price a conditional order, take profit or stop loss triggers on."""

    LAST_PRICE = "LastPrice"
    INDEX_PRICE = "IndexPrice"
    MARK_PRICE = "MarkPrice"
    UNKNOWN = "UNKNOWN"


class StopOrderType(OpenEnum):
    """Kind of conditional order."""

    TAKE_PROFIT = "TakeProfit"
    STOP_LOSS = "StopLoss"
    TRAILING_STOP = "TrailingStop"
    STOP = "Stop"
    PARTIAL_STOP_LOSS = "PartialStopLoss"
    PARTIAL_TAKE_PROFIT = "PartialTakeProfit"
    TP_SL_ORDER = "tpslOrder"
    OCO_ORDER = "OcoOrder"
    MM_RATE_CLOSE = "MmRateClose"
    BIDIRECTIONAL_TP_SL_ORDER = "BidirectionalTpslOrder"
    UNKNOWN = "UNKNOWN"


class PositionMode(OpenIntEnum):
    """Position index: one-way mode, or the buy or sell side of hedge mode."""

    ONE_WAY = 0
    BOTH_SIDE_BUY = 1
    BOTH_SIDE_SELL = 2


class PositionStatus(OpenEnum):
    """Status of a position."""

    NORMAL = "Normal"
    LIQUIDATION = "Liq"
    AUTO_DELEVERAGE = "Adl"


class TickDirection(OpenEnum):
    """Direction of the last price change."""

    PLUS_TICK = "PlusTick"
    ZERO_PLUS_TICK = "ZeroPlusTick"
    MINUS_TICK = "MinusTick"
    ZERO_MINUS_TICK = "ZeroMinusTick"


class TradeType(OpenEnum):
    """Kind of execution."""

    TRADE = "Trade"
    ADL_TRADE = "AdlTrade"
    FUNDING = "Funding"
    BUST_TRADE = "BustTrade"
    SETTLE = "Settle"
    DELIVERY = "Delivery"
    BLOCK_TRADE = "BlockTrade"
    MOVE_POSITION = "MovePosition"
    FUTURE_SPREAD = "FutureSpread"
    CORPORATE_ACTION = "CorporateAction"
    """A stock split or reverse split adjusting the position."""
    UNKNOWN = "UNKNOWN"


class StopLossTakeProfitMode(OpenEnum):
    """Take-profit/stop-loss mode of a position."""

    FULL = "Full"
    PARTIAL = "Partial"


class TriggerDirection(OpenIntEnum):
    """Direction a conditional order triggers in; ``NONE`` (0) when it has none."""

    NONE = 0
    RISE = 1
    FALL = 2


class TradeMode(OpenIntEnum):
    """Margin mode of a position."""

    CROSS_MARGIN = 0
    ISOLATED = 1


class LiquidityType(OpenEnum):
    """Whether an execution added liquidity (maker) or removed it (taker)."""

    ADDED_LIQUIDITY = "AddedLiquidity"
    REMOVED_LIQUIDITY = "RemovedLiquidity"

    @property
    def is_maker(self) -> bool:
        """True for a maker fill."""
        return self is LiquidityType.ADDED_LIQUIDITY


class UpdateType(OpenEnum):
    """Whether a frame carried the full state (``SNAPSHOT``) or only what changed (``DELTA``): the frame's
    ``type``. A v5 order-book delta with ``u == 1`` (a service restart) counts as a snapshot."""

    SNAPSHOT = "snapshot"
    DELTA = "delta"


class OrderFilter(OpenEnum):
    """Kind of spot order an order request means: a plain order, a take-profit/stop-loss order or a
    conditional (stop) order (the ``orderFilter`` of v5 order entry)."""

    ORDER = "Order"
    TP_SL_ORDER = "tpslOrder"
    STOP_ORDER = "StopOrder"


class BboSideType(OpenEnum):
    """Which side of the best bid/offer a BBO order prices from: its own side's queue, or the other side."""

    QUEUE = "Queue"
    COUNTERPARTY = "Counterparty"
