"""Types shared by every API family: the event envelope and the order-book delta."""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Generic, TypeVar

import attrs

from bybit_ws.enums import UpdateType
from bybit_ws.models._display import data_html, value_text

__all__ = ["DataEvent", "DeltaUpdate", "OrderBookSnapshot"]

T = TypeVar("T")
E = TypeVar("E")


@attrs.frozen(weakref_slot=False)
class DataEvent(Generic[T]):
    """One update delivered to a handler.

    Attributes:
        data: the typed payload: a model, or a list of models (``DataEvent[list[Trade]]``).
        topic: the topic of the frame it came from, e.g. ``"trade.BTCUSD"``.
        timestamp: when the frame was received (UTC): the time of the socket read that completed it, not
            the exchange's time.
        original_data: the raw frame text when the client was made with ``keep_original_data=True``.
        exchange_timestamp: the exchange's time of the frame (UTC): v5's ``ts`` (public) or
            ``creationTime`` (private), inverse v2's ``timestamp_e6``; ``None`` for a frame without one.
        update_type: the frame's own ``type``, :attr:`UpdateType.SNAPSHOT` or :attr:`UpdateType.DELTA`
            (a merged ticker built from a delta frame is ``DELTA``; a v5 order-book delta with
            ``update_id == 1`` is a ``SNAPSHOT``); ``None`` for a frame without a type.
    """

    data: T
    topic: str
    timestamp: datetime
    original_data: str | None = attrs.field(default=None, repr=False)
    exchange_timestamp: datetime | None = None
    update_type: UpdateType | None = None

    def _repr_html_(self) -> str:
        """A notebook's view: the topic and time, then the payload as a table."""
        received = html.escape(value_text(self.timestamp))
        head = f"<div><b>{html.escape(self.topic)}</b> received {received}</div>"
        return head + data_html(self.data)


class _ExchangeTime:
    """``DataEvent.exchange_timestamp``, made a datetime when first read.

    The reader stores a frame's stamp as sent with its converter, ``(raw, convert)``, and this
    descriptor (over the field's own slot) converts it on first access and keeps the result: a datetime
    for every frame cost the reader ~5 % of a trade frame, and many handlers never read it. To attrs
    (``__eq__``, ``__repr__``, ``asdict``, pickling) and to users it is a plain ``datetime | None``.
    """

    __slots__ = ("_slot",)

    def __init__(self, slot: Any) -> None:
        self._slot = slot

    def __get__(self, event: Any, owner: Any = None) -> Any:
        if event is None:
            return self
        value = self._slot.__get__(event, owner)
        if type(value) is tuple:
            raw, convert = value
            try:
                value = convert(raw)
            except Exception:  # a stamp of a shape no frame has: the event goes without it
                value = None
            self._slot.__set__(event, value)
        return value

    def __set__(self, event: Any, value: Any) -> None:
        self._slot.__set__(event, value)


setattr(DataEvent, "exchange_timestamp", _ExchangeTime(DataEvent.__dict__["exchange_timestamp"]))  # noqa: B010


@attrs.frozen(weakref_slot=False)
class DeltaUpdate(Generic[E]):
    """An order-book delta: the entries deleted, updated and inserted, in that order of application.

    ``sequence`` and ``timestamp`` are the frame's ``cross_seq`` and ``timestamp_e6`` when it has them.
    """

    delete: tuple[E, ...] = ()
    update: tuple[E, ...] = ()
    insert: tuple[E, ...] = ()
    sequence: int | None = None
    timestamp: datetime | None = None


class OrderBookSnapshot(list[E]):
    """An order-book snapshot: a plain list of entries that also carries the frame's sequence and time."""

    sequence: int | None
    timestamp: datetime | None

    def __init__(
        self, entries: Iterable[E] = (), sequence: int | None = None, timestamp: datetime | None = None
    ):
        super().__init__(entries)
        self.sequence = sequence
        self.timestamp = timestamp
