"""A connection's state: one enum and the table of allowed transitions (no flags).

::

    CONNECTING -> AUTHENTICATING -> OPEN -> CLOSING -> BACKING_OFF -> CONNECTING ...
         |              |                      |            |
         +-> BACKING_OFF +-> CLOSING            +-> CLOSED   +-> CLOSED       (any state -> CLOSED)

AUTHENTICATING covers restoring a new socket (authenticate if needed, resubscribe). CLOSED is final.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

__all__ = ["TRANSITIONS", "ConnectionState", "IllegalTransition", "State"]


class State(enum.Enum):
    """Where one supervised connection is in its life."""

    CONNECTING = "connecting"
    AUTHENTICATING = "authenticating"
    OPEN = "open"
    CLOSING = "closing"
    BACKING_OFF = "backing off"
    CLOSED = "closed"


_S = State
#: every allowed transition, and only those
TRANSITIONS: Mapping[State, frozenset[State]] = {
    _S.CONNECTING: frozenset({_S.AUTHENTICATING, _S.BACKING_OFF, _S.CLOSED}),
    _S.AUTHENTICATING: frozenset({_S.OPEN, _S.CLOSING, _S.CLOSED}),
    _S.OPEN: frozenset({_S.CLOSING, _S.CLOSED}),
    _S.CLOSING: frozenset({_S.BACKING_OFF, _S.CLOSED}),
    _S.BACKING_OFF: frozenset({_S.CONNECTING, _S.CLOSED}),
    _S.CLOSED: frozenset(),
}


class IllegalTransition(RuntimeError):
    """A transition the table does not allow (a bug in the caller)."""


class ConnectionState:
    """The current :class:`State` of one connection; :meth:`to` moves it along :data:`TRANSITIONS`.

    Not thread-safe: the caller holds the connection's lock.
    """

    __slots__ = ("value",)

    def __init__(self, initial: State = State.CONNECTING) -> None:
        self.value = initial

    def to(self, new: State) -> State:
        """Move to ``new``; return the state left.

        Raises:
            IllegalTransition: the table does not allow it.
        """
        old = self.value
        if new not in TRANSITIONS[old]:
            raise IllegalTransition(f"{old.name} -> {new.name} is not allowed")
        self.value = new
        return old

    def __repr__(self) -> str:
        return f"<ConnectionState {self.value.name}>"
