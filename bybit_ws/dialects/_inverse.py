"""The Inverse Perpetual v2 dialect (``/realtime``): wire shapes and topic parsers; no I/O.

Wire reference: PROTOCOL.md §A. Replies echo the request (``request.op``/``request.args``) and carry
no id; the pong is a reply whose ``ret_msg`` is ``"pong"``. All symbols: ``topic.*``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import msgspec

from bybit_ws._convert import integer, merger, required_twin, structurer, time_us, wire_schema
from bybit_ws.models._common import DeltaUpdate, OrderBookSnapshot
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

from ._base import PONG, Dialect, Parsed, Reply, TopicSpec, TypedParser, envelope, list_topic

__all__ = ["InverseDialect"]

_ORDER_BOOK_TOPICS = {25: "orderBookL2_25", 200: "orderBook_200.100ms"}


def _one(structure: Callable[[Mapping[str, Any]], Any]) -> Callable[..., Parsed]:
    def parse(frame: Mapping[str, Any], topic: str, state: dict[str, Any]) -> Parsed:
        data = frame["data"]
        if isinstance(data, list):  # tolerate a list of one
            data = data[0]
        return "data", structure(data)

    return parse


_book_entry = structurer(OrderBookEntry)


def _book_entries(items: Iterable[Mapping[str, Any]]) -> list[OrderBookEntry]:
    return [_book_entry(e) for e in items]


_ticker = structurer(TickerUpdate)
_merge_ticker = merger(TickerUpdate)
_kline = structurer(KlineUpdate)


_delta_twin = required_twin(DeltaUpdate)


def _delta(
    entries: Callable[[Any], list[OrderBookEntry]],
    delete: Any,
    update: Any,
    insert: Any,
    sequence: Any,
    time: Any,
) -> DeltaUpdate[OrderBookEntry]:
    """DeltaUpdate(delete, update, insert, sequence, timestamp), built as the generated builders do;
    ``entries(items)`` builds a list of entries."""
    delta: Any = _delta_twin()
    delta.delete = tuple(entries(delete)) if delete else ()
    delta.update = tuple(entries(update)) if update else ()
    delta.insert = tuple(entries(insert)) if insert else ()
    delta.sequence = sequence if type(sequence) is int else integer(sequence)
    delta.timestamp = time_us(time)
    delta.__class__ = DeltaUpdate
    return delta  # type: ignore[no-any-return]


def _parse_book(frame: Mapping[str, Any], topic: str, state: dict[str, Any]) -> Parsed:
    data = frame["data"]
    if frame.get("type") == "delta" or (isinstance(data, dict) and "order_book" not in data):
        get = data.get
        sequence, time = frame.get("cross_seq"), frame.get("timestamp_e6")
        return "delta", _delta(_book_entries, get("delete"), get("update"), get("insert"), sequence, time)
    if isinstance(data, dict):
        data = data["order_book"]
    return "snapshot", OrderBookSnapshot(
        [_book_entry(e) for e in data], integer(frame.get("cross_seq")), time_us(frame.get("timestamp_e6"))
    )


#: the frame key of the exchange's time of a frame (µs; trade and private frames have none)
_STAMP = "timestamp_e6"

# The wire keys in the order Bybit sends them (the order the wire structs declare them in: msgspec
# matches keys fastest in it; see wire_schema), from the captured and documented frames in
# shared/fixtures/frames: inverse_trade_observed, inverse_orderbook25_delta*, inverse_instrument_info_*.
_TRADE_ORDER = (
    "trade_time_ms", "timestamp", "symbol", "side", "size", "price", "tick_direction", "trade_id",
    "cross_seq", "is_block_trade",
)  # fmt: skip
_TICKER_ORDER = (
    "id", "symbol", "last_price_e4", "last_price", "bid1_price_e4", "bid1_price", "ask1_price_e4",
    "ask1_price", "last_tick_direction", "prev_price_24h_e4", "prev_price_24h", "price_24h_pcnt_e6",
    "high_price_24h_e4", "high_price_24h", "low_price_24h_e4", "low_price_24h", "prev_price_1h_e4",
    "prev_price_1h", "price_1h_pcnt_e6", "mark_price_e4", "mark_price", "index_price_e4", "index_price",
    "open_interest", "open_value_e8", "total_turnover_e8", "turnover_24h_e8", "total_volume",
    "volume_24h", "funding_rate_e6", "predicted_funding_rate_e6", "cross_seq", "created_at",
    "updated_at", "next_funding_time", "countdown_hour", "funding_rate_interval",
)  # fmt: skip

# The typed path of the same frames: a snapshot's data is a list or {"order_book": [...]}, a delta's
# {"delete", "update", "insert"}; _parse_book_typed builds exactly what _parse_book builds.
_entry_schema = wire_schema(OrderBookEntry, order=("price", "symbol", "id", "side", "size"))
_entries_type: Any = list.__class_getitem__(_entry_schema.struct)
_BookData = msgspec.defstruct(
    "OrderBookDataWire",
    [(key, _entries_type | None, None) for key in ("delete", "update", "insert")]
    + [("order_book", _entries_type | None, msgspec.UNSET)],
    gc=False,
)
_BookFrame = envelope(
    "OrderBookFrame",
    [
        ("data", _entries_type | _BookData),
        ("type", str | None, None),
        ("cross_seq", Any, None),
        ("ts", Any, None),
    ],
    stamp=_STAMP,
)


def _parse_book_typed(frame: Any, state: dict[str, Any]) -> Parsed:
    data = frame.data
    build_all = _entry_schema.build_all
    if frame.type == "delta" or (type(data) is not list and data.order_book is msgspec.UNSET):
        return "delta", _delta(build_all, data.delete, data.update, data.insert, frame.cross_seq, frame.ts)
    if type(data) is not list:
        data = data.order_book
    return "snapshot", OrderBookSnapshot(build_all(data), integer(frame.cross_seq), time_us(frame.ts))


_BOOK = TopicSpec(
    _parse_book,
    continuous=True,
    typed=TypedParser.of(_BookFrame, _parse_book_typed),
    stamp=_STAMP,
    time=time_us,
)


def _parse_ticker(frame: Mapping[str, Any], topic: str, state: dict[str, Any]) -> Parsed | None:
    """Merge the snapshot and every delta entry into the full ticker (a missing key = unchanged)."""
    data = frame["data"]
    if frame.get("type") == "delta" or (isinstance(data, dict) and "update" in data and "symbol" not in data):
        updates = data.get("update") or ()
        if not updates:
            return None
        ticker = state.get("ticker")
        for entry in updates:
            ticker = _ticker(entry) if ticker is None else _merge_ticker(ticker, entry)
    else:
        ticker = _ticker(data[0] if isinstance(data, list) else data)
    state["ticker"] = ticker
    return "data", ticker


# The typed path of the same frames. A snapshot's data is the ticker itself (or a list of one), a
# delta's {"delete", "update", "insert"}: one struct takes both shapes, and "absent" stays UNSET so
# _parse_ticker_typed can tell them apart, and merge, exactly as _parse_ticker does.
_ticker_schema = wire_schema(TickerUpdate, delta=True, order=_TICKER_ORDER)
_merge_ticker_typed: Any = _ticker_schema.merge
_ticker_items: Any = list.__class_getitem__(_ticker_schema.struct) | None | msgspec.UnsetType
_TickerData: Any = msgspec.defstruct(
    "TickerDataWire",
    [(key, _ticker_items, msgspec.UNSET) for key in ("delete", "update", "insert")],
    bases=(_ticker_schema.struct,),
    gc=False,
    kw_only=True,
)
_TickerFrame = envelope(
    "TickerFrame",
    [("data", list.__class_getitem__(_TickerData) | _TickerData), ("type", str | None, None)],
    stamp=_STAMP,
)


def _parse_ticker_typed(frame: Any, state: dict[str, Any]) -> Parsed | None:
    data = frame.data
    if frame.type == "delta" or (
        type(data) is not list and data.update is not msgspec.UNSET and not _ticker_schema.has(data, "symbol")
    ):
        updates = data.update or ()
        if not updates:
            return None
        ticker = state.get("ticker")
        build, merge = _ticker_schema.build, _merge_ticker_typed
        for entry in updates:
            ticker = build(entry) if ticker is None else merge(ticker, entry)
    else:
        ticker = _ticker_schema.build(data[0] if type(data) is list else data)
    state["ticker"] = ticker
    return "data", ticker


def _parse_kline(frame: Mapping[str, Any], topic: str, state: dict[str, Any]) -> Parsed:
    _name, interval, symbol = [*topic.split(".", 2), "", ""][:3]
    return "data", [_kline({"symbol": symbol, "interval": interval, **item}) for item in frame["data"]]


class InverseDialect(Dialect):
    """Inverse Perpetual v2 wire dialect."""

    name = "inverse"
    uses_req_id = False

    _specs: dict[str, TopicSpec] = {  # noqa: RUF012
        "trade": list_topic(TradeUpdate, order=_TRADE_ORDER, stamp=_STAMP, time=time_us),
        "instrument_info": TopicSpec(
            _parse_ticker,
            continuous=True,
            typed=TypedParser.of(_TickerFrame, _parse_ticker_typed),
            stamp=_STAMP,
            time=time_us,
        ),
        "orderBookL2_25": _BOOK,
        "orderBook_200": _BOOK,
        "insurance": list_topic(InsuranceUpdate, stamp=_STAMP, time=time_us),
        "klineV2": TopicSpec(_parse_kline, stamp=_STAMP, time=time_us),
        "liquidation": TopicSpec(_one(structurer(LiquidationUpdate)), stamp=_STAMP, time=time_us),
        "position": list_topic(PositionUpdate, private=True, stamp=_STAMP, time=time_us),
        "execution": list_topic(UserTradeUpdate, private=True, stamp=_STAMP, time=time_us),
        "order": list_topic(OrderUpdate, private=True, stamp=_STAMP, time=time_us),
        "stop_order": list_topic(StopOrderUpdate, private=True, stamp=_STAMP, time=time_us),
        "wallet": list_topic(BalanceUpdate, private=True, stamp=_STAMP, time=time_us),
    }

    def topic_spec(self, topic: str) -> TopicSpec | None:
        """The spec of a topic family, by the topic's first dot-separated part."""
        return self._specs.get(topic.partition(".")[0])

    def classify(self, frame: Mapping[str, Any]) -> Reply | Any | None:
        """v2 replies: ``{"success", "ret_msg", "conn_id", "request": {"op", "args"}}``."""
        ret_msg = frame.get("ret_msg")
        request = frame.get("request")
        op = request.get("op") if isinstance(request, dict) else None
        if ret_msg == "pong" or op == "ping":
            return PONG
        if "success" not in frame:
            return None
        args = request.get("args") if isinstance(request, dict) else None
        return Reply(
            op=str(op) if op else None,
            success=frame.get("success") is True,
            ret_msg=str(ret_msg or ""),
            args=tuple(str(a) for a in args) if isinstance(args, list) else None,
        )
