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

README.md covers each of these. The rest of this docstring is for developers of the library.

How it is built (each layer imports only from the layers below it; setup.cfg's import-linter contract
holds that):

- ``_client``: :class:`BybitSocketClient`, options and lifecycle; ``_v5`` / ``_inverse`` / ``_contract``:
  the three dialects (topics, parsers) and their stream groups, which reach the engine only through
  ``_streams.StreamEngine``; ``_trade_methods``: order entry on ``client.v5``.
- ``_engine``: a client's connections by endpoint, its worker pool, the one subscribe path.
- ``_stream_connection`` and ``_trade_connection``: the two kinds of connection, assembled from the parts
  below: ``_supervisor`` (connect, backoff, heartbeat, stale watchdog, restore, give up),
  ``_framepath`` (decode, parse, route to mailboxes), ``_auth`` and ``_requests`` (requests, reply
  matching, timeouts), ``_registry`` (topics and subscriptions, the routes the reader uses).
- ``_subscriptions`` (the handle users hold, and ``SubscriptionSink``, the engine's side of it),
  ``_dispatch`` (worker pool, per-subscription mailboxes), ``_transport`` (socket and reader thread;
  knows nothing of Bybit), ``_connect`` (DNS, TCP, proxy, TLS and handshake under one deadline),
  ``_dialect``, ``models``, ``_convert``; at the bottom ``protocol``, the sans-I/O core (websocket
  framing and close handshake in ``protocol.frames``; no sockets, no threads).
- Pure helpers below the dialect interface: ``_clock`` (Bybit's time from pongs and ``Timenow``, for
  ``expires`` and ``X-BAPI-TIMESTAMP``), ``_signing`` (HMAC or RSA auth signatures), ``_pacing`` (order
  pacing; its thread ``bybit-ws-order-pacer`` sends what waited for room).

Threads: one supervisor (``bybit-ws-supervisor-N``) and one reader (``bybit-ws-reader-N``) per connection,
``workers`` callback threads (``bybit-ws-worker_N``) per client.

One frame: reader thread -> ``_transport`` reads, ``protocol.frames`` parses and reassembles it ->
``_framepath.FramePath.on_frame`` decodes it (typed msgspec path, else dicts) -> ``_registry`` route gives
the dialect's parser and the subscriptions' sinks -> a ``DataEvent`` into each ``_dispatch.Mailbox`` ->
a worker calls the handler.
A control frame instead goes to ``_requests.RequestTracker.match`` (a reply) or the supervisor (a
pong).

One request: ``client.v5.place_order`` -> ``_trade_methods`` checks and builds ``args`` ->
``_engine.trade_submit`` (through ``_pacing`` with ``order_rate_limit``) -> ``_trade_connection`` waits
for a ready, authenticated socket -> ``_requests.RequestTracker.send`` registers and sends it -> the reader
matches the reply by ``reqId`` -> the future resolves (or fails: timeout, outcome unknown; never resent).
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
