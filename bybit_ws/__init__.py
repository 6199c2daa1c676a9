"""bybit_ws: a synchronous, threaded client for Bybit's websocket streams.

Subscribe with a handler (called on a worker thread with a typed ``DataEvent``: ``event.data`` is a
model or a list of models, prices are ``Decimal``), or without one and iterate:

>>> from bybit_ws import BybitSocketClient
>>> with BybitSocketClient() as client:                                   # doctest: +SKIP
...     sub = client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", print)
...     client.wait()                                                     # until Ctrl-C
>>> client = BybitSocketClient()                                          # doctest: +SKIP
>>> for event in client.v5.subscribe_to_ticker_updates("linear", "BTCUSDT"):  # doctest: +SKIP
...     print(event.data.last_price)

- ``client.v5`` (Bybit's live API), ``client.inverse`` (v2) and ``client.contract`` (v3) hold the
  ``subscribe_to_*`` methods; ``client.v5.order_book(...)`` keeps a local book in sync.
- Private streams and order entry (``client.v5.place_order``, ...) need ``api_key`` / ``api_secret``
  (or ``BYBIT_API_KEY`` / ``BYBIT_API_SECRET``).
- Errors are :class:`BybitWsError` subclasses; bad arguments raise ``TypeError`` / ``ValueError``
  before anything is sent.
- Offline: ``python -m bybit_ws demo``, and :class:`bybit_ws.testing.FakeBybit` (extra ``[testing]``),
  a fake exchange on 127.0.0.1 for your own tests. Recordings: :mod:`bybit_ws.recording`.

The guides (docs/guides/) cover each of these. For developers of the library: the package is in
layers, each folder importing only from those below it (setup.cfg's import-linter contracts hold that):
``api`` (the client, stream groups, order methods, order books) > ``engine`` (connections, supervisor,
frame path, requests, registry, worker pool, transport, connect) > ``dialects`` (Bybit's wire formats, no
I/O) > ``models`` / ``enums`` > ``protocol`` (the sans-I/O core: websocket frames, reply matching,
heartbeat deadlines, connection state). docs/guides/architecture.md traces one frame and one order
through them.
"""

from __future__ import annotations

from . import recording
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
from .api._client import MAINNET_URLS, TESTNET_URLS, BybitSocketClient
from .api._contract import ContractStreams
from .api._full_book import FullOrderBook, SnapshotProvider
from .api._inverse import InverseStreams
from .api._orderbook import OrderBook, OrderBookLevel, OrderBookStatus, OrderBookView
from .api._streams import Handler
from .api._v5 import V5Streams
from .engine._config import Backoff
from .engine._framepath import FrameRecorder
from .engine._subscriptions import Subscription, SubscriptionStats
from .enums import (
    BboSideType,
    KlineInterval,
    LiquidityType,
    OrderFilter,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionMode,
    PositionSide,
    PositionStatus,
    StopLossTakeProfitMode,
    StopOrderStatus,
    StopOrderType,
    TickDirection,
    TimeInForce,
    TradeMode,
    TradeType,
    TriggerDirection,
    TriggerType,
    UpdateType,
)
from .models._common import DataEvent, DeltaUpdate
from .models.trade import (
    AmendOrderRequest,
    BatchOrderResult,
    CancelOrderRequest,
    OrderAck,
    OrderRequest,
    RateLimitStatus,
)
from .models.v5 import MarketUnit, SelfMatchPreventionType, SlippageToleranceType

__version__ = "0.1.0"

__all__ = [
    "MAINNET_URLS",
    "TESTNET_URLS",
    "AmendOrderRequest",
    "AuthenticationError",
    "Backoff",
    "BatchOrderResult",
    "BboSideType",
    "BybitConnectionError",
    "BybitSocketClient",
    "BybitTimeoutError",
    "BybitWsError",
    "CancelOrderRequest",
    "ClientClosedError",
    "ContractStreams",
    "DataEvent",
    "DeltaUpdate",
    "FrameError",
    "FrameRecorder",
    "FullOrderBook",
    "Handler",
    "InverseStreams",
    "KlineInterval",
    "LiquidityType",
    "MarketUnit",
    "OrderAck",
    "OrderBook",
    "OrderBookLevel",
    "OrderBookStatus",
    "OrderBookView",
    "OrderFilter",
    "OrderOutcomeUnknownError",
    "OrderRejectedError",
    "OrderRequest",
    "OrderSide",
    "OrderStatus",
    "OrderType",
    "PositionMode",
    "PositionSide",
    "PositionStatus",
    "RateLimitStatus",
    "SelfMatchPreventionType",
    "SlippageToleranceType",
    "SnapshotProvider",
    "StopLossTakeProfitMode",
    "StopOrderStatus",
    "StopOrderType",
    "Subscription",
    "SubscriptionError",
    "SubscriptionStats",
    "TickDirection",
    "TimeInForce",
    "TradeMode",
    "TradeRetCode",
    "TradeType",
    "TriggerDirection",
    "TriggerType",
    "UpdateType",
    "V5Streams",
    "__version__",
    "recording",
    "to_builtins",
    "to_dataframe",
]
