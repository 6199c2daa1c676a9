"""The measured clients: raw websocket-client, bybit_ws (public API only) and pybit 2.4.1 in its own venv."""

from __future__ import annotations

import gc
import itertools
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _frames
import msgspec
import websocket

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYBITS = {
    "2": (HERE / ".venv-pybit", "2.4.1", "_pybit_client.py"),
    "5": (HERE / ".venv-pybit5", "5.17.*", "_pybit5_client.py"),
}
"""pybit major -> (its venv, the pip version spec, the client script): 2.4.1 speaks inverse v2, 5.17 v5."""
SYMBOL = _frames.SYMBOL


@dataclass
class RunResult:
    """One run: ``frames`` counted, the first at ``0`` and the last ``seconds`` later."""

    frames: int
    seconds: float
    dropped: int = 0  # bybit_ws: events its backlog policy dropped (sub.stats.dropped)

    @property
    def rate(self) -> float:
        return (self.frames - 1) / self.seconds if self.seconds > 0 and self.frames > 1 else 0.0


class Counter:
    """Counts handler calls from any thread, at about the cost of the raw loop's own count.

    ``next()`` on an ``itertools.count`` is atomic under the GIL, so calls from several workers are
    counted exactly without a lock; the clock is read at the first call, at every 1024th and at the
    last (the raw loop reads it every 1024 frames), so the handler costs ~70 ns, not the ~250 of a
    clock read and a lock per call. A run cut short by ``max_seconds`` counts to its latest mark.
    """

    def __init__(self, target: int) -> None:
        self.target = target
        self.first = 0.0
        self.mark = (0, 0.0)  # (calls counted, time of the latest of them); replaced whole
        self.done = threading.Event()
        self._calls = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def count(self) -> int:
        return self.mark[0]

    def hit(self, _event: object = None) -> None:
        n = next(self._calls)
        if n & 1023 and 1 < n < self.target:
            return
        now = time.perf_counter()
        with self._lock:  # marks from different workers: keep the newest
            if n == 1:
                self.first = now
            if n > self.mark[0]:
                self.mark = (n, now)
        if n == self.target:
            self.done.set()

    def wait(self, max_seconds: float, timeout: float) -> RunResult:
        """Until ``target`` calls, ``max_seconds`` after the first, or ``timeout`` without any."""
        start = time.perf_counter()
        while not self.done.wait(0.02):
            now = time.perf_counter()
            if self.count == 0 and now - start > timeout:
                raise TimeoutError(f"no frame within {timeout:.0f} s")
            if self.count and now - self.first > max_seconds:
                break
        with self._lock:
            count, last = self.mark
            return RunResult(count, last - self.first)


# -- (a) raw websocket-client ---------------------------------------------------------------------
def _raw_connect(url: str, topics: Sequence[str]) -> Any:
    """A websocket-client ``WebSocket`` (typed ``Any``: its ``recv`` and ``shutdown`` are loosely typed)."""
    ws = websocket.create_connection(url, skip_utf8_validation=True, timeout=30)
    ws.send(json.dumps({"op": "subscribe", "args": list(topics)}))
    return ws


def run_raw(url: str, workload: str, frames: int, max_seconds: float) -> RunResult:
    """The ceiling: a bare ``recv`` loop, no parsing, no threads."""
    ws = _raw_connect(url, _frames.WORKLOADS[workload])
    try:
        while ws.recv().startswith('{"success"'):  # the subscribe reply
            pass
        first = time.perf_counter()
        deadline = first + max_seconds
        count = 1
        recv = ws.recv
        while count < frames:
            recv()
            count += 1
            if not count & 1023 and time.perf_counter() > deadline:
                break
        return RunResult(count, time.perf_counter() - first)
    finally:
        ws.shutdown()


