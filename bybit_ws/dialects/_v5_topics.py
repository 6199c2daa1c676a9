"""The v5 topic families: how each topic's frames become typed data (see ``V5Dialect.topic_spec``).

Families are keyed by topic prefix, and a topic takes the spec of its longest matching prefix, so
``execution.fast.linear`` is ``execution.fast``'s and ``orderbook.rpi.BTCUSDT`` is ``orderbook.rpi``'s,
never ``execution``'s or ``orderbook``'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import msgspec

from bybit_ws._convert import merger, structurer, wire_schema
from bybit_ws.models.v5 import (
    AdlAlert,
    Balance,
    DualAssetOffer,
    Greeks,
    InsurancePool,
    Kline,
    Liquidation,
    MinimalUserTrade,
    Order,
    OrderBookUpdate,
    Position,
    PriceLimit,
    RfqInquiry,
    RfqPublicTrade,
    RfqQuote,
    RfqTrade,
    RpiOrderBookUpdate,
    SpreadOrder,
    SpreadUserTrade,
    Strategy,
    SystemStatus,
    Ticker,
    Trade,
    UserTrade,
    parse_order_book,
    parse_rpi_order_book,
)
from bybit_ws.models.v5.market import (
    book_levels,
    build_order_book,
    build_rpi_order_book,
    exact_order_book,
    rpi_book_levels,
)

from ._base import Parsed, TopicSpec, TypedParser, envelope, list_topic

__all__ = ["FP_SPECS", "PRIVATE_SPECS", "PUBLIC_SPECS", "RFQ_SPECS", "STATUS_SPECS"]

_ticker = structurer(Ticker)
_merge_ticker = merger(Ticker)
_kline = structurer(Kline)


def _parse_ticker(frame: Mapping[str, Any], topic: str, state: dict[str, Any]) -> Parsed:
    """linear/inverse send a snapshot then deltas of changed fields: merge into the full ticker."""
    data = frame["data"]
    cs = frame.get("cs")
    if cs is not None:  # the cross sequence sits beside data: the ticker carries it
        data = {**data, "cs": cs}
    previous = state.get("ticker")
    if frame.get("type") == "delta" and previous is not None:
        ticker = _merge_ticker(previous, data)
    else:
        ticker = _ticker(data)
    state["ticker"] = ticker
    return "data", ticker


# The wire keys in the order Bybit sends them (see wire_schema), from shared/fixtures/frames
# v5_public_trade, v5_all_liquidation and v5_ticker_linear_snapshot (with v5_ticker_linear_futures_snapshot's
# delivery keys where that frame has them).
_TRADE_ORDER = ("T", "s", "S", "v", "p", "L", "i", "BT", "seq")
_TICKER_ORDER = (
    "symbol", "tickDirection", "price24hPcnt", "lastPrice", "prevPrice24h", "highPrice24h",
    "lowPrice24h", "prevPrice1h", "markPrice", "indexPrice", "openInterest", "openInterestValue",
    "turnover24h", "volume24h", "deliveryTime", "basisRate", "deliveryFeeRate", "predictedDeliveryPrice",
    "basis", "basisRateYear", "fundingIntervalHour", "fundingCap", "nextFundingTime", "fundingRate",
    "bid1Price", "bid1Size", "ask1Price", "ask1Size", "preOpenPrice", "preQty", "curPreListingPhase",
)  # fmt: skip
# The typed path of the same frames: "absent" stays UNSET in the struct, so a delta merges exactly as
# _parse_ticker merges it from the dict, reading attributes instead of testing every key.
_ticker_schema = wire_schema(Ticker, delta=True, order=_TICKER_ORDER, exact=True)
_ExactTickerFrame = envelope(
    "V5TickerExactFrame",
    [
        ("type", str | None, None),
        ("data", _ticker_schema.struct),
        ("cs", int | None, None),
        ("ts", Any, None),
    ],
    kw_only=True,
)
# the lenient schema: the frames the exact one does not fit (a number as text...)
_lenient_ticker = wire_schema(Ticker, delta=True, order=_TICKER_ORDER)
_TickerFrame = envelope(
    "V5TickerFrame", [("data", _lenient_ticker.struct), ("type", str | None, None), ("cs", Any, None)]
)
_CS = _ticker_schema.attributes["cs"]
assert _lenient_ticker.attributes["cs"] == _CS


def _parse_ticker_typed(frame: Any, state: dict[str, Any]) -> Parsed:
    data = frame.data
    if frame.cs is not None:
        setattr(data, _CS, frame.cs)
    previous = state.get("ticker")
    schema = _ticker_schema if type(frame) is _ExactTickerFrame else _lenient_ticker
    if frame.type == "delta" and previous is not None:
        ticker = schema.merge(previous, data)  # type: ignore[misc]
    else:
        ticker = schema.build(data)
    state["ticker"] = ticker
    return "data", ticker


def _parse_book(frame: Mapping[str, Any], topic: str, state: dict[str, Any]) -> Parsed:
    book = parse_order_book(frame["data"], ts=frame.get("ts"), cts=frame.get("cts"))
    return _book_kind(frame.get("type"), book), book


def _book_kind(frame_type: Any, book: OrderBookUpdate | RpiOrderBookUpdate) -> str:
    # u == 1: a service restart, treat the delta as a snapshot
    return "snapshot" if frame_type == "snapshot" or book.update_id == 1 else "delta"


# The typed path of the same frames: levels arrive as (price as sent, Decimal size) pairs.
_Levels: Any = list[tuple[Any, Decimal]]
_book_fields: list[tuple[str, Any] | tuple[str, Any, Any]] = [("s", Any), ("u", Any)]
_book_fields += [("b", _Levels | None, None), ("a", _Levels | None, None)]
_book_fields += [(key, Any, None) for key in ("seq", "ts", "cts")]
_BookData = msgspec.defstruct("V5OrderBookDataWire", _book_fields, gc=False)
_BookFrame = envelope(
    "V5OrderBookFrame",
    [("data", _BookData), ("type", str | None, None), ("ts", Any, None), ("cts", Any, None)],
)


# The exact typed path of the same frames (see wire_schema's exact): every value of its final type,
# prices as sent (for the price cache), sizes Decimal; a frame it does not fit takes _BookFrame.
_ExactLevels: Any = list[tuple[str, Decimal]]
_exact_fields: list[tuple[str, Any] | tuple[str, Any, Any]] = [("s", str)]
_exact_fields += [("b", _ExactLevels | None, None), ("a", _ExactLevels | None, None), ("u", int)]
_exact_fields += [(key, int | None, None) for key in ("seq", "ts", "cts")]
_ExactBookData = msgspec.defstruct("V5OrderBookDataExact", _exact_fields, gc=False, kw_only=True)
_ExactBookFrame = envelope(
    "V5OrderBookExactFrame",
    [
        ("type", str | None, None),
        ("ts", int | None, None),
        ("data", _ExactBookData),
        ("cts", int | None, None),
    ],
    kw_only=True,
)


def _parse_book_typed(frame: Any, state: dict[str, Any]) -> Parsed:
    data = frame.data
    ts = data.ts if frame.ts is None else frame.ts
    cts = data.cts if frame.cts is None else frame.cts
    if type(frame) is _ExactBookFrame:
        book = exact_order_book(data.s, data.b, data.a, data.u, data.seq, ts, cts)
    else:
        bids, asks = book_levels(data.b or ()), book_levels(data.a or ())
        book = build_order_book(data.s, bids, asks, data.u, data.seq, ts, cts)
    # _book_kind, inline (once a frame)
    return ("snapshot" if frame.type == "snapshot" or book.update_id == 1 else "delta"), book


def _parse_full_book(frame: Mapping[str, Any], topic: str, state: dict[str, Any]) -> Parsed:
    """``orderbook.full``: deltas only, even ``u == 1`` (a restart: re-sync from REST, see FullOrderBook)."""
    return "delta", parse_order_book(frame["data"], ts=frame.get("ts"), cts=frame.get("cts"))


def _parse_full_book_typed(frame: Any, state: dict[str, Any]) -> Parsed:
    return "delta", _parse_book_typed(frame, state)[1]


def _parse_kline(frame: Mapping[str, Any], topic: str, state: dict[str, Any]) -> Parsed:
    symbol = topic.rsplit(".", 1)[-1]
    return "data", [_kline({"symbol": symbol, **item}) for item in frame["data"]]


def _parse_rpi_book(frame: Mapping[str, Any], topic: str, state: dict[str, Any]) -> Parsed:
    book = parse_rpi_order_book(frame["data"], ts=frame.get("ts"), cts=frame.get("cts"))
    return _book_kind(frame.get("type"), book), book


# The typed path of RPI frames: levels arrive as (price as sent, Decimal size, Decimal RPI size).
_RpiLevels: Any = list[tuple[Any, Decimal, Decimal]]
_rpi_fields: list[tuple[str, Any] | tuple[str, Any, Any]] = [("s", Any)]
_rpi_fields += [("b", _RpiLevels | None, None), ("a", _RpiLevels | None, None), ("u", Any)]
_rpi_fields += [(key, Any, None) for key in ("seq", "ts", "cts")]
_RpiData = msgspec.defstruct("V5RpiOrderBookDataWire", _rpi_fields, gc=False, kw_only=True)
_RpiFrame = envelope(
    "V5RpiOrderBookFrame",
    [("ts", Any, None), ("type", str | None, None), ("data", _RpiData), ("cts", Any, None)],
    kw_only=True,
)


def _parse_rpi_book_typed(frame: Any, state: dict[str, Any]) -> Parsed:
    data = frame.data
    bids = rpi_book_levels(data.b) if data.b else ()
    asks = rpi_book_levels(data.a) if data.a else ()
    ts = data.ts if frame.ts is None else frame.ts
    cts = data.cts if frame.cts is None else frame.cts
    book = build_rpi_order_book(data.s, bids, asks, data.u, data.seq, ts, cts)
    return _book_kind(frame.type, book), book


_price_limit = structurer(PriceLimit)


def _parse_price_limit(frame: Mapping[str, Any], topic: str, state: dict[str, Any]) -> Parsed:
    """``data`` is an object in Bybit's example and an array in its table: both are read (a list's
    first item; the topic names one symbol)."""
    data = frame["data"]
    if isinstance(data, list):
        if not data:
            return None  # type: ignore[return-value]
        data = data[0]
    return "data", _price_limit(data)


def _no_data(frame: Mapping[str, Any], topic: str, state: dict[str, Any]) -> Parsed | None:
    """``dcp.*`` sends no data: anything that comes is skipped."""
    return None


# The wire keys in the order Bybit sends them: V5_MORE.md §5.2.
_FAST_ORDER = (
    "category", "symbol", "execId", "execPrice", "execQty", "orderId", "isMaker", "orderLinkId", "side",
    "execTime", "seq",
)  # fmt: skip

PUBLIC_SPECS = {
    "publicTrade": list_topic(Trade, order=_TRADE_ORDER),
    "tickers": TopicSpec(
        _parse_ticker,
        continuous=True,
        typed=TypedParser.of(_ExactTickerFrame, _parse_ticker_typed, _TickerFrame),
    ),
    "orderbook": TopicSpec(
        _parse_book, continuous=True, typed=TypedParser.of(_ExactBookFrame, _parse_book_typed, _BookFrame)
    ),
    "kline": TopicSpec(_parse_kline),
    "allLiquidation": list_topic(Liquidation, order=("T", "s", "S", "v", "p")),
    "orderbook.rpi": TopicSpec(
        _parse_rpi_book, continuous=True, typed=TypedParser.of(_RpiFrame, _parse_rpi_book_typed)
    ),
    "insurance": list_topic(InsurancePool),
    "priceLimit": TopicSpec(_parse_price_limit),
    "adlAlert": list_topic(AdlAlert),
    "orderbook.full": TopicSpec(
        _parse_full_book,
        continuous=True,
        typed=TypedParser.of(_ExactBookFrame, _parse_full_book_typed, _BookFrame),
    ),
}
# Private frames carry the exchange's time as creationTime (PROTOCOL.md §C), public ones as ts.
_CREATED = "creationTime"
PRIVATE_SPECS = {
    "order": list_topic(Order, private=True, stamp=_CREATED),
    "position": list_topic(Position, private=True, stamp=_CREATED),
    "execution": list_topic(UserTrade, private=True, stamp=_CREATED),
    "wallet": list_topic(Balance, private=True, stamp=_CREATED),
    "execution.fast": list_topic(MinimalUserTrade, private=True, order=_FAST_ORDER, stamp=_CREATED),
    "greeks": list_topic(Greeks, private=True, stamp=_CREATED),
    "dcp": TopicSpec(_no_data, private=True, stamp=_CREATED),
    "spread.order": list_topic(SpreadOrder, private=True, stamp=_CREATED),
    "spread.execution": list_topic(SpreadUserTrade, private=True, stamp=_CREATED),
    # issue 25 (V5_2026.md §4.2, §4.4); the RFQ topics' endpoint is inferred (UNVERIFIED)
    "rfq.open.rfqs": list_topic(RfqInquiry, private=True, stamp=_CREATED),
    "rfq.open.quotes": list_topic(RfqQuote, private=True, stamp=_CREATED),
    "rfq.open.trades": list_topic(RfqTrade, private=True, stamp=_CREATED),
    "strategy": list_topic(Strategy, private=True, stamp=_CREATED),
}
STATUS_SPECS = {"system.status": list_topic(SystemStatus)}
# /v5/public/rfq (public frames stamped as private ones: creationTime) and /v5/public/fp (no time at all)
RFQ_SPECS = {"rfq.open.public.trades": list_topic(RfqPublicTrade, stamp=_CREATED)}
FP_SPECS = {"earn.dualassets.offers": list_topic(DualAssetOffer)}
# /v5/public/spread serves these three families, in the shapes of the other categories (V5_MORE.md §5.11).
SPREAD_SPECS = {family: PUBLIC_SPECS[family] for family in ("orderbook", "publicTrade", "tickers")}
