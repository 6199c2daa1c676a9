"""The cyclic GC's share of bybit_ws's work over the socket: collections and their time per frame.

    python benchmarks/gc_share.py [--workload v5] [--frames 50000] [--runs 3]

Each run is ``bench_throughput.py``'s bybit_ws client (typed events to a counting handler on the
pool, against the replay server in its own process) with ``gc.callbacks`` watching: collections of
each generation per 10,000 frames, the ns a frame spent in them (a collection's start to its stop, on
whichever thread), and the process's CPU ns a frame (all its threads; the server is another process).
Collection counts follow from how long the events live, not from the machine's speed: they are the
repeatable part of these numbers.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from typing import Any

import _clients
import _frames
from _replay_server import ReplayServer

sys.path.insert(0, str(_clients.ROOT))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workload", default="v5", help="v5 (the four) or one v5 workload")
    parser.add_argument("--frames", type=int, default=50_000, help="frames per run (default 50000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per workload (default 3)")
    return parser.parse_args()


class Watch:
    """A ``gc.callbacks`` entry: the collections of each generation, the ns spent in them, and the
    longest pause of each (also used by ``probe_threads.py``)."""

    def __init__(self) -> None:
        self.counts = [0, 0, 0]
        self.spent = 0
        self.spent_by = [0, 0, 0]
        self.longest = [0, 0, 0]
        self._began = 0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = time.perf_counter_ns()
        else:
            generation, pause = info["generation"], time.perf_counter_ns() - self._began
            self.counts[generation] += 1
            self.spent += pause
            self.spent_by[generation] += pause
            self.longest[generation] = max(self.longest[generation], pause)


def main() -> None:
    args = parse_args()
    workloads = list(_frames.V5_WORKLOADS) if args.workload == "v5" else [args.workload]
    print(f"gc_share | {_clients.machine()}")
    print(_clients.load())
    print(f"frames/run={args.frames} runs={args.runs}")
    if _clients.load_bybit_ws()[0] is None:
        raise SystemExit("bybit_ws not available")
    head = "per run: frames/s, CPU ns a frame, GC ns a frame, collections a 10,000 frames (gen 0/1/2)"
    print(f"{'workload':10} {head}")
    with ReplayServer([(w, args.frames) for w in workloads]) as server:
        for workload in workloads:
            url = server.url(workload, args.frames)
            _clients.run_bybit_ws(url, workload, min(args.frames, 5000), 60)  # warm up: imports, caches
            rows = []
            for _ in range(args.runs):
                watch = Watch()
                gc.collect()
                gc.callbacks.append(watch)
                cpu = time.process_time_ns()
                try:
                    result = _clients.run_bybit_ws(url, workload, args.frames, 60)
                finally:
                    cpu = time.process_time_ns() - cpu
                    gc.callbacks.remove(watch)
                per = 10_000 / args.frames
                counts = "/".join(f"{c * per:.1f}" for c in watch.counts)
                rows.append((result.rate, cpu / args.frames, watch.spent / args.frames, counts))
            print(
                f"{workload:10} "
                + "; ".join(f"{r:,.0f} f/s, {c:,.0f}, {g:,.0f}, {n}" for r, c, g, n in rows)
                + f" | median GC ns a frame {statistics.median(g for _, _, g, _ in rows):,.0f}"
            )
    print(_clients.load())


if __name__ == "__main__":
    main()
