"""v5 public market data: trades, tickers, order books, candles, liquidations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from bybit_ws._convert import (
    _MILLIS,
    _PRICES,
    _SECONDS,
    boolean,
    decimal,
    enum_of,
    integer,
    price_decimal,
    required_twin,
    text,
    time_auto,
    time_ms,
    wire,
)
from bybit_ws.enums import KlineInterval, OrderSide, TickDirection

from ._base import AuctionPhase, _interval, _number, _side, _tick_direction

__all__ = [
    "Kline",
    "Liquidation",
    "OrderBookEntry",
    "OrderBookUpdate",
    "RpiOrderBookEntry",
    "RpiOrderBookUpdate",
    "Ticker",
    "Trade",
    "book_levels",
    "build_order_book",
    "build_rpi_order_book",
    "exact_order_book",
    "parse_order_book",
    "parse_rpi_order_book",
    "rpi_book_levels",
]


@attrs.frozen(kw_only=True, weakref_slot=False)
class Trade:
    """One public trade (topic ``publicTrade.{symbol}``); ``side`` is the taker's side."""

    timestamp: datetime = wire("T", time_ms, optional=False)
    symbol: str = wire("s", text, optional=False)
    side: OrderSide = wire("S", _side, optional=False)
    quantity: Decimal = wire("v", decimal, optional=False)
    price: Decimal = wire("p", price_decimal, optional=False)
    id: str = wire("i", text, optional=False)
    direction: TickDirection | None = wire("L", _tick_direction)
    is_block_trade: bool | None = wire("BT", boolean)
    is_rpi_trade: bool | None = wire("RPI", boolean)
    sequence: int | None = wire("seq", integer)
    mark_price: Decimal | None = wire("mP", price_decimal)
    """[Options] mark price."""
    index_price: Decimal | None = wire("iP", price_decimal)
    """[Options] index price."""
    mark_iv: Decimal | None = wire("mIv", decimal)
    """[Options] mark price implied volatility."""
    iv: Decimal | None = wire("iv", decimal)
    """[Options] implied volatility."""


@attrs.frozen(kw_only=True, weakref_slot=False)
class Ticker:
    """A ticker of any category (topic ``tickers.{symbol}``); every field is optional.

    Linear/inverse tickers come as a snapshot then deltas: the client merges them and delivers the full
    ticker. Spot and option tickers are snapshots only; fields of other categories stay ``None``.
    Option and spread tickers' ``bidPrice``/``bidSize``/``askPrice``/``askSize`` fill the ``best_*`` fields.
    """

    symbol: str | None = wire("symbol", text)
    tick_direction: TickDirection | None = wire("tickDirection", _tick_direction)
    price_percentage_24h: Decimal | None = wire("price24hPcnt", decimal)
    """Price change over 24 h as a fraction (``-0.158315`` is -15.8315 %)."""
    last_price: Decimal | None = wire("lastPrice", price_decimal)
    high_price_24h: Decimal | None = wire("highPrice24h", price_decimal)
    low_price_24h: Decimal | None = wire("lowPrice24h", price_decimal)
    previous_price_24h: Decimal | None = wire("prevPrice24h", price_decimal)
    previous_price_1h: Decimal | None = wire("prevPrice1h", price_decimal)
    mark_price: Decimal | None = wire("markPrice", price_decimal)
    index_price: Decimal | None = wire("indexPrice", price_decimal)
    open_interest: Decimal | None = wire("openInterest", decimal)
    open_interest_value: Decimal | None = wire("openInterestValue", decimal)
    single_open_interest: Decimal | None = wire("singleOpenInterest", decimal)
    """[Futures] open interest of one side (``singleOpenInterest``)."""
    single_open_interest_value: Decimal | None = wire("singleOpenInterestValue", decimal)
    turnover_24h: Decimal | None = wire("turnover24h", decimal)
    volume_24h: Decimal | None = wire("volume24h", decimal)
    next_funding_time: datetime | None = wire("nextFundingTime", time_auto)
    funding_rate: Decimal | None = wire("fundingRate", decimal)
    funding_interval: int | None = wire("fundingIntervalHour", integer)
    """Funding interval in hours."""
    funding_cap: Decimal | None = wire("fundingCap", decimal)
    best_bid_price: Decimal | None = wire("bid1Price", price_decimal, aliases=(("bidPrice", price_decimal),))
    best_bid_quantity: Decimal | None = wire("bid1Size", decimal, aliases=(("bidSize", decimal),))
    best_ask_price: Decimal | None = wire("ask1Price", price_decimal, aliases=(("askPrice", price_decimal),))
    best_ask_quantity: Decimal | None = wire("ask1Size", decimal, aliases=(("askSize", decimal),))
    delivery_time: datetime | None = wire("deliveryTime", time_auto)
    """[Futures] delivery time."""
    basis: Decimal | None = wire("basis", decimal)
    basis_rate: Decimal | None = wire("basisRate", decimal)
    basis_rate_year: Decimal | None = wire("basisRateYear", decimal)
    delivery_fee_rate: Decimal | None = wire("deliveryFeeRate", decimal)
    predicted_delivery_price: Decimal | None = wire("predictedDeliveryPrice", price_decimal)
    pre_open_price: Decimal | None = wire("preOpenPrice", price_decimal)
    pre_open_quantity: Decimal | None = wire("preQty", decimal)
    pre_listing_phase: AuctionPhase | None = wire("curPreListingPhase", enum_of(AuctionPhase))
    usd_index_price: Decimal | None = wire("usdIndexPrice", price_decimal)
    """[Spot] USD index price."""
    bid_iv: Decimal | None = wire("bidIv", decimal)
    """[Options] best bid implied volatility."""
    ask_iv: Decimal | None = wire("askIv", decimal)
    """[Options] best ask implied volatility."""
    mark_price_iv: Decimal | None = wire("markPriceIv", decimal)
    underlying_price: Decimal | None = wire("underlyingPrice", price_decimal)
    total_volume: Decimal | None = wire("totalVolume", decimal)
    total_turnover: Decimal | None = wire("totalTurnover", decimal)
    delta: Decimal | None = wire("delta", decimal)
    gamma: Decimal | None = wire("gamma", decimal)
    vega: Decimal | None = wire("vega", decimal)
    theta: Decimal | None = wire("theta", decimal)
    change_24h: Decimal | None = wire("change24h", decimal)
    """[Options] price change over 24 h."""
    cross_sequence: int | None = wire("cs", integer)
    """The frame's cross sequence (``cs``, beside ``data`` on the wire): the latest frame's."""


