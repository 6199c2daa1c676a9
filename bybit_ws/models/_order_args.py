"""The argument converters of the order-entry request models (:mod:`bybit_ws.models.trade`): each checks
one argument's type and value and normalises it, so a bad request raises before anything is sent."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

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

#: Longest ``orderLinkId`` (client order id) Bybit accepts.
MAX_CLIENT_ORDER_ID = 36


def decimal(value: Decimal | int | str) -> Decimal:
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


def positive(value: Decimal | int | str) -> Decimal:
    number = decimal(value)
    if number <= 0:
        raise ValueError(f"quantity must be positive, not {value!r}")
    return number


def opt_decimal(value: Decimal | int | str | None) -> Decimal | None:
    return None if value is None else decimal(value)


def opt_positive(value: Decimal | int | str | None) -> Decimal | None:
    return None if value is None else positive(value)


def side(value: OrderSide | str) -> OrderSide:
    side = OrderSide(value)
    if side not in (OrderSide.BUY, OrderSide.SELL):
        raise ValueError(f"side must be Buy or Sell, not {value!r}")
    return side


def order_type(value: OrderType | str) -> OrderType:
    order_type = OrderType(value)
    if order_type not in (OrderType.MARKET, OrderType.LIMIT):
        raise ValueError(f"order type must be Market or Limit, not {value!r}")
    return order_type


def opt_order_type(value: OrderType | str | None) -> OrderType | None:
    return None if value is None else order_type(value)


# v5 spells time in force GTC/IOC/FOK; the enum also holds the v2 spellings of the same thing.
_V5_TIME_IN_FORCE = {
    TimeInForce.GOOD_TILL_CANCELED: TimeInForce.GTC,
    TimeInForce.IMMEDIATE_OR_CANCEL: TimeInForce.IOC,
    TimeInForce.FILL_OR_KILL: TimeInForce.FOK,
}


def time_in_force(value: TimeInForce | str | None) -> TimeInForce | None:
    if value is None:
        return None
    member = TimeInForce(value)
    return _V5_TIME_IN_FORCE.get(member, member)


def trigger_type(value: TriggerType | str | None) -> TriggerType | None:
    return None if value is None else TriggerType(value)


def trigger_direction(value: TriggerDirection | int | None) -> TriggerDirection | None:
    int_not_bool(value, "trigger_direction")
    if value is None:
        return None
    direction = TriggerDirection(value)
    if direction not in (TriggerDirection.RISE, TriggerDirection.FALL):
        raise ValueError(f"trigger direction must be 1 (rise) or 2 (fall), not {value!r}")
    return direction


def position_idx(value: PositionMode | int | None) -> PositionMode | None:
    int_not_bool(value, "position_idx")
    if value is None:
        return None
    mode = PositionMode(value)
    if mode not in (PositionMode.ONE_WAY, PositionMode.BOTH_SIDE_BUY, PositionMode.BOTH_SIDE_SELL):
        raise ValueError(f"position_idx must be 0, 1 or 2, not {value!r}")
    return mode


def order_filter(value: OrderFilter | str | None) -> OrderFilter | None:
    return None if value is None else OrderFilter(value)


def tpsl_mode(value: StopLossTakeProfitMode | str | None) -> StopLossTakeProfitMode | None:
    return None if value is None else StopLossTakeProfitMode(value)


def smp_type(value: SelfMatchPreventionType | str | None) -> SelfMatchPreventionType | None:
    return None if value is None else SelfMatchPreventionType(value)


def market_unit(value: MarketUnit | str | None) -> MarketUnit | None:
    return None if value is None else MarketUnit(value)


def slippage_type(value: SlippageToleranceType | str | None) -> SlippageToleranceType | None:
    return None if value is None else SlippageToleranceType(value)


def bbo_side(value: BboSideType | str | None) -> BboSideType | None:
    return None if value is None else BboSideType(value)


def int_not_bool(value: Any, name: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}: {value!r}")


def bbo_level(value: int | None) -> int | None:
    int_not_bool(value, "bbo_level")
    if value is not None and value not in range(1, 6):
        raise ValueError(f"bbo_level must be 1 to 5, not {value!r}")
    return value


def symbol(value: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"symbol must be a str, not {type(value).__name__}: {value!r}")
    if not value:
        raise ValueError("symbol is required")
    return value


CLIENT_ORDER_ID_PATTERN = re.compile(f"[A-Za-z0-9_-]{{1,{MAX_CLIENT_ORDER_ID}}}")


def client_order_id(value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"client_order_id must be a str, not {type(value).__name__}: {value!r}")
    if not CLIENT_ORDER_ID_PATTERN.fullmatch(value):
        raise ValueError(
            f"client_order_id must be 1 to {MAX_CLIENT_ORDER_ID} ASCII letters, digits, '-' or '_'"
            f" (what Bybit accepts in an orderLinkId), not {value!r}"
        )
    return value


def order_id(value: str | None) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"order_id must be a str, not {type(value).__name__}: {value!r}")
    return value or None


def extra(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if value is not None and not isinstance(value, Mapping):
        raise TypeError(f"extra must be a mapping of wire names to values, not {type(value).__name__}")
    fields = dict(value or {})
    for key in fields:
        if not isinstance(key, str):
            raise TypeError(f"extra's keys must be wire names (str), not {key!r}")
    return fields


def optional_bool(value: bool | None) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"expected True, False or None, not {type(value).__name__}: {value!r}")
    return value
