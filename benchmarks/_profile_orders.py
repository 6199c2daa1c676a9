"""The order part of ``profile_stages.py``: an order's round trip split at the trade socket's send and
its reply reader, the raw round trip, a thread hand-off alone, and the caller's and the reader's own
work in process (see ``profile_stages.py``)."""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import timeit
from collections.abc import Callable
from datetime import datetime
from typing import Any

import _clients
from _clients import best


def order_stages(args: argparse.Namespace, client_cls: Any) -> dict[str, float]:
    from decimal import Decimal

    import bench_orders

    from bybit_ws.engine import _trade_connection, _transport

    marks: dict[str, list[int]] = {"send_in": [], "send_out": [], "read_in": [], "read_out": []}
    clock = time.perf_counter_ns
    real_send, real_on_frame = _transport.Transport.send, _trade_connection._ReplyPath.on_frame

    def send(self: Any, text: str | bytes) -> None:
        marks["send_in"].append(clock())
        try:
            real_send(self, text)
        finally:
            marks["send_out"].append(clock())

    replies: list[bytes] = []

    def on_frame(self: Any, data: bytes, received: datetime) -> None:
        marks["read_in"].append(clock())
        replies[:] = [data]
        try:
            real_on_frame(self, data, received)
        finally:
            marks["read_out"].append(clock())

    out: dict[str, float] = {}
    fake = bench_orders.FakeProcess()
    raw_client: Any = None
    try:
        raw_client = bench_orders.RawClient(fake.urls["v5.trade"], 1)
        client = client_cls(
            api_key=bench_orders.KEY, api_secret=bench_orders.SECRET, urls=fake.urls, recv_window=5000
        )
        qty, price = Decimal("0.01"), Decimal("29000")
        place, order = client.v5.place_order, ("linear", "BTCUSDT", "Buy", "Limit", qty)
        _transport.Transport.send = send  # type: ignore[method-assign]
        _trade_connection._ReplyPath.on_frame = on_frame  # type: ignore[method-assign]
        try:
            for _ in range(50):
                raw_client.one(0)
                place(*order, price=price, time_in_force="IOC")
            for series in marks.values():
                series.clear()
            starts, ends, raw = [], [], []
            for _ in range(max(1, args.orders // 50)):  # raw and bybit_ws take turns, 50 orders each
                for _ in range(50):
                    began = clock()
                    raw_client.one(0)
                    raw.append(clock() - began)
                for _ in range(50):
                    starts.append(clock())
                    place(*order, price=price, time_in_force="IOC")
                    ends.append(clock())
        finally:
            _transport.Transport.send = real_send  # type: ignore[method-assign]
            _trade_connection._ReplyPath.on_frame = real_on_frame  # type: ignore[method-assign]
        try:
            caller = caller_path(client)
        finally:
            _clients.close_client(client)
    finally:
        if raw_client is not None:
            raw_client.close()
        fake.close()
    out["raw round trip (p50)"] = statistics.median(raw)
    m = marks
    if not len(m["send_in"]) == len(m["read_in"]) == len(starts):  # a ping or another frame came between
        print(f"  note: {len(m['send_in'])} sends and {len(m['read_in'])} replies for {len(starts)} orders")
    rows = list(zip(starts, m["send_in"], m["send_out"], m["read_in"], m["read_out"], ends, strict=False))

    def p50(f: Callable[[tuple[int, ...]], int]) -> float:
        return statistics.median(f(r) for r in rows)

    out["bybit_ws round trip (p50)"] = p50(lambda r: r[5] - r[0])
    out["  validate, build, encode, lock: call -> Transport.send"] = p50(lambda r: r[1] - r[0])
    out["  Transport.send (mask, frame, system call)"] = p50(lambda r: r[2] - r[1])
    out["  server + loopback + reader wake-up: send -> on_frame"] = p50(lambda r: r[3] - r[2])
    out["  decode, classify, match, OrderAck, futures (reader)"] = p50(lambda r: r[4] - r[3])
    out["  hand-off back to the caller: on_frame end -> return"] = p50(lambda r: r[5] - r[4])
    out["thread hand-off alone: Event ping-pong, one way (p50)"] = ping_pong(args.orders)
    out["  in process: the caller's path to the socket write"] = caller
    out.update(order_building(args.repeats))
    out.update(reply_work(args.repeats, replies[0]))
    return out


def caller_path(client: Any, n: int = 2000) -> float:
    """ns of an order's caller path up to the socket write, in process (best of 3 runs of ``n``): what
    ``place_order`` does before it waits (validate, build, encode, register, frame), the trade socket's
    write made a no-op; the requests left waiting are failed after."""
    from decimal import Decimal

    from bybit_ws.api import _trade_methods
    from bybit_ws.models.trade import OrderRequest

    trade = client._engine.trade_connection()
    transport = trade.requests.transport
    transport.send = lambda text: None  # this instance only
    submit = client.v5._trade_submit
    qty, price = Decimal("0.01"), Decimal("29000")

    def run() -> None:
        for _ in range(n):
            request = OrderRequest("BTCUSDT", "Buy", "Limit", qty, price=price, time_in_force="IOC")
            op, args = _trade_methods._one("linear", request, OrderRequest)
            submit(op, args, blocking=True)

    try:
        return min(timeit.repeat(run, number=1, repeat=3)) / n * 1e9
    finally:
        del transport.send
        with trade.requests.cond:
            trade.requests.fail(None, RuntimeError("profile: never sent"))
        trade.requests.run_callbacks()


def reply_work(repeats: int, reply: bytes) -> dict[str, float]:
    """The reader's own work on an order's reply, in process (no locks, no futures): decode, classify
    and the typed ack."""
    from bybit_ws.dialects import _trade
    from bybit_ws.engine import _trade_connection

    n = 2000
    decode = _trade_connection.decode_frame
    frame = decode(reply)

    def decoding() -> None:
        for _ in range(n):
            decode(reply)

    def classify() -> None:
        for _ in range(n):
            _trade.classify_reply(frame)

    def ack() -> None:
        for _ in range(n):
            _trade.order_ack(frame)

    return {
        "  in process: reply decode": best(repeats, n, decoding),
        "  in process: classify_reply": best(repeats, n, classify),
        "  in process: order_ack (the typed ack)": best(repeats, n, ack),
    }


def order_building(repeats: int) -> dict[str, float]:
    """The caller's own work before the send, in process: the typed request, its args, the frame, JSON."""
    from decimal import Decimal

    from bybit_ws import OrderRequest
    from bybit_ws.dialects import _trade
    from bybit_ws.engine import _requests

    qty, price, n = Decimal("0.01"), Decimal("29000"), 2000
    requests: list[Any] = []
    args: list[Any] = []

    def build() -> None:
        requests[:] = [
            OrderRequest("BTCUSDT", "Buy", "Limit", qty, price=price, time_in_force="IOC") for _ in range(n)
        ]

    def to_args() -> None:
        args[:] = [_trade.single_args("linear", r) for r in requests]

    def to_json() -> None:
        for a in args:
            frame = _trade.request_frame("order.create", a, req_id=_requests.next_req_id(), timestamp_ms=1)
            _requests.encode(frame)

    return {
        "  in process: OrderRequest(...) (validation)": best(repeats, n, build),
        "  in process: single_args (wire fields)": best(repeats, n, to_args),
        "  in process: request_frame + JSON encode": best(repeats, n, to_json),
    }


def ping_pong(rounds: int) -> float:
    """One-way wake-up time of a thread blocked on a ``threading.Event`` (median of ``rounds``)."""
    ping, pong = threading.Event(), threading.Event()
    samples: list[int] = []

    def other() -> None:
        for _ in range(rounds):
            ping.wait()
            ping.clear()
            pong.set()

    thread = threading.Thread(target=other, daemon=True)
    thread.start()
    for _ in range(rounds):
        began = time.perf_counter_ns()
        ping.set()
        pong.wait()
        pong.clear()
        samples.append(time.perf_counter_ns() - began)
    thread.join(10)
    return statistics.median(samples) / 2
