"""``client.inverse``: the Inverse Perpetual v2 stream group (Bybit.Net's ``InversePerpetualStreams``).

Plural methods subscribe to every symbol (``topic.*``), singular ones to the symbols given; a mixed-up
call raises ``TypeError`` before anything is sent. The wire side is :mod:`bybit_ws.dialects._inverse`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bybit_ws.dialects._inverse import _ORDER_BOOK_TOPICS
from bybit_ws.engine._subscriptions import Subscription
from bybit_ws.enums import KlineInterval
from bybit_ws.models._common import DeltaUpdate
from bybit_ws.models.inverse import (
    BalanceUpdate,
    InsuranceUpdate,
    KlineUpdate,
    LiquidationUpdate,
    OrderBookEntry,
    OrderUpdate,
    PositionUpdate,
    StopOrderUpdate,
    TickerUpdate,
    TradeUpdate,
    UserTradeUpdate,
)

from ._orderbook import OrderBook
from ._streams import Handler, Streams, kline_interval, symbol_list

__all__ = ["InverseStreams"]


def _topics(prefix: str, symbols: str | Iterable[str] | None, what: str = "symbol") -> list[str]:
    if symbols is None:
        return [f"{prefix}.*"]
    return [f"{prefix}.{s}" for s in symbol_list(symbols, what)]


def _book_prefix(depth: int) -> str:
    try:
        return _ORDER_BOOK_TOPICS[depth]
    except (KeyError, TypeError):
        raise ValueError(f"order book depth (limit) must be 25 or 200, not {depth!r}") from None


def _depth(depth: int | None, limit: int | None, default: int | None = None) -> int:
    """``depth``, the documented name, or ``limit``, API.md's name of 0.1 (both work, without warning)."""
    if depth is not None and limit is not None:
        raise TypeError(f"give the order book depth once: depth={depth!r} or limit={limit!r}, not both")
    chosen = depth if depth is not None else limit if limit is not None else default
    if chosen is None:
        raise TypeError("the order book depth is required: 25 or 200")
    return chosen


def _all_symbols(method: str, one: str, handler: object) -> None:
    """``subscribe_to_trades_updates("BTCUSD")``: a plural (all-symbols) method given symbols."""
    if handler is not None and not callable(handler):
        raise TypeError(
            f"{method} subscribes to every symbol and takes a handler, not {handler!r}: "
            f"for some symbols call {one}(symbols, handler)"
        )


def _some_symbols(method: str, every: str, symbols: object) -> None:
    """``subscribe_to_trade_updates(print)``: a singular (some-symbols) method given a handler first."""
    if callable(symbols):
        raise TypeError(
            f"{method} takes the symbols first, not the handler {symbols!r}: "
            f"for every symbol call {every}(handler)"
        )


