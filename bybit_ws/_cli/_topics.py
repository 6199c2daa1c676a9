"""Topic planning: which typed subscribe call makes a raw wire topic (`plan_topic`), and `--url` endpoints."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from bybit_ws.api._client import MAINNET_URLS, BybitSocketClient
from bybit_ws.api._v5_more import FULL_BOOK_CATEGORIES
from bybit_ws.dialects._v5 import _DCP_PRODUCTS, _POOLS, _PRIVATE_CATEGORIES, CATEGORIES
from bybit_ws.engine._subscriptions import Subscription
from bybit_ws.enums import KlineInterval
from bybit_ws.models._common import DataEvent

__all__ = [
    "APIS",
    "Handler",
    "HandlerFactory",
    "TopicPlan",
    "UsageError",
    "add_topic_options",
    "endpoint_urls",
    "plan_topic",
    "plan_topics",
]

APIS = ("v5", "inverse", "contract")  # the order `stream` tries when --api is not given

Handler = Callable[[DataEvent[Any]], None]


class UsageError(ValueError):
    """A command line that cannot work (unknown topic, bad URL, ...): exit code 2."""


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
    "v5": "publicTrade.SYMBOL, tickers.SYMBOL, orderbook.DEPTH.SYMBOL, orderbook.rpi.SYMBOL, "
    "kline.INTERVAL.SYMBOL, allLiquidation.SYMBOL, priceLimit.SYMBOL, insurance.{USDT,USDC,inverse}, "
    "adlAlert.{USDT,USDC,inverse}, system.status, order[.CATEGORY], position[.CATEGORY], "
    "execution[.CATEGORY], execution.fast[.CATEGORY], wallet, greeks, dcp.{future,spot,option}, "
    "orderbook.full.SYMBOL, rfq.open.public.trades, rfq.open.{rfqs,quotes,trades}, "
    "earn.dualassets.offers, strategy",
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
    if api == "v5":
        plan = _plan_v5_more(topic, category)
        if plan is not None:
            return plan
    if api == "contract":
        name, rest = topic, ""
    elif api == "v5" and name in _PRIVATE_CATEGORIES and rest:  # order.linear
        allowed = _PRIVATE_CATEGORIES[name]
        if rest not in allowed:
            raise UsageError(f"{name} category must be one of {', '.join(allowed)}, not {rest!r}")
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


def _plan_v5_more(topic: str, category: str) -> TopicPlan | None:
    """The v5 topics beyond the classic ones: ``system.status`` (its own endpoint), the insurance and
    ADL-alert pools (their coin picks the endpoint), price limits and the RPI book (``--category``, not
    option), and the private ``execution.fast[.CATEGORY]``, ``greeks`` and ``dcp.PRODUCT``."""
    name, _, rest = topic.partition(".")
    plan = _plan_v5_2026(topic, category)
    if plan is not None:
        return plan
    if topic == "system.status":
        return TopicPlan(topic, "v5", "v5.status", False, _call("v5", "system_status_updates"))
    if topic == "greeks":
        return TopicPlan(topic, "v5", "v5.private", True, _call("v5", "greek_updates"))
    if topic == "execution.fast" or topic.startswith("execution.fast."):
        fast = topic[len("execution.fast.") :]
        allowed = _PRIVATE_CATEGORIES["execution.fast"]
        if fast and fast not in allowed:
            raise UsageError(f"execution.fast category must be one of {', '.join(allowed)}, not {fast!r}")
        call = _call("v5", "minimal_user_trade_updates", category=fast or None)
        return TopicPlan(topic, "v5", "v5.private", True, call)
    if name == "dcp":
        if rest not in _DCP_PRODUCTS:
            raise UsageError(f"dcp product must be one of {', '.join(_DCP_PRODUCTS)}, not {rest!r}")
        keep_alive = _call("v5", "disconnect_cancel_all", rest, kinds=())  # no data, no handler
        return TopicPlan(topic, "v5", "v5.private", True, keep_alive)
    if name in ("insurance", "adlAlert"):
        endpoint = _POOLS.get(rest)
        if endpoint is None:
            raise UsageError(f"{name} coin must be one of {', '.join(_POOLS)}, not {rest!r}")
        method = "insurance_pool_updates" if name == "insurance" else "adl_alert_updates"
        return TopicPlan(topic, "v5", f"v5.{endpoint}", False, _call("v5", method, rest))
    rpi = name == "orderbook" and rest.startswith("rpi.")
    if name == "priceLimit" or rpi:
        if category == "option":
            raise UsageError(f"{topic!r} is served for spot, linear and inverse, not option (--category)")
        symbol = _symbol(rest[len("rpi.") :] if rpi else rest, topic)
        method = "rpi_order_book_updates" if rpi else "price_limit_updates"
        return TopicPlan(topic, "v5", f"v5.{category}", False, _call("v5", method, category, symbol))
    return None


# issue 25's topics on endpoints of their own or private: topic -> (urls key, method)
_V5_2026 = {
    "rfq.open.public.trades": ("v5.rfq", "rfq_trade_updates"),
    "rfq.open.rfqs": ("v5.private", "rfq_inquiry_updates"),
    "rfq.open.quotes": ("v5.private", "rfq_quote_updates"),
    "rfq.open.trades": ("v5.private", "rfq_user_trade_updates"),
    "earn.dualassets.offers": ("v5.fp", "dual_asset_offer_updates"),
    "strategy": ("v5.private", "strategy_updates"),
}


def _plan_v5_2026(topic: str, category: str) -> TopicPlan | None:
    """Issue 25's topics: the full-depth book's deltas (``--category`` spot, linear or inverse), RFQ,
    Dual Assets offers and algo orders."""
    known = _V5_2026.get(topic)
    if known is not None:
        key, method = known
        return TopicPlan(topic, "v5", key, key == "v5.private", _call("v5", method))
    if topic.startswith("orderbook.full."):
        if category not in FULL_BOOK_CATEGORIES:
            served = ", ".join(FULL_BOOK_CATEGORIES)
            raise UsageError(f"{topic!r} is served for {served}, not {category} (--category)")
        symbol = _symbol(topic[len("orderbook.full.") :], topic)
        call = _call("v5", "full_order_book_updates", category, symbol, kinds=("delta",))
        return TopicPlan(topic, "v5", f"v5.{category}", False, call)
    return None


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


def add_topic_options(parser: argparse.ArgumentParser) -> None:
    """The topics and connection options ``stream`` and ``record`` share."""
    parser.add_argument("topics", nargs="+", metavar="TOPIC", help="e.g. publicTrade.BTCUSDT trade.BTCUSD")
    parser.add_argument("--api", choices=APIS, help="API family (default: guessed from the topics, v5 first)")
    parser.add_argument("--category", default="linear", choices=list(CATEGORIES), help="v5 public category")
    parser.add_argument("--testnet", action="store_true", help="use Bybit's testnet endpoints")
    parser.add_argument("--url", help="endpoint to use instead of Bybit's (or a base ws://host:port)")
    parser.add_argument("--seconds", type=float, help="stop after this many seconds (default: Ctrl-C)")
