"""The command line: ``python -m bybit_ws`` (or ``bybit-ws``) ``stream``, ``demo`` and ``replay``.

* ``stream TOPIC...``: subscribe to raw wire topics (``trade.BTCUSD``, ``publicTrade.BTCUSDT``, ...) on
  live Bybit, its testnet or any ``--url``, and print one compact line per event; ``--record FILE``
  also writes every data frame with its receive time as JSON lines.
* ``demo``: the bundled fake exchange with a simulated market, streamed to the terminal. Offline.
* ``replay FILE``: serve a ``--record`` file through the fake exchange, so a live session can be
  rerun offline against your own code.

Output: events on stdout, status and errors on stderr (the demo prints its banner on stdout).
Exit codes: 0 done (``--seconds`` elapsed, replay finished, or Ctrl-C: stopping a stream is its
normal end), 1 a connection or subscription failed, 2 a usage error (unknown topic, bad option).
This module is the only one in the package that prints.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

import attrs

from ._client import MAINNET_URLS, BybitSocketClient
from ._errors import BybitTimeoutError, BybitWsError
from ._subscriptions import Subscription
from ._v5 import CATEGORIES
from .enums import KlineInterval
from .models import inverse as inv
from .models import v5
from .models._common import DataEvent, DeltaUpdate, OrderBookSnapshot

if TYPE_CHECKING:
    from .testing import FakeBybit

__all__ = ["describe", "format_event", "main"]

_log = logging.getLogger(__name__)

APIS = ("v5", "inverse", "contract")  # the order `stream` tries when --api is not given
RECORDING_FORMAT = 1
_REPLAY_KEY = "bybit-ws-replay-key"
_REPLAY_SECRET = "bybit-ws-replay-secret"

Handler = Callable[[DataEvent[Any]], None]


class UsageError(ValueError):
    """A command line that cannot work (unknown topic, bad URL, ...): exit code 2."""


# ==================================================================================== formatting
def format_event(event: DataEvent[Any], kind: str = "data") -> str:
    """One compact line: receive time (UTC, ms) and :func:`describe` of the payload."""
    stamp = event.timestamp
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


# ==================================================================================== topics
HandlerFactory = Callable[[str], Handler]  # handler kind ("data", "snapshot", "delta") -> handler
Subscribe = Callable[[BybitSocketClient, HandlerFactory], Subscription[Any]]


class TopicPlan(NamedTuple):
    """How to subscribe to one raw topic: its API, endpoint key and the typed subscribe call."""

    topic: str
    api: str
    key: str  # the client's `urls` key
    private: bool
    subscribe: Subscribe


_DATA = ("data",)
_BOOK = ("snapshot", "delta")


def _call(streams: str, method: str, *args: Any, kinds: tuple[str, ...] = _DATA, **kwargs: Any) -> Subscribe:
    """``client.<streams>.subscribe_to_<method>(*args, *handlers, **kwargs)``, one handler per kind."""

    def subscribe(client: BybitSocketClient, handler: HandlerFactory) -> Subscription[Any]:
        call = getattr(getattr(client, streams), f"subscribe_to_{method}")
        return call(*args, *[handler(kind) for kind in kinds], **kwargs)  # type: ignore[no-any-return]

    return subscribe


# private topic -> method, per API
_PRIVATE = {
    "inverse": {
        "position": "position_updates",
        "execution": "user_trade_updates",
        "order": "order_updates",
        "stop_order": "stop_order_updates",
        "wallet": "balance_updates",
    },
    "v5": {
        "order": "order_updates",
        "position": "position_updates",
        "execution": "user_trade_updates",
        "wallet": "balance_updates",
    },
    "contract": {
        "user.order.contractAccount": "order_updates",
        "user.position.contractAccount": "position_updates",
        "user.execution.contractAccount": "user_trade_updates",
        "user.wallet.contractAccount": "balance_updates",
    },
}
# inverse topic name -> (infix before the symbol, one-symbol method, all-symbols method, parameter)
_INVERSE_PUBLIC = {
    "trade": ("", "trade_updates", "trades_updates", None),
    "instrument_info": ("100ms.", "ticker_updates", "tickers_updates", None),
    "orderBookL2_25": ("", "order_book_updates", "order_books_updates", 25),
    "orderBook_200": ("100ms.", "order_book_updates", "order_books_updates", 200),
    "insurance": ("", "insurance_updates", "insurances_updates", None),
    "klineV2": ("", "kline_updates", "klines_updates", "interval"),
    "liquidation": ("", "liquidation_updates", "liquidations_updates", None),
}
# v5 public topic name -> (method, parameter)
_V5_PUBLIC = {
    "publicTrade": ("trade_updates", None),
    "tickers": ("ticker_updates", None),
    "allLiquidation": ("liquidation_updates", None),
    "orderbook": ("order_book_updates", "depth"),
    "kline": ("kline_updates", "interval"),
}
_KNOWN = {
    "inverse": "trade.SYMBOL, instrument_info.100ms.SYMBOL, orderBookL2_25.SYMBOL, "
    "orderBook_200.100ms.SYMBOL, insurance.COIN, klineV2.INTERVAL.SYMBOL, liquidation.SYMBOL "
    "(SYMBOL may be * for all), position, execution, order, stop_order, wallet",
    "v5": "publicTrade.SYMBOL, tickers.SYMBOL, orderbook.DEPTH.SYMBOL, kline.INTERVAL.SYMBOL, "
    "allLiquidation.SYMBOL, order[.CATEGORY], position[.CATEGORY], execution[.CATEGORY], wallet",
    "contract": ", ".join(_PRIVATE["contract"]),
}


def _symbol(value: str, topic: str, *, wildcard: bool = False) -> str | None:
    """A topic's symbol part: ``None`` for ``*`` (all symbols) where allowed."""
    if wildcard and value == "*":
        return None
    if not value or value == "*" or any(c.isspace() or c in ".|" for c in value):
        raise UsageError(f"bad symbol {value!r} in topic {topic!r}")
    return value


