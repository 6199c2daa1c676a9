"""Memory under a slow handler: 1,000,000 trade frames, 100 forced reconnects, RSS sampled throughout.

    python benchmarks/bench_memory.py [--frames 1000000] [--reconnects 100] [--handler-ms 1]

The replay server (its own process) streams trade frames flat out and closes the TCP connection
(no close frame) every ``frames / (reconnects + 1)`` frames; the client reconnects and resubscribes and
the stream goes on where it stopped. The handler sleeps ``--handler-ms`` per event, so nearly all
events pile up behind it: memory must stay bounded by the backlog policy (bybit_ws: ``max_backlog``
events per subscription, the oldest dropped). Each client runs in a fresh process of its own, which
samples its VmRSS every 0.1 s until the subscription has received every frame, and prints peak RSS
(VmHWM), RSS growth over the run, RSS at each quarter of the stream, and the subscription's
``stats`` at the end.

Clients: ``bybit_ws`` (public API, default settings); ``naive``, a reference: websocket-client
``recv`` on a reader thread into an unbounded ``queue.Queue`` with the same slow consumer, which
shows what no backlog policy costs.
"""

from __future__ import annotations

import argparse
import json
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import _clients
import websocket
from _frames import TRADE_TOPIC
from _replay_server import ReplayServer

CLIENTS = ("bybit_ws", "naive")