class InverseStreams(Streams):
    """``client.inverse``: the Inverse Perpetual v2 streams, after Bybit.Net's ``InversePerpetualStreams``.

    Every call blocks until the server confirms and returns a :class:`~bybit_ws.Subscription`. Each
    market stream comes in a pair one letter apart: the plural name (``subscribe_to_trades_updates(handler)``)
    subscribes to every symbol (``topic.*``) and takes no symbols; the singular one
    (``subscribe_to_trade_updates(symbols, handler)``) takes symbols first. A call that mixes them up
    (symbols to the plural, a handler first to the singular) raises ``TypeError`` naming the other one.
    Without a handler the subscription buffers its events for iteration.
    """

    _endpoint = "inverse"

    # ---------------------------------------------------------------- trades
    def subscribe_to_trades_updates(
        self, handler: Handler[list[TradeUpdate]] | None = None
    ) -> Subscription[list[TradeUpdate]]:
        """Trades of all symbols (``trade.*``)."""
        _all_symbols("subscribe_to_trades_updates", "subscribe_to_trade_updates", handler)
        return self._subscribe(self._endpoint, _topics("trade", None), {"data": handler})

    def subscribe_to_trade_updates(
        self, symbols: str | Iterable[str], handler: Handler[list[TradeUpdate]] | None = None
    ) -> Subscription[list[TradeUpdate]]:
        """Trades of one or more symbols (``trade.{symbol}``)."""
        _some_symbols("subscribe_to_trade_updates", "subscribe_to_trades_updates", symbols)
        return self._subscribe(self._endpoint, _topics("trade", symbols), {"data": handler})

    # ---------------------------------------------------------------- tickers
    def subscribe_to_tickers_updates(
        self, handler: Handler[TickerUpdate] | None = None
    ) -> Subscription[TickerUpdate]:
        """Tickers of all symbols; each event is the full ticker merged from snapshot and deltas."""
        _all_symbols("subscribe_to_tickers_updates", "subscribe_to_ticker_updates", handler)
        return self._subscribe(self._endpoint, _topics("instrument_info.100ms", None), {"data": handler})

    def subscribe_to_ticker_updates(
        self, symbols: str | Iterable[str], handler: Handler[TickerUpdate] | None = None
    ) -> Subscription[TickerUpdate]:
        """Tickers (``instrument_info.100ms.{symbol}``); each event is the full, merged ticker."""
        _some_symbols("subscribe_to_ticker_updates", "subscribe_to_tickers_updates", symbols)
        return self._subscribe(self._endpoint, _topics("instrument_info.100ms", symbols), {"data": handler})

    # ---------------------------------------------------------------- order books
    def subscribe_to_order_books_updates(
        self,
        depth: int | None = None,
        snapshot_handler: Handler[list[OrderBookEntry]] | None = None,
        update_handler: Handler[DeltaUpdate[OrderBookEntry]] | None = None,
        *,
        limit: int | None = None,
    ) -> Subscription[Any]:
        """Order books of all symbols, ``depth`` 25 or 200 (others raise ``ValueError``); ``limit=`` is
        the same argument under its 0.1 name."""
        if isinstance(depth, str):
            raise TypeError(
                f"subscribe_to_order_books_updates subscribes to every symbol and takes a depth, not "
                f"{depth!r}: for some symbols call subscribe_to_order_book_updates(symbols, depth, ...)"
            )
        topics = _topics(_book_prefix(_depth(depth, limit)), None)
        return self._book(topics, snapshot_handler, update_handler)

    def subscribe_to_order_book_updates(
        self,
        symbols: str | Iterable[str],
        depth: int | None = None,
        snapshot_handler: Handler[list[OrderBookEntry]] | None = None,
        update_handler: Handler[DeltaUpdate[OrderBookEntry]] | None = None,
        *,
        limit: int | None = None,
    ) -> Subscription[Any]:
        """Order book of one or more symbols: ``orderBookL2_25`` (depth 25) or ``orderBook_200.100ms`` (200).

        ``snapshot_handler`` gets ``DataEvent[list[OrderBookEntry]]``; ``update_handler`` gets
        ``DataEvent[DeltaUpdate[OrderBookEntry]]``. Any other depth raises ``ValueError`` before anything
        is sent. ``limit=`` is ``depth`` under its 0.1 name.
        """
        _some_symbols("subscribe_to_order_book_updates", "subscribe_to_order_books_updates", symbols)
        topics = _topics(_book_prefix(_depth(depth, limit)), symbols)
        return self._book(topics, snapshot_handler, update_handler)

    def _book(
        self, topics: list[str], snapshot: Handler[Any] | None, update: Handler[Any] | None
    ) -> Subscription[Any]:
        handlers = {"snapshot": snapshot, "delta": update}
        return self._subscribe(self._endpoint, topics, handlers)

    def order_book(self, symbol: str, depth: int | None = None, *, limit: int | None = None) -> OrderBook:
        """A started local :class:`~bybit_ws.OrderBook` for ``symbol``, ``depth`` 25 (the default) or 200
        (``limit=``: the same, under its 0.1 name).

        It subscribes at once; call ``wait_synced(timeout)`` before reading it.
        """
        (symbol,) = symbol_list(symbol)
        chosen = _depth(depth, limit, 25)
        _book_prefix(chosen)
        return OrderBook(
            symbol,
            "inverse",
            lambda snap, delta: self.subscribe_to_order_book_updates(symbol, chosen, snap, delta),
        )

    # ---------------------------------------------------------------- insurance
    def subscribe_to_insurances_updates(
        self, handler: Handler[list[InsuranceUpdate]] | None = None
    ) -> Subscription[list[InsuranceUpdate]]:
        """Insurance fund updates of all coins (``insurance.*``)."""
        _all_symbols("subscribe_to_insurances_updates", "subscribe_to_insurance_updates", handler)
        return self._subscribe(self._endpoint, _topics("insurance", None), {"data": handler})

    def subscribe_to_insurance_updates(
        self, symbols: str | Iterable[str], handler: Handler[list[InsuranceUpdate]] | None = None
    ) -> Subscription[list[InsuranceUpdate]]:
        """Insurance fund updates of one or more coins (``insurance.BTC``)."""
        _some_symbols("subscribe_to_insurance_updates", "subscribe_to_insurances_updates", symbols)
        return self._subscribe(self._endpoint, _topics("insurance", symbols, "coin"), {"data": handler})

    # ---------------------------------------------------------------- klines
    def subscribe_to_klines_updates(
        self, interval: KlineInterval | str, handler: Handler[list[KlineUpdate]] | None = None
    ) -> Subscription[list[KlineUpdate]]:
        """Candles of all symbols (``klineV2.{interval}.*``)."""
        _all_symbols("subscribe_to_klines_updates", "subscribe_to_kline_updates", handler)
        topics = _topics(f"klineV2.{kline_interval(interval)}", None)
        return self._subscribe(self._endpoint, topics, {"data": handler})

    def subscribe_to_kline_updates(
        self,
        symbols: str | Iterable[str],
        interval: KlineInterval | str,
        handler: Handler[list[KlineUpdate]] | None = None,
    ) -> Subscription[list[KlineUpdate]]:
        """Candles of one or more symbols (``klineV2.{interval}.{symbol}``)."""
        _some_symbols("subscribe_to_kline_updates", "subscribe_to_klines_updates", symbols)
        topics = _topics(f"klineV2.{kline_interval(interval)}", symbols)
        return self._subscribe(self._endpoint, topics, {"data": handler})

    # ---------------------------------------------------------------- liquidations
    def subscribe_to_liquidations_updates(
        self, handler: Handler[LiquidationUpdate] | None = None
    ) -> Subscription[LiquidationUpdate]:
        """Liquidations of all symbols (``liquidation.*``)."""
        _all_symbols("subscribe_to_liquidations_updates", "subscribe_to_liquidation_updates", handler)
        return self._subscribe(self._endpoint, _topics("liquidation", None), {"data": handler})

    def subscribe_to_liquidation_updates(
        self, symbols: str | Iterable[str], handler: Handler[LiquidationUpdate] | None = None
    ) -> Subscription[LiquidationUpdate]:
        """Liquidations of one or more symbols (``liquidation.{symbol}``)."""
        _some_symbols("subscribe_to_liquidation_updates", "subscribe_to_liquidations_updates", symbols)
        return self._subscribe(self._endpoint, _topics("liquidation", symbols), {"data": handler})

    # ---------------------------------------------------------------- private
    def subscribe_to_position_updates(
        self, handler: Handler[list[PositionUpdate]] | None = None
    ) -> Subscription[list[PositionUpdate]]:
        """Position changes (``position``; needs API credentials)."""
        return self._subscribe(self._endpoint, ["position"], {"data": handler}, private=True)

    def subscribe_to_user_trade_updates(
        self, handler: Handler[list[UserTradeUpdate]] | None = None
    ) -> Subscription[list[UserTradeUpdate]]:
        """Your executions (``execution``; needs API credentials)."""
        return self._subscribe(self._endpoint, ["execution"], {"data": handler}, private=True)

    def subscribe_to_order_updates(
        self, handler: Handler[list[OrderUpdate]] | None = None
    ) -> Subscription[list[OrderUpdate]]:
        """Active order changes (``order``; needs API credentials)."""
        return self._subscribe(self._endpoint, ["order"], {"data": handler}, private=True)

    def subscribe_to_stop_order_updates(
        self, handler: Handler[list[StopOrderUpdate]] | None = None
    ) -> Subscription[list[StopOrderUpdate]]:
        """Conditional order changes (``stop_order``; needs API credentials)."""
        return self._subscribe(self._endpoint, ["stop_order"], {"data": handler}, private=True)

    def subscribe_to_balance_updates(
        self, handler: Handler[list[BalanceUpdate]] | None = None
    ) -> Subscription[list[BalanceUpdate]]:
        """Wallet balance changes (``wallet``; needs API credentials)."""
        return self._subscribe(self._endpoint, ["wallet"], {"data": handler}, private=True)
