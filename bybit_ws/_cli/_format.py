"""One compact line per event for the terminal: `format_event`, `describe` by model type, `summary`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from bybit_ws.models import inverse as inv
from bybit_ws.models import v5
from bybit_ws.models._common import DataEvent, DeltaUpdate, OrderBookSnapshot

__all__ = ["describe", "format_event", "summary"]


def format_event(event: DataEvent[Any], kind: str = "data", stamp: datetime | None = None) -> str:
    """One compact line: ``stamp`` (default: the receive time; UTC, ms) and `describe` of the payload."""
    stamp = stamp or event.timestamp
    if kind == "data" and isinstance(event.data, _BOOKS) and event.update_type is not None:
        kind = event.update_type.value  # one handler for both kinds (the RPI book): the frame's own type
    return f"{stamp:%H:%M:%S}.{stamp.microsecond // 1000:03d} {describe(event.data, event.topic, kind)}"


def describe(data: Any, topic: str, kind: str = "data") -> str:
    """A compact description of one event's payload, by model type, with a generic fallback.

    ``kind`` is the handler kind the event went to: ``"data"``, ``"snapshot"`` or ``"delta"``.
    """
    label = _label(topic)
    if isinstance(data, _BOOKS):
        rpi = " rpi" if isinstance(data, v5.RpiOrderBookUpdate) else ""
        line = f"book   {data.symbol}{rpi} {kind} {len(data.bids)} bids {len(data.asks)} asks"
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


_BOOKS = (v5.OrderBookUpdate, v5.RpiOrderBookUpdate)
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
    "priceLimit": "limits",
    "insurance": "pool",
    "adlAlert": "adl",
}


def _label(topic: str) -> str:
    head = topic.split(".")
    if head[:2] == ["execution", "fast"]:
        return "fill"
    if len(head) == 3 and head[0] == "user" and head[2] == "contractAccount":
        return head[1]
    return _LABELS.get(head[0], head[0])


def _symbol_of(topic: str) -> str:
    return topic.rsplit(".", 1)[-1]


def _v(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return f"{value:f}"  # as sent: 0.00000001, not 1E-8
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
    """A compact description of a model: its own line for the v5 stream models (fills, system status,
    pools, price limits, ADL alerts, greeks), else a generic one (symbol, side, quantity, price, status)."""
    own = _SUMMARIES.get(type(item))
    if own is not None:
        return own(item)
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


def _window(begin: datetime | None, end: datetime | None) -> str:
    """``2025-07-04 02:41-02:43 UTC`` (the end's date too when it is another day)."""
    if begin is None:
        return "-" if end is None else f"until {end:%Y-%m-%d %H:%M} UTC"
    if end is None:
        return f"from {begin:%Y-%m-%d %H:%M} UTC"
    until = f"{end:%H:%M}" if end.date() == begin.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"{begin:%Y-%m-%d %H:%M}-{until} UTC"


def _fill(t: v5.MinimalUserTrade) -> str:
    role = "" if t.is_maker is None else (" maker" if t.is_maker else " taker")
    category = f" ({_v(t.category)})" if t.category is not None else ""
    return f"{t.symbol} {_v(t.side)} {_v(t.quantity)} @ {_v(t.price)}{role}{category}"


def _system_status(s: v5.SystemStatus) -> str:
    kind = f", {_name(s.maintenance_type)}" if s.maintenance_type is not None else ""
    products = "/".join(_name(p) for p in s.products) or "-"
    services = "/".join(_name(x) for x in s.services) or "-"
    return (
        f"{s.title or s.id} {_v(s.state)} {_window(s.begin_time, s.end_time)}{kind}, {products}: {services}"
    )


def _name(value: Any) -> str:
    """An int enum member's name in lower case (``MARKET_DATA`` -> ``market_data``), else its value."""
    name = getattr(value, "name", None)
    return name.lower() if isinstance(name, str) else _v(value)


def _insurance(p: v5.InsurancePool) -> str:
    symbols = f" ({p.symbols})" if p.symbols else ""
    return f"{p.asset} balance {_v(p.balance)}{symbols}"


def _price_limit(p: v5.PriceLimit) -> str:
    return f"{p.symbol} buy <= {_v(p.buy_limit)} sell >= {_v(p.sell_limit)}"


def _adl_alert(a: v5.AdlAlert) -> str:
    return (
        f"{a.symbol} {a.asset} balance {_v(a.balance)} (max {_v(a.max_balance)}, "
        f"threshold {_v(a.balance_threshold)}) pnl ratio {_v(a.pnl_ratio)} "
        f"(trigger {_v(a.trigger_pnl_ratio)}, stop {_v(a.stop_ratio)})"
    )


def _greeks(g: v5.Greeks) -> str:
    return (
        f"{g.base_asset} delta {_v(g.total_delta)} gamma {_v(g.total_gamma)} "
        f"vega {_v(g.total_vega)} theta {_v(g.total_theta)}"
    )


def _rpi_book(b: v5.RpiOrderBookUpdate) -> str:
    best = f", best {b.bids[0].price}/{b.asks[0].price}" if b.bids and b.asks else ""
    return f"{b.symbol} rpi {len(b.bids)} bids {len(b.asks)} asks{best} u={b.update_id}"


def _legs(legs: Sequence[v5.RfqLeg]) -> str:
    shown = []
    for leg in legs[:3]:
        parts = [leg.symbol, _v(leg.side) if leg.side is not None else "", _v(leg.quantity)]
        price = f" @ {_v(leg.price)}" if leg.price is not None else ""
        shown.append(" ".join(p for p in parts if p) + price)
    return "; ".join(shown) + _more(legs, 3)


def _rfq(r: v5.RfqPublicTrade | v5.RfqInquiry | v5.RfqTrade) -> str:
    status = f" {_v(r.status)}" if not isinstance(r, v5.RfqPublicTrade) and r.status is not None else ""
    return f"{r.rfq_id}{status}: {_legs(r.legs)}"


def _rfq_quote(q: v5.RfqQuote) -> str:
    return f"quote {q.quote_id} {_v(q.status)} bid {_legs(q.buy_legs) or '-'} ask {_legs(q.sell_legs) or '-'}"


def _dual_asset(o: v5.DualAssetOffer) -> str:
    best = max((q.apy for q in (*o.buy_low, *o.sell_high) if q.apy is not None), default=None)
    return (
        f"dual asset {o.product_id} price {_v(o.current_price)} {len(o.buy_low)} buy-low "
        f"{len(o.sell_high)} sell-high, best apy {_v(best)}"
    )


def _strategy(x: v5.Strategy) -> str:
    return (
        f"{_v(x.strategy_type)} {x.symbol} {_v(x.side)} {_v(x.executed_quantity)}/{_v(x.quantity)} "
        f"@ {_v(x.executed_average_price)} {_name(x.status)}"
    )


_SUMMARIES: dict[type, Callable[[Any], str]] = {
    v5.RfqPublicTrade: _rfq,
    v5.RfqInquiry: _rfq,
    v5.RfqTrade: _rfq,
    v5.RfqQuote: _rfq_quote,
    v5.DualAssetOffer: _dual_asset,
    v5.Strategy: _strategy,
    v5.MinimalUserTrade: _fill,
    v5.SystemStatus: _system_status,
    v5.InsurancePool: _insurance,
    v5.PriceLimit: _price_limit,
    v5.AdlAlert: _adl_alert,
    v5.Greeks: _greeks,
    v5.RpiOrderBookUpdate: _rpi_book,
}
