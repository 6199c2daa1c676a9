"""What a v5 `FakeBybit` serves: its topic table, the symbols it lists, and the checks of a subscribe.

One table, `PUBLIC_TOPICS` / `PRIVATE_TOPICS`: a new v5 stream is one row. A row names the topic's
parameters (the dot-separated parts after its name) and the categories (public paths) serving it.
`Catalog.refusal` checks a whole subscribe request and returns Bybit's ``ret_msg`` for its first bad
arg, the way live Bybit fails the whole request:

* a topic with no handler on this path (unknown name, a depth or kline interval the category does not
  serve, a private topic on a public path or the reverse): ``error:handler not found,topic:<arg>``
  (sieblyio/bybit-api#561, for ``dcp.future`` on a public socket);
* a symbol the fake does not list (case-sensitive: ``btcusdt`` is not ``BTCUSDT``):
  ``Invalid symbol :[<arg>]`` (the text peers' parsers match, e.g. ``Invalid symbol :[orderbook.50.X]``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "CATEGORIES",
    "DEFAULT_SYMBOLS",
    "DEPTHS",
    "KLINE_INTERVALS",
    "PRIVATE_TOPICS",
    "PUBLIC_TOPICS",
    "Catalog",
    "handler_not_found",
    "invalid_symbol",
]

CATEGORIES = ("linear", "inverse", "spot", "option")
_FUTURES = ("linear", "inverse")
_NOT_OPTION = ("linear", "inverse", "spot")

#: ``orderbook.{depth}`` per category (docs: linear/inverse/spot 1, 50, 200, 1000; option 25, 100;
#: spread 25; 500 was removed 2025-09-11).
DEPTHS: Mapping[str, tuple[str, ...]] = {
    "linear": ("1", "50", "200", "1000"),
    "inverse": ("1", "50", "200", "1000"),
    "spot": ("1", "50", "200", "1000"),
    "option": ("25", "100"),
    "spread": ("25",),
}
KLINE_INTERVALS = ("1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D", "W", "M")

#: The symbols a fake lists unless told otherwise (`FakeBybit(symbols=...)`, `list_symbols`).
DEFAULT_SYMBOLS: Mapping[str, tuple[str, ...]] = {
    "linear": (
        "BTCUSDT",
        "ETHUSDT",
        "SOLUSDT",
        "XRPUSDT",
        "DOGEUSDT",
        "ROSEUSDT",
        "GALAUSDT",
        "BTCPERP",
        "ETHPERP",
        "BTC-26DEC25",
    ),
    "inverse": ("BTCUSD", "ETHUSD", "XRPUSD", "SOLUSD", "BTCUSDH26", "BTCUSDZ25"),
    "spot": (
        "BTCUSDT",
        "ETHUSDT",
        "SOLUSDT",
        "XRPUSDT",
        "DOGEUSDT",
        "MNTUSDT",
        "BTCUSDC",
        "ETHUSDC",
        "ETHBTC",
    ),
    "option": ("BTC", "ETH", "SOL"),  # base coins; an option symbol of one of them is listed
    "spread": (),  # () = any symbol
}
_OPTION_SYMBOL = re.compile(r"([A-Z]+)-\d{1,2}[A-Z]{3}\d{2}-\d+(?:\.\d+)?-[CP](?:-USDT)?")


@dataclass(frozen=True)
class TopicRule:
    """A topic: its parameters (``depth``, ``interval``, ``symbol``, ``base``, ``coin``, ``category``,
    ``any``) after the name, and the paths serving it (categories; ``private``; ``status``)."""

    params: tuple[str, ...]
    paths: tuple[str, ...]


#: Public v5 topics, by name (the first one or two dot-separated parts).
PUBLIC_TOPICS: dict[str, TopicRule] = {
    "orderbook": TopicRule(("depth", "symbol"), (*CATEGORIES, "spread")),
    "orderbook.rpi": TopicRule(("symbol",), _NOT_OPTION),
    "publicTrade": TopicRule(("symbol",), (*CATEGORIES, "spread")),  # option: the base coin
    "tickers": TopicRule(("symbol",), (*CATEGORIES, "spread")),
    "kline": TopicRule(("interval", "symbol"), _NOT_OPTION),
    "allLiquidation": TopicRule(("symbol",), _FUTURES),
    "liquidation": TopicRule(("symbol",), _FUTURES),  # deprecated 2025-02-20; still answered
    "priceLimit": TopicRule(("symbol",), _NOT_OPTION),
    "insurance": TopicRule(("coin",), _FUTURES),
    "adlAlert": TopicRule(("coin",), _FUTURES),
    "tickers_lt": TopicRule(("any",), ("spot",)),
    "kline_lt": TopicRule(("interval", "any"), ("spot",)),
    "lt": TopicRule(("any",), ("spot",)),
    "system.status": TopicRule((), ("status",)),
    "orderbook.full": TopicRule(("symbol",), _NOT_OPTION),  # deltas from a REST snapshot (V5_2026 §4.1)
    "rfq.open.public.trades": TopicRule((), ("rfq",)),  # /v5/public/rfq
    "earn.dualassets.offers": TopicRule((), ("fp",)),  # /v5/public/fp
}

#: Private v5 topics: the plain name, or ``{name}.{category}`` where the rule lists categories.
PRIVATE_TOPICS: dict[str, tuple[str, ...]] = {
    "order": CATEGORIES,
    "execution": CATEGORIES,
    "execution.fast": CATEGORIES,
    "position": ("linear", "inverse", "option"),
    "wallet": (),
    "greeks": (),
    "dcp": ("future", "spot", "option"),
    "spread.order": (),
    "spread.execution": (),
    "rfq.open.rfqs": (),
    "rfq.open.quotes": (),
    "rfq.open.trades": (),
    "strategy": (),
}


def handler_not_found(arg: str) -> str:
    """Bybit's ``ret_msg`` for a topic no handler serves on this path."""
    return f"error:handler not found,topic:{arg}"


