"""``client.v5``: the v5 stream group (every ``subscribe_to_*`` method, local order books) and, through
:class:`~bybit_ws.api._trade_methods.TradeMethods`, order entry.

A public connection carries at most 21,000 characters of args (option: and 2,000 topics): the client
spreads larger subscriptions over more connections, and refuses one that would need more connections
than Bybit allows an IP (1,000 per category, 500 new ones in 5 minutes) with a ``ValueError`` before
connecting. The wire side is :mod:`bybit_ws.dialects._v5`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from typing import Any

from bybit_ws.dialects._v5 import _DCP_PRODUCTS, _POOLS, _PRIVATE_CATEGORIES, CATEGORIES, V5Dialect
from bybit_ws.engine._subscriptions import Subscription
from bybit_ws.enums import KlineInterval
from bybit_ws.models.v5 import (
    AdlAlert,
    Balance,
    Greeks,
    InsurancePool,
    Kline,
    Liquidation,
    MinimalUserTrade,
    Order,
    OrderBookUpdate,
    Position,
    PriceLimit,
    RpiOrderBookUpdate,
    SystemStatus,
    Ticker,
    Trade,
    UserTrade,
)

from ._orderbook import OrderBook
from ._streams import Handler, StreamEngine, Streams, kline_interval, symbol_list
from ._trade_methods import TradeMethods
from ._v5_more import V5MoreStreams

__all__ = ["V5Streams"]


def _category(category: str) -> str:
    if category not in CATEGORIES:
        raise ValueError(f"category must be one of {', '.join(CATEGORIES)}, not {category!r}")
    return category


class V5Streams(V5MoreStreams, TradeMethods, Streams):
    """``client.v5``: the v5 streams, the API live Bybit serves today.

    Public calls take a ``category`` (``"linear"``, ``"inverse"``, ``"spot"`` or ``"option"``) and one
    symbol or many; v5 has no all-symbols wildcard. Spread calls (``subscribe_to_spread_*``) take
    combination symbols and no category. Private calls need API credentials. The streams of 2026 (the
    full-depth book, RFQ, Earn offers, algo orders) come from :class:`~bybit_ws.api._v5_more.V5MoreStreams`.
    """

    def __init__(self, engine: StreamEngine) -> None:
        super().__init__(engine, _dialect("private"))

    def _trade_submit(
        self, op: str, args: list[dict[str, Any]], *, blocking: bool = False
    ) -> Future[Mapping[str, Any]]:
        return self._engine.trade_submit(op, args, blocking=blocking)

    def connect_trade(self, timeout: float | None = None) -> None:
        """Open and authenticate the trade connection now, so that the first order does not pay for
        connect and auth. Blocks until it is ready (at once if it already is) or raises.

        Args:
            timeout: seconds; None allows ``connect_timeout + request_timeout``.

        Raises:
            AuthenticationError: no credentials, or Bybit rejected them.
            BybitConnectionError / BybitTimeoutError: not connected (and authenticated) in time.
            BybitWsError: ``demo=True`` (demo has no websocket Trade API). ClientClosedError: closed.
        """
        self._engine.connect_trade(timeout)

    def _trade_future(self) -> Future[Any]:
        return self._engine.trade_future()

    def _public(
        self,
        category: str,
        prefix: str,
        symbols: str | Iterable[str],
        handlers: Mapping[str, Handler[Any] | None],
    ) -> Subscription[Any]:
        return self._endpoint(_category(category), [f"{prefix}.{s}" for s in symbol_list(symbols)], handlers)

    def subscribe_to_trade_updates(
        self, category: str, symbols: str | Iterable[str], handler: Handler[list[Trade]] | None = None
    ) -> Subscription[list[Trade]]:
        """Public trades (``publicTrade.{symbol}``; for option the symbol is the base coin)."""
        return self._public(category, "publicTrade", symbols, {"data": handler})

    def subscribe_to_ticker_updates(
        self, category: str, symbols: str | Iterable[str], handler: Handler[Ticker] | None = None
    ) -> Subscription[Ticker]:
        """Tickers (``tickers.{symbol}``); each event is the full ticker, snapshot and deltas merged."""
        return self._public(category, "tickers", symbols, {"data": handler})

    def subscribe_to_order_book_updates(
        self,
        category: str,
        symbols: str | Iterable[str],
        depth: int,
        handler: Handler[OrderBookUpdate] | None = None,
        update_handler: Handler[OrderBookUpdate] | None = None,
        *,
        snapshot_handler: Handler[OrderBookUpdate] | None = None,
    ) -> Subscription[OrderBookUpdate]:
        """Order book (``orderbook.{depth}.{symbol}``): snapshots and deltas to the one ``handler`` (and to
        the iterator without one), told apart by ``event.update_type``.

        Depth 1, 50, 200 or 1000 for linear, inverse and spot; 25 or 100 for option; anything else raises
        ``ValueError`` before anything is sent. A delta with ``update_id == 1`` (a service restart) is a
        snapshot. The two-handler form of 0.1 still works: ``handler`` then gets the snapshots and
        ``update_handler`` the deltas (or by keyword, ``snapshot_handler=`` / ``update_handler=``).
        """
        depths = CATEGORIES[_category(category)]
        if depth not in depths or isinstance(depth, bool):
            raise ValueError(f"{category} order-book depth must be one of {depths}, not {depth!r}")
        return self._public(
            category, f"orderbook.{depth}", symbols, _book_handlers(handler, update_handler, snapshot_handler)
        )

    def subscribe_to_rpi_order_book_updates(
        self,
        category: str,
        symbols: str | Iterable[str],
        handler: Handler[RpiOrderBookUpdate] | None = None,
    ) -> Subscription[RpiOrderBookUpdate]:
        """RPI order book (``orderbook.rpi.{symbol}``, 50 levels, spot/linear/inverse): each level carries
        the non-RPI and the RPI size. Snapshots and deltas to the one ``handler`` (``event.update_type``)."""
        if _category(category) == "option":
            raise ValueError("the RPI order book is served for spot, linear and inverse, not option")
        return self._public(category, "orderbook.rpi", symbols, {"snapshot": handler, "delta": handler})

    def order_book(self, category: str, symbol: str, depth: int = 50, *, rpi: bool = False) -> OrderBook:
        """A started local :class:`~bybit_ws.OrderBook` for ``symbol`` (depth as for order-book updates).

        With ``rpi=True`` it follows the RPI book (``orderbook.rpi``, 50 levels, ``depth`` unused): each
        level's ``quantity`` is the non-RPI size and ``rpi_quantity`` the RPI size. It subscribes at once;
        call ``wait_synced(timeout)`` before reading it.
        """
        (symbol,) = symbol_list(symbol)
        if rpi:
            if _category(category) == "option":
                raise ValueError("the RPI order book is served for spot, linear and inverse, not option")
            return OrderBook(
                symbol,
                "v5.rpi",
                lambda snap, delta: self._public(
                    category, "orderbook.rpi", symbol, {"snapshot": snap, "delta": delta}
                ),
            )
        return OrderBook(
            symbol,
            "v5",
            lambda snap, delta: self.subscribe_to_order_book_updates(
                category, symbol, depth, snapshot_handler=snap, update_handler=delta
            ),
        )

    def subscribe_to_kline_updates(
        self,
        category: str,
        symbols: str | Iterable[str],
        interval: KlineInterval | str,
        handler: Handler[list[Kline]] | None = None,
    ) -> Subscription[list[Kline]]:
        """Candles (``kline.{interval}.{symbol}``)."""
        return self._public(category, f"kline.{kline_interval(interval)}", symbols, {"data": handler})

    def subscribe_to_liquidation_updates(
        self, category: str, symbols: str | Iterable[str], handler: Handler[list[Liquidation]] | None = None
    ) -> Subscription[list[Liquidation]]:
        """Liquidations (``allLiquidation.{symbol}``)."""
        return self._public(category, "allLiquidation", symbols, {"data": handler})

    def _private(self, topic: str, handler: Handler[Any] | None, category: str | None) -> Subscription[Any]:
        if category is not None:
            allowed = _PRIVATE_CATEGORIES.get(topic, ())
            if category not in allowed:
                raise ValueError(f"{topic} category must be one of {', '.join(allowed)}, not {category!r}")
            topic = f"{topic}.{category}"
        return self._subscribe("v5.private", [topic], {"data": handler}, private=True)

    def subscribe_to_order_updates(
        self, handler: Handler[list[Order]] | None = None, category: str | None = None
    ) -> Subscription[list[Order]]:
        """Your orders (``order`` or ``order.{category}``)."""
        return self._private("order", handler, category)

    def subscribe_to_position_updates(
        self, handler: Handler[list[Position]] | None = None, category: str | None = None
    ) -> Subscription[list[Position]]:
        """Your positions (``position`` or ``position.{category}``)."""
        return self._private("position", handler, category)

    def subscribe_to_minimal_user_trade_updates(
        self, handler: Handler[list[MinimalUserTrade]] | None = None, category: str | None = None
    ) -> Subscription[list[MinimalUserTrade]]:
        """Your fills, sooner and with fewer fields than user trades (``execution.fast`` or
        ``execution.fast.{category}``; ``execType=Trade`` only)."""
        return self._private("execution.fast", handler, category)

    def subscribe_to_greek_updates(
        self, handler: Handler[list[Greeks]] | None = None
    ) -> Subscription[list[Greeks]]:
        """Your option account's greeks per base coin (``greeks``)."""
        return self._private("greeks", handler, None)

    def subscribe_to_disconnect_cancel_all_updates(self, product: str) -> Subscription[None]:
        """Disconnect-cancel-all (``dcp.future``, ``dcp.spot`` or ``dcp.option``): a keep-alive topic with
        no data. While no private connection that subscribed it is alive for the account's ``timeWindow``
        (3-300 s, set over REST), Bybit cancels all the product's active orders. The client resubscribes
        it after every reconnect, as every topic; close the subscription to stop. Institutional accounts
        only (Bybit enables it)."""
        if product not in _DCP_PRODUCTS:
            raise ValueError(f"dcp product must be one of {', '.join(_DCP_PRODUCTS)}, not {product!r}")
        return self._private(f"dcp.{product}", _ignore, None)

    def subscribe_to_disconnect_cancel_all(self, product: str) -> Subscription[None]:
        """:meth:`subscribe_to_disconnect_cancel_all_updates` under its 0.1 name (kept, no warning)."""
        return self.subscribe_to_disconnect_cancel_all_updates(product)

    def subscribe_to_user_trade_updates(
        self, handler: Handler[list[UserTrade]] | None = None, category: str | None = None
    ) -> Subscription[list[UserTrade]]:
        """Your executions (``execution`` or ``execution.{category}``)."""
        return self._private("execution", handler, category)

    def subscribe_to_balance_updates(
        self, handler: Handler[list[Balance]] | None = None
    ) -> Subscription[list[Balance]]:
        """Your wallet (``wallet``)."""
        return self._private("wallet", handler, None)

    def subscribe_to_system_status_updates(
        self, handler: Handler[list[SystemStatus]] | None = None
    ) -> Subscription[list[SystemStatus]]:
        """Bybit's maintenance windows (``system.status``, on its endpoint, ``urls`` key ``v5.status``)."""
        return self._endpoint("status", ["system.status"], {"data": handler})

    def _endpoint(
        self, endpoint: str, topics: list[str], handlers: Mapping[str, Handler[Any] | None]
    ) -> Subscription[Any]:
        """Topics on endpoint ``v5.<endpoint>`` (a category, ``spread``, ``status``, ``rfq``, ``fp``)."""
        return self._subscribe(f"v5.{endpoint}", topics, handlers, dialect=_dialect(endpoint))

    def subscribe_to_insurance_pool_updates(
        self, coins: str | Iterable[str], handler: Handler[list[InsurancePool]] | None = None
    ) -> Subscription[list[InsurancePool]]:
        """Isolated insurance pools (``insurance.{USDT,USDC,inverse}``): ``"USDT"`` and ``"USDC"`` on the
        linear endpoint, ``"inverse"`` on the inverse one; nothing is sent while balances stay the same."""
        return self._pools("insurance", coins, handler)

    def subscribe_to_insurance_updates(
        self, coins: str | Iterable[str], handler: Handler[list[InsurancePool]] | None = None
    ) -> Subscription[list[InsurancePool]]:
        """:meth:`subscribe_to_insurance_pool_updates` under the name ``client.inverse`` uses (both work)."""
        return self.subscribe_to_insurance_pool_updates(coins, handler)

    def subscribe_to_price_limit_updates(
        self, category: str, symbols: str | Iterable[str], handler: Handler[PriceLimit] | None = None
    ) -> Subscription[PriceLimit]:
        """Order price limits (``priceLimit.{symbol}``; spot, linear, inverse)."""
        if _category(category) == "option":
            raise ValueError("price limits are served for spot, linear and inverse, not option")
        return self._public(category, "priceLimit", symbols, {"data": handler})

    def subscribe_to_adl_alert_updates(
        self, coins: str | Iterable[str], handler: Handler[list[AdlAlert]] | None = None
    ) -> Subscription[list[AdlAlert]]:
        """Auto-deleveraging alerts (``adlAlert.{USDT,USDC,inverse}``), endpoints as for insurance pools."""
        return self._pools("adlAlert", coins, handler)

    def _pools(
        self, prefix: str, coins: str | Iterable[str], handler: Handler[Any] | None
    ) -> Subscription[Any]:
        items = symbol_list(coins, "coin")
        categories = {_POOLS.get(coin) for coin in items}
        if None in categories:
            bad = [coin for coin in items if coin not in _POOLS]
            raise ValueError(f"{prefix} coins are {', '.join(_POOLS)}, not {', '.join(map(repr, bad))}")
        if len(categories) > 1:
            raise ValueError(
                f"{prefix}: USDT/USDC (linear) and inverse are on two endpoints: subscribe apart"
            )
        (category,) = categories
        assert category is not None
        return self._public(category, prefix, items, {"data": handler})


def _ignore(event: Any) -> None:
    """The handler of a topic that sends nothing."""


def _book_handlers(
    handler: Handler[Any] | None, update_handler: Handler[Any] | None, snapshot_handler: Handler[Any] | None
) -> dict[str, Handler[Any] | None]:
    """One handler for both kinds, unless the two-handler form names a second one."""
    if update_handler is None and snapshot_handler is None:
        return {"snapshot": handler, "delta": handler}
    if handler is not None and snapshot_handler is not None:
        raise TypeError("give the snapshot handler once: positionally or as snapshot_handler=")
    return {"snapshot": snapshot_handler or handler, "delta": update_handler}


_DIALECTS: dict[str, V5Dialect] = {}


def _dialect(endpoint: str) -> V5Dialect:
    dialect = _DIALECTS.get(endpoint)
    if dialect is None:
        dialect = _DIALECTS[endpoint] = V5Dialect(endpoint)
    return dialect
