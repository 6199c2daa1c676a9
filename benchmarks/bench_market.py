"""The whole linear market: 500 symbols x (orderbook.50, publicTrade, tickers), paced and unpaced.

    python benchmarks/bench_market.py [--symbols 500] [--rates 20000,50000,0] [--seconds 5]

The replay server (its own process) serves ``3 x symbols`` topics (``_market.py``); each client runs in
a fresh process per rate, so CPU time and RSS are its own:

- bybit_ws: ``client.v5.subscribe_to_order_book_updates("linear", symbols, 50, h, h)``,
  ``subscribe_to_trade_updates`` and ``subscribe_to_ticker_updates`` with all the symbols at once; the
  library spreads the topics over connections by Bybit's 21,000-character rule. The handlers (on the
  worker pool) take ``monotonic_ns() - stamp``.
- raw: websocket-client, one thread per connection (the same split), a bare ``recv`` loop that takes the
  time and reads the stamp with a regular expression (no JSON parsing).
- floor: the least any Python client must do (issue 28), one thread per connection (the same split):
  256 KiB socket reads, websocket headers split, ``msgspec.json.decode`` of each payload, then the time
  and the stamp read from the decoded frame.

Rates are aggregate frames/s over all connections (0: unpaced, ``--frames`` frames as fast as they go).
Per run: connections, frames received and sent, frames/s, CPU seconds per 100,000 frames (the client
process, first frame to last), p50/p99/max latency from the server's send stamp to the handler (the
first ``--warmup`` seconds left out), bybit_ws's peak backlog (sum over the subscriptions, sampled
every 20 ms) and drops, the server's peak lag (most frames due at once on one connection: a client
that falls behind fills the socket and the server's writes wait), and peak RSS.
The last column is the CPU budget per frame left to user code: a frame is due every 1e6/rate µs, and
one GIL runs Python on one core at a time, so what the client's own work (its CPU per frame) leaves
of that interval is what handlers may spend before the process falls behind (paced rates only).
Target: at 50,000 frames/s no backlog growth and bybit_ws p99 < 5 ms; the floor's p99 beside it
shows what the machine allows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import _clients
import _market
from _replay_server import ReplayServer

HERE = Path(__file__).resolve().parent
TARGET_RATE, TARGET_P99_MS = 50_000, 5.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--symbols", type=int, default=500, help="linear symbols (default 500)")
    parser.add_argument("--rates", default="20000,50000,0", help="aggregate frames/s; 0 = unpaced")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of a paced run (default 5)")
    parser.add_argument("--frames", type=int, default=300_000, help="frames of an unpaced run")
    parser.add_argument("--warmup", type=float, default=0.5, help="seconds of latency left out")
    parser.add_argument("--clients", default="bybit_ws,raw,floor", help="subset of bybit_ws,raw,floor")
    parser.add_argument("--workers", type=int, default=4, help="bybit_ws worker pool size (default 4)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# -- in the child process -------------------------------------------------------------------------
def _rss_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


class _Probe:
    """Samples the handler count, bybit_ws's backlog and the CPU clock every 20 ms until the stream
    has stopped (nothing new for 0.5 s, at least ``seconds`` after the first frame) or a deadline."""

    def __init__(self, samples: list[int], backlog: Any, seconds: float, warmup: float) -> None:
        self.samples, self.backlog = samples, backlog
        self.seconds, self.warmup = seconds, warmup

    def run(self, deadline: float) -> dict[str, Any]:
        first = last = 0.0
        cpu_first = cpu_last = 0.0
        n_first = n_last = skip = 0
        peak = 0
        while time.monotonic() < deadline:
            time.sleep(0.02)
            now, n, cpu = time.monotonic(), len(self.samples), time.process_time()
            peak = max(peak, self.backlog())
            if n and not first:
                first, cpu_first, n_first = now, cpu, n
            if first and not skip and now - first >= self.warmup:
                skip = n
            if n != n_last:
                last, cpu_last, n_last = now, cpu, n
            elif first and now - last > 0.5 and now - first > self.seconds * 0.9:
                break
        got = sorted(self.samples[skip:]) or [0]
        frames = n_last - n_first
        return {
            "received": len(self.samples),
            "rate": frames / (last - first) if last > first else 0.0,
            "cpu_per_100k": (cpu_last - cpu_first) / frames * 1e5 if frames else 0.0,
            "p50": _clients.percentile(got, 0.5),
            "p99": _clients.percentile(got, 0.99),
            "max": got[-1],
            "backlog": peak,
        }


def child_bybit_ws(url: str, names: list[str], args: argparse.Namespace) -> dict[str, Any]:
    client_cls, reason = _clients.load_bybit_ws()
    if client_cls is None:
        raise RuntimeError(reason)
    samples: list[int] = []
    add, clock = samples.append, time.monotonic_ns

    def on_book(event: Any) -> None:
        add(clock() - event.data.sequence)

    def on_trades(event: Any) -> None:
        add(clock() - event.data[0].sequence)

    def on_ticker(event: Any) -> None:
        add(clock() - event.data.cross_sequence)

    client = client_cls(urls={"v5.linear": url}, workers=args.workers)
    try:
        v5 = client.v5
        subs = [
            v5.subscribe_to_order_book_updates("linear", names, 50, on_book, on_book),
            v5.subscribe_to_trade_updates("linear", names, on_trades),
            v5.subscribe_to_ticker_updates("linear", names, on_ticker),
        ]
        probe = _Probe(samples, lambda: sum(s.stats.backlog for s in subs), args.seconds, args.warmup)
        result = probe.run(time.monotonic() + args.seconds * 4 + 60)
        result["dropped"] = sum(s.stats.dropped for s in subs)
        return result
    finally:
        _clients.close_client(client)


def _thread_per_connection(
    url: str, names: list[str], args: argparse.Namespace, read: Callable[[Any, Callable[[int], None]], None]
) -> dict[str, Any]:
    """The references without a pool: the topics split over connections as bybit_ws splits them, and
    ``read(ws, add)`` on a thread of its own per connection, ``add`` taking each frame's latency in ns."""
    import websocket

    samples: list[int] = []
    sockets = []
    stopping = threading.Event()
    failures: list[str] = []
    for group in _market.split_by_chars(_market.market_topics(names)):
        ws = websocket.create_connection(url, skip_utf8_validation=True, timeout=60)
        ws.send(json.dumps({"op": "subscribe", "req_id": "1", "args": group}))
        sockets.append(ws)

    def reader(ws: Any) -> None:
        try:
            read(ws, samples.append)
        except Exception as exc:  # the probe shut the socket down
            if not stopping.is_set():
                failures.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=reader, args=(ws,), daemon=True) for ws in sockets]
    for thread in threads:
        thread.start()
    try:
        probe = _Probe(samples, lambda: 0, args.seconds, args.warmup)
        result = probe.run(time.monotonic() + args.seconds * 4 + 60)
        result["dropped"] = 0
        if failures:
            result["error"] = f"reader failed: {failures[0]}"
        return result
    finally:
        stopping.set()
        for ws in sockets:
            ws.shutdown()
        for thread in threads:
            thread.join(5)