@attrs.frozen(kw_only=True, weakref_slot=False)
class OrderBookEntry:
    """One price level; a ``quantity`` of 0 in a delta deletes the level.

    On the wire a level is a ``[price, size]`` pair (the wire names below are the pair's positions);
    :func:`parse_order_book` builds levels directly.
    """

    price: Decimal = wire("0", price_decimal, optional=False)
    quantity: Decimal = wire("1", decimal, optional=False)


_entry_twin = required_twin(OrderBookEntry)


def book_levels(pairs: Iterable[tuple[Any, Decimal]]) -> tuple[OrderBookEntry, ...]:
    """``(price, size)`` pairs as a tuple of :class:`OrderBookEntry`, each built as the generated
    builders build models (a layout twin), in one loop: a call per level would be a fifth of its cost.

    A book repeats its prices: string prices come from the cache of
    :func:`~bybit_ws._convert.price_decimal`, anything else goes through it in full.
    """
    cached = _PRICES.get
    levels: list[OrderBookEntry] = []
    for p, q in pairs:
        entry: Any = _entry_twin()
        entry.price = (type(p) is str and cached(p)) or _level_price(p)
        entry.quantity = q
        entry.__class__ = OrderBookEntry
        levels.append(entry)  # (3.11 specializes list.append: faster than a bound method for ~5 levels)
    return tuple(levels)


def _level_price(value: Any) -> Decimal:
    result = price_decimal(value)
    if result is None:
        raise ValueError("order book level without a price")
    return result


def _levels(value: Any, _type: Any = None) -> tuple[OrderBookEntry, ...]:
    """``[["16493.50", "0.006"], ...]`` as a tuple of :class:`OrderBookEntry` (the dict path)."""
    if not value:
        return ()
    return book_levels([(_level_price(pair[0]), _number(pair[1])) for pair in value])


@attrs.frozen(kw_only=True, weakref_slot=False)
class OrderBookUpdate:
    """An order-book snapshot or delta (topic ``orderbook.{depth}.{symbol}``).

    ``update_id`` (``u``) is 1 after a service restart: treat that delta as a snapshot. ``timestamp`` and
    ``matching_engine_timestamp`` are the frame's ``ts`` and ``cts`` when they are known.
    """

    symbol: str = wire("s", text, optional=False)
    bids: tuple[OrderBookEntry, ...] = wire("b", _levels, optional=False)
    asks: tuple[OrderBookEntry, ...] = wire("a", _levels, optional=False)
    update_id: int = wire("u", integer, optional=False)
    sequence: int | None = wire("seq", integer)
    timestamp: datetime | None = wire("ts", time_ms)
    matching_engine_timestamp: datetime | None = wire("cts", time_ms)


