"""The private ``strategy`` topic (issue 25, V5_2026.md §4.4): TWAP, iceberg, chase and POV algo orders.

``category`` is the strategy service's own (``UTA_USDT``, ``UTA_SPOT``, ...), not a v5 category; it is
kept as sent. ``orderType`` is ``1``/``2`` in Bybit's table and ``"UNKNOWN"`` in its example: kept as
sent too.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from bybit_ws._convert import (
    OpenEnum,
    OpenIntEnum,
    boolean,
    decimal,
    enum_of,
    integer,
    scaled,
    text,
    time_ms,
    wire,
)
from bybit_ws.enums import OrderSide

from ._base import _side
from .private import _time_ms_set

__all__ = ["Strategy", "StrategyStatus", "StrategyTerminateType", "StrategyType"]


class StrategyType(OpenEnum):
    """Kind of algo order."""

    TWAP = "twap"
    CHASE_ORDER = "chaseOrder"
    ICEBERG = "iceberg"
    POV = "pov"


class StrategyStatus(OpenIntEnum):
    """State of an algo order."""

    RUNNING = 2
    TERMINATED = 3
    TERMINATED_UNFILLED = 4
    PAUSED = 5
    NOT_YET_TRIGGERED = 6


class StrategyTerminateType(OpenIntEnum):
    """Why an algo order ended."""

    NOT_TERMINATED = 0
    USER_STOPPED = 1
    COMPLETED = 2
    INSUFFICIENT_BALANCE = 3


def _unset_decimal(value: Any, _type: Any = None) -> Decimal | None:
    """:func:`~bybit_ws._convert.decimal` of a field Bybit sends as ``""`` when unset (its own hook, so
    the typed path decodes it as any JSON value rather than failing on ``""``)."""
    return decimal(value)


@attrs.frozen(kw_only=True, weakref_slot=False)
class Strategy:
    """An algo order of the user's changed (topic ``strategy``). Durations and intervals are seconds."""

    strategy_id: str = wire("strategyId", text, optional=False)
    strategy_type: StrategyType | None = wire("strategyType", enum_of(StrategyType))
    category: str | None = wire("category", text)
    """The strategy service's category (``UTA_USDT``, ``UTA_SPOT``, ...), not a v5 category."""
    symbol: str = wire("symbol", text, optional=False)
    side: OrderSide | None = wire("side", _side)
    quantity: Decimal | None = wire("size", decimal)
    status: StrategyStatus | None = wire("status", enum_of(StrategyStatus))
    terminate_type: StrategyTerminateType | None = wire("terminateType", enum_of(StrategyTerminateType))
    terminate_remark: str | None = wire("terminateRemark", text)
    duration: int | None = wire("duration", integer)
    """Execution duration (TWAP), seconds."""
    executed_duration: int | None = wire("executedDuration", integer)
    executed_quantity: Decimal | None = wire("executedSize", decimal)
    executed_average_price: Decimal | None = wire("executedAvgPrice", decimal)
    start_time: datetime | None = wire("executedStartTimeE3", _time_ms_set)
    end_time: datetime | None = wire("executedEndTimeE3", _time_ms_set)
    """``None`` until it ends (sent as ``0``)."""
    create_time: datetime | None = wire("createdTimeE3", time_ms)
    update_time: datetime | None = wire("updatedTimeE3", time_ms)
    is_random: bool | None = wire("isRandom", boolean)
    """Randomised order quantities (TWAP)."""
    reduce_only: bool | None = wire("reduceOnly", boolean)
    post_only: bool | None = wire("postOnly", boolean)
    """Post-only child orders (iceberg; sent as ``0``/``1``)."""
    limit_price: Decimal | None = wire("limitPrice", _unset_decimal)
    trigger_price: Decimal | None = wire("triggerPrice", _unset_decimal)
    is_triggered: bool | None = wire("isTriggered", boolean)
    take_profit: Decimal | None = wire("strategyTp", _unset_decimal)
    stop_loss: Decimal | None = wire("strategySl", _unset_decimal)
    trigger_count: int | None = wire("triggerCount", integer)
    trading_count: int | None = wire("tradingCount", integer)
    """Child orders placed."""
    chase_distance: Decimal | None = wire("chaseDistance", decimal)
    chase_ratio: Decimal | None = wire("ChasePercentE4", scaled(4))
    """The chase percentage as a fraction, exactly (wire ``ChasePercentE4``: ``100`` -> ``0.01`` = 1 %)."""
    max_chase_price: Decimal | None = wire("maxChasePrice", decimal)
    chase_order_price: Decimal | None = wire("chaseOrderPrice", decimal)
    strategy_prefer: str | None = wire("strategyPrefer", text)
    """``limit``, ``priceSpeedBalance``, ``fastestExecution`` or ``quickExecution``."""
    interval: int | None = wire("interval", integer)
    """Seconds between child orders (TWAP)."""
    leverage_type: int | None = wire("leverageType", integer)
    """``0`` normal, ``1`` margin (spot)."""
    order_type: str | None = wire("orderType", text)
    """``1`` market, ``2`` limit in Bybit's table; its example sends ``UNKNOWN``: kept as sent."""
    order_price_offset: Decimal | None = wire("orderPriceOffset", _unset_decimal)
    """Limit price offset, percent."""
    position_value: Decimal | None = wire("positionValue", _unset_decimal)
    filled_position_value: Decimal | None = wire("filledPositionValue", _unset_decimal)


# Notebook display: every model above gets a _repr_html_ (a table of its fields).
from bybit_ws.models._display import add_html_reprs  # noqa: E402

add_html_reprs(globals())
