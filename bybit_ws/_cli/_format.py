"""One compact line per event for the terminal: `format_event`, `describe` by model type, `summary`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs

from bybit_ws.models import inverse as inv
from bybit_ws.models import v5
from bybit_ws.models._common import DataEvent, DeltaUpdate, OrderBookSnapshot

__all__ = ["describe", "format_event", "summary"]


def format_event(event: DataEvent[Any], kind: str = "data", stamp: datetime | None = None) -> str:
    """One compact line: ``stamp`` (default: the receive time; UTC, ms) and `describe` of the payload."""
    stamp = stamp or event.timestamp
    return f"{stamp:%H:%M:%S}.{stamp.microsecond // 1000:03d} {describe(event.data, event.topic, kind)}"


def describe(data: Any, topic: str, kind: str = "data") -> str:
    """A compact description of one event's payload, by model type, with a generic fallback.

    ``kind`` is the handler kind the event went to: ``"data"``, ``"snapshot"`` or ``"delta"``.
    """
    label = _label(topic)
    if isinstance(data, v5.OrderBookUpdate):
        line = f"book   {data.symbol} {kind} {len(data.bids)} bids {len(data.asks)} asks"
        if kind == "snapshot" and data.bids and data.asks:
            line += f", best {data.bids[0].price}/{data.asks[0].price}"
        return f"{line} u={data.update_id}"
    if isinstance(data, DeltaUpdate):
        entries = [*data.delete, *data.update, *data.insert]
        symbol = getattr(entries[0], "symbol", None) if entries else None
        return (
            f"book   {symbol or _symbol_of(topic)} delta {len(data.delete)} deleted "
            f"{len(data.update)} updated {len(data.insert)} inserted"
        )
    if isinstance(data, (v5.Ticker, inv.TickerUpdate)):
        return (
            f"ticker {data.symbol or _symbol_of(topic)} last {_v(data.last_price)} "
            f"bid {_v(data.best_bid_price)} ask {_v(data.best_ask_price)} mark {_v(data.mark_price)}"
        )
    if isinstance(data, inv.LiquidationUpdate):
        return f"liq    {data.symbol} {_v(data.side)} {_v(data.quantity)} @ {data.price}"
    if isinstance(data, list):
        if isinstance(data, OrderBookSnapshot) or kind == "snapshot":
            return _inverse_book(data, topic)
        if not data:
            return f"{label:<6} {topic} (empty)"
        first = data[0]
        if isinstance(first, (v5.Trade, inv.TradeUpdate)):
            return _trades(data)
        if isinstance(first, (v5.Kline, inv.KlineUpdate)):
            return _kline(data[-1], topic)
        if isinstance(first, v5.Liquidation):
            shown = ", ".join(f"{_v(x.side)} {x.quantity} @ {x.price}" for x in data[:3])
            return f"liq    {first.symbol} {shown}{_more(data, 3)}"
        return f"{label:<6} {summary(first)}{_more(data, 1)}"
    return f"{label:<6} {summary(data)}"


_LABELS = {
    "trade": "trade",
    "publicTrade": "trade",
    "orderbook": "book",
    "orderBookL2_25": "book",
    "orderBook_200": "book",
    "tickers": "ticker",
    "instrument_info": "ticker",
    "kline": "kline",
    "klineV2": "kline",
    "allLiquidation": "liq",
    "liquidation": "liq",
}


def _label(topic: str) -> str:
    head = topic.split(".")
    if len(head) == 3 and head[0] == "user" and head[2] == "contractAccount":
        return head[1]
    return _LABELS.get(head[0], head[0])


def _symbol_of(topic: str) -> str:
    return topic.rsplit(".", 1)[-1]


def _v(value: Any) -> str:
    if value is None:
        return "-"
    return str(getattr(value, "value", value))


def _more(items: Sequence[Any], shown: int) -> str:
    return f" (+{len(items) - shown} more)" if len(items) > shown else ""


def _trades(trades: Sequence[v5.Trade | inv.TradeUpdate]) -> str:
    symbols = {t.symbol for t in trades}
    shown = ", ".join(f"{_v(t.side)} {t.quantity} @ {t.price}" for t in trades[:3])
    return f"trade  {'/'.join(sorted(symbols))} {shown}{_more(trades, 3)}"


def _kline(k: v5.Kline | inv.KlineUpdate, topic: str) -> str:
    interval = _v(k.interval)
    closed = " closed" if k.confirm else ""
    return (
        f"kline  {k.symbol or _symbol_of(topic)} {interval} O {k.open_price} H {k.high_price} "
        f"L {k.low_price} C {k.close_price} V {_v(k.volume)}{closed}"
    )


def _inverse_book(entries: Sequence[Any], topic: str) -> str:
    bids = [e.price for e in entries if _v(getattr(e, "side", None)) == "Buy"]
    asks = [e.price for e in entries if _v(getattr(e, "side", None)) == "Sell"]
    symbol = getattr(entries[0], "symbol", None) if entries else None
    line = f"book   {symbol or _symbol_of(topic)} snapshot {len(bids)} bids {len(asks)} asks"
    if bids and asks:
        line += f", best {max(bids)}/{min(asks)}"
    return line


# Fields a generic summary shows, in order, and how: "" = the bare value, "@" = "@ value", else "name value".
_SUMMARY_FIELDS = (
    ("symbol", ""),
    ("asset", ""),
    ("account_type", ""),
    ("side", ""),
    ("order_type", ""),
    ("type", ""),
    ("quantity", ""),
    ("price", "@"),
    ("entry_price", "entry"),
    ("status", ""),
    ("order_status", ""),
    ("position_status", ""),
    ("equity", "equity"),
    ("total_equity", "equity"),
    ("wallet_balance", "wallet"),
    ("available_balance", "available"),
)


def summary(item: Any) -> str:
    """A compact, generic description of a model: its symbol, side, quantity, price, status, ..."""
    if not attrs.has(type(item)):
        text = repr(item)
        return text if len(text) <= 100 else text[:97] + "..."
    parts: list[str] = []
    for name, style in _SUMMARY_FIELDS:
        value = getattr(item, name, None)
        if value is None or value == "":
            continue
        parts.append(_v(value) if not style else f"{style} {_v(value)}")
    assets = getattr(item, "assets", None)
    if assets:
        parts.append(", ".join(f"{a.asset} {_v(a.wallet_balance)}" for a in assets[:3]) + _more(assets, 3))
    return " ".join(parts) or type(item).__name__