def parse_order_book(data: Mapping[str, Any], *, ts: Any = None, cts: Any = None) -> OrderBookUpdate:
    """Build an :class:`OrderBookUpdate` from a frame's ``data`` (fast path).

    ``ts``/``cts`` are the frame's top-level epoch-ms times; when omitted, ``data["ts"]``/``data["cts"]``
    are used if present.

    Raises:
        KeyError: ``s`` or ``u`` is missing.
        ValueError, ArithmeticError: a price, size or id is not a number.
    """
    return build_order_book(
        data["s"],
        _levels(data.get("b")),
        _levels(data.get("a")),
        data["u"],
        data.get("seq"),
        data.get("ts") if ts is None else ts,
        data.get("cts") if cts is None else cts,
    )


def build_order_book(
    symbol: Any,
    bids: tuple[OrderBookEntry, ...],
    asks: tuple[OrderBookEntry, ...],
    update_id: Any,
    seq: Any,
    ts: Any,
    cts: Any,
) -> OrderBookUpdate:
    """An :class:`OrderBookUpdate` from its wire values, levels already built (see :func:`book_levels`)."""
    book: Any = _book_twin()  # built as the generated builders build models (see layout_twin)
    book.symbol = symbol if type(symbol) is str else str(symbol)
    book.bids = bids
    book.asks = asks
    book.update_id = update_id if type(update_id) is int else int(update_id)
    book.sequence = seq if seq is None or type(seq) is int else integer(seq)
    book.timestamp = time_ms(ts)
    book.matching_engine_timestamp = time_ms(cts)
    book.__class__ = OrderBookUpdate
    return book  # type: ignore[no-any-return]


