"""Types shared by every API family: the event envelope and the order-book delta."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

import attrs

__all__ = ["DataEvent", "DeltaUpdate"]

T = TypeVar("T")
E = TypeVar("E")


@attrs.frozen
class DataEvent(Generic[T]):
    """One update delivered to a handler.

    Attributes:
        data: the typed payload (a model, or a tuple of models).
        topic: the topic of the frame it came from, e.g. ``"trade.BTCUSD"``.
        timestamp: when the frame was received (UTC), not the exchange's time.
        original_data: the raw frame text when the client was made with ``keep_original_data=True``.
    """

    data: T
    topic: str
    timestamp: datetime
    original_data: str | None = attrs.field(default=None, repr=False)


@attrs.frozen
class DeltaUpdate(Generic[E]):
    """An order-book delta: the entries deleted, updated and inserted, in that order of application."""

    delete: tuple[E, ...] = ()
    update: tuple[E, ...] = ()
    insert: tuple[E, ...] = ()
