"""Reply matching as a pure object: register pending requests, feed replies, get completions out.

No threads, no sockets, no clock: the caller passes the time where one is needed. A reply that carries
an id completes only the request with that id. A reply without one completes the oldest pending request
of its op (and, for subscribe/unsubscribe replies that name their args, of those args) only for ops
where the server may leave the id out (``anonymous_ops``; ``None``: every op, as on the stream
dialects, whose inverse and private replies carry no id). Anywhere else an anonymous reply completes
nothing: on the Trade API, a failure without ``reqId`` cannot say which order it concerns, so it is
logged and each order ends with its own reply or times out. Nothing is ever resent from here.
"""

from __future__ import annotations

import logging
from collections.abc import Container
from typing import Generic, Protocol, TypeVar

_log = logging.getLogger(__name__)

__all__ = ["ReplyLike", "Request", "RequestBook"]


class ReplyLike(Protocol):
    """What matching reads of a reply (``bybit_ws.dialects._base.Reply`` has it)."""

    @property
    def op(self) -> str | None: ...

    @property
    def success(self) -> bool: ...

    @property
    def req_id(self) -> str | None: ...

    @property
    def args(self) -> tuple[str, ...] | None: ...

    @property
    def ret_msg(self) -> str: ...


class Request:
    """One request as matching sees it: its op, args, id, socket generation and deadline."""

    __slots__ = ("args", "deadline", "gen", "op", "req_id")

    def __init__(
        self, op: str, args: tuple[str, ...], req_id: str | None, gen: int, deadline: float | None = None
    ) -> None:
        self.op = op
        self.args = args
        self.req_id = req_id
        self.gen = gen
        #: when :meth:`RequestBook.expire` times it out (None: never; its caller times out)
        self.deadline = deadline


R = TypeVar("R", bound=Request)


class RequestBook(Generic[R]):
    """The pending requests of one connection, in send order.

    Every method that ends requests removes them and returns them, so each request comes out at most
    once, whichever of :meth:`match`, :meth:`fail`, :meth:`expire` or :meth:`drop` gets it first.
    """

    def __init__(self, name: str = "", anonymous_ops: Container[str] | None = None) -> None:
        self.name = name
        self._anonymous_ops = anonymous_ops
        self._pending: dict[R, None] = {}  # an ordered set: send order
        self._by_id: dict[str, R] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, request: R) -> None:
        """Register a request about to be sent (before it is sent: its reply may come at once)."""
        if request.req_id is not None:
            if request.req_id in self._by_id:
                raise ValueError(f"request id {request.req_id!r} is already pending")
            self._by_id[request.req_id] = request
        self._pending[request] = None

    def drop(self, request: R) -> bool:
        """Stop waiting for ``request`` (a later reply is dropped); False if it had already ended."""
        if request not in self._pending:
            return False
        self._remove(request)
        return True

    def _remove(self, request: R) -> None:
        del self._pending[request]
        if request.req_id is not None:
            self._by_id.pop(request.req_id, None)

    def match(self, reply: ReplyLike) -> R | None:
        """The request ``reply`` completes (removed), or None: late, stray, or anonymous where that
        cannot be matched."""
        req_id = reply.req_id
        if req_id:
            found = self._by_id.get(req_id)
        elif self._anonymous_ops is None or (reply.op is not None and reply.op in self._anonymous_ops):
            found = self._oldest(reply)
        else:
            if not reply.success:
                _log.warning(
                    "%s: a failure reply without an id (op %s: %s) cannot say which request it answers; "
                    "it completes none (each ends with its own reply or times out)",
                    self.name,
                    reply.op,
                    reply.ret_msg or "no message",
                )
            else:
                _log.debug(
                    "%s: a reply without an id (op %s) matches no request, dropped", self.name, reply.op
                )
            return None
        if found is None:
            _log.debug("%s: reply matches no pending request (late or stray), dropped: %s", self.name, reply)
            return None
        self._remove(found)
        return found

    def _oldest(self, reply: ReplyLike) -> R | None:
        op, args = reply.op, reply.args
        for pending in self._pending:
            if op is not None and pending.op != op:
                continue
            if (
                args is not None
                and pending.op in ("subscribe", "unsubscribe")
                and set(pending.args) != set(args)
            ):
                continue
            return pending
        return None

    def fail(self, gen: int | None) -> list[R]:
        """Remove and return the requests sent on generation ``gen`` (all of them if None)."""
        ended = list(self._pending) if gen is None else [p for p in self._pending if p.gen == gen]
        for pending in ended:
            self._remove(pending)
        return ended

    def next_deadline(self) -> float | None:
        """The earliest deadline of a pending request that has one."""
        deadlines = [p.deadline for p in self._pending if p.deadline is not None]
        return min(deadlines) if deadlines else None

    def expire(self, now: float) -> list[R]:
        """Remove and return the requests whose deadline is at or before ``now``."""
        ended = [p for p in self._pending if p.deadline is not None and p.deadline <= now]
        for pending in ended:
            self._remove(pending)
        return ended
