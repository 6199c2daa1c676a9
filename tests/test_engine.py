"""The engine's behaviour and fault paths, against FakeBybit (inverse dialect)."""

from __future__ import annotations

import gc
import logging
import threading
import weakref
from datetime import timedelta
from typing import Any

import pytest

from bybit_ws import (
    AuthenticationError,
    BybitConnectionError,
    BybitSocketClient,
    BybitTimeoutError,
    ClientClosedError,
    DataEvent,
    FrameError,
    SubscriptionError,
)
from bybit_ws.engine._dispatch import Dispatcher, Mailbox, PoolFuture
from bybit_ws.testing import FakeBybit

from .support import ClientFactory, Collector, frame_text, wait_until


def trade(seq: int, symbol: str = "BTCUSD", price: str = "100.5") -> dict[str, Any]:
    return {
        "symbol": symbol,
        "side": "Buy",
        "size": 1,
        "price": price,
        "trade_time_ms": 1_700_000_000_000 + seq,
        "timestamp": "2023-11-14T22:13:20.000Z",
        "tick_direction": "PlusTick",
        "trade_id": f"t-{seq}",
        "cross_seq": seq,
    }


# ---------------------------------------------------------------------------------- subscribing
def test_rejected_subscribe_raises_with_the_servers_message(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    fake.reject_next("subscribe", "error:handler not found,topic:trade.NOPE")
    with pytest.raises(SubscriptionError) as caught:
        client.inverse.subscribe_to_trade_updates("NOPE")
    assert caught.value.ret_msg == "error:handler not found,topic:trade.NOPE"
    assert caught.value.op == "subscribe"
    assert "error:handler not found" in str(caught.value)
    # the client stays usable
    sub = client.inverse.subscribe_to_trade_updates("BTCUSD")
    assert sub.is_active


def test_no_reply_raises_timeout(fake: FakeBybit, make_client: ClientFactory) -> None:
    client = make_client(request_timeout=0.3)
    fake.ignore_next("subscribe")
    with pytest.raises(BybitTimeoutError, match="no reply"):
        client.inverse.subscribe_to_trade_updates("BTCUSD")
    assert isinstance(BybitTimeoutError("x"), TimeoutError)
    sub = client.inverse.subscribe_to_trade_updates("BTCUSD")
    assert sub.is_active


def test_unreachable_endpoint_raises_connection_error() -> None:
    with FakeBybit("inverse") as fake:
        url = fake.urls["inverse"]
    client = BybitSocketClient(urls={"inverse": url}, connect_timeout=1.0, request_timeout=3.0)
    with client, pytest.raises(BybitConnectionError, match="cannot connect"):
        client.inverse.subscribe_to_trade_updates("BTCUSD")


def test_private_topic_without_credentials_fails_before_sending(
    fake: FakeBybit, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BYBIT_API_KEY", raising=False)
    monkeypatch.delenv("BYBIT_API_SECRET", raising=False)
    client = make_client()
    with pytest.raises(AuthenticationError, match="credentials"):
        client.inverse.subscribe_to_order_updates(Collector())
    assert fake.connections_total == 0


def test_handler_must_be_callable(client: BybitSocketClient) -> None:
    with pytest.raises(TypeError, match="callable"):
        client.inverse.subscribe_to_trade_updates("BTCUSD", "not a function")  # type: ignore[arg-type]


@pytest.mark.parametrize("symbols", [[], [""], ["BTC USD"], ["trade.BTCUSD"]])
def test_bad_symbols_raise_value_error(fake: FakeBybit, client: BybitSocketClient, symbols: Any) -> None:
    with pytest.raises(ValueError):
        client.inverse.subscribe_to_trade_updates(symbols)
    assert fake.received == []


def test_two_subscriptions_on_one_topic_share_one_server_subscription(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    first, second = Collector(), Collector()
    sub1 = client.inverse.subscribe_to_trade_updates("BTCUSD", first)
    sub2 = client.inverse.subscribe_to_trade_updates("BTCUSD", second)
    keep = client.inverse.subscribe_to_trade_updates("ETHUSD")
    subscribes = [f for f in fake.received if f.get("op") == "subscribe"]
    assert subscribes == [
        {"op": "subscribe", "args": ["trade.BTCUSD"]},
        {"op": "subscribe", "args": ["trade.ETHUSD"]},
    ]
    fake.publish("trade.BTCUSD", [trade(1)])
    assert first.wait(1)[0].data == second.wait(1)[0].data
    sub1.close()
    assert not any(f.get("op") == "unsubscribe" for f in fake.received)
    fake.publish("trade.BTCUSD", [trade(2)])
    assert second.wait(2)[1].data[0].cross_sequence == 2
    sub2.close()
    fake.wait_for(lambda: {"op": "unsubscribe", "args": ["trade.BTCUSD"]} in fake.received, timeout=2)
    assert len(first.events) == 1
    assert keep.is_active


def test_wildcard_and_exact_subscriptions_both_receive(fake: FakeBybit, client: BybitSocketClient) -> None:
    every, one = Collector(), Collector()
    client.inverse.subscribe_to_trades_updates(every)
    client.inverse.subscribe_to_trade_updates("BTCUSD", one)
    fake.publish("trade.BTCUSD", [trade(1)])
    fake.publish("trade.ETHUSD", [trade(2, "ETHUSD")])
    assert [e.topic for e in every.wait(2)] == ["trade.BTCUSD", "trade.ETHUSD"]
    assert [e.topic for e in one.wait(1)] == ["trade.BTCUSD"]


def test_last_subscription_closing_closes_the_connection(fake: FakeBybit, client: BybitSocketClient) -> None:
    sub = client.inverse.subscribe_to_trade_updates("BTCUSD")
    assert fake.connection_count == 1
    sub.close()
    fake.wait_for(lambda: fake.connection_count == 0, timeout=2)
    again = client.inverse.subscribe_to_trade_updates("BTCUSD")  # a new connection
    assert again.is_active
    assert fake.connections_total == 2


# ------------------------------------------------------------------------------------- delivery
def test_ten_thousand_events_arrive_in_order(fake: FakeBybit, make_client: ClientFactory) -> None:
    client = make_client(workers=4)
    seen: list[int] = []
    done = threading.Event()

    def handler(event: DataEvent[Any]) -> None:
        seen.extend(t.cross_sequence for t in event.data)
        if len(seen) == 10_000:
            done.set()

    sub = client.inverse.subscribe_to_trade_updates("BTCUSD", handler)
    for seq in range(10_000):
        fake.publish("trade.BTCUSD", [trade(seq)])
    assert done.wait(30), f"only {len(seen)} events"
    assert seen == list(range(10_000))
    assert sub.stats.received == 10_000
    assert sub.stats.delivered == 10_000
    assert sub.stats.dropped == 0


def test_raising_handler_is_isolated_and_reported(
    fake: FakeBybit, client: BybitSocketClient, caplog: pytest.LogCaptureFixture
) -> None:
    good = Collector()
    errors: list[BaseException] = []
    seen: list[int] = []

    def flaky(event: DataEvent[Any]) -> None:
        seq = event.data[0].cross_sequence
        seen.append(seq)
        if seq == 1:
            raise RuntimeError("boom in handler")

    sub = client.inverse.subscribe_to_trade_updates("BTCUSD", flaky)
    sub.on_exception(errors.append)
    client.inverse.subscribe_to_trade_updates("BTCUSD", good)
    for seq in range(3):
        fake.publish("trade.BTCUSD", [trade(seq)])
    good.wait(3)
    wait_until(lambda: len(seen) == 3, message="all three events at the raising handler")
    assert seen == [0, 1, 2]
    assert len(errors) == 1
    assert isinstance(errors[0], RuntimeError)
    assert "boom in handler" in caplog.text
    assert sub.is_active


def test_slow_handler_does_not_delay_other_subscriptions(fake: FakeBybit, client: BybitSocketClient) -> None:
    release = threading.Event()
    slow_started = threading.Event()

    def slow(event: DataEvent[Any]) -> None:
        slow_started.set()
        release.wait(5)

    fast = Collector()
    client.inverse.subscribe_to_trade_updates("BTCUSD", slow)
    client.inverse.subscribe_to_trade_updates("ETHUSD", fast)
    fake.publish("trade.BTCUSD", [trade(0)])
    assert slow_started.wait(2)
    for seq in range(5):
        fake.publish("trade.ETHUSD", [trade(seq, "ETHUSD")])
    assert len(fast.wait(5)) == 5
    release.set()


def test_backlog_is_bounded_and_drops_the_oldest(
    fake: FakeBybit, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(max_backlog=10)
    release = threading.Event()
    seen: list[int] = []

    def blocked(event: DataEvent[Any]) -> None:
        release.wait(5)
        seen.append(event.data[0].cross_sequence)

    sub = client.inverse.subscribe_to_trade_updates("BTCUSD", blocked)
    for seq in range(100):
        fake.publish("trade.BTCUSD", [trade(seq)])
    wait_until(lambda: sub.stats.received == 100, message="100 events received")
    stats = sub.stats
    assert stats.backlog <= 10
    assert stats.dropped >= 89
    release.set()
    wait_until(lambda: sub.stats.backlog == 0, message="backlog drained")
    assert seen[-10:] == list(range(90, 100))  # the newest survive
    assert sub.stats.received == sub.stats.delivered + sub.stats.dropped
    assert "too slow" in caplog.text


def test_close_from_inside_the_handler(fake: FakeBybit, client: BybitSocketClient) -> None:
    calls: list[int] = []
    closed = threading.Event()
    subs: list[Any] = []

    def handler(event: DataEvent[Any]) -> None:
        calls.append(event.data[0].cross_sequence)
        subs[0].close()
        closed.set()

    subs.append(client.inverse.subscribe_to_trade_updates("BTCUSD", handler))
    keep = client.inverse.subscribe_to_trade_updates("ETHUSD")
    for seq in range(5):
        fake.publish("trade.BTCUSD", [trade(seq)])
    assert closed.wait(2)
    fake.wait_for(lambda: {"op": "unsubscribe", "args": ["trade.BTCUSD"]} in fake.received, timeout=2)
    fake.publish("trade.BTCUSD", [trade(99)])
    fake.publish("trade.ETHUSD", [trade(1, "ETHUSD")])
    keep.get(timeout=2)
    assert calls == [0]
    assert not subs[0].is_active


def test_client_close_from_inside_a_handler_does_not_deadlock(
    fake: FakeBybit, make_client: ClientFactory
) -> None:
    client = make_client()
    returned = threading.Event()

    def handler(event: DataEvent[Any]) -> None:
        client.close()
        returned.set()

    client.inverse.subscribe_to_trade_updates("BTCUSD", handler)
    fake.publish("trade.BTCUSD", [trade(0)])
    assert returned.wait(5)
    assert client.is_closed
    fake.wait_for(lambda: fake.connection_count == 0, timeout=2)


def test_subscription_close_is_idempotent_and_a_context_manager(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    closed_calls: list[str] = []
    with client.inverse.subscribe_to_trade_updates("BTCUSD") as sub:
        sub.on_connection_closed(lambda: closed_calls.append("closed"))
        assert sub.is_active
    assert sub.stats.backlog == 0
    assert not sub.is_active
    sub.close()
    sub.close()  # idempotent
    wait_until(lambda: closed_calls == ["closed"], message="on_connection_closed")


# ---------------------------------------------------------------------------------- iteration
def test_iteration_mode(fake: FakeBybit, client: BybitSocketClient) -> None:
    sub = client.inverse.subscribe_to_trade_updates("BTCUSD")
    for seq in range(3):
        fake.publish("trade.BTCUSD", [trade(seq)])
    received = []
    for event in sub:
        received.append(event.data[0].cross_sequence)
        if len(received) == 3:
            sub.close()
    assert received == [0, 1, 2]
    with pytest.raises(ClientClosedError):
        sub.get(timeout=0.1)


def test_get_times_out_and_iteration_ends_on_close_from_another_thread(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    sub = client.inverse.subscribe_to_trade_updates("BTCUSD")
    with pytest.raises(BybitTimeoutError):
        sub.get(timeout=0.05)
    ended = threading.Event()

    def consume() -> None:
        for _event in sub:
            pass
        ended.set()

    consumer = threading.Thread(target=consume)
    consumer.start()
    fake.publish("trade.BTCUSD", [trade(0)])
    wait_until(lambda: sub.stats.delivered == 1, message="consumer took the event")
    sub.close()
    assert ended.wait(2)
    consumer.join(2)


def test_handler_subscription_is_not_iterable(client: BybitSocketClient) -> None:
    sub = client.inverse.subscribe_to_trade_updates("BTCUSD", Collector())
    with pytest.raises(RuntimeError):
        iter(sub).__next__()
    with pytest.raises(RuntimeError):
        sub.get(0.01)


# ------------------------------------------------------------------------------- bad frames
def test_garbage_frame_then_a_good_one(
    fake: FakeBybit, client: BybitSocketClient, caplog: pytest.LogCaptureFixture
) -> None:
    got = Collector()
    errors: list[BaseException] = []
    sub = client.inverse.subscribe_to_trade_updates("BTCUSD", got)
    sub.on_exception(errors.append)
    fake.send_raw("this is {not json")
    fake.send_raw(frame_text("inverse_trade"))
    assert got.wait(1)[0].data[0].cross_sequence == 1052816407
    wait_until(lambda: len(errors) == 1, message="the garbage frame reported")
    assert isinstance(errors[0], FrameError)
    assert "cannot parse" in caplog.text


def test_frame_with_a_bad_value_is_reported_and_the_stream_goes_on(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    got = Collector()
    errors: list[BaseException] = []
    sub = client.inverse.subscribe_to_trade_updates("BTCUSD", got)
    sub.on_exception(errors.append)
    fake.publish("trade.BTCUSD", [trade(1, price="not-a-price")])
    fake.publish("trade.BTCUSD", [trade(2)])
    assert got.wait(1)[0].data[0].cross_sequence == 2
    wait_until(lambda: len(errors) == 1, message="the bad frame reported")
    error = errors[0]
    assert isinstance(error, FrameError)
    assert error.topic == "trade.BTCUSD"
    assert "not-a-price" in error.text


def test_unknown_enum_value_never_drops_the_message(fake: FakeBybit, client: BybitSocketClient) -> None:
    got = Collector()
    client.inverse.subscribe_to_trade_updates("BTCUSD", got)
    fake.publish("trade.BTCUSD", [{**trade(1), "side": "Short", "tick_direction": "SidewaysTick"}])
    item = got.wait(1)[0].data[0]
    assert item.side.value == "Short"
    assert item.tick_direction.value == "SidewaysTick"


# ------------------------------------------------------------------------------ heartbeat & faults
def test_pings_are_sent_every_interval(fake: FakeBybit, make_client: ClientFactory) -> None:
    client = make_client(ping_interval=0.05)
    client.inverse.subscribe_to_trade_updates("BTCUSD")
    fake.wait_for(lambda: sum(f == {"op": "ping"} for f in fake.received) >= 3, timeout=3)


def test_missing_pong_marks_the_connection_dead(fake: FakeBybit, make_client: ClientFactory) -> None:
    client = make_client(ping_interval=0.05, pong_timeout=0.2, reconnect=False)
    closed = threading.Event()
    lost = threading.Event()
    sub = client.inverse.subscribe_to_trade_updates("BTCUSD")
    sub.on_connection_lost(lost.set)
    sub.on_connection_closed(closed.set)
    fake.stop_answering_pings()
    assert lost.wait(3)
    assert closed.wait(3)
    assert not sub.is_active
    with pytest.raises(BybitConnectionError, match="reconnect is off"):
        client.wait(timeout=3)
    assert list(sub) == []  # iteration ends


def test_dropped_connection_reconnects_and_resubscribes(fake: FakeBybit, make_client: ClientFactory) -> None:
    client = make_client(backoff=None)
    got = Collector()
    lost = threading.Event()
    downtimes: list[timedelta] = []
    sub = client.inverse.subscribe_to_trade_updates("BTCUSD", got)
    sub.on_connection_lost(lost.set)
    sub.on_connection_restored(downtimes.append)
    fake.drop_connections()
    assert lost.wait(3)
    wait_until(lambda: len(downtimes) == 1, message="connection restored")
    assert downtimes[0] > timedelta(0)
    fake.wait_for_subscribers("trade.BTCUSD", 1, timeout=3)
    fake.publish("trade.BTCUSD", [trade(7)])
    assert got.wait(1)[0].data[0].cross_sequence == 7
    assert fake.connections_total == 2
    assert sub.is_active


def test_forced_reconnect(fake: FakeBybit, client: BybitSocketClient) -> None:
    restored = threading.Event()
    sub = client.inverse.subscribe_to_trade_updates("BTCUSD")
    sub.on_connection_restored(lambda downtime: restored.set())
    sub.reconnect()
    assert restored.wait(5)
    assert fake.connections_total == 2
    fake.wait_for_subscribers("trade.BTCUSD", 1, timeout=3)


# ------------------------------------------------------------------------------------- lifecycle
def _client_threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("bybit-ws")}


def test_client_close_joins_every_thread(fake: FakeBybit) -> None:
    assert _client_threads() == set()
    client = BybitSocketClient(urls=fake.urls, workers=3)
    client.inverse.subscribe_to_trade_updates("BTCUSD", Collector())
    client.inverse.subscribe_to_trade_updates("ETHUSD")
    names = _client_threads()
    assert {n for n in names if n.startswith("bybit-ws-worker")} == {f"bybit-ws-worker_{i}" for i in range(3)}
    assert any(n.startswith("bybit-ws-reader") for n in names)
    assert any(n.startswith("bybit-ws-supervisor") for n in names)
    client.close()
    client.close()
    assert _client_threads() == set()  # joined, not merely told to stop
    with pytest.raises(ClientClosedError):
        client.inverse.subscribe_to_trade_updates("BTCUSD")


def test_wait_returns_false_on_timeout_and_true_once_closed(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    client.inverse.subscribe_to_trade_updates("BTCUSD")
    assert client.wait(0.05) is False  # like threading.Event.wait: no exception, the client still runs
    assert client.wait(0) is False
    closer = threading.Thread(target=client.close)
    closer.start()
    assert client.wait() is True
    closer.join(5)
    assert client.wait(0) is True


def test_client_close_ends_iteration_and_fires_closed(fake: FakeBybit) -> None:
    with BybitSocketClient(urls=fake.urls) as client:
        sub = client.inverse.subscribe_to_trade_updates("BTCUSD")
        closed = threading.Event()
        sub.on_connection_closed(closed.set)
        ended = threading.Event()

        def consume() -> None:
            for _event in sub:
                pass
            ended.set()

        consumer = threading.Thread(target=consume)
        consumer.start()
    assert ended.wait(2)
    consumer.join(2)
    assert closed.is_set() or not sub.is_active


def test_a_client_without_subscriptions_starts_no_thread() -> None:
    client = BybitSocketClient()
    assert _client_threads() == set()
    client.close()


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="together"):
        BybitSocketClient(api_key="k")
    with pytest.raises(ValueError, match="unknown endpoint"):
        BybitSocketClient(urls={"nope": "ws://127.0.0.1:1"})
    with pytest.raises(ValueError, match="ws://"):
        BybitSocketClient(urls={"inverse": "http://example"})
    with pytest.raises(ValueError, match="workers"):
        BybitSocketClient(workers=0)


def test_testnet_endpoints() -> None:
    with BybitSocketClient(testnet=True) as testnet, BybitSocketClient() as mainnet:
        assert testnet.urls["inverse"] == "wss://stream-testnet.bybit.com/realtime"
        assert mainnet.urls["v5.spot"] == "wss://stream.bybit.com/v5/public/spot"


def test_library_never_configures_logging() -> None:
    assert logging.getLogger("bybit_ws").handlers == []


# ------------------------------------------------------------------------------------ mailbox memory
class _Payload:
    """A weakly referenceable stand-in for an event."""


def test_handled_events_are_released_by_the_next_put_and_by_close() -> None:
    dispatcher = Dispatcher(1)
    try:
        mailbox = Mailbox(dispatcher, max_backlog=10, on_error=lambda exc: None)
        payloads = [_Payload() for _ in range(3)]
        refs = [weakref.ref(p) for p in payloads]

        def handler(payload: _Payload) -> None:
            pass

        mailbox.put(handler, payloads.pop(0))
        wait_until(lambda: mailbox.delivered == 1, message="the first event handled")
        assert refs[0]() is not None  # handled, and kept for the reader to release
        mailbox.put(handler, payloads.pop(0))
        wait_until(lambda: mailbox.delivered == 2, message="the second event handled")
        mailbox.put(handler, payloads.pop(0))  # by now the reader's puts have released the first
        assert refs[0]() is None
        wait_until(lambda: mailbox.delivered == 3, message="the third event handled")
        mailbox.close()  # releases the rest
        wait_until(lambda: refs[1]() is None and refs[2]() is None, message="all events released")
        assert mailbox.backlog == 0
    finally:
        dispatcher.close()


def test_primary_events_and_other_items_keep_their_order_and_the_backlog_policy() -> None:
    # The primary callback's events are queued alone, every other item as a tuple: a mix of both
    # must still run in arrival order, drop the oldest data event when full, and keep lifecycle items.
    dispatcher = Dispatcher(1)
    try:
        gate = threading.Event()
        calls: list[tuple[str, Any]] = []

        def primary(event: Any) -> None:
            gate.wait(5)
            calls.append(("primary", event))

        def other(event: Any) -> None:
            calls.append(("other", event))

        def lifecycle(argument: Any) -> None:
            calls.append(("lifecycle", argument))

        mailbox = Mailbox(dispatcher, max_backlog=4, on_error=lambda exc: None, primary=primary)
        mailbox.put(primary, "p0")  # the worker takes it and waits at the gate
        wait_until(lambda: mailbox.backlog == 0, message="the worker took the first event")
        mailbox.put(lifecycle, "lost", counted=False)
        mailbox.put(primary, "p1")
        mailbox.put(other, "o1")
        mailbox.put(primary, "p2")
        mailbox.put(primary, "p3")  # full: p1, the oldest data event, goes; "lost" stays first
        mailbox.put(other, "o2")  # o1 goes
        assert mailbox.dropped == 2
        assert list(mailbox._items) == [(lifecycle, "lost", False), "p2", "p3", (other, "o2", True)]
        gate.set()
        wait_until(lambda: mailbox.delivered == 4, message="the rest handled")
        assert calls == [
            ("primary", "p0"),
            ("lifecycle", "lost"),
            ("primary", "p2"),
            ("primary", "p3"),
            ("other", "o2"),
        ]
        assert mailbox.received == mailbox.delivered + mailbox.dropped == 6
        gate.clear()
        mailbox.put(primary, "p4")
        wait_until(lambda: mailbox.backlog == 0, message="the worker took p4")
        mailbox.put(primary, "p5")
        mailbox.put(lifecycle, "restored", counted=False)
        mailbox.put(other, "o3")
        mailbox.discard_data()  # what sub.close() does: data goes, lifecycle callbacks stay
        assert list(mailbox._items) == [(lifecycle, "restored", False)]
        gate.set()
        wait_until(lambda: ("lifecycle", "restored") in calls, message="the lifecycle item ran")
    finally:
        gate.set()
        dispatcher.close()


# ------------------------------------------------------------------------------ no process-wide changes
def test_a_busy_feed_never_makes_the_library_run_the_garbage_collector(
    fake: FakeBybit, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The GC is the process's, not the library's: a client streaming thousands of frames (hundreds of
    KB, where readers used to run ``gc.collect(1)`` between reads) never calls ``gc.collect``."""
    calls: list[tuple[Any, ...]] = []
    real_collect = gc.collect

    def spy(*args: Any) -> int:
        calls.append((threading.current_thread().name, *args))
        return real_collect(*args)

    monkeypatch.setattr(gc, "collect", spy)
    client = make_client()
    events = Collector()
    client.inverse.subscribe_to_trade_updates("BTCUSD", events)
    for batch in range(30):
        for seq in range(batch * 100, batch * 100 + 100):
            fake.publish("trade.BTCUSD", [trade(seq)])
        events.wait(batch * 100 + 100, timeout=20)  # handled: the quiet moments the old collection used
    assert [c for c in calls if str(c[0]).startswith("bybit-ws")] == []


@pytest.mark.parametrize("complete", ["result", "exception"])
def test_a_pool_futures_callbacks_run_on_a_worker_in_order_and_a_raising_one_is_logged(
    complete: str, caplog: pytest.LogCaptureFixture
) -> None:
    dispatcher = Dispatcher(2)
    seen: list[tuple[str, str]] = []
    done = threading.Event()

    def record(step: str) -> None:
        seen.append((step, threading.current_thread().name))
        if step == "last":
            done.set()

    def boom(future: Any) -> None:
        raise RuntimeError("callback failed")

    try:
        future: PoolFuture[int] = PoolFuture(dispatcher.run)
        future.add_done_callback(lambda f: record("first"))
        future.add_done_callback(boom)
        future.add_done_callback(lambda f: record("last"))
        if complete == "result":
            future.set_result(1)
        else:
            future.set_exception(ValueError("no"))
        assert done.wait(5)
        assert [step for step, _ in seen] == ["first", "last"]
        assert all(name.startswith("bybit-ws-worker") for _, name in seen)
        assert any(r.exc_info and "callback failed" in str(r.exc_info[1]) for r in caplog.records)
    finally:
        dispatcher.close()
    # a closed pool: the completing thread runs the callbacks rather than losing them
    late: PoolFuture[int] = PoolFuture(dispatcher.run)
    late.add_done_callback(lambda f: record("late"))
    late.set_result(2)
    assert seen[-1] == ("late", threading.current_thread().name)
