"""Frames per second over loopback: raw websocket-client, bybit_ws and pybit on the same frames.

    python benchmarks/bench_throughput.py [--workload trades|book|ticker|mix|all|v5|v5-...] [--frames N]

A replay server in its own process streams N prebuilt inverse v2 frames (``all``: the four inverse
workloads; pybit 2.4.1, the last release speaking v2) or v5 linear frames (``v5``: the same four on
v5; pybit 5.17's ``unified_trading.WebSocket``) as fast as the socket takes them; each client counts
N frames (first to last) per run, runs interleave, and the table shows the median
frames/s, its ratio to the raw websocket-client loop (a) and to the floor (f): 256 KiB socket reads,
websocket headers split, ``msgspec.json.decode`` of each payload, nothing else, the least any Python
client must do (issue 28's targets: bybit_ws >= 0.5x (f) on v5-trades and v5-ticker, >= 0.4x on
v5-book and v5-mix). A run also stops ``--max-seconds`` after its first frame, so slow clients
stay bounded; the rate is then over the frames it got.
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import _clients
from _clients import RunResult
from _frames import INVERSE_WORKLOADS, V5_WORKLOADS, WORKLOADS, is_v5
from _replay_server import ReplayServer

CLIENTS = ("socket", "floor", "raw", "bybit_ws", "bybit_ws+rec", "pybit", "pybit+flag")
DEFAULT_CLIENTS = ("socket", "floor", "raw", "bybit_ws", "pybit", "pybit+flag")
LABELS = {
    "socket": "(s) server ceiling: 1 MiB socket reads, no framing",
    "floor": "(f) floor: 256 KiB reads, headers split, msgspec decode",
    "raw": "(a) websocket-client recv, skip_utf8_validation=True",
    "bybit_ws": "(b) bybit_ws typed events, counting handler on the pool",
    "bybit_ws+rec": "(b') the same, client.record(Recorder(tmpdir))",
    "pybit": "(c) pybit {version} as shipped",
    "pybit+flag": "(c') pybit {version}, skip_utf8_validation forced on",
}
TARGETS = (
    ("bybit_ws", "raw", 1.0),
    ("bybit_ws+rec", "bybit_ws", 0.0),  # the recorder's cost: printed, no target
    ("bybit_ws", "pybit", 5.0),
    ("bybit_ws", "pybit+flag", 1.5),
)
FLOOR_TARGETS = {"v5-trades": 0.5, "v5-ticker": 0.5, "v5-book": 0.4, "v5-mix": 0.4}
"""bybit_ws / floor per workload (issue 28); other workloads print the ratio with no target."""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workload", choices=[*WORKLOADS, "all", "v5"], default="all")
    parser.add_argument("--frames", type=int, default=100_000, help="frames per run (default 100000)")
    parser.add_argument("--runs", type=int, default=5, help="runs per client (default 5)")
    parser.add_argument("--max-seconds", type=float, default=1.5, help="cap on one run (default 1.5)")
    parser.add_argument("--clients", default=",".join(DEFAULT_CLIENTS), help=f"subset of {','.join(CLIENTS)}")
    parser.add_argument("--workers", type=int, default=4, help="bybit_ws worker pool size (default 4)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    groups = {"all": list(INVERSE_WORKLOADS), "v5": list(V5_WORKLOADS)}
    workloads = groups.get(args.workload, [args.workload])
    wanted = [c for c in args.clients.split(",") if c]
    unknown = set(wanted) - set(CLIENTS)
    if unknown:
        raise SystemExit(f"unknown clients: {', '.join(sorted(unknown))}")

    print(f"bench_throughput {date.today()} | {_clients.machine()}")
    print(_clients.load())
    print(f"frames/run={args.frames} runs={args.runs} max-seconds/run={args.max_seconds}")

    runners: dict[str, Callable[[str, str], RunResult]] = {}
    skipped: dict[str, str] = {}
    if "floor" in wanted:
        runners["floor"] = lambda url, w: _clients.run_floor(url, w, args.frames, args.max_seconds)
    if "raw" in wanted:
        runners["raw"] = lambda url, w: _clients.run_raw(url, w, args.frames, args.max_seconds)
    if "bybit_ws" in wanted:
        client_cls, reason = _clients.load_bybit_ws()
        if client_cls is None:
            skipped["bybit_ws"] = f"not available ({reason})"
        else:
            runners["bybit_ws"] = lambda url, w: _clients.run_bybit_ws(
                url, w, args.frames, args.max_seconds, args.workers
            )
    if "bybit_ws+rec" in wanted and "bybit_ws" not in skipped:
        runners["bybit_ws+rec"] = lambda url, w: _clients.run_bybit_ws(
            url, w, args.frames, args.max_seconds, args.workers, record=True
        )
        from bybit_ws.recording import default_compression  # this tree's (load_bybit_ws put it first)

        codec = default_compression()
        print(
            f"(b') records with {codec}, the Recorder's default here"
            + (
                ""
                if codec == "zstd"
                else ": zstandard is not installed (`pip install -e '.[zstd]'` for zstd)"
            )
        )
    pybit_runners: dict[str, dict[str, Callable[[str, str], RunResult]]] = {"2": {}, "5": {}}
    pybit_skipped: dict[str, dict[str, str]] = {"2": {}, "5": {}}
    majors = sorted({"5" if is_v5(w) else "2" for w in workloads})
    for major in majors if {"pybit", "pybit+flag"} & set(wanted) else ():
        python, reason = _clients.ensure_pybit(major)

        def pybit_run(python: Path, url: str, workload: str, *, skip_utf8: bool) -> RunResult:
            return _clients.run_pybit(python, url, workload, args.frames, args.max_seconds, skip_utf8)

        for name, flag in (("pybit", False), ("pybit+flag", True)):
            if name not in wanted:
                continue
            if python is None:
                pybit_skipped[major][name] = f"not available ({reason})"
                print(f"{name} {_clients.PYBITS[major][1]}: not available ({reason})")
                continue
            pybit_runners[major][name] = functools.partial(pybit_run, python, skip_utf8=flag)
    for name, reason in skipped.items():
        print(f"{name}: {reason}")

    started = time.monotonic()
    with ReplayServer([(w, args.frames) for w in workloads]) as server:
        print(f"replay server ready in {time.monotonic() - started:.1f} s (port {server.port})")
        if "socket" in wanted:
            nbytes = {w: server.stream_bytes(w, args.frames) for w in workloads}
            runners = {
                "socket": lambda url, w: _clients.run_socket_ceiling(
                    url, w, args.frames, nbytes[w], args.max_seconds
                ),
                **runners,
            }
        for workload in workloads:
            size = server.stream_bytes(workload, args.frames) / args.frames
            topics = ", ".join(WORKLOADS[workload])
            print(f"\n== workload {workload} ({topics}), {args.frames} frames, {size:.0f} B/frame")
            url = server.url(workload, args.frames)
            major = "5" if is_v5(workload) else "2"
            here = {**runners, **pybit_runners[major]}
            results: dict[str, list[RunResult]] = {name: [] for name in here}
            failures: dict[str, str] = {}
            for _ in range(args.runs):
                for name, runner in here.items():  # interleaved: drift hits every client alike
                    if name in failures:
                        continue
                    try:
                        results[name].append(runner(url, workload))
                    except Exception as exc:
                        failures[name] = f"failed ({type(exc).__name__}: {exc})"
            skips = {**skipped, **pybit_skipped[major]}
            report(results, failures, skips, _clients.PYBITS[major][1], FLOOR_TARGETS.get(workload))
    print(f"total {time.monotonic() - started:.0f} s")
    print(_clients.load())


def report(
    results: dict[str, list[RunResult]],
    failures: dict[str, str],
    skipped: dict[str, str],
    pybit_version: str,
    floor_goal: float | None = None,
) -> None:
    medians = {name: _clients.median([r.rate for r in runs]) for name, runs in results.items() if runs}
    base, floor = medians.get("raw"), medians.get("floor")
    head = f"{'client':58} {'median f/s':>11} {'min':>9} {'max':>9} {'vs (a)':>7} {'vs (f)':>7}"
    print(f"{head} {'frames/run':>10}")
    labels = {name: label.format(version=pybit_version.removesuffix(".*")) for name, label in LABELS.items()}
    for name in CLIENTS:
        if name in skipped or name in failures:
            print(f"{labels[name]:58} {skipped.get(name) or failures[name]}")
            continue
        runs = results.get(name)
        if not runs:
            continue
        rates = [r.rate for r in runs]
        versus = f"{medians[name] / base:.2f}" if base else "-"
        to_floor = f"{medians[name] / floor:.2f}" if floor else "-"
        counted = int(_clients.median([r.frames for r in runs]))
        spread = f"{min(rates):9,.0f} {max(rates):9,.0f}"
        print(f"{labels[name]:58} {medians[name]:11,.0f} {spread} {versus:>7} {to_floor:>7} {counted:>10}")
        dropped = sum(r.dropped for r in runs)
        if dropped:
            print(f"  note: {name} dropped {dropped} events in {len(runs)} runs (backlog full)")
    targets = [*TARGETS, ("bybit_ws", "floor", floor_goal)] if floor_goal else TARGETS
    for ours, theirs, goal in targets:
        if theirs not in medians:
            continue
        if ours in failures or theirs in failures:  # a median of the runs before a failure says little
            failed = ours if ours in failures else theirs
            what = f"target {ours}/{theirs} >= {goal}" if goal else f"{ours}/{theirs}"
            print(f"{what}: not measured ({failed} failed)")
            continue
        if ours in medians:
            ratio = medians[ours] / medians[theirs]
            if not goal:  # a cost, no target
                print(f"{ours}/{theirs}: {ratio:.2f} (recording costs {1 - ratio:.0%} of the throughput)")
                continue
            verdict = "ok" if ratio >= goal else "MISSED"
            print(f"target {ours}/{theirs} >= {goal}: {ratio:.2f} {verdict}")
        elif goal:
            print(f"target {ours}/{theirs} >= {goal}: pending ({ours} not measured)")


if __name__ == "__main__":
    main()