def child_raw(url: str, names: list[str], args: argparse.Namespace) -> dict[str, Any]:
    def read(ws: Any, add: Callable[[int], None]) -> None:
        recv, clock, stamp = ws.recv_data, time.monotonic_ns, _market.STAMP.search  # bytes, as they arrive
        while True:
            _, data = recv()
            now = clock()
            found = stamp(data)
            if found and data.startswith(b'{"topic"'):
                add(now - int(found.group(1)))

    return _thread_per_connection(url, names, args, read)


def child_floor(url: str, names: list[str], args: argparse.Namespace) -> dict[str, Any]:
    import msgspec

    def read(ws: Any, add: Callable[[int], None]) -> None:
        clock, decode = time.monotonic_ns, msgspec.json.decode

        def on_payload(payload: memoryview) -> None:
            frame = decode(payload)
            topic = frame.get("topic")
            if topic is None:  # the subscribe reply
                return
            now, first = clock(), topic[0]
            data = frame["data"]
            add(now - (data["seq"] if first == "o" else data[0]["seq"] if first == "p" else frame["cs"]))

        recv, buf, pos = ws.sock.recv, b"", 0
        while True:
            data = recv(_clients.FLOOR_READ)
            if not data:
                return
            buf = buf[pos:] + data if pos < len(buf) else data
            pos, _ = _clients.floor_split(buf, 0, on_payload)

    return _thread_per_connection(url, names, args, read)


def budget_us(rate: int, cpu_per_100k: float) -> float | None:
    """µs of CPU per frame left to user code at ``rate`` frames/s (one GIL: one core's worth), or None
    unpaced."""
    return 1e6 / rate - cpu_per_100k * 10 if rate else None


def child(args: argparse.Namespace) -> None:
    names = _market.symbols(args.symbols)
    baseline = _rss_kib("VmRSS:")
    run = {"bybit_ws": child_bybit_ws, "floor": child_floor}.get(args.child, child_raw)
    try:
        result = run(args.url, names, args)
        result.update(rss_base=baseline, rss_peak=_rss_kib("VmHWM:"))
    except Exception as exc:
        result = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result), flush=True)
    os._exit(0)


def _budget(rate: int, cpu_per_100k: float) -> str:
    left = budget_us(rate, cpu_per_100k)
    return "-" if left is None else f"{left:.1f}"


