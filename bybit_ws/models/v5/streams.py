"""The v5 streams beyond trading data: fast executions, option greeks, system status, insurance pools,
price limits and ADL alerts (V5_MORE.md §5.2-§5.10)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from bybit_ws._convert import OpenEnum, OpenIntEnum, boolean, decimal, enum_of, integer, text, time_ms, wire
from bybit_ws.enums import OrderSide

from ._base import Category, _category, _side, tuple_of

__all__ = [
    "AdlAlert",
    "Greeks",
    "InsurancePool",
    "MaintenanceEnvironment",
    "MaintenanceProduct",
    "MaintenanceService",
    "MaintenanceState",
    "MaintenanceType",
    "MinimalUserTrade",
    "PriceLimit",
    "SystemStatus",
]


# --------------------------------------------------------------------------------------------- private
@attrs.frozen(kw_only=True, weakref_slot=False)
class MinimalUserTrade:
    """A fill of the user's order, sent sooner than :class:`UserTrade` with fewer fields (topic
    ``execution.fast`` / ``execution.fast.{category}``; only ``execType=Trade`` fills).

    ``client_order_id`` is ``""`` for maker fills (option: maker ``""``, taker the link id).
    """

    symbol: str = wire("symbol", text, optional=False)
    order_id: str = wire("orderId", text, optional=False)
    trade_id: str = wire("execId", text, optional=False)
    category: Category | None = wire("category", _category)
    client_order_id: str | None = wire("orderLinkId", text)
    side: OrderSide | None = wire("side", _side)
    price: Decimal | None = wire("execPrice", decimal)
    quantity: Decimal | None = wire("execQty", decimal)
    is_maker: bool | None = wire("isMaker", boolean)
    timestamp: datetime | None = wire("execTime", time_ms)
    sequence: int | None = wire("seq", integer)


@attrs.frozen(kw_only=True, weakref_slot=False)
class Greeks:
    """The option greeks of the account for one base coin (topic ``greeks``)."""

    base_asset: str = wire("baseCoin", text, optional=False)
    total_delta: Decimal | None = wire("totalDelta", decimal)
    total_gamma: Decimal | None = wire("totalGamma", decimal)
    total_vega: Decimal | None = wire("totalVega", decimal)
    total_theta: Decimal | None = wire("totalTheta", decimal)


# --------------------------------------------------------------------------------------------- status
class MaintenanceState(OpenEnum):
    """State of a maintenance window."""

    SCHEDULED = "scheduled"
    ONGOING = "ongoing"
    COMPLETED = "completed"
    CANCELED = "canceled"


class MaintenanceService(OpenIntEnum):
    """A service a maintenance window affects."""

    TRADING = 1
    HTTP_TRADING = 2
    WEBSOCKET_TRADING = 3
    PRIVATE_WEBSOCKET = 4
    MARKET_DATA = 5


class MaintenanceProduct(OpenIntEnum):
    """A product a maintenance window affects."""

    FUTURES = 1
    SPOT = 2
    OPTION = 3
    SPREAD = 4


class MaintenanceType(OpenIntEnum):
    """Why there is a maintenance window."""

    PLANNED = 1
    TEMPORARY = 2
    INCIDENT = 3


class MaintenanceEnvironment(OpenIntEnum):
    """Which environment a maintenance window is in."""

    PRODUCTION = 1
    PRODUCTION_DEMO = 2


def _int_enums(cls: type[OpenIntEnum]) -> Any:
    """A hook making a list of ints (or numeric strings) a tuple of ``cls`` members; unset is ``()``."""
    return tuple_of(enum_of(cls), cls.__name__)


def _ints(value: Any, _type: Any = None) -> tuple[int, ...]:
    if not value:
        return ()
    if not isinstance(value, list):
        raise ValueError(f"not a list: {value!r}")
    return tuple([int(item) for item in value])


@attrs.frozen(kw_only=True, weakref_slot=False)
class SystemStatus:
    """A maintenance window of the exchange (topic ``system.status`` on ``/v5/public/misc/status``).

    Interruptions shorter than about 10 s are not announced.
    """

    id: str = wire("id", text, optional=False)
    title: str | None = wire("title", text)
    state: MaintenanceState | None = wire("state", enum_of(MaintenanceState))
    begin_time: datetime | None = wire("begin", time_ms)
    end_time: datetime | None = wire("end", time_ms)
    link: str | None = wire("href", text)
    """The announcement's URL (``""`` when there is none)."""
    services: tuple[MaintenanceService, ...] = wire(
        "serviceTypes", _int_enums(MaintenanceService), optional=False
    )
    products: tuple[MaintenanceProduct, ...] = wire("product", _int_enums(MaintenanceProduct), optional=False)
    uid_suffixes: tuple[int, ...] = wire("uidSuffix", _ints, optional=False)
    """The last digits of the affected user ids (empty: everyone)."""
    maintenance_type: MaintenanceType | None = wire("maintainType", enum_of(MaintenanceType))
    environment: MaintenanceEnvironment | None = wire("env", enum_of(MaintenanceEnvironment))


# --------------------------------------------------------------------------------------------- public
@attrs.frozen(kw_only=True, weakref_slot=False)
class InsurancePool:
    """An isolated insurance pool's balance changed (topic ``insurance.{USDT,USDC,inverse}``).

    Nothing is sent while balances stay the same.
    """

    asset: str = wire("coin", text, optional=False)
    symbols: str | None = wire("symbols", text)
    """The symbol(s) the pool covers, as sent."""
    balance: Decimal | None = wire("balance", decimal)
    update_time: datetime | None = wire("updateTime", time_ms)


@attrs.frozen(kw_only=True, weakref_slot=False)
class PriceLimit:
    """The order price limits of a symbol (topic ``priceLimit.{symbol}``)."""

    symbol: str = wire("symbol", text, optional=False)
    buy_limit: Decimal | None = wire("buyLmt", decimal)
    """The highest price a buy order may have."""
    sell_limit: Decimal | None = wire("sellLmt", decimal)
    """The lowest price a sell order may have."""


@attrs.frozen(kw_only=True, weakref_slot=False)
class AdlAlert:
    """Auto-deleveraging state of a symbol's insurance pool (topic ``adlAlert.{USDT,USDC,inverse}``).

    Ratios are plain fractions (``-0.25`` is -25 %).
    """

    asset: str = wire("c", text, optional=False)
    symbol: str = wire("s", text, optional=False)
    balance: Decimal | None = wire("b", decimal)
    """Pool balance (shared pools are refreshed once a day, 00:00 UTC)."""
    max_balance: Decimal | None = wire("mb", decimal)
    """Deprecated by Bybit (sent as ``""``)."""
    trigger_pnl_ratio: Decimal | None = wire("i_pr", decimal)
    """The PnL-drawdown ratio that triggers ADL."""
    pnl_ratio: Decimal | None = wire("pr", decimal)
    """The symbol's PnL drawdown ratio over the last 8 h."""
    balance_threshold: Decimal | None = wire("adl_tt", decimal)
    """Pool balance above which drawdown ADL applies."""
    stop_ratio: Decimal | None = wire("adl_sr", decimal)
    """The ratio at which ADL stops."""


# Notebook display: every model above gets a _repr_html_ (a table of its fields).
from bybit_ws.models._display import add_html_reprs  # noqa: E402

add_html_reprs(globals())
