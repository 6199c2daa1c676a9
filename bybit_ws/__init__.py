"""bybit_ws: a synchronous, threaded client for Bybit's websocket streams.

>>> from bybit_ws import BybitSocketClient
>>> with BybitSocketClient() as client:                                   # doctest: +SKIP
...     sub = client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", print)
...     client.wait()
"""

from __future__ import annotations

from . import recording
from ._client import MAINNET_URLS, TESTNET_URLS, BybitSocketClient
from ._config import Backoff
from ._errors import (
    AuthenticationError,
    BybitConnectionError,
    BybitTimeoutError,
    BybitWsError,
    ClientClosedError,
    FrameError,
    OrderOutcomeUnknownError,
    OrderRejectedError,
    SubscriptionError,
    TradeRetCode,
)
from ._export import to_builtins, to_dataframe
from ._orderbook import OrderBook, OrderBookLevel, OrderBookStatus, OrderBookView
from ._subscriptions import Subscription, SubscriptionStats
from .enums import KlineInterval, UpdateType
from .models._common import DataEvent, DeltaUpdate
from .models.trade import (
    AmendOrderRequest,
    BatchOrderResult,
    CancelOrderRequest,
    OrderAck,
    OrderRequest,
    RateLimitStatus,
)

__version__ = "0.1.0"

__all__ = [
    "MAINNET_URLS",
    "TESTNET_URLS",
    "AmendOrderRequest",
    "AuthenticationError",
    "Backoff",
    "BatchOrderResult",
    "BybitConnectionError",
    "BybitSocketClient",
    "BybitTimeoutError",
    "BybitWsError",
    "CancelOrderRequest",
    "ClientClosedError",
    "DataEvent",
    "DeltaUpdate",
    "FrameError",
    "KlineInterval",
    "OrderAck",
    "OrderBook",
    "OrderBookLevel",
    "OrderBookStatus",
    "OrderBookView",
    "OrderOutcomeUnknownError",
    "OrderRejectedError",
    "OrderRequest",
    "RateLimitStatus",
    "Subscription",
    "SubscriptionError",
    "SubscriptionStats",
    "UpdateType",
    "TradeRetCode",
    "__version__",
    "recording",
    "to_builtins",
    "to_dataframe",
]
