"""`FakeBybit`'s Trade API desk: ``/v5/trade`` (auth, ping, order ops) served by a `PaperExchange`.

An order request is carried out by the fake's `PaperExchange` (``fake.paper``); its reply goes back on
the trade socket and the private frames the change makes (``order``, ``execution``,
``execution.fast``, ``position``, ``wallet``) are published on ``/v5/private`` under their plain topic
and, except ``wallet``, also under the categorised one (``order.linear``), through `publish_frame`: so
`pause_data` drops them like any data. The frames go out before the reply is sent.

The controls here (`reject_next_order`, `delay_trade_replies`, `drop_before_next_trade_reply`,
`reply_out_of_order`, `omit_req_id_on_next_failure`) act on order replies only; auth and ping replies
are never delayed, held or dropped (``stop_answering_pings``, ``ignore_next`` and ``reject_next("auth")``
work on ``/v5/trade`` as on the other paths).
"""

from __future__ import annotations

import collections
import heapq
import itertools
import threading
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

from bybit_ws.testing._controls import ControlsMixin
from bybit_ws.testing._paper import PaperExchange
from bybit_ws.testing._paper_frames import categorised_topic
from bybit_ws.testing._protocol import (
    TRADE_AUTH_FAILURES,
    TRADE_NOT_AUTHED,
    V5TradeEndpoint,
    req_echo,
)
from bybit_ws.testing._replies import RepliesMixin
from bybit_ws.testing._server import Connection, dumps

__all__ = ["TradeDeskMixin"]

_TRADE_KEY = "v5.trade"
_REPEAT_AUTH = (20001, "Repeat auth")


