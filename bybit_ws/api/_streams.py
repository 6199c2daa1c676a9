"""What the three stream groups (``client.inverse``, ``.contract``, ``.v5``) share: argument checks and
the call into the engine's one subscribe path, through the narrow :class:`StreamEngine` interface."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from typing import Any, Protocol, TypeVar

from bybit_ws.dialects._base import Dialect
from bybit_ws.engine._subscriptions import Subscription
from bybit_ws.enums import KlineInterval
from bybit_ws.models._common import DataEvent

__all__ = ["Handler", "StreamEngine", "Streams", "kline_interval", "symbol_list"]

T = TypeVar("T")
#: A user callback: takes one typed event, returns nothing.
Handler = Callable[[DataEvent[T]], object]


def symbol_list(symbols: str | Iterable[str], what: str = "symbol") -> list[str]:
    """One symbol or an iterable of them, checked: non-empty strings without spaces or dots.

    Raises:
        TypeError: ``symbols`` is neither a string nor an iterable of strings (``123``, ``[5]``).
        ValueError: no symbol, or one that cannot be a symbol (``""``, ``"BTC USD"``, ``"trade.BTCUSD"``).
    """
    if isinstance(symbols, str):
        items = [symbols]
    elif isinstance(symbols, Iterable) and not isinstance(symbols, (bytes, bytearray, Mapping)):
        items = list(symbols)
    else:
        raise TypeError(
            f"{what}s must be a string ({what} 'BTCUSDT') or an iterable of strings, "
            f"not {type(symbols).__name__}: {symbols!r}"
        )
    if not items:
        raise ValueError(f"at least one {what} is needed")
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"each {what} must be a string, not {type(item).__name__}: {item!r}")
        if not item or any(c.isspace() or c == "." for c in item):
            raise ValueError(f"not a valid {what}: {item!r}")
    return list(dict.fromkeys(items))


def kline_interval(interval: KlineInterval | str | int) -> str:
    """The wire string of an interval: ``KlineInterval.ONE_DAY`` or ``"D"`` -> ``"D"``, ``60`` -> ``"60"``.

    Raises:
        ValueError: not one of Bybit's intervals; the message lists the valid ones.
    """
    wire = str(interval) if isinstance(interval, int) and not isinstance(interval, bool) else interval
    try:
        return KlineInterval(wire).value
    except ValueError:
        valid = ", ".join(f"{i.value!r} ({i.name})" for i in KlineInterval)
        raise ValueError(f"not a kline interval: {interval!r}; valid intervals: {valid}") from None


class StreamEngine(Protocol):
    """What a stream group needs of the engine behind the client."""

    def subscribe(
        self,
        endpoint: str,
        dialect: Dialect,
        topics: list[str],
        handlers: Mapping[str, Callable[[Any], object] | None],
        *,
        private: bool = False,
    ) -> Subscription[Any]:
        """Place ``topics`` on connections of ``endpoint``, register and confirm them."""
        ...

    def trade_submit(
        self, op: str, args: list[dict[str, Any]], *, blocking: bool = False
    ) -> Future[Mapping[str, Any]]:
        """Send one v5 Trade API request; the future gives the raw reply frame."""
        ...

    def trade_future(self) -> Future[Any]:
        """A future for a trade reply whose done callbacks run on the worker pool."""
        ...

    def connect_trade(self, timeout: float | None = None) -> None:
        """Open and authenticate the v5 trade connection now."""
        ...


class Streams:
    """Base of a stream group: one dialect, bound to the engine of a client."""

    def __init__(self, engine: StreamEngine, dialect: Dialect) -> None:
        self._engine = engine
        self._dialect = dialect

    def _subscribe(
        self,
        endpoint: str,
        topics: list[str],
        handlers: Mapping[str, Callable[[Any], object] | None],
        *,
        private: bool = False,
        dialect: Dialect | None = None,
    ) -> Subscription[Any]:
        for name, fn in handlers.items():
            if fn is not None and not callable(fn):
                raise TypeError(f"{name} handler must be callable, not {type(fn).__name__}")
        return self._engine.subscribe(endpoint, dialect or self._dialect, topics, handlers, private=private)
