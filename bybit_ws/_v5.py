"""The v5 dialect (``/v5/public/{category}``, ``/v5/private``) and ``client.v5``.

Wire reference: PROTOCOL.md §C. One dialect instance per endpoint, because the endpoints differ in
reply shapes and limits: linear/inverse reply like v3; spot says ``ret_msg: "subscribe"`` and takes at
most 10 args a request; option answers ``COMMAND_RESP`` with ``successTopics``/``failTopics`` and pongs
with ``op: "pong"``; private replies carry no ``req_id``. A public connection carries at most 21,000
characters of args: the client spreads larger subscriptions over more connections.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ._dialect import Dialect, Reply, TopicSpec, classify_op_reply
from ._orderbook import OrderBook
from ._streams import Handler, Streams, kline_interval, symbol_list
from ._subscriptions import Subscription
from ._v5_topics import PRIVATE_SPECS, PUBLIC_SPECS, STATUS_SPECS
from ._v5_topics import _ticker_schema as _topics_ticker_schema
from .enums import KlineInterval
from .models.v5 import (
    Balance,
    Kline,
    Liquidation,
    Order,
    OrderBookUpdate,
    Position,
    Ticker,
    Trade,
    UserTrade,
)

__all__ = ["CATEGORIES", "V5Dialect", "V5Streams"]

#: Public categories and the order-book depths each serves.
CATEGORIES: Mapping[str, tuple[int, ...]] = {
    "linear": (1, 50, 200, 1000),
    "inverse": (1, 50, 200, 1000),
    "spot": (1, 50, 200, 1000),
    "option": (25, 100),
}
_PRIVATE_CATEGORIES = {
    "order": ("spot", "linear", "inverse", "option"),
    "position": ("linear", "inverse", "option"),
    "execution": ("spot", "linear", "inverse", "option"),
    "execution.fast": ("spot", "linear", "inverse", "option"),
}
#: The insurance and ADL-alert pools, and the endpoint each is on.
_POOLS = {"USDT": "linear", "USDC": "linear", "inverse": "inverse"}
#: DCP products: ``dcp.future`` (derivatives), ``dcp.spot``, ``dcp.option``.
_DCP_PRODUCTS = ("future", "spot", "option")


_ticker_schema = _topics_ticker_schema  # the typed ticker path, for its tests


def _categorised(topic: str) -> bool:
    """``order.linear``, ``execution.fast.spot``: a private family narrowed to one category."""
    family, _, category = topic.rpartition(".")
    return category in _PRIVATE_CATEGORIES.get(family, ())


class V5Dialect(Dialect):
    """v5 wire dialect for one endpoint: a public category or ``"private"``."""

    uses_req_id = True

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.name = f"v5.{endpoint}"
        self._specs = {"private": PRIVATE_SPECS, "status": STATUS_SPECS}.get(endpoint, PUBLIC_SPECS)
        self.max_args_per_request = 10 if endpoint == "spot" else None
        self.max_chars_per_connection = None if endpoint == "private" else 21_000

    def topic_spec(self, topic: str) -> TopicSpec | None:
        """The spec of a topic's family: the longest dot-separated prefix of ``topic`` that names one
        (``execution.fast.linear`` is ``execution.fast``'s, ``orderbook.rpi.X`` is ``orderbook.rpi``'s)."""
        specs = self._specs
        end = len(topic)
        while end > 0:
            spec = specs.get(topic[:end])
            if spec is not None:
                return spec
            end = topic.rfind(".", 0, end)
        return None

    def batches(self, topics: Sequence[str]) -> list[list[str]]:
        """Private: all-in-one (``order``) and categorised (``order.linear``) topics never share a request."""
        if self.endpoint != "private":
            return super().batches(topics)
        plain = [t for t in topics if not _categorised(t)]
        categorised = [t for t in topics if _categorised(t)]
        return [group for group in (plain, categorised) if group]

    def classify(self, frame: Mapping[str, Any]) -> Reply | Any | None:
        """Every v5 reply and pong shape, option's ``COMMAND_RESP`` included."""
        if frame.get("type") == "COMMAND_RESP":
            data = frame.get("data") or {}
            succeeded = tuple(str(t) for t in data.get("successTopics") or ())
            failed = tuple(str(t) for t in data.get("failTopics") or ())
            req_id = frame.get("req_id")
            ret_msg = str(frame.get("ret_msg") or "")
            if failed and not ret_msg:
                ret_msg = f"rejected topics: {', '.join(failed)}"
            return Reply(
                op=None,
                success=frame.get("success") is True and not failed,
                ret_msg=ret_msg,
                req_id=str(req_id) if req_id else None,
                args=succeeded + failed,
                failed_args=failed,
            )
        return classify_op_reply(frame)


def _category(category: str) -> str:
    if category not in CATEGORIES:
        raise ValueError(f"category must be one of {', '.join(CATEGORIES)}, not {category!r}")
    return category


class V5Streams(Streams):
    """``client.v5``: the v5 streams, the API live Bybit serves today.

    Public calls take a ``category`` (``"linear"``, ``"inverse"``, ``"spot"`` or ``"option"``) and one
    symbol or many; v5 has no all-symbols wildcard. Private calls need API credentials.
    """

    def __init__(self, client: Any) -> None:
        super().__init__(client, _dialect("private"))

    def _public(
        self,
        category: str,
        prefix: str,
        symbols: str | Iterable[str],
        handlers: Mapping[str, Handler[Any] | None],
    ) -> Subscription[Any]:
        category = _category(category)
        topics = [f"{prefix}.{s}" for s in symbol_list(symbols)]
        return self._subscribe(f"v5.{category}", topics, handlers, dialect=_dialect(category))

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
        snapshot_handler: Handler[OrderBookUpdate] | None = None,
        update_handler: Handler[OrderBookUpdate] | None = None,
    ) -> Subscription[OrderBookUpdate]:
        """Order book (``orderbook.{depth}.{symbol}``).

        Depth 1, 50, 200 or 1000 for linear, inverse and spot; 25 or 100 for option; anything else raises
        ``ValueError`` before anything is sent. A delta with ``update_id == 1`` (a service restart) goes
        to ``snapshot_handler``.
        """
        depths = CATEGORIES[_category(category)]
        if depth not in depths or isinstance(depth, bool):
            raise ValueError(f"{category} order-book depth must be one of {depths}, not {depth!r}")
        handlers = {"snapshot": snapshot_handler, "delta": update_handler}
        return self._public(category, f"orderbook.{depth}", symbols, handlers)

    def order_book(self, category: str, symbol: str, depth: int = 50) -> OrderBook:
        """A started local :class:`~bybit_ws.OrderBook` for ``symbol`` (depth as for order-book updates).

        It subscribes at once; call ``wait_synced(timeout)`` before reading it.
        """
        (symbol,) = symbol_list(symbol)
        return OrderBook(
            symbol,
            "v5",
            lambda snap, delta: self.subscribe_to_order_book_updates(category, symbol, depth, snap, delta),
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


_DIALECTS: dict[str, V5Dialect] = {}


def _dialect(endpoint: str) -> V5Dialect:
    dialect = _DIALECTS.get(endpoint)
    if dialect is None:
        dialect = _DIALECTS[endpoint] = V5Dialect(endpoint)
    return dialect
