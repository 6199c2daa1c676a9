"""Where a frame's, a recorded frame's and an order's time goes in bybit_ws, stage by stage, in process.

    python benchmarks/profile_stages.py [--what frames,recording,orders] [--workload v5] [--frames 20000]

frames: recorded v5 frames (``_frames.py``, the bench_throughput workloads) fed to the reader's work of
a live client (its ``FramePath``, routes and worker pool, subscribed through the public API to an
in-process FakeBybit that sends nothing), no socket. Each stage is timed alone over all frames, best of
``--repeats``, in ns a frame: the header split (the library's ``protocol.frames.ClientProtocol`` and the
floor's ``floor_split``), decode (msgspec alone, then the topic lookup and the typed decode), parse to
models, the event, the mailbox ``put``, a worker's ``drain`` (run here), then the whole reader
(``on_frame``, with and without the cyclic GC) and the whole pipeline to the handler on the pool.

recording: the Recorder's cost on the reader, stage by stage (topic, time, the frame as a string, the
JSON line, the locked append), its compression per frame, and ``on_frame`` with ``client.record``.

orders: ``place_order`` against FakeBybit's ``/v5/trade`` in its own process (``bench_orders.py``),
one sender, with the time of each order split at the trade socket's ``Transport.send`` and its reply
reader's ``on_frame`` (wrapped here to take the time; the library is not changed): build and encode,
the send, server and loopback, decode and match, the hand-off back to the caller; plus the raw round
trip and a two-thread ``Event`` ping-pong (what a thread hand-off costs on this machine).

The library's internals are read (``client._engine``), so the harness follows the tree it runs on.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import _clients
import _frames
import _profile_orders
import msgspec
from _clients import best
from _replay_server import frame_header

sys.path.insert(0, str(_clients.ROOT))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--what", default="frames,recording,orders", help="subset of frames,recording,orders")
    parser.add_argument("--workload", default="v5", help="v5 (the four) or one v5 workload")
    parser.add_argument("--frames", type=int, default=20_000, help="frames per stage and repeat")
    parser.add_argument("--repeats", type=int, default=5, help="best of this many (default 5)")
    parser.add_argument("--orders", type=int, default=1000, help="orders, one sender (default 1000)")
    parser.add_argument("--workers", type=int, default=4, help="bybit_ws worker pool size (default 4)")
    return parser.parse_args()


class Tally:
    """A handler that counts events from any thread and tells when ``target`` have come."""

    def __init__(self) -> None:
        self.calls = itertools.count(1)
        self.target = 0
        self.done = threading.Event()

    def expect(self, more: int) -> None:
        self.done.clear()
        self.calls = itertools.count(1)
        self.target = more

    def hit(self, _event: object) -> None:
        if next(self.calls) == self.target:
            self.done.set()


class _NoDispatcher:
    """Stands in for the worker pool where only ``Mailbox.put`` is timed: nothing is scheduled."""

    def schedule(self, _mailbox: Any) -> None:
        pass


def _chunks(blob: bytes) -> list[bytes]:
    return [blob[i : i + _clients.FLOOR_READ] for i in range(0, len(blob), _clients.FLOOR_READ)]


# -- 1: the frame path ------------------------------------------------------------------------------
def frame_stages(workload: str, args: argparse.Namespace, fake: Any, client_cls: Any) -> dict[str, float]:
    from bybit_ws.engine._dispatch import Mailbox
    from bybit_ws.engine._framepath import new_event
    from bybit_ws.protocol.frames import ClientProtocol

    n, repeats = args.frames, args.repeats
    payloads = _frames.build_payloads(workload, n)
    chunks = _chunks(b"".join(frame_header(len(p)) + p for p in payloads))
    received = datetime.now(timezone.utc)
    out: dict[str, float] = {}

    def library_split() -> None:
        protocol = ClientProtocol()
        feed, take = protocol.receive_data, protocol.events_received
        for data in chunks:
            feed(data)
            take()

    def floor_split(on_payload: Callable[[memoryview], Any]) -> Callable[[], None]:
        def run() -> None:
            buf, pos = b"", 0
            for data in chunks:
                buf = buf[pos:] + data if pos < len(buf) else data
                pos, _ = _clients.floor_split(buf, 0, on_payload)

        return run

    out["split: library (protocol.frames.ClientProtocol on 256 KiB reads)"] = best(repeats, n, library_split)
    out["split: floor (floor_split)"] = best(repeats, n, floor_split(len))
    decode = msgspec.json.decode

    def decode_alone() -> None:
        for data in payloads:
            decode(data)

    out["decode: msgspec.json.decode alone (the floor's)"] = best(repeats, n, decode_alone)
    out["floor in process: split + decode"] = best(repeats, n, floor_split(decode))

    tally = Tally()
    client = client_cls(urls=fake.urls, workers=args.workers)
    try:
        _clients.subscribe_workload(client, workload, tally.hit)
        path = next(c.frame_path for group in client._engine.connections.values() for c in group)
        on_frame = path.on_frame
        # what the reader calls for each frame of a read and after it (trees before the hand-over of a
        # read's events at once had on_frame alone)
        take, end_read = getattr(path, "take", on_frame), getattr(path, "end_read", lambda: None)

        def whole(split: bool) -> Callable[[], None]:
            def run() -> None:
                tally.expect(n)
                if split:
                    protocol = ClientProtocol()
                    feed, events = protocol.receive_data, protocol.events_received
                    for data in chunks:
                        feed(data)
                        for event in events():
                            take(event, received)  # text frames come out as bytes
                        end_read()
                else:
                    for data in payloads:
                        on_frame(data, received)
                if not tally.done.wait(60):
                    raise TimeoutError("the workers did not handle every event")

            return run

        whole(False)()  # warm up: routes, caches, the typed path
        routes = path.registry.routes
        found = [routes.raw[p[10 : p.find(b'"', 10)]] for p in payloads]
        envelopes: list[Any] = []

        def lookup_decode() -> None:
            raw = routes.raw
            envelopes.clear()
            add = envelopes.append
            for data in payloads:
                add(raw[data[10 : data.find(b'"', 10)]].typed.decode(data))

        out["decode: topic lookup + typed msgspec decode"] = best(repeats, n, lookup_decode)
        parsed: list[Any] = []

        def reset_state() -> None:
            for route in set(found):
                route.state.clear()
            parsed.clear()

        def parse() -> None:
            add = parsed.append
            for envelope, route in zip(envelopes, found, strict=True):
                add(route.typed.parse(envelope, route.state))

        out["parse: typed structs -> models (exact Decimals, state)"] = best(repeats, n, parse, reset_state)
        events: list[Any] = []

        def build_events() -> None:
            events.clear()
            add = events.append
            for (kind, payload), envelope, route in zip(parsed, envelopes, found, strict=True):
                add(
                    new_event(
                        kind, payload, route.topic, received, None, envelope.ts, envelope.type, route.time
                    )
                )

        out["event: DataEvent (new_event, + a call)"] = best(repeats, n, build_events)
        mailbox: Any = None
        count = itertools.count()

        def handler(_event: object) -> None:
            next(count)

        def fresh_mailbox() -> None:
            nonlocal mailbox
            mailbox = Mailbox(_NoDispatcher(), n + 10, print, "profile", handler)  # type: ignore[arg-type]

        per_read = max(1, n * _clients.FLOOR_READ // max(1, sum(len(c) for c in chunks)))  # frames a read

        def put() -> None:
            if not hasattr(mailbox, "put_items"):  # trees before the hand-over of a read at once
                for event in events:
                    mailbox.put(handler, event)
                return
            staged: dict[Any, list[Any]] = {}  # as FramePath.take stages, and end_read hands over
            for index, event in enumerate(events, 1):
                items = staged.get(mailbox)
                if items is None:
                    staged[mailbox] = [event]
                else:
                    items.append(event)
                if index % per_read == 0:
                    for target, batch in staged.items():
                        target.put_items(batch)
                    staged = {}
            for target, batch in staged.items():
                target.put_items(batch)

        def drain() -> None:
            while mailbox.backlog:
                mailbox.drain()

        out["route + put: hand-over to the mailbox (no worker woken)"] = best(repeats, n, put, fresh_mailbox)

        def fill() -> None:
            fresh_mailbox()
            put()

        out["worker: Mailbox.drain + counting handler (here)"] = best(repeats, n, drain, fill)
        events.clear()
        parsed.clear()
        envelopes.clear()
        out["reader: on_frame, pipeline to the pool's handler"] = best(repeats, n, whole(False), gc_off=False)
        out["reader: on_frame, pipeline to the handler, GC off"] = best(repeats, n, whole(False))
        out["reader: split + on_frame, pipeline to the handler"] = best(repeats, n, whole(True), gc_off=False)
        collections, spent = _gc_share(whole(True), repeats)
        out["GC in that pipeline: collections a 10,000 frames"] = collections * 10_000 / (repeats * n)
        out["GC in that pipeline: ns a frame in collections"] = spent / (repeats * n)
        with tempfile.TemporaryDirectory(prefix="profile-rec-") as scratch:
            from bybit_ws.recording import Recorder

            with Recorder(scratch) as recorder:
                client.record(recorder)
                out["recording: split + on_frame + client.record"] = best(
                    repeats, n, whole(True), gc_off=False
                )
                client.stop_recording(recorder)
    finally:
        _clients.close_client(client)
    return out


def _gc_share(run: Callable[[], None], repeats: int) -> tuple[int, int]:
    """Collections of the cyclic GC (any generation) during ``repeats`` calls of ``run`` and the ns
    spent in them (``gc.callbacks``: the collection's start to its stop, on whichever thread)."""
    count, spent, began = 0, 0, [0]

    def watch(phase: str, _info: dict[str, Any]) -> None:
        nonlocal count, spent
        if phase == "start":
            began[0] = time.perf_counter_ns()
        else:
            count += 1
            spent += time.perf_counter_ns() - began[0]

    gc.collect()
    gc.callbacks.append(watch)
    try:
        for _ in range(repeats):
            run()
    finally:
        gc.callbacks.remove(watch)
    return count, spent


def print_frames(workloads: list[str], results: dict[str, dict[str, float]]) -> None:
    print("\n== the frame path, in process, ns a frame (best of repeats)")
    names = list(next(iter(results.values())))
    print(f"{'stage':58}" + "".join(f" {w:>10}" for w in workloads))
    for name in names:
        print(f"{name:58}" + "".join(f" {results[w][name]:10,.0f}" for w in workloads))
    total, floor = "reader: split + on_frame, pipeline to the handler", "floor in process: split + decode"
    print(f"{'floor / bybit_ws in process (frames/s ratio)':58}", end="")
    print("".join(f" {results[w][floor] / results[w][total]:10.2f}" for w in workloads))
    parts = [
        "split: library (protocol.frames.ClientProtocol on 256 KiB reads)",
        "decode: topic lookup + typed msgspec decode",
        "parse: typed structs -> models (exact Decimals, state)",
        "event: DataEvent (new_event, + a call)",
        "route + put: hand-over to the mailbox (no worker woken)",
        "worker: Mailbox.drain + counting handler (here)",
    ]
    print(f"{'sum of the stages alone':58}", end="")
    print("".join(f" {sum(results[w][p] for p in parts):10,.0f}" for w in workloads))
    print(f"{'rest: hand-offs, GIL switches, caches (total - sum)':58}", end="")
    print("".join(f" {results[w][total] - sum(results[w][p] for p in parts):10,.0f}" for w in workloads))


# -- 2: the recorder ------------------------------------------------------------------------------
def recording_stages(args: argparse.Namespace) -> dict[str, float]:
    from bybit_ws.recording import Recorder, _writer

    n, repeats = args.frames, args.repeats
    payloads = _frames.build_payloads("v5-mix", n)
    received = datetime.now(timezone.utc)
    encode = _writer._encode
    out: dict[str, float] = {}
    out["topic_of(frame)"] = best(repeats, n, lambda: [_writer.topic_of(p) for p in payloads] and None)
    out["received.timestamp()"] = best(repeats, n, lambda: [received.timestamp() for _ in payloads] and None)
    texts = [p.decode("utf-8", "replace") for p in payloads]
    out["frame bytes -> str"] = best(
        repeats, n, lambda: [p.decode("utf-8", "replace") for p in payloads] and None
    )
    lines: list[bytes] = []

    def lines_of() -> None:
        lines[:] = [encode({"t": 1.5, "key": "v5.linear", "topic": "t", "frame": t}) for t in texts]

    out["the JSON line (msgspec encode, escaping the frame)"] = best(repeats, n, lines_of)
    encode_run = getattr(_writer._lines, "encode_run", None)
    if encode_run is not None:  # the flusher's lines, 64 frames a socket read (format 3: verbatim)
        reads = [payloads[i : i + 64] for i in range(0, n, 64)]
        out["the lines as the flusher encodes them (encode_run, 64 a read)"] = best(
            repeats, n, lambda: [encode_run(r, 1.5, "v5.linear") for r in reads] and None
        )
    encode_read = getattr(_writer._lines, "encode_read", None)
    if encode_read is not None:  # format 4: a read's frames, one line (vouched for as JSON)
        reads = [payloads[i : i + 64] for i in range(0, n, 64)]
        out["a read's line as the flusher encodes it (encode_read, 64 a read)"] = best(
            repeats, n, lambda: [encode_read(r, 1.5, "v5.linear", True) for r in reads] and None
        )
        out["the same, the line checked as JSON (not vouched for)"] = best(
            repeats, n, lambda: [encode_read(r, 1.5, "v5.linear", False) for r in reads] and None
        )
    batch = b"\n".join(lines)
    for name in ("zstd", "gzip"):
        try:
            codec = _writer._codec(name, None)
        except Exception as exc:
            print(f"  {name}: not available ({exc})")
            continue
        out[f"compress, {name} (flusher thread, GIL released)"] = best(
            repeats, n, lambda codec=codec: codec.compress(batch) and None
        )
    with tempfile.TemporaryDirectory(prefix="profile-rec-") as scratch:
        recorders: Iterator[int] = itertools.count()
        rec: Any = None

        def fresh() -> None:
            nonlocal rec
            if rec is not None:
                rec.close()
            rec = Recorder(f"{scratch}/{next(recorders)}", flush_interval=None)

        def write() -> None:
            for data in payloads:
                rec.write(data, received, "v5.linear")

        out["Recorder.write, no flusher (compresses inline)"] = best(repeats, n, write, fresh)
        rec.close()
        rec = None

        def fresh_flusher() -> None:
            nonlocal rec
            if rec is not None:
                rec.close()
            rec = Recorder(f"{scratch}/{next(recorders)}")

        out["Recorder.write, flusher thread (the default)"] = best(
            repeats, n, write, fresh_flusher, gc_off=False
        )
        rec.close()
        rec = None
        if hasattr(Recorder, "write_many"):  # what the client's reader calls: a read's frames at once
            reads = [payloads[i : i + 64] for i in range(0, n, 64)]

            def write_many() -> None:
                for frames in reads:
                    rec.write_many(frames, received, "v5.linear", True)

            def write_many_flushed() -> None:
                write_many()
                rec.flush()  # the flusher's work done too

            out["Recorder.write_many, 64 a read, no flusher (inline)"] = best(repeats, n, write_many, fresh)
            rec.close()
            rec = None
            out["Recorder.write_many, 64 a read, flusher thread"] = best(
                repeats, n, write_many, fresh_flusher, gc_off=False
            )
            out["the same + flush() (every line compressed)"] = best(
                repeats, n, write_many_flushed, fresh_flusher, gc_off=False
            )
            rec.close()
    return out


def main() -> None:
    args = parse_args()
    wanted = set(args.what.split(","))
    workloads = list(_frames.V5_WORKLOADS) if args.workload == "v5" else [args.workload]
    print(f"profile_stages | {_clients.machine()}")
    print(_clients.load())
    print(f"frames/stage={args.frames} repeats={args.repeats} orders={args.orders}")
    client_cls, reason = _clients.load_bybit_ws()
    if client_cls is None:
        raise SystemExit(f"bybit_ws not available: {reason}")
    if "frames" in wanted:
        from bybit_ws.testing import FakeBybit

        with FakeBybit("v5") as fake:
            results = {w: frame_stages(w, args, fake, client_cls) for w in workloads}
        print_frames(workloads, results)
    if "recording" in wanted:
        print("\n== the recorder, v5-mix frames, ns a frame (best of repeats)")
        for name, ns in recording_stages(args).items():
            print(f"{name:58} {ns:10,.0f}")
    if "orders" in wanted:
        print(f"\n== an order's round trip, one sender, {args.orders} orders, µs (p50 of each part)")
        for name, ns in _profile_orders.order_stages(args, client_cls).items():
            print(f"{name:58} {ns / 1000:10,.1f}")
    print(_clients.load())


if __name__ == "__main__":
    main()