def _parameter(kind: Any, rest: str, topic: str, category: str = "") -> tuple[list[Any], str]:
    """Split ``rest`` into the topic's parameter (interval or depth; a fixed limit) and the symbol part."""
    if kind is None:
        return [], rest
    if isinstance(kind, int):
        return [kind], rest
    raw, dot, rest = rest.partition(".")
    if not dot:
        raise UsageError(f"topic {topic!r} has no {kind} and symbol")
    if kind == "depth":
        depths = CATEGORIES[category]
        if not raw.isdigit() or int(raw) not in depths:
            raise UsageError(f"{category} order-book depth must be one of {depths}, not {raw!r}")
        return [int(raw)], rest
    try:
        return [KlineInterval(raw)], rest
    except ValueError:
        known = " ".join(i.value for i in KlineInterval)
        raise UsageError(f"bad kline interval {raw!r} in topic {topic!r}; known: {known}") from None


def plan_topic(topic: str, api: str, category: str = "linear") -> TopicPlan:
    """Map a raw wire topic of ``api`` to the typed subscribe call that makes it.

    Raises:
        UsageError: the topic is not one of the API's topics (or its symbol/interval/depth is bad).
    """
    if api not in _PRIVATE:
        raise UsageError(f"unknown API {api!r}; known: {', '.join(APIS)}")
    if category not in CATEGORIES:
        raise UsageError(f"unknown v5 category {category!r}; known: {', '.join(CATEGORIES)}")
    name, _, rest = topic.partition(".")
    private = _PRIVATE[api]
    if api == "contract":
        name, rest = topic, ""
    elif api == "v5" and name in private and name != "wallet" and rest in CATEGORIES:  # order.linear
        return TopicPlan(topic, api, "v5.private", True, _call(api, private[name], category=rest))
    if name in private and not rest:
        key = "v5.private" if api == "v5" else api
        return TopicPlan(topic, api, key, True, _call(api, private[name]))
    if api == "inverse" and name in _INVERSE_PUBLIC:
        infix, one, every, kind = _INVERSE_PUBLIC[name]
        if rest.startswith(infix):
            kinds = _BOOK if isinstance(kind, int) else _DATA
            extra, raw_symbol = _parameter(kind, rest[len(infix) :], topic)
            symbol = _symbol(raw_symbol, topic, wildcard=True)
            if symbol is None:
                return TopicPlan(topic, api, api, False, _call(api, every, *extra, kinds=kinds))
            return TopicPlan(topic, api, api, False, _call(api, one, symbol, *extra, kinds=kinds))
    if api == "v5" and name in _V5_PUBLIC:
        method, kind = _V5_PUBLIC[name]
        extra, raw_symbol = _parameter(kind, rest, topic, category)
        symbol = _symbol(raw_symbol, topic)
        kinds = _BOOK if kind == "depth" else _DATA
        call = _call(api, method, category, symbol, *extra, kinds=kinds)
        return TopicPlan(topic, api, f"v5.{category}", False, call)
    raise UsageError(f"unknown {api} topic {topic!r}; known: {_KNOWN[api]}")


