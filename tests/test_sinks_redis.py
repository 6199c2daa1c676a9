"""The Redis Streams sink and reader against a real redis-server on 127.0.0.1: every frame the client
received arrives typed at the consumer, in order per topic; a Redis restart mid-stream loses nothing
buffered (or a bounded, counted number of frames with a small buffer); a consumer group's consumers
share the work; a sink that cannot deliver never stalls the writer."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import redis

from bybit_ws import DataEvent
from bybit_ws.recording import Recorder
from bybit_ws.sinks import BufferedSink, RedisStreamSink, Sink, read_redis
from bybit_ws.testing import FakeBybit

from . import test_cli
from .services import RedisServer, free_port
from .support import Collector, clients_for, frame_text, wait_until
from .test_cli import STARTUP, Proc

run = test_cli.run  # the fixture: python subprocesses, killed at teardown

TOPICS = ["publicTrade.BTCUSDT", "publicTrade.ETHUSDT"]
TRADE = frame_text("v5_public_trade").encode()


@pytest.fixture
def v5_fake() -> Iterator[FakeBybit]:
    with FakeBybit("v5") as server:
        yield server


def trade(symbol: str, n: int) -> list[dict[str, Any]]:
    return [
        {"T": 1672304486865 + n, "s": symbol, "S": "Buy", "v": "0.001", "p": f"{16000 + n}.5",
         "L": "PlusTick", "i": f"{symbol}-{n}", "BT": False, "seq": n}
    ]  # fmt: skip


def publish(fake: FakeBybit, numbers: range) -> None:
    for n in numbers:
        for topic in TOPICS:
            assert fake.publish(topic, trade(topic.split(".")[1], n), path="v5.linear") == 1


def by_topic(events: list[DataEvent[Any]]) -> dict[str, list[tuple[Any, datetime]]]:
    out: dict[str, list[tuple[Any, datetime]]] = {}
    for event in events:
        out.setdefault(event.topic, []).append((event.data, event.timestamp))
    return out


class Consumer:
    """``read_redis`` on a thread of its own, until it has ``expected`` events (or ``block`` ends it)."""

    def __init__(self, url: str, expected: int, *, hold: bool = False, **options: Any) -> None:
        self.events: list[DataEvent[Any]] = []
        self.error: BaseException | None = None
        self.expected = expected
        self.go_on = threading.Event()  # with ``hold``: it waits for this after its first event
        if not hold:
            self.go_on.set()
        self._thread = threading.Thread(target=self._run, args=(url, options))
        self._thread.start()

    def _run(self, url: str, options: dict[str, Any]) -> None:
        try:
            for event in read_redis(url, TOPICS, **options):
                self.events.append(event)
                self.go_on.wait(30)
                if len(self.events) >= self.expected:
                    break
        except BaseException as exc:  # handed to the test
            self.error = exc

    def join(self) -> list[DataEvent[Any]]:
        self._thread.join(60)
        assert not self._thread.is_alive(), "the consumer did not end"
        if self.error is not None:
            raise self.error
        return self.events


def test_every_frame_arrives_typed_in_order_per_topic(redis_server: RedisServer, v5_fake: FakeBybit) -> None:
    live = Collector()
    consumer = Consumer(redis_server.url, expected=2 * 40, last_id="0", block=30)
    newcomer = Consumer(redis_server.url, expected=2 * 40, block=30)  # last_id="$": what comes from now
    conn = redis.Redis.from_url(redis_server.url)
    waiting = lambda: sum(c["cmd"] == "xread" for c in conn.client_list()) == 2  # noqa: E731
    wait_until(waiting, timeout=15, message="both consumers waiting for entries")
    conn.close()
    with RedisStreamSink(redis_server.url, batch=7) as sink, clients_for(v5_fake) as make:
        client = make()
        client.record(sink)
        for topic in TOPICS:
            client.v5.subscribe_to_trade_updates("linear", topic.split(".")[1], live)
        publish(v5_fake, range(40))
        live.wait(80)
        assert sink.flush(10)
    got = consumer.join()
    assert by_topic(got) == by_topic(live.events) == by_topic(newcomer.join())
    assert [e.data[0].id for e in got if e.topic == TOPICS[0]] == [f"BTCUSDT-{n}" for n in range(40)]
    assert sink.stats.written == 80 and sink.stats.dropped == 0 and sink.stats.pending == 0
    assert all(e.exchange_timestamp is not None for e in got)
    # the entries stay for later readers; "$" reads only new ones: none, and block=0 ends at once
    assert len(list(read_redis(redis_server.url, TOPICS, last_id="0", block=0))) == 80
    assert list(read_redis(redis_server.url, TOPICS, block=0)) == []


def test_a_subscription_records_only_its_topics(redis_server: RedisServer, v5_fake: FakeBybit) -> None:
    recorded, other = Collector(), Collector()
    with RedisStreamSink(redis_server.url) as sink, clients_for(v5_fake) as make:
        client = make()
        subscription = client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", recorded)
        client.v5.subscribe_to_trade_updates("linear", "ETHUSDT", other)
        subscription.record(sink)
        publish(v5_fake, range(3))
        recorded.wait(3)
        other.wait(3)
        assert sink.flush(10)
    events = list(read_redis(redis_server.url, TOPICS, last_id="0", block=0))
    assert [(e.topic, e.data) for e in events] == [(e.topic, e.data) for e in recorded.events]


def test_a_redis_restart_mid_stream_loses_nothing_buffered(
    redis_server: RedisServer, v5_fake: FakeBybit, caplog: pytest.LogCaptureFixture
) -> None:
    live = Collector()
    consumer = Consumer(redis_server.url, expected=2 * 30, last_id="0", block=30)
    with RedisStreamSink(redis_server.url) as sink, clients_for(v5_fake) as make:
        client = make()
        client.record(sink)
        for topic in TOPICS:
            client.v5.subscribe_to_trade_updates("linear", topic.split(".")[1], live)
        publish(v5_fake, range(10))
        wait_until(lambda: len(consumer.events) == 20, timeout=15, message="the first frames consumed")
        redis_server.stop()  # an outage that also loses what Redis held (no persistence)
        publish(v5_fake, range(10, 30))
        live.wait(60)  # the client's stream went on meanwhile
        wait_until(lambda: sink.stats.failures > 0, timeout=15, message="the sink to notice")
        assert sink.stats.pending == 40
        redis_server.start()
        assert sink.flush(20)
    got = consumer.join()
    assert by_topic(got) == by_topic(live.events)
    assert sink.stats.written == 60 and sink.stats.dropped == 0
    down = [r.getMessage() for r in caplog.records if "cannot hand frames on" in r.getMessage()]
    assert len(down) == 1  # one line for the outage, however many attempts failed
    reader = [r.getMessage() for r in caplog.records if r.getMessage().startswith("read_redis")]
    assert len(reader) == 2 and reader[-1] == "read_redis: reading again"  # the consumer's outage


def test_a_small_buffer_bounds_the_loss_and_counts_it(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    received = datetime.now(timezone.utc)
    with caplog.at_level(logging.WARNING, logger="bybit_ws.sinks"):
        sink = RedisStreamSink(redis_server.url, buffer=5, batch=5, close_timeout=20)
        with sink:
            sink.write(TRADE, received, "v5.linear")
            assert sink.flush(10)
            redis_server.stop()
            for _ in range(20):  # 5 buffered, 15 dropped: the writer never waits
                sink.write(TRADE, received, "v5.linear")
            assert sink.stats.dropped == 15
            redis_server.start()
            assert sink.flush(20)
    assert sink.stats.written == 6 and sink.stats.dropped == 15
    events = list(read_redis(redis_server.url, ["publicTrade.BTCUSDT"], last_id="0", block=0))
    assert len(events) == 5
    assert sum("dropped" in r.getMessage() for r in caplog.records) >= 1


def test_two_consumers_in_a_group_share_the_work(redis_server: RedisServer) -> None:
    received = datetime.now(timezone.utc)
    with RedisStreamSink(redis_server.url) as sink:
        for n in range(100):
            text = TRADE.replace(b"20f43950", f"{n:08d}".encode())
            sink.write(text, received, "v5.linear")
        assert sink.flush(10)
    options: dict[str, Any] = {"last_id": "0", "block": 1.0, "group": "strategies", "count": 10}
    first = Consumer(redis_server.url, 100, consumer="a", hold=True, **options)
    wait_until(lambda: len(first.events) >= 1, timeout=15, message="the first consumer's first entry")
    # it holds its batch of 10 while the second one takes the next
    second = Consumer(redis_server.url, 100, consumer="b", **options)
    wait_until(lambda: len(second.events) >= 1, timeout=15, message="the second consumer's first entry")
    first.go_on.set()
    a, b = first.join(), second.join()
    ids = sorted(e.data[0].id for e in a + b)
    assert ids == sorted(f"{n:08d}-d8dd-5b31-9112-a178eb6023af" for n in range(100))  # each once
    assert a and b
    pending = redis.Redis.from_url(redis_server.url).xpending("bybit:publicTrade.BTCUSDT", "strategies")
    assert pending["pending"] == 0  # everything yielded was acknowledged


def test_a_consumer_gets_its_unacknowledged_entries_first(redis_server: RedisServer) -> None:
    received = datetime.now(timezone.utc)
    with RedisStreamSink(redis_server.url) as sink:
        for _ in range(3):
            sink.write(TRADE, received, "v5.linear")
        assert sink.flush(10)
    topics = ["publicTrade.BTCUSDT"]
    conn = redis.Redis.from_url(redis_server.url)
    conn.xgroup_create("bybit:publicTrade.BTCUSDT", "g", id="0")
    conn.xreadgroup("g", "a", {"bybit:publicTrade.BTCUSDT": ">"}, count=2)  # delivered, a crash, no ack
    events = list(read_redis(redis_server.url, topics, block=0, group="g", consumer="a"))
    assert len(events) == 3  # the 2 pending first, then the new one
    assert conn.xpending("bybit:publicTrade.BTCUSDT", "g")["pending"] == 0
    conn.close()


def test_a_sink_that_cannot_deliver_never_stalls_the_writer(caplog: pytest.LogCaptureFixture) -> None:
    nobody = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    received = datetime.now(timezone.utc)
    with caplog.at_level(logging.WARNING, logger="bybit_ws.sinks"):
        sink = RedisStreamSink(nobody, buffer=100, close_timeout=0.2, socket_timeout=0.5)
        for _ in range(150):
            sink.write(TRADE, received, "v5.linear")
        stats = sink.stats
        assert stats.dropped == 50 and stats.written == 0
        assert sink.flush(0.1) is False
        sink.close()
    assert sink.stats.dropped == 150 and sink.stats.pending == 0  # close gave up on the buffered ones
    assert sum("cannot hand frames on" in r.getMessage() for r in caplog.records) == 1
    assert sum("buffer of 100 frames full" in r.getMessage() for r in caplog.records) == 1
    sink.write(TRADE, received, "v5.linear")  # after close: dropped, counted, no exception
    assert sink.stats.dropped == 151


def test_a_batch_sent_again_after_a_lost_reply_is_not_written_twice(redis_server: RedisServer) -> None:
    """A batch is one atomic script call that records the batch's number: sent again (its reply was
    lost with the connection), it is not applied again, and counts as written; the next batch is."""
    received = datetime(2024, 5, 1, tzinfo=timezone.utc)
    sink = RedisStreamSink(redis_server.url)
    conn = redis.Redis.from_url(redis_server.url)
    try:
        items = [sink._prepare(TRADE, received, "v5.linear") for _ in range(3)]
        sink._batches += 1  # as the flusher numbers each batch it takes
        assert sink._deliver(items) == 3
        assert sink._deliver(items) == 3  # the same batch again
        assert conn.xlen("bybit:publicTrade.BTCUSDT") == 3
        sink._batches += 1
        assert sink._deliver(items[:1]) == 1
        assert conn.xlen("bybit:publicTrade.BTCUSDT") == 4
        conn.set("bybit:publicTrade.ETHUSDT", "not a stream")  # Redis refuses XADD to it: counted
        other = sink._prepare(TRADE.replace(b"BTCUSDT", b"ETHUSDT"), received, "v5.linear")
        sink._batches += 1
        assert sink._deliver([other, *items[:1]]) == 1
        assert sink.failed == 1 and sink.stats.dropped == 1
        entries = conn.xrange("bybit:publicTrade.BTCUSDT")
        assert entries is not None
        fields = entries[0][1]
        assert fields == {b"t": b"%.6f" % received.timestamp(), b"key": b"v5.linear", b"frame": TRADE}
    finally:
        conn.close()
        sink.close()


def test_sinks_share_one_interface(tmp_path: Path, redis_server: RedisServer) -> None:
    with Recorder(tmp_path) as recorder, RedisStreamSink(redis_server.url) as sink:
        assert isinstance(recorder, Sink) and isinstance(sink, Sink) and isinstance(sink, BufferedSink)
        assert "redis://127.0.0.1" in repr(sink)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="topic"):
        RedisStreamSink("redis://127.0.0.1:1/0", stream="fixed")
    with pytest.raises(ValueError, match="maxlen"):
        RedisStreamSink("redis://127.0.0.1:1/0", maxlen=0)
    with pytest.raises(ValueError, match="buffer"):
        RedisStreamSink("redis://127.0.0.1:1/0", buffer=0)
    with pytest.raises(ValueError, match="together"):
        read_redis("redis://127.0.0.1:1/0", TOPICS, group="g")
    with pytest.raises(ValueError, match="one topic"):
        read_redis("redis://127.0.0.1:1/0", [])
    with pytest.raises(ValueError, match="block"):
        read_redis("redis://127.0.0.1:1/0", TOPICS, block=-1)


def test_the_password_stays_out_of_the_repr_and_logs() -> None:
    sink = RedisStreamSink("redis://user:s3cret-pw@127.0.0.1:1/0", close_timeout=0)
    try:
        assert "s3cret-pw" not in repr(sink) and "s3cret-pw" not in sink.name
    finally:
        sink.close()


def test_cli_record_to_redis(run: Callable[..., Proc], redis_server: RedisServer, v5_fake: FakeBybit) -> None:
    """``python -m bybit_ws record TOPIC... --to redis://...``: every frame to its topic's stream."""
    sent = [frame_text("v5_public_trade"), frame_text("v5_orderbook_snapshot"), frame_text("v5_public_trade")]
    topics = ["publicTrade.BTCUSDT", "orderbook.50.BTCUSDT"]
    proc = run(
        "-m", "bybit_ws", "record", *topics, "--url", v5_fake.url, "--to", redis_server.url,
        "--status-every", "0.1", sigint=True,
    )  # fmt: skip
    for topic in topics:
        v5_fake.wait_for_subscribers(topic, timeout=STARTUP, path="v5.linear")
    for text in sent:
        assert v5_fake.send_raw(text, path="v5.linear") == 1
    proc.next_line(lambda line: "3 frames, 3 sent, 0 buffered, 0 dropped" in line, 15.0, stderr=True)
    proc.popen.send_signal(signal.SIGINT)
    assert proc.finish(timeout=15.0) == 0, proc.stderr
    assert proc.stderr[0].endswith(f"to redis-sink({redis_server.url}); Ctrl-C stops"), proc.stderr
    assert proc.stderr[-1].startswith("recorded 3 frames"), proc.stderr
    events = list(read_redis(redis_server.url, topics, last_id="0", block=0, keep_original_data=True))
    assert sorted(e.original_data or "" for e in events) == sorted(sent)
    assert [e.topic for e in events] == ["publicTrade.BTCUSDT"] * 2 + ["orderbook.50.BTCUSDT"]


def test_cli_record_to_a_bad_url(run: Callable[..., Proc]) -> None:
    proc = run("-m", "bybit_ws", "record", "publicTrade.BTCUSDT", "--to", "http://example.invalid")
    assert proc.finish(timeout=15.0) == 2
    assert any("redis://" in line for line in proc.stderr), proc.stderr