def exact_order_book(
    symbol: str,
    bid_pairs: list[tuple[str, Decimal]] | None,
    ask_pairs: list[tuple[str, Decimal]] | None,
    update_id: int,
    seq: int | None,
    ts: int | None,
    cts: int | None,
) -> OrderBookUpdate:
    """:func:`build_order_book` of :func:`book_levels`, both sides, in one call, from values an exact
    schema decoded (the types as annotated, checked by msgspec): nothing left to check, the prices
    looked up in the price cache, the times in the second cache (:func:`~bybit_ws._convert.time_ms`
    for a second not seen yet). A v5 book delta carries ~5 levels: a call per side would be a tenth
    of its cost."""
    cached = _PRICES.get
    book: Any = _book_twin()
    book.symbol = symbol
    levels: list[OrderBookEntry] = []
    if bid_pairs:
        for p, q in bid_pairs:  # book_levels' loop, inline
            entry: Any = _entry_twin()
            entry.price = cached(p) or _level_price(p)
            entry.quantity = q
            entry.__class__ = OrderBookEntry
            levels.append(entry)
        book.bids = tuple(levels)
        levels.clear()
    else:
        book.bids = ()
    if ask_pairs:
        for p, q in ask_pairs:
            entry = _entry_twin()
            entry.price = cached(p) or _level_price(p)
            entry.quantity = q
            entry.__class__ = OrderBookEntry
            levels.append(entry)
        book.asks = tuple(levels)
    else:
        book.asks = ()
    book.update_id = update_id
    book.sequence = seq
    second = _SECONDS.get
    if ts is None:
        book.timestamp = None
    else:
        base = second(ts // 1000)
        book.timestamp = time_ms(ts) if base is None else base + _MILLIS[ts % 1000]
    if cts is None:
        book.matching_engine_timestamp = None
    else:
        base = second(cts // 1000)
        book.matching_engine_timestamp = time_ms(cts) if base is None else base + _MILLIS[cts % 1000]
    book.__class__ = OrderBookUpdate
    return book  # type: ignore[no-any-return]


_book_twin = required_twin(OrderBookUpdate)


@attrs.frozen(kw_only=True, weakref_slot=False)
class Kline:
    """One candle (topic ``kline.{interval}.{symbol}``); ``confirm`` is true on the candle's last tick.

    The wire item has no symbol: the client fills ``symbol`` from the topic.
    """

    start_time: datetime = wire("start", time_ms, optional=False)
    end_time: datetime = wire("end", time_ms, optional=False)
    interval: KlineInterval | str = wire("interval", _interval, optional=False)
    open_price: Decimal = wire("open", price_decimal, optional=False)
    close_price: Decimal = wire("close", price_decimal, optional=False)
    high_price: Decimal = wire("high", price_decimal, optional=False)
    low_price: Decimal = wire("low", price_decimal, optional=False)
    volume: Decimal = wire("volume", decimal, optional=False)
    turnover: Decimal = wire("turnover", decimal, optional=False)
    confirm: bool = wire("confirm", boolean, optional=False)
    timestamp: datetime = wire("timestamp", time_ms, optional=False)
    symbol: str | None = wire("symbol", text)


@attrs.frozen(kw_only=True, weakref_slot=False)
class Liquidation:
    """One liquidation (topic ``allLiquidation.{symbol}``); ``side`` is the liquidated position's side."""

    update_time: datetime = wire("T", time_ms, optional=False)
    symbol: str = wire("s", text, optional=False)
    side: OrderSide = wire("S", _side, optional=False)
    quantity: Decimal = wire("v", decimal, optional=False)
    price: Decimal = wire("p", price_decimal, optional=False)


# --------------------------------------------------------------------------------------------- RPI book
@attrs.frozen(kw_only=True, weakref_slot=False)
class RpiOrderBookEntry:
    """One price level of an RPI book: the size of ordinary orders and the size of RPI (Retail Price
    Improvement) orders; both 0 in a delta deletes the level.

    On the wire a level is ``[price, nonRpiSize, rpiSize]``; an RPI size that would cross the book is
    sent as ``"0"``.
    """

    price: Decimal = wire("0", price_decimal, optional=False)
    quantity: Decimal = wire("1", decimal, optional=False)
    """Size of the non-RPI orders."""
    rpi_quantity: Decimal = wire("2", decimal, optional=False)
    """Size of the RPI orders (only non-algorithmic users can take them)."""


_rpi_entry_twin = required_twin(RpiOrderBookEntry)


def rpi_book_levels(levels: Iterable[Any]) -> tuple[RpiOrderBookEntry, ...]:
    """``[price, size, rpi_size]`` triples (sizes already numbers or numeric text) as a tuple of
    :class:`RpiOrderBookEntry`."""
    cached = _PRICES.get
    result: list[RpiOrderBookEntry] = []
    append = result.append
    for p, q, r in levels:
        entry: Any = _rpi_entry_twin()
        entry.price = (type(p) is str and cached(p)) or _level_price(p)
        entry.quantity = q if type(q) is Decimal else _number(q)
        entry.rpi_quantity = r if type(r) is Decimal else _number(r)
        entry.__class__ = RpiOrderBookEntry
        append(entry)
    return tuple(result)


def _rpi_levels(value: Any, _type: Any = None) -> tuple[RpiOrderBookEntry, ...]:
    return rpi_book_levels(value) if value else ()


@attrs.frozen(kw_only=True, weakref_slot=False)
class RpiOrderBookUpdate:
    """An RPI order-book snapshot or delta (topic ``orderbook.rpi.{symbol}``, 50 levels, 100 ms).

    As :class:`OrderBookUpdate` (``update_id == 1``: a restart, treat as a snapshot), with levels that
    carry both sizes.
    """

    symbol: str = wire("s", text, optional=False)
    bids: tuple[RpiOrderBookEntry, ...] = wire("b", _rpi_levels, optional=False)
    asks: tuple[RpiOrderBookEntry, ...] = wire("a", _rpi_levels, optional=False)
    update_id: int = wire("u", integer, optional=False)
    sequence: int | None = wire("seq", integer)
    timestamp: datetime | None = wire("ts", time_ms)
    matching_engine_timestamp: datetime | None = wire("cts", time_ms)


_rpi_book_twin = required_twin(RpiOrderBookUpdate)


def build_rpi_order_book(
    symbol: Any,
    bids: tuple[RpiOrderBookEntry, ...],
    asks: tuple[RpiOrderBookEntry, ...],
    update_id: Any,
    seq: Any,
    ts: Any,
    cts: Any,
) -> RpiOrderBookUpdate:
    """An :class:`RpiOrderBookUpdate` from its wire values, levels already built."""
    book: Any = _rpi_book_twin()
    book.symbol = symbol if type(symbol) is str else str(symbol)
    book.bids = bids
    book.asks = asks
    book.update_id = update_id if type(update_id) is int else int(update_id)
    book.sequence = seq if seq is None or type(seq) is int else integer(seq)
    book.timestamp = time_ms(ts)
    book.matching_engine_timestamp = time_ms(cts)
    book.__class__ = RpiOrderBookUpdate
    return book  # type: ignore[no-any-return]


def parse_rpi_order_book(data: Mapping[str, Any], *, ts: Any = None, cts: Any = None) -> RpiOrderBookUpdate:
    """Build an :class:`RpiOrderBookUpdate` from a frame's ``data`` (``ts``/``cts``: the frame's).

    Raises:
        KeyError: ``s`` or ``u`` is missing.
        ValueError, ArithmeticError: a price, size or id is not a number.
    """
    return build_rpi_order_book(
        data["s"],
        _rpi_levels(data.get("b")),
        _rpi_levels(data.get("a")),
        data["u"],
        data.get("seq"),
        data.get("ts") if ts is None else ts,
        data.get("cts") if cts is None else cts,
    )


# Notebook display: every model above gets a _repr_html_ (a table of its fields).
from bybit_ws.models._display import add_html_reprs  # noqa: E402

add_html_reprs(globals())