class TradeDeskMixin(ControlsMixin, RepliesMixin):
    """The ``/v5/trade`` endpoint of a v5 `FakeBybit`, its paper exchange and its order-reply faults.

    All of its state but the paper exchange lives under the fake's lock; `_desk_lock` makes carrying
    out a request and publishing its frames one step, so frames of two requests never interleave.
    """

    def _init_desk(self, paper: PaperExchange | None) -> None:
        self._paper = PaperExchange(clock=self.server_time_ms) if paper is None else paper
        self._desk_lock = threading.Lock()
        self._drops: collections.deque[bool] = collections.deque()  # executed? per queued drop
        self._omit_req_id = 0
        self._delay = 0.0
        self._delay_left: int | None = None  # replies still to delay; None: all of them
        self._hold_left = 0
        self._held: list[tuple[Connection, str]] = []
        self._delayed: list[tuple[float, int, Connection, str]] = []  # heap of (due, n, conn, text)
        self._delayed_ids = itertools.count()
        self._delay_thread: threading.Thread | None = None

    # ---------------------------------------------------------------------------------------------
    # the paper exchange

    @property
    def paper(self) -> PaperExchange:
        """The paper exchange behind ``/v5/trade`` (query it: ``price``, ``balance``, ``open_orders``...)."""
        return self._paper

    def set_price(self, symbol: str, price: Decimal | str | int) -> list[dict[str, Any]]:
        """Set `symbol`'s market price on the paper exchange; resting limits it crosses fill.

        The fills' private frames are published on ``/v5/private`` (and returned). A `SimulatedMarket`
        on this fake calls this with its last trade price after every step that traded.
        """
        with self._desk_lock:
            frames = self._paper.set_price(symbol, price)
            self._push(frames)
        return frames

    def _push(self, frames: list[dict[str, Any]]) -> None:
        # Caller holds self._desk_lock.
        for frame in frames:
            self.publish_frame(frame, path="v5.private")
            topic = categorised_topic(frame)
            if topic is not None:
                self.publish_frame({**frame, "topic": topic}, path="v5.private")

    # ---------------------------------------------------------------------------------------------
    # controls

    def reject_next_order(self, ret_code: int, ret_msg: str | None = None) -> None:
        """Refuse the next order request (single or batch) with `ret_code` / `ret_msg`; nothing changes.

        `ret_msg` defaults to ``"rejected by PaperExchange"``. Calls queue up.
        """
        if ret_msg is None:
            self._paper.reject_next(ret_code)
        else:
            self._paper.reject_next(ret_code, ret_msg)

    def delay_trade_replies(self, seconds: float, count: int | None = None) -> None:
        """Send the next `count` order replies (``None``: all, until called with 0) `seconds` late.

        The request is carried out at once (its private frames go out); only its reply waits, in a
        thread named ``bybit-fake-trade-delay-N``, so later replies may overtake it. Closing the fake
        discards replies still waiting.
        """
        if seconds < 0 or (count is not None and count < 1):
            raise ValueError("seconds must be >= 0 and count >= 1")
        with self._lock:
            self._delay = seconds
            self._delay_left = count

    def drop_before_next_trade_reply(self, *, executed: bool = True) -> None:
        """Reset the TCP connection of the next order request instead of replying (calls queue up).

        ``executed=True``: the order is carried out and its private frames pushed first, as when the
        connection dies after Bybit took the order; ``executed=False``: it is not carried out. Either
        way the client never learns which: the outcome is unknown to it.
        """
        with self._lock:
            self._drops.append(executed)

    def reply_out_of_order(self, n: int) -> None:
        """Hold the next `n` order replies (any connection) and send them in reverse order once the
        `n`-th is ready. Replies held when their connection closes are lost."""
        if n < 2:
            raise ValueError("n must be at least 2")
        with self._lock:
            self._hold_left = n

    def omit_req_id_on_next_failure(self, count: int = 1) -> None:
        """Answer the next `count` failed order requests without their ``reqId``, in the legacy shape
        ``{"success": false, "ret_msg": <retMsg>, "op", "conn_id"}`` (V5_MORE §5.1)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._omit_req_id += count

    def trade_requests(self, op: str | None = None) -> list[dict[str, Any]]:
        """The order requests received on ``/v5/trade`` (ops ``order.*``; or only `op`), in order."""
        return [
            frame
            for frame in self.received_frames(_TRADE_KEY, op)
            if str(frame.get("op", "")).startswith("order.")
        ]

    # ---------------------------------------------------------------------------------------------
    # answering (the connection's handler thread)

    def _on_trade(self, conn: Connection, op: str, frame: dict[str, Any], rejection: str | None) -> None:
        ep = cast(V5TradeEndpoint, conn.endpoint)
        echo = req_echo(frame)
        if op == "ping":
            self._reply(
                conn, ep.reply(conn.conn_id, "pong", echo, 0, "OK", data=[str(self.server_time_ms())])
            )
        elif op == "auth":
            self._trade_auth(conn, ep, echo, frame.get("args"), rejection)
        elif not conn.authenticated:
            self._reply(conn, ep.reply(conn.conn_id, op, echo, *TRADE_NOT_AUTHED))
        else:
            self._trade_order(conn, op, frame)

    def _trade_auth(
        self,
        conn: Connection,
        ep: V5TradeEndpoint,
        echo: dict[str, Any],
        args: object,
        rejection: str | None,
    ) -> None:
        if rejection is not None:
            code, msg = TRADE_AUTH_FAILURES["signature"][0], rejection
        elif conn.authenticated:
            code, msg = _REPEAT_AUTH
        else:
            reason = self._check_auth(args)
            code, msg = (0, "OK") if reason is None else TRADE_AUTH_FAILURES[reason]
        with conn.send_lock:
            with self._cond:
                if code == 0:
                    conn.authenticated = True
                self._bump()
            conn.send_locked(dumps(ep.reply(conn.conn_id, "auth", echo, code, msg)))

    def _trade_order(self, conn: Connection, op: str, frame: Mapping[str, Any]) -> None:
        with self._lock:
            drop = self._drops.popleft() if self._drops else None
        if drop is False:
            self._cut(conn)
            return
        with self._desk_lock:
            reply, frames = self._paper.handle(frame, conn_id=conn.conn_id)
            self._push(frames)
        if drop:
            self._cut(conn)
            return
        with self._lock:
            omit = reply.get("retCode") != 0 and self._omit_req_id > 0
            if omit:
                self._omit_req_id -= 1
        if omit:
            reply = {"success": False, "ret_msg": reply["retMsg"], "op": op, "conn_id": conn.conn_id}
        self._send_order_reply(conn, dumps(reply))

    def _on_closed(self, conn: Connection) -> None:
        if conn.endpoint.trade:
            self._paper.forget_connection(conn.conn_id)

    def _cut(self, conn: Connection) -> None:
        with self._cond:
            conn.closing = True  # nothing more is sent on it
            self._bump()
        conn.reset()

    def _send_order_reply(self, conn: Connection, text: str) -> None:
        now: list[tuple[Connection, str]] = [(conn, text)]
        with self._cond:
            if self._hold_left > 0:
                self._held.append((conn, text))
                self._hold_left -= 1
                now = [] if self._hold_left else self._held[::-1]
                if not self._hold_left:
                    self._held = []
            elif self._delay > 0 and self._delay_left != 0 and self._state == "running":
                if self._delay_left is not None:
                    self._delay_left -= 1
                due = time.monotonic() + self._delay
                heapq.heappush(self._delayed, (due, next(self._delayed_ids), conn, text))
                self._start_delay_thread()
                self._bump()
                return
        for c, t in now:
            c.send_if(t)
        with self._cond:
            self._bump()

    def _start_delay_thread(self) -> None:
        # Caller holds self._cond.
        if self._delay_thread is not None:
            return
        thread = threading.Thread(
            target=self._run_delayed, name=f"bybit-fake-trade-delay-{next(self._thread_ids)}", daemon=True
        )
        self._delay_thread = thread
        self._threads.append(thread)  # close() joins it
        thread.start()

    def _run_delayed(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._state != "running" or not self._delayed:
                        self._delayed.clear()  # closing: replies still waiting are discarded
                        self._delay_thread = None
                        return
                    wait = self._delayed[0][0] - time.monotonic()
                    if wait <= 0:
                        break
                    self._cond.wait(wait)
                _, _, conn, text = heapq.heappop(self._delayed)
            conn.send_if(text)
            with self._cond:
                self._bump()