def status_kib(field: str) -> int:
    """A ``kB`` field of /proc/self/status (VmRSS, VmHWM)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Sampler:
    """VmRSS every 0.1 s, with how many frames had been received at that moment."""

    def __init__(self, received: Callable[[], int]) -> None:
        self.received = received
        self.samples: list[tuple[float, int, int]] = []  # (seconds, rss KiB, received)
        self.start = time.monotonic()

    def sample(self) -> int:
        count = self.received()
        self.samples.append((time.monotonic() - self.start, status_kib("VmRSS"), count))
        return count

    def run_until(self, frames: int, timeout: float) -> bool:
        deadline = self.start + timeout
        while self.sample() < frames:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def at_fractions(self, frames: int) -> list[int]:
        """RSS KiB when 25/50/75/100 % of the frames had arrived."""
        out = []
        for fraction in (0.25, 0.5, 0.75, 1.0):
            hit = next((rss for _, rss, got in self.samples if got >= fraction * frames), self.samples[-1][1])
            out.append(hit)
        return out


def child_bybit_ws(url: str, frames: int, handler_s: float, timeout: float) -> dict[str, Any]:
    client_cls, reason = _clients.load_bybit_ws()
    if client_cls is None:
        return {"error": f"not available ({reason})"}
    restored = 0

    def handler(_event: object) -> None:
        time.sleep(handler_s)

    def on_restored(_downtime: object) -> None:
        nonlocal restored
        restored += 1

    client = client_cls(urls={"inverse": url}, workers=4)
    try:
        sub = client.inverse.subscribe_to_trade_updates(_clients.SYMBOL, handler)
        sub.on_connection_restored(on_restored)
        baseline = status_kib("VmRSS")
        sampler = Sampler(lambda: int(sub.stats.received))
        finished = sampler.run_until(frames, timeout)
        stats = sub.stats
        result = report(sampler, frames, baseline, finished)
        result["stats"] = {k: getattr(stats, k) for k in ("received", "delivered", "dropped", "backlog")}
        result["restored_callbacks"] = restored
    finally:
        begin = time.monotonic()
        _clients.close_client(client)
    result["close_seconds"] = round(time.monotonic() - begin, 3)
    return result


def child_naive(url: str, frames: int, handler_s: float, timeout: float) -> dict[str, Any]:
    """Reader thread -> unbounded queue -> slow consumer; reconnects at once after a drop."""
    inbox: queue.Queue[str] = queue.Queue()
    received = 0
    connections = 0
    stop = threading.Event()

    def reader() -> None:
        nonlocal received, connections
        while not stop.is_set() and received < frames:
            try:
                ws: Any = websocket.create_connection(url, skip_utf8_validation=True, timeout=30)
            except (OSError, websocket.WebSocketException):
                time.sleep(0.05)
                continue
            connections += 1
            try:
                ws.send(json.dumps({"op": "subscribe", "args": [TRADE_TOPIC]}))
                while not stop.is_set():
                    text = ws.recv()
                    if not text:
                        break
                    if text.startswith('{"topic"'):
                        received += 1
                        inbox.put(text)
            except (OSError, websocket.WebSocketException):
                pass
            finally:
                ws.shutdown()

    def consumer() -> None:
        while not stop.is_set():
            try:
                json.loads(inbox.get(timeout=0.1))
            except queue.Empty:
                continue
            time.sleep(handler_s)

    baseline = status_kib("VmRSS")
    threads = [threading.Thread(target=f, daemon=True) for f in (reader, consumer)]
    for thread in threads:
        thread.start()
    sampler = Sampler(lambda: received)
    finished = sampler.run_until(frames, timeout)
    result = report(sampler, frames, baseline, finished)
    result["stats"] = {"received": received, "backlog": inbox.qsize(), "connections": connections}
    stop.set()
    return result


def report(sampler: Sampler, frames: int, baseline: int, finished: bool) -> dict[str, Any]:
    final = status_kib("VmRSS")
    return {
        "finished": finished,
        "seconds": round(sampler.samples[-1][0], 1),
        "baseline_kib": baseline,
        "final_kib": final,
        "peak_kib": status_kib("VmHWM"),
        "quarters_kib": sampler.at_fractions(frames),
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=1_000_000, help="trade frames in all (default 1000000)")
    parser.add_argument("--reconnects", type=int, default=100, help="forced drops (default 100)")
    parser.add_argument("--handler-ms", type=float, default=1.0, help="handler sleep per event (default 1)")
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="give up on a client after this (default 300)"
    )
    parser.add_argument("--clients", default=",".join(CLIENTS), help=f"subset of {','.join(CLIENTS)}")
    parser.add_argument("--child", choices=CLIENTS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    return parser.parse_args()


def mib(kib: int) -> str:
    return f"{kib / 1024:7.1f}"


def main() -> None:
    args = parse_args()
    if args.child:
        child = child_bybit_ws if args.child == "bybit_ws" else child_naive
        try:
            result = child(args.url, args.frames, args.handler_ms / 1000, args.timeout)
        except Exception as exc:
            result = {"error": f"failed ({type(exc).__name__}: {exc})"}
        print(json.dumps(result), flush=True)
        return

    # R drops cut the stream into R + 1 connections; the last one stays open.
    drop_every = -(-args.frames // (args.reconnects + 1)) if args.reconnects > 0 else 0
    print(f"bench_memory {date.today()} | {_clients.machine()}")
    print(_clients.load())
    print(
        f"{args.frames} trade frames, a forced drop every {drop_every or 'never'} frames, "
        f"handler sleeps {args.handler_ms:g} ms per event"
    )
    started = time.monotonic()
    with ReplayServer([("trades", args.frames)]) as server:
        for name in [c for c in args.clients.split(",") if c]:
            session = uuid.uuid4().hex
            url = server.url("trades", args.frames, drop_every=drop_every, session=session)
            command = [sys.executable, __file__, "--child", name, "--url", url, "--frames", str(args.frames)]
            command += ["--handler-ms", str(args.handler_ms), "--timeout", str(args.timeout)]
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=args.timeout + 120, check=False
            )
            lines = done.stdout.strip().splitlines()
            try:
                result = json.loads(lines[-1])
            except (IndexError, ValueError):
                tail = (done.stderr or done.stdout).strip().splitlines()
                result = {"error": f"failed ({tail[-1] if tail else done.returncode})"}
            print(f"\n== {name}")
            if "error" in result:
                print(f"{name}: {result['error']}")
                continue
            drops = server.stats().get(session, {})
            print_result(result, drops)
    print(f"\ntotal {time.monotonic() - started:.0f} s")
    print(_clients.load())


def print_result(result: dict[str, Any], server: dict[str, int]) -> None:
    base, final, peak = result["baseline_kib"], result["final_kib"], result["peak_kib"]
    quarters = result["quarters_kib"]
    status = "all frames received" if result["finished"] else "TIMED OUT before all frames arrived"
    print(f"{status} in {result['seconds']} s; server: {server}")
    print(f"RSS MiB: baseline {mib(base)}  peak {mib(peak)}  final {mib(final)}  growth {mib(final - base)}")
    print("RSS MiB at 25/50/75/100 % of the stream: " + "  ".join(mib(q).strip() for q in quarters))
    print(f"RSS growth from 25 % to 100 % of the stream: {mib(quarters[-1] - quarters[0]).strip()} MiB")
    print(f"stats at the end: {result['stats']}")
    if "restored_callbacks" in result:
        print(f"on_connection_restored calls by then: {result['restored_callbacks']}")
    if "close_seconds" in result:
        print(f"client.close() took {result['close_seconds']} s")


if __name__ == "__main__":
    main()