def invalid_symbol(arg: str) -> str:
    """Bybit's ``ret_msg`` for a topic naming a symbol Bybit does not list."""
    return f"Invalid symbol :[{arg}]"


class Catalog:
    """The symbols one fake lists per category, and the subscribe checks. Thread-safe."""

    def __init__(self, symbols: Mapping[str, Iterable[str]] | None = None, *, check: bool = True) -> None:
        self._lock = threading.Lock()
        self.check = check  # False: every subscribe is served (synthetic topics in client tests)
        source = DEFAULT_SYMBOLS if symbols is None else {**dict.fromkeys(DEFAULT_SYMBOLS, ()), **symbols}
        self._symbols: dict[str, set[str]] = {c: set(s) for c, s in source.items()}

    def list_symbols(self, category: str, *symbols: str) -> None:
        """List more symbols in `category` (``"linear"``, ``"spot"``...; option: base coins)."""
        if category not in DEPTHS:
            raise ValueError(f"unknown category {category!r}; expected one of {sorted(DEPTHS)}")
        with self._lock:
            self._symbols.setdefault(category, set()).update(symbols)

    def symbols(self, category: str) -> list[str]:
        """The symbols listed in `category`, sorted."""
        with self._lock:
            return sorted(self._symbols.get(category, ()))

    def listed(self, category: str, symbol: str) -> bool:
        """Whether `symbol` is listed in `category` (spread: any symbol when none is listed)."""
        with self._lock:
            known = self._symbols.get(category, set())
            if category == "spread" and not known:
                return True
            if category == "option":
                match = _OPTION_SYMBOL.fullmatch(symbol)
                return symbol in known or (match is not None and match.group(1) in known)
            return symbol in known

    # ------------------------------------------------------------------------------------ checks
    def refusal(self, path: str, args: Sequence[str]) -> str | None:
        """Bybit's ``ret_msg`` failing a subscribe of `args` on `path` (a category, ``"private"`` or
        ``"status"``), or None when every arg is served."""
        if not self.check:
            return None
        for arg in args:
            reason = self._check_private(arg) if path == "private" else self._check_public(path, arg)
            if reason is not None:
                return reason
        return None

    @staticmethod
    def _check_private(arg: str) -> str | None:
        name, dot, category = arg.rpartition(".")
        if arg in PRIVATE_TOPICS:
            return None
        if dot and category in PRIVATE_TOPICS.get(name, ()):
            return None
        return handler_not_found(arg)

    def _check_public(self, path: str, arg: str) -> str | None:
        parts = arg.split(".")
        for size in range(min(len(parts), 4), 0, -1):
            rule = PUBLIC_TOPICS.get(".".join(parts[:size]))
            if rule is not None:
                break
        else:
            return handler_not_found(arg)
        values = parts[size:]
        if path not in rule.paths or len(values) != len(rule.params):
            return handler_not_found(arg)
        for kind, value in zip(rule.params, values, strict=True):
            if kind == "depth" and value not in DEPTHS.get(path, ()):
                return handler_not_found(arg)
            if kind == "interval" and value not in KLINE_INTERVALS:
                return handler_not_found(arg)
            if kind == "symbol" and not self._symbol_ok(path, value):
                return invalid_symbol(arg)
            if kind == "coin" and not value:  # insurance.USDT, insurance.inverse, adlAlert.USDT
                return invalid_symbol(arg)
        return None

    def _symbol_ok(self, path: str, symbol: str) -> bool:
        if path == "option" and "-" not in symbol:  # publicTrade.BTC: option trades by base coin
            with self._lock:
                return symbol in self._symbols.get("option", set())
        return self.listed(path, symbol)