# -- in the parent --------------------------------------------------------------------------------
def run_child(server: ReplayServer, name: str, rate: int, args: argparse.Namespace) -> dict[str, Any]:
    session = uuid.uuid4().hex[:8]
    query = f"workload=market&symbols={args.symbols}&rate={rate}&seconds={args.seconds}"
    url = f"ws://127.0.0.1:{server.port}/v5/public/linear?{query}&frames={args.frames}&session={session}"
    command = [sys.executable, str(HERE / "bench_market.py"), "--child", name, "--url", url]
    command += ["--symbols", str(args.symbols), "--seconds", str(args.seconds), "--warmup", str(args.warmup)]
    command += ["--workers", str(args.workers)]
    timeout = args.seconds * 4 + 120
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    lines = done.stdout.strip().splitlines()
    result: dict[str, Any] = json.loads(lines[-1]) if lines else {"error": done.stderr.strip()[-300:]}
    stats = server.stats().get(session, {})
    result.update(sent=stats.get("sent", 0), connections=stats.get("connections", 0), lag=stats.get("lag", 0))
    return result


def main() -> None:
    args = parse_args()
    if args.child:
        child(args)
        return
    rates = [int(r) for r in args.rates.split(",") if r]
    wanted = [c for c in args.clients.split(",") if c in ("bybit_ws", "raw", "floor")]
    topics = _market.market_topics(_market.symbols(args.symbols))
    groups = _market.split_by_chars(topics)
    print(f"bench_market {date.today()} | {_clients.machine()}")
    print(_clients.load())
    print(
        f"{args.symbols} symbols x 3 = {len(topics)} topics, {sum(map(len, topics)):,} characters "
        f"-> {len(groups)} connections by the 21,000-character rule; paced runs {args.seconds:g} s, "
        f"unpaced {args.frames:,} frames; latency from the send stamp, first {args.warmup:g} s left out"
    )
    head = (
        f"{'rate':>7} {'client':9} {'conns':>5} {'received':>9} {'sent':>9} {'f/s':>8} {'cpu s/100k':>10} "
        f"{'p50 us':>7} {'p99 us':>8} {'max us':>8} {'backlog':>7} {'drops':>6} {'srv lag':>7} {'RSS MiB':>7}"
        f" {'budget us':>9}"
    )
    floor_p99 = "not measured"
    print(f"\n{head}")
    verdict = "pending (bybit_ws not measured at 50,000/s)"
    started = time.monotonic()
    with ReplayServer([("market", 0)]) as server:
        for rate in rates:
            for name in wanted:
                r = run_child(server, name, rate, args)
                label = f"{rate:7,}" if rate else "unpaced"
                if "error" in r:
                    print(f"{label:>7} {name:9} failed ({r['error']})")
                    continue
                print(
                    f"{label:>7} {name:9} {r['connections']:5} {r['received']:9,} {r['sent']:9,} "
                    f"{r['rate']:8,.0f} {r['cpu_per_100k']:10.2f} {r['p50'] / 1e3:7,.0f} "
                    f"{r['p99'] / 1e3:8,.0f} {r['max'] / 1e3:8,.0f} "
                    f"{r['backlog'] if name == 'bybit_ws' else '-':>7} {r['dropped']:6} {r['lag']:7} "
                    f"{r['rss_peak'] / 1024:7.1f} {_budget(rate, r['cpu_per_100k']):>9}"
                )
                if name == "floor" and rate == TARGET_RATE:
                    floor_p99 = f"{r['p99'] / 1e6:.2f} ms (received {r['received']:,} of {r['sent']:,})"
                if name == "bybit_ws" and rate == TARGET_RATE:
                    p99_ms = r["p99"] / 1e6
                    bounded = r["backlog"] <= TARGET_RATE // 10 and r["dropped"] == 0
                    bounded = bounded and r["received"] == r["sent"]
                    ok = p99_ms < TARGET_P99_MS and bounded
                    verdict = (
                        f"p99 {p99_ms:.2f} ms, peak backlog {r['backlog']} events, dropped {r['dropped']}, "
                        f"received {r['received']:,} of {r['sent']:,}: {'ok' if ok else 'MISSED'}"
                    )
    print(
        f"\ntarget bybit_ws at {TARGET_RATE:,}/s: p99 < {TARGET_P99_MS:g} ms, no backlog growth "
        f"(peak < 0.1 s of frames, nothing dropped or lost): {verdict}"
    )
    print(f"the floor client at {TARGET_RATE:,}/s, same machine and server: p99 {floor_p99}")
    print(f"total {time.monotonic() - started:.0f} s")
    print(_clients.load())


if __name__ == "__main__":
    main()