def plan_topics(topics: Sequence[str], api: str | None, category: str = "linear") -> list[TopicPlan]:
    """Plans for every topic, all of one API: ``api``, or the first of v5, inverse, contract that
    knows every topic.

    Raises:
        UsageError: a topic no API knows, or topics of different APIs.
    """
    if not topics:
        raise UsageError("give at least one topic")
    if api is not None:
        return [plan_topic(t, api, category) for t in topics]
    for candidate in APIS:
        try:
            return [plan_topic(t, candidate, category) for t in topics]
        except UsageError:
            continue
    owners: dict[str, str] = {}
    for topic in topics:
        errors: list[str] = []
        for candidate in APIS:
            try:
                plan_topic(topic, candidate, category)
            except UsageError as exc:
                errors.append(str(exc))
            else:
                owners.setdefault(topic, candidate)
        if topic not in owners:
            specific = [e for e in errors if not e.startswith("unknown ")]
            if specific:  # a known topic with a bad symbol, depth or interval
                raise UsageError(specific[0])
            known = "\n  ".join(f"{name}: {_KNOWN[name]}" for name in APIS)
            raise UsageError(f"unknown topic {topic!r}; known topics by --api:\n  {known}")
    mixed = ", ".join(f"{topic} ({api})" for topic, api in owners.items())
    raise UsageError(f"the topics belong to different APIs: {mixed}; stream one API at a time")


def endpoint_urls(url: str | None, keys: Iterable[str]) -> dict[str, str] | None:
    """The client's ``urls`` for ``--url``: a full endpoint URL for the one endpoint the topics use,
    or a base URL (``ws://host:port``) under which every endpoint has its usual path."""
    if url is None:
        return None
    keys = sorted(set(keys))
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.netloc:
        raise UsageError(f"--url must be a ws:// or wss:// URL, not {url!r}")
    if parts.path in ("", "/"):
        base = url.rstrip("/")
        return {key: base + urlsplit(MAINNET_URLS[key]).path for key in keys}
    if len(keys) == 1:
        return {keys[0]: url}
    raise UsageError(
        f"--url {url} is one endpoint but the topics use {len(keys)} ({', '.join(keys)}); "
        "give a base URL (ws://host:port) to use every endpoint's usual path under it"
    )


# ==================================================================================== output
class Printer:
    """Writes whole lines from any thread; counts them; survives a closed pipe (``| head``)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.count = 0
        self.broken = threading.Event()

    def __call__(self, line: str) -> None:
        with self._cond:
            if not self.broken.is_set():
                stream = sys.stdout
                try:
                    stream.write(line + "\n")
                    stream.flush()
                except BrokenPipeError:
                    self.broken.set()
                    with contextlib.suppress(OSError, ValueError):  # no error again at exit
                        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
            self.count += 1
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` lines were written (or dropped on a broken pipe)."""
        with self._cond:
            return self._cond.wait_for(lambda: self.count >= count, timeout)


