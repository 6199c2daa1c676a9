"""Where a live bybit_ws client's CPU goes by thread, and what the cyclic GC costs it, over a socket.

    python benchmarks/probe_threads.py [--workload v5-trades] [--frames 100000] [--rounds 2]
    python benchmarks/probe_threads.py --market 50000 [--seconds 3]

The replay server runs in its own process. ``--workload``: one unpaced run of ``--frames`` frames of a
``bench_throughput.py`` workload to a counting handler on the pool (as that benchmark's bybit_ws
client). ``--market RATE``: the whole linear market of ``bench_market.py`` (500 symbols x 3 topics, two
connections) paced at RATE frames/s, latency taken from each frame's send stamp, the first 0.5 s left
out. Each run prints, per thread of the process (from ``/proc/self/task``): CPU µs a frame, voluntary
context switches (it blocked: in ``recv``, on a lock, waiting for the GIL) and involuntary ones (the
kernel preempted it) per 1,000 frames; and the cyclic GC's collections by generation with their total
and longest pause (``gc.callbacks``, in this benchmark process only). A collection holds the GIL: a
gen-2 pause is latency every frame queued behind it pays, and its count grows with the objects that
outlive a collection (events queued while the workers wait for the GIL). Nothing here is a target;
it is the map behind ``bench_market.py``'s p99 and ``bench_throughput.py``'s ratios.
"""

from __future__ import annotations

import argparse
import gc
import os
import threading
import time
import uuid
from typing import Any

import _clients
import _market
from _frames import WORKLOADS
from _replay_server import ReplayServer
from gc_share import Watch

_TICK = os.sysconf("SC_CLK_TCK")


def threads() -> dict[int, tuple[str, float, int, int]]:
    """Per thread id: (name, CPU seconds, voluntary, involuntary context switches)."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/self/task/{tid}/status", encoding="ascii") as f:
                status = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:  # the thread ended meanwhile
            continue
        cpu = (int(fields[11]) + int(fields[12])) / _TICK
        voluntary = int(status["voluntary_ctxt_switches"])
        involuntary = int(status["nonvoluntary_ctxt_switches"])
        out[int(tid)] = (names.get(int(tid), "?"), cpu, voluntary, involuntary)
    return out


class GcPauses:
    """``gc_share.Watch`` installed in ``gc.callbacks`` for a ``with`` block, and its report."""

    def __init__(self) -> None:
        self.watch = Watch()

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self.watch)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self.watch)

    def report(self, frames: int) -> str:
        w = self.watch
        parts = [
            f"gen{g} {w.counts[g]} ({w.counts[g] * 100_000 / frames:.0f}/100k frames, "
            f"{w.spent_by[g] / 1e6:.1f} ms in all, longest {w.longest[g] / 1e6:.2f} ms)"
            for g in range(3)
            if w.counts[g] and frames
        ]
        if not parts:
            return "none"
        return "; ".join(parts) + f"; {w.spent / 1e3 / frames:.2f} µs a frame"


def print_threads(before: dict[int, Any], after: dict[int, Any], frames: int) -> None:
    total = 0.0
    for tid, (name, cpu, voluntary, involuntary) in sorted(after.items()):
        _, cpu0, voluntary0, involuntary0 = before.get(tid, (name, 0.0, 0, 0))
        spent = cpu - cpu0
        total += spent
        if spent <= 0 and voluntary == voluntary0:
            continue
        per_k = 1e3 / frames
        print(
            f"  {name:34} {spent * 1e6 / frames:7.2f} µs/frame"
            f"  voluntary {(voluntary - voluntary0) * per_k:6.1f}"
            f"  involuntary {(involuntary - involuntary0) * per_k:6.1f} /1k frames"
        )
    print(f"  {'all threads':34} {total * 1e6 / frames:7.2f} µs/frame")


def run_workload(server: ReplayServer, workload: str, frames: int, workers: int) -> None:
    client_cls, reason = _clients.load_bybit_ws()
    if client_cls is None:
        raise SystemExit(reason)
    url = server.url(workload, frames)
    floor = _clients.run_floor(url, workload, frames, 30.0)
    counter = _clients.Counter(frames)
    client = client_cls(urls={"v5.linear": url}, workers=workers)
    try:
        with GcPauses() as pauses:
            before, started = threads(), time.perf_counter()
            _clients.subscribe_workload(client, workload, counter.hit)
            result = counter.wait(30.0, timeout=30)
            after, seconds = threads(), time.perf_counter() - started
    finally:
        _clients.close_client(client)
    print(
        f"{workload}: bybit_ws {result.rate:,.0f} frames/s ({seconds * 1e6 / frames:.2f} µs a frame from "
        f"subscribe to the last), floor {floor.rate:,.0f} frames/s in the same round"
    )
    print_threads(before, after, frames)
    print(f"  GC: {pauses.report(frames)}")


def run_market(server: ReplayServer, rate: int, seconds: float, workers: int) -> None:
    client_cls, reason = _clients.load_bybit_ws()
    if client_cls is None:
        raise SystemExit(reason)
    names = _market.symbols(500)
    query = f"workload=market&symbols=500&rate={rate}&seconds={seconds}&frames=300000"
    url = f"ws://127.0.0.1:{server.port}/v5/public/linear?{query}&session={uuid.uuid4().hex[:8]}"
    samples: list[int] = []
    add, clock = samples.append, time.monotonic_ns
    client = client_cls(urls={"v5.linear": url}, workers=workers)
    try:
        v5 = client.v5
        v5.subscribe_to_order_book_updates(
            "linear",
            names,
            50,
            lambda e: add(clock() - e.data.sequence),
            lambda e: add(clock() - e.data.sequence),
        )
        v5.subscribe_to_trade_updates("linear", names, lambda e: add(clock() - e.data[0].sequence))
        v5.subscribe_to_ticker_updates("linear", names, lambda e: add(clock() - e.data.cross_sequence))
        deadline = time.monotonic() + 60
        while not samples and time.monotonic() < deadline:
            time.sleep(0.01)  # (the benchmark's own pacing, not a test's synchronization)
        time.sleep(0.5)  # the snapshots' burst at the start is left out, as bench_market does
        with GcPauses() as pauses:
            before, first = threads(), len(samples)
            time.sleep(max(0.5, seconds - 1.0))
            after, last = threads(), len(samples)
    finally:
        _clients.close_client(client)
    frames = last - first
    got = sorted(samples[first:last]) or [0]
    p50, p99 = _clients.percentile(got, 0.5) / 1e3, _clients.percentile(got, 0.99) / 1e3
    print(f"market at {rate:,}/s: {frames:,} frames measured, p50 {p50:,.0f} µs, p99 {p99:,.0f} µs")
    print_threads(before, after, frames)
    print(f"  GC: {pauses.report(frames)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--workload", default="v5-trades", choices=[w for w in WORKLOADS if w.startswith("v5-")]
    )
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--market", type=int, default=0, help="a paced market run at this rate instead")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of a market run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    print(f"probe_threads | {_clients.machine()}")
    print(_clients.load())
    workload = ("market", 0) if args.market else (args.workload, args.frames)
    with ReplayServer([workload]) as server:
        for _ in range(args.rounds):
            if args.market:
                run_market(server, args.market, args.seconds, args.workers)
            else:
                run_workload(server, args.workload, args.frames, args.workers)
    print(_clients.load())


if __name__ == "__main__":
    main()
