"""The Redis Streams sink: frames/s through it, end-to-end latency from a frame's arrival at the client to
a consumer process (``read_redis``), and what recording to it costs the client's throughput.

Needs a redis-server binary (one is started on a free port on 127.0.0.1 and stopped at the end)::

    PYTHONPATH=. python benchmarks/bench_sinks.py [--frames 100000] [--runs 3] [--rate 1000]

1. sink:       prebuilt v5 trade frames written straight into a ``RedisStreamSink`` (the reader's share:
               ``write`` per frame) until ``flush`` returns: frames/s into Redis, ns per ``write``.
2. latency:    the replay server paces stamped trade frames at ``--rate``/s; the client records them to
               Redis; a consumer process reads them with ``read_redis`` and measures, per event, its
               wall-clock time minus the frame's receive time at the client (``event.timestamp``).
3. throughput: the client's typed v5-mix events/s flat out, with and without a ``RedisStreamSink`` on
               ``client.record`` (interleaved runs, medians): the sink's cost on the client; and with
               a sink that packs every batch but sends nothing: its cost without redis-server's CPU,
               which here competes for the same cores (in production Redis runs elsewhere).

Every number moves with the machine's load (printed); compare runs made on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import _frames
from _clients import (
    ROOT,
    Counter,
    close_client,
    load,
    load_bybit_ws,
    machine,
    median,
    percentile,
    subscribe_workload,
)
from _replay_server import ReplayServer

CONSUMER = """
import json, sys, time
import redis
from bybit_ws.sinks import read_redis
url, topic, frames, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
redis.Redis.from_url(url).ping()
print("ready", flush=True)
samples = []
for event in read_redis(url, [topic], last_id=start, block=30):
    samples.append(time.time() - event.timestamp.timestamp())
    if len(samples) >= frames:
        break
print(json.dumps(samples))
"""


def redis_server(directory: str) -> Any:
    sys.path.insert(0, str(ROOT))
    from tests.services import RedisServer, redis_binary

    binary = redis_binary()
    if binary is None:
        raise SystemExit("bench_sinks needs redis-server (apt-get install redis-server)")
    server = RedisServer(binary, Path(directory))
    server.start()
    return server


def sink_rate(url: str, frames: int) -> tuple[float, float]:
    """(frames/s into Redis, ns per write on the caller's thread)."""
    from bybit_ws.sinks import RedisStreamSink

    payloads = _frames.build_payloads("v5-trades", frames)
    received = datetime.now(timezone.utc)
    with RedisStreamSink(url, stream="bench-sink:{topic}", buffer=frames + 1) as sink:
        began = time.perf_counter()
        for data in payloads:
            sink.write(data, received, "v5.linear")
        wrote = time.perf_counter() - began
        sink.flush()
        took = time.perf_counter() - began
        assert sink.stats.written == frames and sink.stats.dropped == 0, sink.stats
    return frames / took, wrote / frames * 1e9


def latency(server: ReplayServer, url: str, frames: int, rate: float) -> list[float]:
    """Seconds from each frame's arrival at the client to its event in a consumer process."""
    client_cls, reason = load_bybit_ws()
    if client_cls is None:
        raise RuntimeError(reason)
    from bybit_ws.sinks import RedisStreamSink

    start = f"{int(time.time() * 1000)}-0"  # entry IDs are Redis's clock (ms): what comes from now on
    consumer = subprocess.Popen(
        [sys.executable, "-c", CONSUMER, url, _frames.TRADE_TOPIC, str(frames), start],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert consumer.stdout is not None and consumer.stdout.readline() == "ready\n"  # imported, connected
    client = client_cls(urls={"inverse": server.url("trades", frames, rate=rate)})
    try:
        with RedisStreamSink(url) as sink:
            client.record(sink)
            client.inverse.subscribe_to_trade_updates(_frames.SYMBOL, lambda event: None)
            out, _ = consumer.communicate(timeout=frames / rate + 60)
    finally:
        close_client(client)
    return sorted(json.loads(out))


def client_rate(server: ReplayServer, url: str | None, frames: int, send: bool = True) -> float:
    """The client's typed events/s on v5-mix flat out; ``url``: with a RedisStreamSink recording
    (``send=False``: it packs every batch but sends nothing, so Redis's own CPU is left out)."""
    client_cls, reason = load_bybit_ws()
    if client_cls is None:
        raise RuntimeError(reason)
    from bybit_ws.sinks import RedisStreamSink

    class Unsent(RedisStreamSink):
        def _deliver(self, items: list[Any]) -> int:
            b"".join(items)
            return len(items)

    counter = Counter(frames)
    client = client_cls(urls={"v5.linear": server.url("v5-mix", frames)})
    sink = None
    if url is not None:
        kind = RedisStreamSink if send else Unsent
        sink = kind(url, stream="bench-client:{topic}", maxlen=100_000, buffer=frames + 1)
        client.record(sink)
    try:
        subscribe_workload(client, "v5-mix", counter.hit)
        result = counter.wait(120, timeout=30)
    finally:
        close_client(client)
        if sink is not None:
            sink.close()
            assert sink.stats.dropped == 0, sink.stats
    return result.rate


def report(plain: list[float], sinked: list[float], unsent: list[float]) -> None:
    without, with_sink, in_process = median(plain), median(sinked), median(unsent)
    runs = [[round(r) for r in rates] for rates in (plain, sinked, unsent)]
    print(f"client:     {without:10,.0f} events/s without a sink (v5-mix, runs {runs[0]})")
    print(f"            {with_sink:10,.0f} events/s recording to Redis (runs {runs[1]})")
    print(f"            {in_process:10,.0f} events/s with the sink packing but not sending (runs {runs[2]})")
    cost, own = (1 - with_sink / without) * 100, (1 - in_process / without) * 100
    print(f"            sink cost {cost:.1f} % of the client's throughput (medians); {own:.1f} % without")
    print("            Redis's own CPU (redis-server on this machine: it competes for the same cores)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=1000.0, help="frames/s of the latency run")
    parser.add_argument("--latency-frames", type=int, default=5000)
    args = parser.parse_args()
    print(machine())
    print(load())
    with tempfile.TemporaryDirectory() as tmp:
        redis = redis_server(tmp)
        try:
            rate, per_write = sink_rate(redis.url, args.frames)
            print(f"sink:       {rate:10,.0f} frames/s into Redis (v5 trades, batches of 500); "
                  f"write() {per_write:,.0f} ns/frame on the caller")  # fmt: skip
            prebuild = [("v5-mix", args.frames), ("trades", args.latency_frames)]
            with ReplayServer(prebuild) as server:
                samples = latency(server, redis.url, args.latency_frames, args.rate)
                p50, p99 = percentile(samples, 0.5) * 1e3, percentile(samples, 0.99) * 1e3
                print(
                    f"latency:    frame arrival -> consumer process, {len(samples)} frames at "
                    f"{args.rate:g}/s: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {samples[-1] * 1e3:.2f} ms"
                )
                plain: list[float] = []
                sinked: list[float] = []
                unsent: list[float] = []
                for _ in range(args.runs):  # interleaved, so drifting load hits all alike
                    plain.append(client_rate(server, None, args.frames))
                    sinked.append(client_rate(server, redis.url, args.frames))
                    unsent.append(client_rate(server, redis.url, args.frames, send=False))
                report(plain, sinked, unsent)
        finally:
            redis.stop()
    print(load())


if __name__ == "__main__":
    main()