def run_socket_ceiling(url: str, workload: str, frames: int, nbytes: int, max_seconds: float) -> RunResult:
    """What the server and loopback deliver: 1 MiB socket reads of the stream, no websocket framing.

    Shows the replay server is not the bottleneck; the rate counts frames as their bytes arrive.
    """
    ws = _raw_connect(url, _frames.WORKLOADS[workload])
    try:
        ws.recv()  # the subscribe reply; the server waits 50 ms before it streams
        sock, got = ws.sock, 0
        data = sock.recv(1 << 20)
        first = time.perf_counter()
        deadline = first + max_seconds
        while data:
            got += len(data)
            if got >= nbytes or time.perf_counter() > deadline:
                break
            data = sock.recv(1 << 20)
        seconds = time.perf_counter() - first
        return RunResult(min(frames, frames * got // nbytes), seconds)
    finally:
        ws.shutdown()


FLOOR_READ = 256 * 1024
"""Bytes per socket read of the floor client (the reader of bybit_ws reads as much)."""


def floor_split(buf: bytes, pos: int, on_payload: Callable[[memoryview], Any]) -> tuple[int, int]:
    """The floor's frame work on ``buf`` from ``pos``: split every whole websocket frame's header
    (unmasked server frames, 7/16/64-bit lengths) and call ``on_payload`` on each text or binary
    payload (a memoryview, no copy); continuation frames are skipped too (the replay server never
    fragments). Returns (where the first incomplete frame starts, payloads)."""
    end = len(buf)
    view = memoryview(buf)
    count = 0
    while pos + 2 <= end:
        length = buf[pos + 1] & 0x7F
        if length < 126:
            start = pos + 2
        elif length == 126:
            start = pos + 4
            if start > end:
                break
            length = (buf[pos + 2] << 8) | buf[pos + 3]
        else:
            start = pos + 10
            if start > end:
                break
            length = int.from_bytes(buf[pos + 2 : start], "big")
        stop = start + length
        if stop > end:
            break
        if buf[pos] & 0x0F in (1, 2):  # text, binary; control frames are skipped
            on_payload(view[start:stop])
            count += 1
        pos = stop
    return pos, count


def run_floor(url: str, workload: str, frames: int, max_seconds: float) -> RunResult:
    """The floor: the least any Python client must do per frame. 256 KiB socket reads, websocket frame
    headers split (``floor_split``), ``msgspec.json.decode`` of each payload, nothing else."""
    ws = _raw_connect(url, _frames.WORKLOADS[workload])
    try:
        while ws.recv().startswith('{"success"'):  # the subscribe reply; its recv reads no further
            pass
        sock, decode, buf, pos = ws.sock, msgspec.json.decode, b"", 0
        first = time.perf_counter()
        deadline = first + max_seconds
        count = 1
        while count < frames:
            data = sock.recv(FLOOR_READ)
            if not data:
                break
            buf = buf[pos:] + data if pos < len(buf) else data
            pos, got = floor_split(buf, 0, decode)
            count += got
            if time.perf_counter() > deadline:
                break
        return RunResult(min(count, frames), time.perf_counter() - first)
    finally:
        ws.shutdown()


def raw_latencies(url: str, frames: int) -> list[int]:
    """Send-to-``recv`` latency in ns of each stamped trade frame (the stamp is ``data[0].cross_seq``)."""
    ws = _raw_connect(url, _frames.WORKLOADS["trades"])
    samples: list[int] = []
    try:
        while len(samples) < frames:
            text = ws.recv()
            now = time.monotonic_ns()
            if text.startswith('{"topic"'):
                samples.append(now - json.loads(text)["data"][0]["cross_seq"])
        return samples
    finally:
        ws.shutdown()


# -- (b) bybit_ws ---------------------------------------------------------------------------------
def load_bybit_ws() -> tuple[Any, str]:
    """``(BybitSocketClient, "")`` from the work tree, or ``(None, reason)`` while it is not there."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        import bybit_ws

        return bybit_ws.BybitSocketClient, ""
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


def subscribe_workload(client: Any, workload: str, handler: Callable[[Any], None]) -> list[Any]:
    """Subscribe ``handler`` to every topic of ``workload`` through the public API."""
    subs = []
    if _frames.is_v5(workload):
        v5, symbol, kind = client.v5, _frames.V5_SYMBOL, workload.removeprefix("v5-")
        if kind in ("book", "mix"):
            subs.append(v5.subscribe_to_order_book_updates("linear", symbol, 50, handler, handler))
        if kind in ("trades", "mix"):
            subs.append(v5.subscribe_to_trade_updates("linear", symbol, handler))
        if kind in ("ticker", "mix"):
            subs.append(v5.subscribe_to_ticker_updates("linear", symbol, handler))
        return subs
    if workload in ("book", "mix"):
        subs.append(client.inverse.subscribe_to_order_book_updates(SYMBOL, 25, handler, handler))
    if workload in ("trades", "mix"):
        subs.append(client.inverse.subscribe_to_trade_updates(SYMBOL, handler))
    if workload in ("ticker", "mix"):
        subs.append(client.inverse.subscribe_to_ticker_updates(SYMBOL, handler))
    return subs


def close_client(client: Any, timeout: float = 15.0) -> None:
    """``client.close()``, but never hang the benchmark on it."""
    closer = threading.Thread(target=client.close, name="bench-close", daemon=True)
    closer.start()
    closer.join(timeout)
    if closer.is_alive():
        print(f"  warning: bybit_ws client.close() still running after {timeout:.0f} s")


def run_bybit_ws(
    url: str, workload: str, frames: int, max_seconds: float, workers: int = 4, record: bool = False
) -> RunResult:
    """Typed events to a counting handler on the worker pool, one event per frame; ``record``: every
    frame also written by a ``bybit_ws.recording.Recorder`` (its defaults: zstd, 1 s flushes) to a
    temporary directory, through ``client.record``."""
    client_cls, reason = load_bybit_ws()
    if client_cls is None:
        raise RuntimeError(reason)
    counter = Counter(frames)
    client = client_cls(urls={"v5.linear" if _frames.is_v5(workload) else "inverse": url}, workers=workers)
    recorder = None
    scratch = tempfile.TemporaryDirectory(prefix="bench-rec-") if record else None
    if scratch is not None:
        from bybit_ws.recording import Recorder

        recorder = Recorder(scratch.name)
        client.record(recorder)
    try:
        subs = subscribe_workload(client, workload, counter.hit)
        result = counter.wait(max_seconds, timeout=30)
        result.dropped = sum(sub.stats.dropped for sub in subs)
        return result
    finally:
        close_client(client)
        if recorder is not None and scratch is not None:
            recorder.close()
            scratch.cleanup()


def bybit_ws_latencies(url: str, frames: int, workers: int = 4) -> list[int]:
    """Send-to-handler latency in ns of each stamped trade frame."""
    client_cls, reason = load_bybit_ws()
    if client_cls is None:
        raise RuntimeError(reason)
    samples: list[int] = []
    done = threading.Event()
    clock = time.monotonic_ns

    def handler(event: Any) -> None:
        samples.append(clock() - event.data[0].cross_sequence)
        if len(samples) >= frames:
            done.set()

    client = client_cls(urls={"inverse": url}, workers=workers)
    try:
        client.inverse.subscribe_to_trade_updates(SYMBOL, handler)
        if not done.wait(frames / 500 + 30):
            raise TimeoutError(f"only {len(samples)} of {frames} frames arrived")
        return samples
    finally:
        close_client(client)


# -- (c) pybit 2.4.1 (inverse v2) and 5.17 (v5) ----------------------------------------------------
def ensure_pybit(major: str = "2") -> tuple[Path | None, str]:
    """Python of ``benchmarks/.venv-pybit`` (pybit 2.4.1) or ``.venv-pybit5`` (pybit 5.17), each with
    our websocket-client, made on first use."""
    venv, spec, _ = PYBITS[major]
    python = venv / "bin" / "python"
    probe = "import importlib.metadata as m, websocket; print(m.version('pybit'), websocket.__version__)"

    def installed() -> str:
        if not python.exists():
            return ""
        done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=False)
        return done.stdout.strip()

    def matches(found: str) -> bool:
        version, _, ws_version = found.partition(" ")
        return ws_version == websocket.__version__ and (
            version == spec or (spec.endswith(".*") and version.startswith(spec[:-1]))
        )

    if matches(installed()):
        return python, ""
    pins = f"pybit=={spec} websocket-client=={websocket.__version__}"
    print(f"  setting up {venv.relative_to(ROOT)}: {pins}")
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"pybit=={spec}",
            f"websocket-client=={websocket.__version__}",
        ],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines()
            return None, f"{' '.join(step[:4])} failed: {lines[-1] if lines else done.returncode}"
    found = installed()
    if not matches(found):
        return None, f"venv has {found or 'nothing'}, wanted {pins}"
    return python, ""


def run_pybit(
    python: Path, url: str, workload: str, frames: int, max_seconds: float, skip_utf8: bool
) -> RunResult:
    """pybit in a subprocess of its venv (``_pybit_client.py``, or ``_pybit5_client.py`` on v5 frames),
    which prints its result as JSON."""
    script = PYBITS["5" if _frames.is_v5(workload) else "2"][2]
    command = [str(python), str(HERE / script), url, workload, str(frames), str(max_seconds)]
    if skip_utf8:
        command.append("--skip-utf8-validation")
    done = subprocess.run(command, capture_output=True, text=True, timeout=max_seconds + 60, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        error = (done.stderr or done.stdout).strip().splitlines()
        raise RuntimeError(error[-1] if error else f"exit code {done.returncode}")
    result = json.loads(lines[-1])
    if "error" in result:
        raise RuntimeError(result["error"])
    return RunResult(result["frames"], result["seconds"])


# -- reporting ------------------------------------------------------------------------------------
def percentile(sorted_values: Sequence[int], fraction: float) -> int:
    """Nearest-rank percentile of an ascending sequence."""
    index = max(0, math.ceil(fraction * len(sorted_values)) - 1)
    return sorted_values[index]


def best(
    repeats: int,
    count: int,
    run: Callable[[], None],
    before: Callable[[], None] | None = None,
    *,
    gc_off: bool = True,
) -> float:
    """Least ns per item of ``run()`` (``count`` items) over ``repeats`` calls; ``before`` untimed.

    ``gc_off``: the cyclic GC is off while ``run()`` runs (a stage alone keeps what it made for the next
    one, which a collection would walk); the whole pipeline runs with it on, and once more with it
    off, which shows the GC's share."""
    times = []
    for _ in range(repeats):
        if before is not None:
            before()
        gc.collect()
        if gc_off:
            gc.disable()
        try:
            began = time.perf_counter_ns()
            run()
            times.append(time.perf_counter_ns() - began)
        finally:
            gc.enable()
    return min(times) / count


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def load() -> str:
    """The 1/5-minute load averages: other work on the machine skews every number here."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def machine() -> str:
    """``N x CPU model, Python X.Y.Z`` for the results table."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    python = sys.version.split()[0]
    return f"{os.cpu_count()} x {model}, Python {python}, websocket-client {websocket.__version__}"
