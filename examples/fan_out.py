"""One feed, several processes: a recorder process sends every frame to Redis, two consumer processes
read it back as typed events (``bybit_ws.sinks``, extra ``[redis]``).

Bybit caps connections per IP, so instead of each strategy process opening its own, one process holds
the websocket and fans the frames out through Redis Streams; consumers on any machine that reaches
Redis read them with ``read_redis``, typed as the live client's events.

Offline, against the bundled fake exchange's simulated market (needs a redis-server)::

    python examples/fan_out.py --redis redis://127.0.0.1:6379/0 --demo --seconds 5

Live Bybit (public streams, no credentials)::

    python examples/fan_out.py --redis redis://127.0.0.1:6379/0 --symbol ETHUSDT --seconds 30

``--share`` puts the consumers in one consumer group (they split the trades between them) instead of
each reading the whole feed. The parts run on their own too::

    python examples/fan_out.py consume --redis URL --name a --topic publicTrade.BTCUSDT
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from bybit_ws import BybitSocketClient, BybitWsError, DataEvent
from bybit_ws.sinks import RedisStreamSink, read_redis


def consume(
    redis_url: str,
    name: str,
    topics: Sequence[str],
    *,
    start: str = "$",
    group: str | None = None,
    idle: float = 3.0,
    out: Callable[[str], object] = print,
) -> Counter[str]:
    """Read ``topics`` from Redis until nothing came for ``idle`` seconds; print and return counts."""
    counts: Counter[str] = Counter()
    last: DataEvent[object] | None = None
    events = read_redis(redis_url, topics, last_id=start, block=idle, group=group, consumer=group and name)
    for event in events:
        counts[event.topic] += 1
        last = event
    total = sum(counts.values())
    detail = ", ".join(f"{topic} {n}" for topic, n in sorted(counts.items())) or "nothing"
    lag = "" if last is None else f"; last event received {last.timestamp:%H:%M:%S.%f} UTC"
    out(f"consumer {name}: {total} events ({detail}){lag}")
    return counts


def _consumer(redis_url: str, name: str, topics: Sequence[str], start: str, group: str | None) -> Popen:
    """A consumer process: this script's ``consume`` command."""
    command = [sys.executable, __file__, "consume", "--redis", redis_url, "--name", name, "--start", start]
    command += [arg for topic in topics for arg in ("--topic", topic)]
    command += ["--group", group] if group else []
    root = Path(__file__).resolve().parent.parent  # the checkout: the consumers import the same bybit_ws
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)


Popen = subprocess.Popen[str]


def record(
    redis_url: str, symbol: str, topics: Sequence[str], seconds: float, url: str | None, demo: bool
) -> int:
    """The recorder: one client, every frame of ``topics`` to Redis for ``seconds``; frames written."""
    with contextlib.ExitStack() as stack:
        urls = {"v5.linear": url} if url else None
        if demo:
            from bybit_ws.testing import FakeBybit, SimulatedMarket

            fake = stack.enter_context(FakeBybit("v5"))
            stack.enter_context(SimulatedMarket(fake, symbol, rate=50.0))
            urls = fake.urls
        sink = stack.enter_context(RedisStreamSink(redis_url))
        with BybitSocketClient(urls=urls) as client:
            client.record(sink)
            client.v5.subscribe_to_trade_updates("linear", symbol, lambda event: None)
            if len(topics) > 1:
                client.v5.subscribe_to_ticker_updates("linear", symbol, lambda event: None)
            client.wait(seconds)
        sink.flush(10.0)
        stats = sink.stats
        print(f"recorder: {stats.written} frames written to {redis_url}, {stats.dropped} dropped")
        return stats.written


def main(
    redis_url: str,
    symbol: str = "BTCUSDT",
    seconds: float = 5.0,
    url: str | None = None,
    demo: bool = False,
    share: bool = False,
    out: Callable[[str], object] = print,
) -> int:
    """Record ``symbol``'s trades (and ticker) to Redis for ``seconds`` while two consumer processes
    read them; return 0 when the consumers got every frame (each all of them, or ``share``: between
    them)."""
    topics = [f"publicTrade.{symbol}"] if share else [f"publicTrade.{symbol}", f"tickers.{symbol}"]
    start = f"{int(time.time() * 1000)}-0"  # entry IDs are Redis's clock (ms): what comes from now
    group = f"fan-out-{start}" if share else None
    consumers = [_consumer(redis_url, name, topics, start, group) for name in ("a", "b")]
    written = -1
    try:
        written = record(redis_url, symbol, topics, seconds, url, demo)
    except KeyboardInterrupt:
        pass
    except BybitWsError as exc:
        print(f"error: {exc}", file=sys.stderr)
    finally:
        lines = [proc.communicate(timeout=120)[0].strip() for proc in consumers]
    for line in lines:
        out(line)
    got = [int(line.split(": ", 1)[1].split(" ", 1)[0]) for line in lines if line.startswith("consumer ")]
    ok = len(got) == 2 and written > 0 and (sum(got) == written if share else got == [written, written])
    out(("every frame reached " + ("one consumer of the group" if share else "both consumers")) if ok else
        f"frames missing: {written} written, consumers got {got}")  # fmt: skip
    return 0 if ok else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", choices=["run", "consume"], default="run")
    parser.add_argument("--redis", required=True, help="redis://host:port/db")
    parser.add_argument("--symbol", default="BTCUSDT")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--url", help="a v5 linear public endpoint (default: live Bybit)")
    parser.add_argument("--demo", action="store_true", help="the bundled fake exchange's simulated market")
    parser.add_argument("--share", action="store_true", help="the consumers share the trades (a group)")
    parser.add_argument("--name", default="a", help="consume: this consumer's name")
    parser.add_argument("--topic", action="append", help="consume: a topic to read (repeat)")
    parser.add_argument("--start", default="$", help="consume: read entries after this ID")
    parser.add_argument("--group", help="consume: read through this consumer group")
    return parser


if __name__ == "__main__":
    args = _parser().parse_args()
    if args.command == "consume":
        topics = args.topic or [f"publicTrade.{args.symbol}"]
        consume(args.redis, args.name, topics, start=args.start, group=args.group)
        sys.exit(0)
    sys.exit(main(args.redis, args.symbol, args.seconds, args.url, args.demo, args.share))
