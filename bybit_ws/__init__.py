"""bybit_ws: a synchronous, threaded client for Bybit's websocket streams.

>>> from bybit_ws import BybitSocketClient
>>> with BybitSocketClient() as client:                                   # doctest: +SKIP
...     sub = client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", print)
...     client.wait()

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
