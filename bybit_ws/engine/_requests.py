"""Requests and replies on one connection: pending requests, reply matching, timeouts.

A request is sent on one socket *generation* (the supervisor bumps it on every new socket); when that
socket dies, its pending requests fail at once with :class:`ConnectionLost`. Which reply completes which
request is decided by the pure :class:`~bybit_ws.protocol.requests.RequestBook`; this module adds the
socket, the lock and the waiting.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections.abc import Callable, Container, Mapping, Sequence
from typing import Any

import msgspec

from bybit_ws._errors import BybitConnectionError, BybitTimeoutError
from bybit_ws.dialects._base import Reply
from bybit_ws.protocol.requests import Request, RequestBook

from ._transport import NotWritten, Transport

_log = logging.getLogger(__name__)

__all__ = ["ConnectionLost", "NotSent", "Pending", "RequestTracker", "encode", "next_req_id"]

#: compact JSON of a request frame, UTF-8 bytes (what the socket takes; json's encoder took 4.7 µs for an
#: order's frame where msgspec takes 0.7, same bytes; a Decimal in ``extra`` goes as a string)
encode: Callable[[Any], bytes] = msgspec.json.Encoder().encode
_req_ids = itertools.count(1)
#: Random per process: Bybit's Trade API refuses a ``reqId`` it has already seen (``20006``), also one
#: another process (a second bot, or this one before a restart) sent on the same account.
_REQ_ID_PREFIX = os.urandom(4).hex()


#: how long :meth:`RequestTracker.retire` lets a request registered before finish its write
_WRITE_GRACE = 1.0


def next_req_id() -> str:
    """A request id unique in this process and, by a random prefix, across processes (``"9f3a01c2-17"``)."""
    return f"{_REQ_ID_PREFIX}-{next(_req_ids)}"


class ConnectionLost(BybitConnectionError):
    """The socket a request was sent on went away before the reply (internal: callers decide)."""


class NotSent(ConnectionLost):
    """The request never left: there was no open socket of its generation (safe to send elsewhere)."""


#: builds a request frame: ``build(op, args, req_id)``
Build = Callable[[str, Sequence[Any], "str | None"], Mapping[str, Any]]


class Pending(Request):
    """One request waiting for its reply (or for the error that ends it)."""

    __slots__ = ("callback", "done", "error", "reply")

    def __init__(
        self,
        op: str,
        args: tuple[str, ...],
        req_id: str | None,
        gen: int,
        callback: Callable[[Pending], None] | None = None,
        deadline: float | None = None,
    ) -> None:
        super().__init__(op, args, req_id, gen, deadline)
        #: set when it ends (only for a request without a callback: its caller waits on it)
        self.done = threading.Event() if callback is None else None
        self.reply: Reply | None = None
        self.error: BaseException | None = None
        #: called once when the request ends (on the reader thread, or on the thread that failed it,
        #: never with the connection's lock held)
        self.callback = callback

    def finish(self, reply: Reply | None, error: BaseException | None, *, call: bool = True) -> None:
        """End the request with its reply or an error (and call its callback, unless ``call`` is false)."""
        self.reply = reply
        self.error = error
        if self.done is not None:
            self.done.set()
        if call and self.callback is not None:
            self.callback(self)


class RequestTracker:
    """The request channel of one connection: the current socket, its generation, pending requests.

    ``cond`` is the connection's lock, shared by all its parts; the supervisor calls :meth:`attach`
    (lock held) for every new socket.
    """

    def __init__(
        self,
        url: str,
        cond: threading.Condition,
        build: Build,
        *,
        uses_req_id: bool,
        name: str = "",
        anonymous_ops: Container[str] | None = None,
        keep_args: bool = True,
    ) -> None:
        self.url = url
        self.cond = cond
        self._build = build
        self._uses_req_id = uses_req_id
        #: keep each request's args as text (for matching replies that name them, and for messages);
        #: the Trade API's replies never do, and an order's args are dicts (str() of one costs ~1 µs)
        self._keep_args = keep_args
        self._send_lock = threading.Lock()
        #: which reply completes which request (``anonymous_ops``: see RequestBook)
        self._book: RequestBook[Pending] = RequestBook(name or url, anonymous_ops)
        self._deferred: list[Pending] = []  # failed with the lock held: callbacks still to call
        #: the open socket and its generation (lock held to change)
        self.transport: Transport | None = None
        self.gen = 0
        self._retired = -1  # a generation that takes no more requests (its socket is being replaced)

    def attach(self, transport: Transport) -> int:
        """A new socket (lock held): requests go to it from now on; return its generation."""
        self.gen += 1
        self.transport = transport
        return self.gen

    def retire(self, grace: float = _WRITE_GRACE) -> Transport | None:
        """The current socket takes no more requests (call without the lock): a send on its generation
        raises :class:`NotSent` from now on; one registered before is let end its write (up to ``grace``
        s: a write stuck on a full socket is not waited for), so that the socket is cut after it, not
        under it. Returns that socket. The next :meth:`attach` takes requests again."""
        with self.cond:
            self._retired = self.gen
            transport = self.transport
        if self._send_lock.acquire(timeout=grace):
            self._send_lock.release()
        return transport

    def send(
        self,
        op: str,
        args: Sequence[Any],
        gen: int,
        callback: Callable[[Pending], None] | None = None,
        deadline: float | None = None,
    ) -> Pending:
        """Send one request on generation ``gen``'s socket; the reply completes the returned Pending.

        ``callback(pending)`` is called once when it ends; ``deadline`` (monotonic) lets :meth:`expire`
        time it out.

        Raises:
            NotSent: no open socket of generation ``gen``: nothing was sent.
            ConnectionLost: the send failed (the request may have left in part).
        """
        req_id = next_req_id() if self._uses_req_id else None
        kept = tuple(str(a) for a in args) if self._keep_args else ()
        pending = Pending(op, kept, req_id, gen, callback, deadline)
        text = encode(self._build(op, args, req_id))
        # Register and send under one lock: replies without an id match requests in send order.
        with self._send_lock:
            with self.cond:
                transport = self.transport
                if transport is None or gen != self.gen or gen == self._retired or not transport.is_open:
                    raise NotSent("the connection was lost or is being replaced")
                self._book.add(pending)
            try:
                transport.send(text)
            except NotWritten as exc:  # not one byte left: as if never sent, if nothing ended it yet
                if self.drop(pending):
                    raise NotSent(f"not sent: {exc}") from exc
                raise ConnectionLost(f"send failed: {exc}") from exc
            except Exception as exc:
                self.drop(pending)
                raise ConnectionLost(f"send failed: {exc}") from exc
        return pending

    def request(self, op: str, args: Sequence[Any], deadline: float, gen: int) -> Reply:
        """Send one request on generation ``gen``'s socket and wait for its reply until ``deadline``.

        Raises:
            ConnectionLost: the socket went away first (:class:`NotSent` if nothing was sent).
            BybitTimeoutError: no reply in time (a late reply is then dropped).
        """
        pending = self.send(op, args, gen)
        assert pending.done is not None
        if not self._wait(pending, max(0.0, deadline - time.monotonic())) and self.drop(pending):
            what = "auth" if op == "auth" else f"{op} {list(pending.args)}"
            raise BybitTimeoutError(f"no reply to {what} from {self.url} in time")
        # (a reply or an error that ended it as the wait ran out is its outcome, not a timeout: the book
        # already ended it, and finish() sets `done` right after)
        pending.done.wait()
        if pending.error is not None:
            raise pending.error
        assert pending.reply is not None
        return pending.reply

    def _wait(self, pending: Pending, timeout: float) -> bool:
        """Wait up to ``timeout`` for ``pending`` to end (a seam: tests wedge a late reply in here)."""
        assert pending.done is not None
        return pending.done.wait(timeout)

    def drop(self, pending: Pending) -> bool:
        """Stop waiting for ``pending`` (its reply, if it comes, is dropped); False if it had ended."""
        with self.cond:
            return self._book.drop(pending)

    def fail(self, gen: int | None, error: BaseException) -> None:
        """Fail the requests waiting on ``gen`` (all if None) at once (lock held; their callbacks run
        at the next :meth:`run_callbacks`, once the lock is released)."""
        for pending in self._book.fail(gen):
            pending.finish(None, error, call=False)
            if pending.callback is not None:
                self._deferred.append(pending)

    def run_callbacks(self) -> None:
        """Call the callbacks of requests failed with the lock held (call without the lock)."""
        with self.cond:
            deferred, self._deferred = self._deferred, []
        for pending in deferred:
            assert pending.callback is not None
            pending.callback(pending)

    def next_deadline(self) -> float | None:
        """The earliest deadline of a pending request that has one."""
        with self.cond:
            return self._book.next_deadline()

    def expire(self, now: float, error: Callable[[Pending], BaseException]) -> None:
        """Time out the pending requests whose deadline has passed; a late reply is then dropped."""
        with self.cond:
            expired = self._book.expire(now)
        for pending in expired:
            pending.finish(None, error(pending))

    def match(self, reply: Reply) -> bool:
        """Hand a reply to the request it answers (reader thread); False if it answers none.

        A reply with an id matches only the request with that id: a late reply to a request that timed
        out, or a stray one, is dropped, never taken for the next request of its op. See
        :class:`~bybit_ws.protocol.requests.RequestBook` for replies without an id.
        """
        with self.cond:
            found = self._book.match(reply)
        if found is None:
            return False
        found.finish(reply, None)
        return True
