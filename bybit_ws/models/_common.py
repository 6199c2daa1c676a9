"""Types shared by every API family: the event envelope and the order-book delta."""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime
from typing import Generic, TypeVar

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
        data: the typed payload (a model, or a tuple of models).
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
