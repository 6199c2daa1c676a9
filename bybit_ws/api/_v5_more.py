"""``client.v5``'s spread-combination streams (``/v5/public/spread``) and its streams of 2026 (issue 25,
V5_2026.md §4): the full-depth order book from a REST snapshot, RFQ block trades, Advanced-Earn Dual
Assets offers and algo-order (``strategy``) updates.

A mixin of :class:`~bybit_ws.api._v5.V5Streams`, which supplies the four ways to subscribe it uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, overload

from bybit_ws._errors import deprecated
from bybit_ws.engine._subscriptions import Subscription
from bybit_ws.models.v5 import (
    DualAssetOffer,
    OrderBookUpdate,
    RfqInquiry,
    RfqPublicTrade,
    RfqQuote,
    RfqTrade,
    SpreadOrder,
    SpreadUserTrade,
    Strategy,
    Ticker,
    Trade,
)

from ._full_book import FullOrderBook, SnapshotProvider
from ._streams import Handler, symbol_list

__all__ = ["FULL_BOOK_CATEGORIES", "V5MoreStreams"]

#: Where ``orderbook.full`` is served: spot today; linear and inverse as Bybit rolls it out (V5_2026 §4.1).
FULL_BOOK_CATEGORIES = ("spot", "linear", "inverse")
#: The one order-book depth of spread combinations.
_SPREAD_DEPTHS = (25,)


def _full_book_category(category: str) -> str:
    if category not in FULL_BOOK_CATEGORIES:
        raise ValueError(
            f"the full order book is served for {', '.join(FULL_BOOK_CATEGORIES)}, not {category!r}"
        )
    return category


class V5MoreStreams:
    """The spread combinations' and the issue-25 subscribe calls of ``client.v5``."""

    def _public(
        self,
        category: str,
        prefix: str,
        symbols: str | Iterable[str],
        handlers: Mapping[str, Handler[Any] | None],
    ) -> Subscription[Any]:
        raise NotImplementedError  # V5Streams

    def _private(self, topic: str, handler: Handler[Any] | None, category: str | None) -> Subscription[Any]:
        raise NotImplementedError  # V5Streams

    def _endpoint(
        self, endpoint: str, topics: list[str], handlers: Mapping[str, Handler[Any] | None]
    ) -> Subscription[Any]:
        raise NotImplementedError  # V5Streams

    def _spread(
        self, prefix: str, symbols: str | Iterable[str], handlers: Mapping[str, Handler[Any] | None]
    ) -> Subscription[Any]:
        return self._endpoint("spread", [f"{prefix}.{s}" for s in symbol_list(symbols)], handlers)

    # ------------------------------------------------------------------------- spread combinations
    @overload
    def subscribe_to_spread_order_book_updates(
        self,
        symbols: str | Iterable[str],
        depth: int = 25,
        handler: Handler[OrderBookUpdate] | None = None,
    ) -> Subscription[OrderBookUpdate]: ...

    @overload
    def subscribe_to_spread_order_book_updates(
        self, symbols: str | Iterable[str], depth: Handler[OrderBookUpdate]
    ) -> Subscription[OrderBookUpdate]: ...  # 0.1: (symbols, handler), deprecated

    def subscribe_to_spread_order_book_updates(
        self,
        symbols: str | Iterable[str],
        depth: int | Handler[OrderBookUpdate] = 25,
        handler: Handler[OrderBookUpdate] | None = None,
    ) -> Subscription[OrderBookUpdate]:
        """Spread order book (``orderbook.25.{combination}``, on ``/v5/public/spread``, ``urls`` key
        ``v5.spread``), for combination symbols such as ``"SOLUSDT_SOL/USDT"``: snapshots and deltas to
        the one ``handler``, told apart by ``event.update_type``. Bybit serves depth 25 only (the
        default); any other ``depth`` raises ``ValueError`` before anything is sent.

        The 0.1 form ``(symbols, handler)`` still works and warns (``DeprecationWarning``)."""
        if callable(depth):
            deprecated(
                "subscribe_to_spread_order_book_updates(symbols, handler)",
                "subscribe_to_spread_order_book_updates(symbols, depth, handler)",
            )
            if handler is not None:
                raise TypeError("give the spread order book handler once")
            handler = depth
            depth = 25
        if depth not in _SPREAD_DEPTHS or isinstance(depth, bool):
            raise ValueError(f"spread order-book depth must be one of {_SPREAD_DEPTHS}, not {depth!r}")
        return self._spread(f"orderbook.{depth}", symbols, {"snapshot": handler, "delta": handler})

    def subscribe_to_spread_trade_updates(
        self, symbols: str | Iterable[str], handler: Handler[list[Trade]] | None = None
    ) -> Subscription[list[Trade]]:
        """Public trades of spread combinations (``publicTrade.{combination}``, on ``v5.spread``)."""
        return self._spread("publicTrade", symbols, {"data": handler})

    def subscribe_to_spread_ticker_updates(
        self, symbols: str | Iterable[str], handler: Handler[Ticker] | None = None
    ) -> Subscription[Ticker]:
        """Tickers of spread combinations (``tickers.{combination}``, on ``v5.spread``; snapshots): best
        bid and ask, last price, 24 h high, low, previous price and volume; other fields stay ``None``."""
        return self._spread("tickers", symbols, {"data": handler})

    def subscribe_to_spread_order_updates(
        self, handler: Handler[list[SpreadOrder]] | None = None
    ) -> Subscription[list[SpreadOrder]]:
        """Your spread orders and their legs (``spread.order``, on the private endpoint)."""
        return self._private("spread.order", handler, None)

    def subscribe_to_spread_user_trade_updates(
        self, handler: Handler[list[SpreadUserTrade]] | None = None
    ) -> Subscription[list[SpreadUserTrade]]:
        """Your spread fills, combinations and legs (``spread.execution``, on the private endpoint)."""
        return self._private("spread.execution", handler, None)

    # ------------------------------------------------------------------------- full-depth book
    def subscribe_to_full_order_book_updates(
        self, category: str, symbols: str | Iterable[str], handler: Handler[OrderBookUpdate] | None = None
    ) -> Subscription[OrderBookUpdate]:
        """Full-depth order book deltas (``orderbook.full.{symbol}``; spot, later linear and inverse),
        every 200 ms, RPI orders excluded. Bybit never sends a snapshot: every event is a delta
        (``event.update_type`` DELTA); ``update_id`` goes up by one per message, and ``1`` means Bybit
        restarted the sequence (re-sync from REST). For a local book use :meth:`full_order_book`.
        Option raises ``ValueError`` before anything is sent."""
        category = _full_book_category(category)
        return self._public(category, "orderbook.full", symbols, {"delta": handler})

    def full_order_book(self, category: str, symbol: str, snapshot: SnapshotProvider) -> FullOrderBook:
        """A started local full-depth :class:`~bybit_ws.OrderBook` for ``symbol``, from ``snapshot``.

        ``snapshot()`` returns Bybit's REST full-depth book of ``symbol`` (``GET
        /v5/market/full_orderbook?category=...&symbol=...``): the ``result`` object ``{"s", "b", "a",
        "u", "seq", "ts", "cts"}`` or the whole reply ``{"retCode": 0, "result": {...}}``, from any
        HTTP client, e.g.::

            def snapshot():
                url = "https://api.bybit.com/v5/market/full_orderbook"
                params = {"category": "spot", "symbol": "BTCUSDT"}
                return requests.get(url, params=params, timeout=5).json()

        The book calls it on the worker pool (its own updates wait meanwhile, readers do not) when the
        first delta comes, after a gap or a reconnect, and whenever Bybit restarts the sequence; mind
        Bybit's REST limit (600 requests per 5 s per IP). If it raises, the book stays ``SYNCING`` and
        the next delta tries again. Call ``wait_synced(timeout)`` before reading.
        """
        category = _full_book_category(category)
        (symbol,) = symbol_list(symbol)
        return FullOrderBook(
            symbol,
            snapshot,
            lambda snap, delta: self._public(category, "orderbook.full", symbol, {"delta": delta}),
        )

    # ------------------------------------------------------------------------- RFQ
    def subscribe_to_rfq_trade_updates(
        self, handler: Handler[list[RfqPublicTrade]] | None = None
    ) -> Subscription[list[RfqPublicTrade]]:
        """Every block trade on Bybit's RFQ desk, all legs in one (``rfq.open.public.trades``, on
        ``/v5/public/rfq``, ``urls`` key ``v5.rfq``)."""
        return self._endpoint("rfq", ["rfq.open.public.trades"], {"data": handler})

    def subscribe_to_rfq_inquiry_updates(
        self, handler: Handler[list[RfqInquiry]] | None = None
    ) -> Subscription[list[RfqInquiry]]:
        """Inquiries you sent or received (``rfq.open.rfqs``, on the private endpoint)."""
        return self._private("rfq.open.rfqs", handler, None)

    def subscribe_to_rfq_quote_updates(
        self, handler: Handler[list[RfqQuote]] | None = None
    ) -> Subscription[list[RfqQuote]]:
        """Quotes you sent or received (``rfq.open.quotes``, on the private endpoint)."""
        return self._private("rfq.open.quotes", handler, None)

    def subscribe_to_rfq_user_trade_updates(
        self, handler: Handler[list[RfqTrade]] | None = None
    ) -> Subscription[list[RfqTrade]]:
        """Your block trades, leg by leg with ids and fees (``rfq.open.trades``, on the private endpoint)."""
        return self._private("rfq.open.trades", handler, None)

    # ------------------------------------------------------------------------- Earn, strategies
    def subscribe_to_dual_asset_offer_updates(
        self, handler: Handler[list[DualAssetOffer]] | None = None
    ) -> Subscription[list[DualAssetOffer]]:
        """Advanced-Earn Dual Assets quotes, a full snapshot of every online product each time
        (``earn.dualassets.offers``, on ``/v5/public/fp``, ``urls`` key ``v5.fp``). Bybit advises
        reading REST's product quotes first and falling back to REST while disconnected."""
        return self._endpoint("fp", ["earn.dualassets.offers"], {"data": handler})

    def subscribe_to_strategy_updates(
        self, handler: Handler[list[Strategy]] | None = None
    ) -> Subscription[list[Strategy]]:
        """Your algo orders: TWAP, iceberg, chase and POV (``strategy``, on the private endpoint; not on
        demo)."""
        return self._private("strategy", handler, None)
