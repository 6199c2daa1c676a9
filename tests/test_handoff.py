"""The reader's hand-over to the worker pool: a socket read's events go to each subscription at once
(``FramePath.take`` / ``end_read``, ``Mailbox.put_items``), and the pool wakes a worker only for work no
awake worker will take, yet a handler that blocks never holds up another subscription."""

from __future__ import annotations

import itertools
import json
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bybit_ws import BybitSocketClient
from bybit_ws.engine._dispatch import Dispatcher, Mailbox
from bybit_ws.engine._framepath import FramePath
from bybit_ws.engine._transport import Transport
from bybit_ws.testing import FakeBybit

from .support import clients_for, frame_text, server_frame, wait_until

RECEIVED = datetime(2026, 12, 6, tzinfo=timezone.utc)


class _Queued:
    """A dispatcher stand-in that schedules nothing: a mailbox's queue stays as the puts left it."""

    def schedule(self, mailbox: Any) -> None:
        pass


def _primary(event: Any) -> None:
    pass


def _other(event: Any) -> None:
    pass


def _lifecycle(argument: Any) -> None:
    pass


# one socket read: ("p", n) an event of the primary callback, ("o", n) of another one;
# ("l", n) a lifecycle callback put between reads (never dropped)
_reads = st.lists(
    st.one_of(
        st.lists(st.tuples(st.sampled_from("po"), st.integers(0, 99)), min_size=1, max_size=12),
        st.tuples(st.just("l"), st.integers(0, 99)),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(reads=_reads, limit=st.integers(1, 8))
def test_a_reads_items_queue_as_its_puts_one_at_a_time_would(reads: list[Any], limit: int) -> None:
    """``put_items`` (one lock for a read) leaves the queue, the counters and the drops exactly as one
    ``put`` per event would: same order, the oldest data item dropped when full, lifecycle items kept."""
    batched = Mailbox(_Queued(), limit, print, "batched", _primary)  # type: ignore[arg-type]
    single = Mailbox(_Queued(), limit, print, "single", _primary)  # type: ignore[arg-type]
    for read in reads:
        if isinstance(read, tuple):  # a lifecycle callback
            batched.put(_lifecycle, read[1], counted=False)
            single.put(_lifecycle, read[1], counted=False)
            continue
        items: list[Any] = []
        for kind, value in read:
            callback = _primary if kind == "p" else _other
            items.append(value if kind == "p" else (_other, value, True))
            single.put(callback, value)
        batched.put_items(items)
    assert list(batched._items) == list(single._items)
    assert (batched.received, batched.dropped, batched.backlog) == (
        single.received,
        single.dropped,
        single.backlog,
    )


@pytest.fixture
def v5_fake() -> Iterator[FakeBybit]:
    with FakeBybit("v5", check_topics=False) as server:
        yield server


def _path(client: BybitSocketClient) -> FramePath:
    return next(c.frame_path for group in client._engine.connections.values() for c in group)


def _trade(symbol: str, seq: int) -> bytes:
    message = json.loads(frame_text("v5_public_trade"))
    message["topic"] = f"publicTrade.{symbol}"
    message["data"][0].update(s=symbol, seq=seq)
    return json.dumps(message).encode()


def _book(name: str, seq: int) -> bytes:
    message = json.loads(frame_text(name))
    message["data"]["seq"] = seq
    return json.dumps(message).encode()


def test_a_reads_events_reach_each_subscription_once_the_read_is_over_in_order(v5_fake: FakeBybit) -> None:
    """Events of one read wait for ``end_read``, then each subscription gets them in frame order: the
    topics of one subscription interleaved, and its snapshot and delta handlers (two kinds, one queue)."""
    calls: list[tuple[str, int]] = []
    lock = threading.Lock()

    def record(name: str) -> Any:
        def handler(event: Any) -> None:
            data = event.data
            with lock:
                calls.append((name, data[0].sequence if isinstance(data, list) else data.sequence))

        return handler

    with clients_for(v5_fake) as make:
        client = make()
        client.v5.subscribe_to_trade_updates("linear", ["BTCUSDT", "ETHUSDT"], record("trade"))
        client.v5.subscribe_to_order_book_updates(
            "linear", "BTCUSDT", 50, record("snapshot"), record("delta")
        )
        path = _path(client)
        read = [
            _trade("BTCUSDT", 1),
            _book("v5_orderbook_snapshot", 10),
            _trade("ETHUSDT", 2),
            _book("v5_orderbook_delta", 11),
            _trade("BTCUSDT", 3),
            _book("v5_orderbook_snapshot", 12),  # a fresh snapshot between deltas
            _book("v5_orderbook_delta", 13),
        ]
        for data in read:
            path.take(data, RECEIVED)
        assert calls == []  # nothing handed over before the read is over
        path.end_read()
        wait_until(lambda: len(calls) == len(read), message="every event handled")
        trades = [c for c in calls if c[0] == "trade"]
        book = [c for c in calls if c[0] != "trade"]
        assert trades == [("trade", 1), ("trade", 2), ("trade", 3)]
        assert book == [("snapshot", 10), ("delta", 11), ("snapshot", 12), ("delta", 13)]


def test_a_long_read_is_handed_over_in_parts(v5_fake: FakeBybit) -> None:
    """A read of many frames does not hold its first events back until its last frame is parsed."""
    handled: list[Any] = []
    with clients_for(v5_fake) as make:
        client = make()
        client.v5.subscribe_to_trade_updates(
            "linear", "BTCUSDT", lambda event: handled.append(event.data[0].sequence)
        )
        path = _path(client)
        seq = 0
        while not handled:  # no end_read: the path hands over by itself after a bounded number
            seq += 1
            assert seq <= 10_000, "nothing handed over within 10,000 frames"
            path.take(_trade("BTCUSDT", seq), RECEIVED)
            if seq % 500 == 0:
                wait_until(lambda: len(handled) > 0, message="a part handed over")
        path.end_read()
        wait_until(lambda: len(handled) == seq, message="the rest handed over")
        assert handled == list(range(1, seq + 1))


def test_the_transport_hands_over_after_each_reads_frames() -> None:
    """``on_read`` follows the frames of each socket read, and never a read without a whole frame."""
    ours, theirs = socket.socketpair()
    calls: list[Any] = []
    ended: list[BaseException | None] = []
    transport = Transport(ours, "test")
    transport.start(lambda data, received: calls.append(data), ended.append, lambda: calls.append("read"))
    try:
        first = server_frame(b'{"a":1}')
        theirs.sendall(first[:3])  # part of a frame: no frame, no hand-over
        theirs.sendall(first[3:] + server_frame(b'{"b":2}') + server_frame(b'{"c":3}'))
        wait_until(lambda: calls[-1:] == ["read"] and len(calls) >= 4, message="the frames handed over")
        frames = [c for c in calls if c != "read"]
        assert frames == [b'{"a":1}', b'{"b":2}', b'{"c":3}']
        assert calls[0] != "read"
        assert all(not (a == b == "read") for a, b in itertools.pairwise(calls))
    finally:
        transport.close(timeout=0.2)
        theirs.close()


def test_a_mailbox_queued_behind_a_blocked_handler_runs_on_another_worker() -> None:
    """The pool wakes no second worker while one runs; a watching worker still takes a mailbox that
    waits behind a handler that blocks."""
    dispatcher = Dispatcher(2)
    gate = threading.Event()
    started = threading.Event()
    ran: list[str] = []
    try:

        def blocked(event: Any) -> None:
            started.set()
            gate.wait(10)
            ran.append("blocked")

        slow = Mailbox(dispatcher, 10, print, "slow", blocked)
        other = Mailbox(dispatcher, 10, print, "other", ran.append)
        slow.put_items(["a"])
        assert started.wait(5)
        other.put_items(["b"])
        wait_until(lambda: ran == ["b"], message="the other mailbox handled while the first blocks")
        gate.set()
        wait_until(lambda: ran == ["b", "blocked"], message="the blocked handler done")
    finally:
        gate.set()
        dispatcher.close()


def test_one_worker_takes_the_mailboxes_queued_together_in_order() -> None:
    """Mailboxes queued at once (one read's subscriptions) all run, each in its own order, and the
    pool closes with its watcher asleep or awake (no thread left behind: conftest checks)."""
    dispatcher = Dispatcher(4)
    seen: dict[str, list[int]] = {}
    done = threading.Event()
    names = [f"sub{i}" for i in range(6)]
    try:
        boxes = []
        for name in names:
            got = seen.setdefault(name, [])

            def handler(event: int, got: list[int] = got) -> None:
                got.append(event)
                if all(len(v) == 50 for v in seen.values()) and len(seen) == len(names):
                    done.set()

            boxes.append(Mailbox(dispatcher, 100, print, name, handler))
        for start in range(0, 50, 10):
            for box in boxes:
                box.put_items(list(range(start, start + 10)))
        assert done.wait(10)
        assert all(got == list(range(50)) for got in seen.values())
    finally:
        dispatcher.close()
