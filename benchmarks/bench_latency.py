"""Frame-to-handler latency at fixed rates: bybit_ws, with the raw websocket-client loop as reference.

    python benchmarks/bench_latency.py [--rates 1000,5000,20000] [--seconds 3]

The replay server (its own process) paces trade frames at each rate and writes
``time.monotonic_ns()`` into the first trade's ``cross_seq`` as it sends them; CLOCK_MONOTONIC is one
clock for every process of a Linux machine. The client takes ``monotonic_ns()`` when the frame
reaches it (bybit_ws: on entry to the handler, read back as ``event.data[0].cross_sequence``; raw: as
``recv`` returns) and prints p50/p99/max of the difference. The first ``--warmup`` seconds of each run
are left out. Target: bybit_ws p99 < 2 ms at 5k frames/s.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date

import _clients
from _replay_server import ReplayServer

TARGET_RATE, TARGET_P99_MS = 5000, 2.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rates", default="1000,5000,20000", help="frames/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one run (default 3)")
    parser.add_argument(
        "--warmup", type=float, default=0.2, help="seconds left out at the start (default 0.2)"
    )
    parser.add_argument("--clients", default="raw,bybit_ws", help="subset of raw,bybit_ws")
    parser.add_argument("--workers", type=int, default=4, help="bybit_ws worker pool size (default 4)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    rates = [int(r) for r in args.rates.split(",") if r]
    wanted = [c for c in args.clients.split(",") if c]
    print(f"bench_latency {date.today()} | {_clients.machine()}")
    print(_clients.load())
    print(
        f"{args.seconds:g} s per rate, first {args.warmup:g} s left out; latency = handler time - send stamp"
    )

    runners: dict[str, Callable[[str, int], list[int]]] = {}
    if "raw" in wanted:
        runners["raw"] = _clients.raw_latencies
    if "bybit_ws" in wanted:
        client_cls, reason = _clients.load_bybit_ws()
        if client_cls is None:
            print(f"bybit_ws: not available ({reason})")
        else:
            runners["bybit_ws"] = lambda url, n: _clients.bybit_ws_latencies(url, n, args.workers)

    print(f"\n{'rate f/s':>9} {'client':10} {'frames':>7} {'p50 us':>9} {'p99 us':>9} {'max us':>9}")
    verdict = "pending (bybit_ws not measured)"
    started = time.monotonic()
    with ReplayServer() as server:
        for rate in rates:
            frames = int(rate * args.seconds)
            skip = int(rate * args.warmup)
            url = server.url("trades", frames, rate=rate)
            for name, runner in runners.items():
                try:
                    samples = sorted(runner(url, frames)[skip:])
                except Exception as exc:
                    print(f"{rate:9,} {name:10} failed ({type(exc).__name__}: {exc})")
                    continue
                p50, p99 = _clients.percentile(samples, 0.50), _clients.percentile(samples, 0.99)
                us = f"{p50 / 1e3:9.0f} {p99 / 1e3:9.0f} {samples[-1] / 1e3:9.0f}"
                print(f"{rate:9,} {name:10} {len(samples):7} {us}")
                if name == "bybit_ws" and rate == TARGET_RATE:
                    ok = p99 / 1e6 < TARGET_P99_MS
                    verdict = f"{p99 / 1e6:.2f} ms {'ok' if ok else 'MISSED'}"
    print(f"\ntarget bybit_ws p99 < {TARGET_P99_MS:g} ms at {TARGET_RATE} frames/s: {verdict}")
    print(f"total {time.monotonic() - started:.0f} s")
    print(_clients.load())


if __name__ == "__main__":
    main()
