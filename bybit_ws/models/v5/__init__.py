"""Models of the v5 streams (public linear/inverse/spot/option/spread, and private).

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

from ._base import (
    AccountType,
    AuctionPhase,
    CancelType,
    Category,
    CreateType,
    MarketUnit,
    OcoTriggerType,
    SelfMatchPreventionType,
    SlippageToleranceType,
)
from .earn import DualAssetOffer, DualAssetQuote
from .market import (
    Kline,
    Liquidation,
    OrderBookEntry,
    OrderBookUpdate,
    RpiOrderBookEntry,
    RpiOrderBookUpdate,
    Ticker,
    Trade,
    parse_order_book,
    parse_rpi_order_book,
)
from .market import (
    book_levels as book_levels,
)
from .market import (
    build_order_book as build_order_book,
)
from .private import AssetBalance, Balance, ExtraFee, Order, Position, UserTrade
from .rfq import RfqInquiry, RfqLeg, RfqPublicTrade, RfqQuote, RfqStatus, RfqTrade
from .spread import SpreadCategory, SpreadOrder, SpreadUserTrade
from .strategy import Strategy, StrategyStatus, StrategyTerminateType, StrategyType
from .streams import (
    AdlAlert,
    Greeks,
    InsurancePool,
    MaintenanceEnvironment,
    MaintenanceProduct,
    MaintenanceService,
    MaintenanceState,
    MaintenanceType,
    MinimalUserTrade,
    PriceLimit,
    SystemStatus,
)

__all__ = [
    "AccountType",
    "AdlAlert",
    "AssetBalance",
    "AuctionPhase",
    "Balance",
    "CancelType",
    "Category",
    "CreateType",
    "DualAssetOffer",
    "DualAssetQuote",
    "ExtraFee",
    "Greeks",
    "InsurancePool",
    "Kline",
    "Liquidation",
    "MaintenanceEnvironment",
    "MaintenanceProduct",
    "MaintenanceService",
    "MaintenanceState",
    "MaintenanceType",
    "MarketUnit",
    "MinimalUserTrade",
    "OcoTriggerType",
    "Order",
    "OrderBookEntry",
    "OrderBookUpdate",
    "Position",
    "PriceLimit",
    "RfqInquiry",
    "RfqLeg",
    "RfqPublicTrade",
    "RfqQuote",
    "RfqStatus",
    "RfqTrade",
    "RpiOrderBookEntry",
    "RpiOrderBookUpdate",
    "SelfMatchPreventionType",
    "SlippageToleranceType",
    "SpreadCategory",
    "SpreadOrder",
    "SpreadUserTrade",
    "Strategy",
    "StrategyStatus",
    "StrategyTerminateType",
    "StrategyType",
    "SystemStatus",
    "Ticker",
    "Trade",
    "UserTrade",
    "parse_order_book",
    "parse_rpi_order_book",
]