def _status(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Recorder:
    """``--record``: a header line, then one JSON line per data frame, written from handler threads."""

    def __init__(self, path: str, header: dict[str, Any]) -> None:
        self._file: IO[str] | None = open(path, "w", encoding="utf-8")  # noqa: SIM115
        self._lock = threading.Lock()
        self._write({"bybit_ws_recording": RECORDING_FORMAT, **header})

    def record(self, event: DataEvent[Any], key: str, url: str) -> None:
        if event.original_data is None:
            return
        self._write(
            {
                "t": event.timestamp.timestamp(),
                "key": key,
                "url": url,
                "topic": event.topic,
                "frame": event.original_data,
            }
        )

    def _write(self, line: dict[str, Any]) -> None:
        text = json.dumps(line, separators=(",", ":")) + "\n"
        with self._lock:
            if self._file is not None:
                self._file.write(text)
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def _subscribe_all(
    client: BybitSocketClient,
    plans: Sequence[TopicPlan],
    out: Printer,
    recorder: Recorder | None = None,
) -> None:
    urls = client.urls
    for plan in plans:

        def handler(kind: str, plan: TopicPlan = plan) -> Handler:
            def on_event(event: DataEvent[Any]) -> None:
                if recorder is not None:
                    recorder.record(event, plan.key, urls[plan.key])
                out(format_event(event, kind))

            return on_event

        plan.subscribe(client, handler)


# ==================================================================================== commands
def _stream(args: argparse.Namespace) -> int:
    try:
        plans = plan_topics(args.topics, args.api, args.category)
        urls = endpoint_urls(args.url, (p.key for p in plans))
    except UsageError as exc:
        return _usage("stream", exc)
    api = plans[0].api
    if any(p.private for p in plans) and not (
        os.environ.get("BYBIT_API_KEY") and os.environ.get("BYBIT_API_SECRET")
    ):
        return _usage("stream", "private topics need credentials: set BYBIT_API_KEY and BYBIT_API_SECRET")
    if api != "v5" and args.url is None:
        _status(
            f"note: Bybit retired the {api} API ({'v2, 2023' if api == 'inverse' else 'v3, 2024'}); "
            "its live endpoints no longer answer. Use --url for a compatible server, or v5 topics."
        )
    out = Printer()
    recorder: Recorder | None = None
    client: BybitSocketClient | None = None
    try:
        client = BybitSocketClient(testnet=args.testnet, urls=urls, keep_original_data=bool(args.record))
        used = {p.key: client.urls[p.key] for p in plans}
        if args.record:
            header = {"api": api, "topics": list(args.topics), "urls": used}
            if api == "v5":
                header["category"] = args.category
            recorder = Recorder(args.record, {**header, "t": time.time()})
        _status(
            f"streaming {', '.join(args.topics)} from {', '.join(sorted(set(used.values())))}; Ctrl-C stops"
        )
        _subscribe_all(client, plans, out, recorder)
        _wait(client, args.seconds, out)
    except KeyboardInterrupt:
        pass
    except ValueError as exc:
        return _usage("stream", exc)
    except (BybitWsError, OSError) as exc:
        _status(f"bybit-ws stream: error: {exc}")
        return 1
    finally:
        if client is not None:
            client.close()
        if recorder is not None:
            recorder.close()
    return 0


def _wait(client: BybitSocketClient, seconds: float | None, out: Printer) -> None:
    """Until ``seconds`` pass (``None``: forever), the client fails, or stdout is closed."""
    deadline = None if seconds is None else time.monotonic() + seconds
    while not out.broken.is_set():
        step = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
        if step <= 0:
            return
        try:
            client.wait(step)
            return
        except BybitTimeoutError:
            continue


def _demo(args: argparse.Namespace) -> int:
    try:
        from .testing import FakeBybit
        from .testing._market import SimulatedMarket
    except ImportError as exc:
        _status(f"bybit-ws demo: the fake exchange needs the 'websockets' package ({exc});")
        _status("  pip install 'bybit_ws[testing]'")
        return 1
    out = Printer()
    symbol = args.symbol
    with contextlib.ExitStack() as stack:
        try:
            fake = stack.enter_context(FakeBybit("v5"))
            market = stack.enter_context(SimulatedMarket(fake, symbol, seed=args.seed, rate=args.rate))
            client = stack.enter_context(BybitSocketClient(urls=fake.urls))
            topics = list(market.topics.values())
            out(f"bybit_ws demo: a simulated {symbol} market, streamed offline (nothing leaves this machine)")
            out(f"  exchange: the bundled fake exchange, bybit_ws.testing.FakeBybit('v5'), at {fake.url}")
            out(f"  client:   BybitSocketClient(urls=fake.urls), subscribed to {', '.join(topics)}")
            stop = f"after {args.seconds:g} s, or press Ctrl-C" if args.seconds else "press Ctrl-C"
            out(f"  stop:     {stop}    (live data instead: python -m bybit_ws stream publicTrade.BTCUSDT)")
            plans = [plan_topic(topic, "v5", "linear") for topic in topics]
            _subscribe_all(client, plans, out)
            _wait(client, args.seconds, out)
        except KeyboardInterrupt:
            pass
        except ValueError as exc:  # e.g. --rate 0
            return _usage("demo", exc)
        except (BybitWsError, OSError) as exc:
            _status(f"bybit-ws demo: error: {exc}")
            return 1
    return 0


class _Frame(NamedTuple):
    t: float
    key: str
    topic: str
    text: str


def load_recording(path: str) -> tuple[dict[str, Any], list[_Frame]]:
    """The header and the frames (sorted by receive time) of a ``stream --record`` file.

    Raises:
        UsageError: the file cannot be read or is not a recording.
    """
    try:
        with open(path, encoding="utf-8") as file:
            lines = [(n, line) for n, line in enumerate(file, 1) if line.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    header: dict[str, Any] | None = None
    frames: list[_Frame] = []
    for number, line in lines:
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("not a JSON object")
            if header is None:
                if "bybit_ws_recording" not in item or item.get("api") not in APIS:
                    raise ValueError("no bybit_ws recording header (write one with: stream --record FILE)")
                header = item
                continue
            frames.append(_Frame(float(item["t"]), _frame_key(item), str(item["topic"]), item["frame"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"{path}, line {number}: not a bybit_ws recording line: {exc}") from None
    if header is None:
        raise UsageError(f"{path} is empty")
    frames.sort(key=lambda f: f.t)
    return header, frames


def _frame_key(item: dict[str, Any]) -> str:
    key = item.get("key")
    if isinstance(key, str) and key in MAINNET_URLS:
        return key
    path = urlsplit(str(item.get("url", ""))).path
    for name, url in MAINNET_URLS.items():
        if urlsplit(url).path == path:
            return name
    raise ValueError("the frame names no known endpoint")


def _replay(args: argparse.Namespace) -> int:
    try:
        header, frames = load_recording(args.file)
        topics = header.get("topics") or sorted({f.topic for f in frames})
        plans = plan_topics(topics, header["api"], header.get("category") or "linear")
    except UsageError as exc:
        return _usage("replay", exc)
    if not args.speed > 0 or args.wait_subscribers < 0:
        return _usage("replay", "--speed must be positive and --wait-subscribers at least 0")
    try:
        from .testing import FakeBybit
    except ImportError as exc:
        _status(f"bybit-ws replay: the fake exchange needs the 'websockets' package ({exc});")
        _status("  pip install 'bybit_ws[testing]'")
        return 1
    speed = math.inf if args.as_fast_as_possible else args.speed
    own = os.environ.get("BYBIT_API_KEY"), os.environ.get("BYBIT_API_SECRET")
    key, secret = own if own[0] and own[1] else (_REPLAY_KEY, _REPLAY_SECRET)
    out = Printer()
    wanted = sorted({(f.key, f.topic) for f in frames} | {(p.key, p.topic) for p in plans})
    with contextlib.ExitStack() as stack:
        try:
            fake = stack.enter_context(
                FakeBybit(header["api"], api_key=key, api_secret=secret, port=args.port)
            )
            urls = {k: fake.urls[k] for k in sorted({k for k, _ in wanted})}
            span = frames[-1].t - frames[0].t if frames else 0.0
            pace = "as fast as possible" if speed == math.inf else f"at {speed:g}x"
            _status(f"replaying {args.file}: {len(frames)} frames over {span:.1f} s, {pace}")
            _status(f"  connect with: BybitSocketClient(urls={json.dumps(urls)})")
            if any(p.private for p in plans):
                shown = "BYBIT_API_KEY/BYBIT_API_SECRET" if key != _REPLAY_KEY else f"{key!r}/{secret!r}"
                _status(f"  private topics: authenticate with api_key/api_secret {shown}")
            if args.print:
                client = stack.enter_context(BybitSocketClient(api_key=key, api_secret=secret, urls=urls))
                _subscribe_all(client, plans, out)
            _status(
                f"  waiting for {args.wait_subscribers} subscriber(s) to the recorded topics (Ctrl-C stops)"
            )
            _await_audience(fake, wanted, args.wait_subscribers)
            while True:
                printed = out.count
                sent = _send(fake, frames, speed)
                if args.print:
                    out.wait_for(printed + sent, timeout=3.0)  # let the last events come through
                _status(f"replay done: {sent} of {len(frames)} frames had a subscriber")
                if not args.loop or not frames:
                    break
        except KeyboardInterrupt:
            pass
        except (BybitWsError, OSError) as exc:
            _status(f"bybit-ws replay: error: {exc}")
            return 1
    return 0


def _await_audience(fake: FakeBybit, wanted: Sequence[tuple[str, str]], count: int) -> None:
    """Wait until ``count`` connections hold one of the recorded topics, then until every topic has
    them or the subscribed set has not changed for 1 s (a client subscribing to a few only)."""
    tick = threading.Event()
    stable_since = time.monotonic()
    last: set[tuple[str, str]] = set()
    while True:
        held = {(k, t) for k, t in wanted if fake.subscriber_count(t, path=k) >= count}
        if held != last:
            last, stable_since = held, time.monotonic()
        if held and (len(held) == len(wanted) or time.monotonic() - stable_since >= 1.0):
            return
        tick.wait(0.02)


def _send(fake: FakeBybit, frames: Sequence[_Frame], speed: float) -> int:
    """Send the frames at their recorded pace divided by ``speed``; return how many had a subscriber.

    A frame goes (as recorded, byte for byte) to every connection on its endpoint, when at least one
    of them holds its topic: FakeBybit has no public call to send raw text to the subscribers only.
    """
    sent = 0
    start = time.monotonic()
    first = frames[0].t if frames else 0.0
    for frame in frames:
        if speed != math.inf:
            delay = start + (frame.t - first) / speed - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        if fake.subscriber_count(frame.topic, path=frame.key) and fake.send_raw(frame.text, path=frame.key):
            sent += 1
    return sent


def _usage(command: str, error: object) -> int:
    _status(f"bybit-ws {command}: error: {error}")
    return 2


# ==================================================================================== parser
def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(  # SUPPRESS: `bybit-ws -v demo` and `bybit-ws demo -v` both count
        "-v", "--verbose", action="count", default=argparse.SUPPRESS, help="log INFO (-v) or DEBUG (-vv)"
    )
    parser = argparse.ArgumentParser(
        prog="bybit-ws",
        description="Stream Bybit websocket topics, watch an offline demo, or replay a recording.",
        epilog="Start here: python -m bybit_ws demo",
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    stream = commands.add_parser(
        "stream",
        parents=[common],
        help="print live events of raw topics (e.g. publicTrade.BTCUSDT)",
        description="Subscribe to raw wire topics and print one line per event (times are UTC). "
        "Private topics read BYBIT_API_KEY and BYBIT_API_SECRET.",
    )
    stream.add_argument("topics", nargs="+", metavar="TOPIC", help="e.g. publicTrade.BTCUSDT trade.BTCUSD")
    stream.add_argument("--api", choices=APIS, help="API family (default: guessed from the topics, v5 first)")
    stream.add_argument("--category", default="linear", choices=list(CATEGORIES), help="v5 public category")
    stream.add_argument("--testnet", action="store_true", help="use Bybit's testnet endpoints")
    stream.add_argument("--url", help="endpoint to use instead of Bybit's (or a base ws://host:port)")
    stream.add_argument("--record", metavar="FILE", help="also write every data frame to FILE (JSON lines)")
    stream.add_argument("--seconds", type=float, help="stop after this many seconds (default: Ctrl-C)")
    stream.set_defaults(run=_stream)

    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="an offline simulated market on the bundled fake exchange",
        description="Start the bundled fake exchange with a simulated market and stream it. "
        "No network needed.",
    )
    demo.add_argument("--seconds", type=float, help="stop after this many seconds (default: Ctrl-C)")
    demo.add_argument("--symbol", default="BTCUSDT", help="simulated symbol (default: %(default)s)")
    demo.add_argument("--seed", type=int, help="random seed, for the same market every run")
    demo.add_argument(
        "--rate", type=float, default=4.0, help="market steps per second (default: %(default)s)"
    )
    demo.set_defaults(run=_demo)

    replay = commands.add_parser(
        "replay",
        parents=[common],
        help="serve a --record file through the fake exchange",
        description="Serve a recording through the bundled fake exchange at its recorded pace, so your "
        "own code can rerun a live session offline. Prints the URLs to connect to on stderr.",
    )
    replay.add_argument("file", metavar="FILE", help="a file written by: stream --record FILE")
    pace = replay.add_mutually_exclusive_group()
    pace.add_argument("--speed", type=float, default=1.0, help="replay this many times faster (default: 1)")
    pace.add_argument("--as-fast-as-possible", action="store_true", help="no pauses between frames")
    replay.add_argument("--port", type=int, default=0, help="port to listen on (default: any free one)")
    replay.add_argument(
        "--wait-subscribers", type=int, default=1, metavar="N", help="start once N connections subscribed"
    )
    replay.add_argument("--loop", action="store_true", help="start over at the end, until Ctrl-C")
    replay.add_argument("--print", action="store_true", help="connect a client here and print the events")
    replay.set_defaults(run=_replay)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (argparse exits with 2 on a bad command line)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(getattr(args, "verbose", 0), 2)],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    run: Callable[[argparse.Namespace], int] = args.run
    return run(args)
