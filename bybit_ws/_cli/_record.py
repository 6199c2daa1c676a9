"""The ``record`` command: unattended collection of raw topics to rotating, compressed recording files,
with a one-line status on stderr."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from types import FrameType
from typing import Any, TextIO

from bybit_ws._cli._console import status, usage
from bybit_ws._cli._stream import check_plans
from bybit_ws._cli._topics import TopicPlan, UsageError, add_topic_options, endpoint_urls, plan_topics
from bybit_ws._errors import BybitWsError
from bybit_ws.api._client import BybitSocketClient
from bybit_ws.models._common import DataEvent
from bybit_ws.recording import Recorder
from bybit_ws.recording._writer import SUFFIXES, topic_of
from bybit_ws.sinks import RedisStreamSink

__all__ = ["add_record_parser", "run_record"]


def add_record_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The ``record`` subcommand's parser, added to ``commands`` (argparse's subparsers)."""
    record = commands.add_parser(
        "record",
        parents=[common],
        help="collect raw topics to rotating compressed files (read back with bybit_ws.recording)",
        description="Record every frame of raw wire topics, unattended, to rotating compressed files in "
        "--out DIR, with a status line on stderr. Ctrl-C (or SIGTERM) stops, with everything flushed. "
        "Read the files with bybit_ws.recording.read, export them with bybit_ws.recording.to_parquet, "
        "or serve them with: replay DIR. With --to redis://host:6379/0 the frames go to Redis streams "
        "(bybit:TOPIC) instead, for other processes or machines to read (bybit_ws.sinks.read_redis).",
    )
    add_topic_options(record)
    target = record.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", metavar="DIR", help="directory for the files (created)")
    target.add_argument(
        "--to",
        metavar="URL",
        help="a Redis URL (redis://host:6379/0): XADD each frame to the stream bybit:TOPIC instead of "
        "files; read them with bybit_ws.sinks.read_redis (extra [redis])",
    )
    record.add_argument(
        "--compression",
        choices=list(SUFFIXES),
        help="zstd (default when the zstandard package is installed), gzip or none",
    )
    record.add_argument(
        "--rotate-seconds",
        type=float,
        default=3600.0,
        metavar="N",
        help="start a new file every N seconds, on the multiple (default: %(default)g, hourly)",
    )
    record.add_argument("--rotate-mb", type=float, metavar="N", help="also start a new file after N MB")
    record.add_argument(
        "--status-every",
        type=float,
        default=10.0,
        metavar="N",
        help="seconds between status lines when stderr is not a terminal (default: %(default)g; 0: none); "
        "on a terminal the line is redrawn every second",
    )
    record.set_defaults(run=run_record)


class _Tally:
    """The client's frame recorder: hands each frame to the `Recorder` and counts it by topic."""

    def __init__(self, recorder: Recorder | RedisStreamSink) -> None:
        self.recorder = recorder
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def write(self, data: bytes, received: datetime, endpoint: str) -> None:
        self.recorder.write(data, received, endpoint)
        topic = topic_of(data)
        if topic is not None:
            with self._lock:
                self._counts[topic] = self._counts.get(topic, 0) + 1

    def write_many(self, frames: list[bytes], received: datetime, endpoint: str, json: bool = False) -> None:
        """A socket read's frames: to the `Recorder` at once (a sink: one by one), counted under one lock."""
        recorder = self.recorder
        if isinstance(recorder, Recorder):
            recorder.write_many(frames, received, endpoint, json)
        else:
            for data in frames:
                recorder.write(data, received, endpoint)
        topics = Counter(map(topic_of, frames))
        with self._lock:
            counts = self._counts
            for topic, count in topics.items():
                if topic is not None:
                    counts[topic] = counts.get(topic, 0) + count

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


class _Health:
    """Connection outages, from the subscriptions' lost / restored callbacks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reconnects = 0
        self.gaps = 0
        self._downtime = 0.0
        self._down: dict[str, float] = {}  # endpoint key -> monotonic time of the drop

    def lost(self, key: str) -> None:
        with self._lock:
            self.gaps += 1
            self._down.setdefault(key, time.monotonic())

    def restored(self, key: str, downtime: timedelta) -> None:
        with self._lock:
            self.reconnects += 1
            self._down.pop(key, None)
            self._downtime += downtime.total_seconds()

    def downtime(self) -> float:
        """Seconds without a connection, so far (an outage still going on included)."""
        now = time.monotonic()
        with self._lock:
            return self._downtime + sum(now - since for since in self._down.values())


class _StatusLine:
    """The status on stderr: redrawn in place on a terminal; elsewhere (a log file) plain lines."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.tty = stream.isatty()
        self._lock = threading.Lock()
        self._shown = ""

    def show(self, text: str) -> None:
        with self._lock:
            if self.tty:
                width = shutil.get_terminal_size().columns - 1  # a wrapped line cannot be redrawn
                text = text[:width]
                self._stream.write("\r" + text.ljust(len(self._shown)))
                self._shown = text
            else:
                self._stream.write(text + "\n")
            self._stream.flush()

    def message(self, text: str) -> None:
        """A line of its own (a lost connection, the summary), above the status line."""
        with self._lock:
            if self.tty and self._shown:
                self._stream.write("\r" + " " * len(self._shown) + "\r" + text + "\n" + self._shown)
            else:
                self._stream.write(text + "\n")
            self._stream.flush()

    def end(self) -> None:
        with self._lock:
            if self.tty and self._shown:
                self._stream.write("\n")
                self._stream.flush()
                self._shown = ""


def _size(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


class _Report:
    """Renders the status line: events/s per topic since the last line, totals, outages, bytes."""

    def __init__(self, tally: _Tally, health: _Health, topics: Sequence[str]) -> None:
        self._tally = tally
        self._health = health
        self._topics = list(topics)
        self.started = time.monotonic()
        self._last = (self.started, dict.fromkeys(topics, 0))

    def line(self) -> str:
        now, counts = time.monotonic(), self._tally.counts()
        then, before = self._last
        self._last = (now, counts)
        span = max(now - then, 1e-9)
        topics = self._topics + sorted(set(counts) - set(self._topics))  # wildcards: each symbol's topic
        rates = "  ".join(f"{t} {(counts.get(t, 0) - before.get(t, 0)) / span:.1f}/s" for t in topics)
        health = self._health
        return (  # the per-topic rates last: a narrow terminal cuts the line
            f"{time.strftime('%H:%M:%S')} recording {now - self.started:.0f} s | "
            f"{sum(counts.values())} frames, {_written(self._tally.recorder)} | "
            f"{health.reconnects} reconnects, {health.gaps} gaps ({health.downtime():.1f} s down) | {rates}"
        )

    def summary(self) -> str:
        counts, recorder, health = self._tally.counts(), self._tally.recorder, self._health
        per_topic = ", ".join(f"{t} {n}" for t, n in sorted(counts.items())) or "none"
        elapsed = time.monotonic() - self.started
        return (
            f"recorded {sum(counts.values())} frames ({per_topic}) in {elapsed:.1f} s "
            f"{_destination(recorder)}; "
            f"{health.reconnects} reconnects, {health.gaps} gaps ({health.downtime():.1f} s down)"
        )


def _written(recorder: Recorder | RedisStreamSink) -> str:
    if isinstance(recorder, Recorder):
        return f"{_size(recorder.bytes_written)} written"
    stats = recorder.stats
    return f"{stats.written} sent, {stats.pending} buffered, {stats.dropped} dropped"


def _destination(recorder: Recorder | RedisStreamSink) -> str:
    if isinstance(recorder, Recorder):
        return f"to {len(recorder.files)} file(s) in {recorder.directory}, {_size(recorder.bytes_written)}"
    return f"to {recorder.name}: {_written(recorder)}"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_record(args: argparse.Namespace) -> int:
    try:
        plans = plan_topics(args.topics, args.api, args.category)
        urls = endpoint_urls(args.url, (p.key for p in plans))
    except UsageError as exc:
        return usage("record", exc)
    problem = check_plans(plans, args.url)
    if problem is not None:
        return usage("record", problem)
    for name in ("seconds", "rotate_seconds", "rotate_mb"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            return usage("record", f"--{name.replace('_', '-')} must be positive, not {value:g}")
    if args.status_every < 0:
        return usage("record", f"--status-every must be 0 or more, not {args.status_every:g}")
    term = None
    if threading.current_thread() is threading.main_thread():  # SIGTERM (docker stop, systemd): as Ctrl-C
        term = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _record(args, plans, urls)
    finally:
        if term is not None:
            signal.signal(signal.SIGTERM, term)


def _record(args: argparse.Namespace, plans: list[TopicPlan], urls: dict[str, str] | None) -> int:
    line = _StatusLine(sys.stderr)
    recorder: Recorder | RedisStreamSink | None = None
    client: BybitSocketClient | None = None
    report: _Report | None = None
    code = 0
    try:
        client = BybitSocketClient(testnet=args.testnet, urls=urls)
        used = {p.key: client.urls[p.key] for p in plans}
        metadata: dict[str, Any] = {"api": plans[0].api, "topics": list(args.topics), "urls": used}
        if plans[0].api == "v5":
            metadata["category"] = args.category
        if args.to is not None:
            recorder = RedisStreamSink(args.to)
            where = recorder.name
        else:
            recorder = Recorder(
                args.out,
                compression=args.compression,
                rotate_seconds=args.rotate_seconds,
                rotate_bytes=None if args.rotate_mb is None else int(args.rotate_mb * 1_000_000),
                metadata=metadata,
            )
            where = f"{recorder.directory}/ ({recorder.compression})"
        tally, health = _Tally(recorder), _Health()
        report = _Report(tally, health, args.topics)
        client.record(tally)  # before subscribing: the first frames (order-book snapshots) count
        line.message(
            f"recording {', '.join(args.topics)} from {', '.join(sorted(set(used.values())))} "
            f"to {where}; Ctrl-C stops"
        )
        _subscribe(client, plans, health, line)
        _wait(client, args.seconds, line, report, args.status_every)
    except KeyboardInterrupt:
        pass
    except ValueError as exc:  # e.g. an order-book depth the server rejects before sending
        line.end()
        code = usage("record", exc)
    except (BybitWsError, OSError, ImportError) as exc:  # ImportError: --compression zstd without zstandard
        line.end()
        status(f"bybit-ws record: error: {exc}")
        code = 1
    finally:
        if client is not None:
            client.close()
        if recorder is not None:
            recorder.close()
        line.end()
    if report is not None:
        status(report.summary())
    return code


def _subscribe(
    client: BybitSocketClient, plans: Sequence[TopicPlan], health: _Health, line: _StatusLine
) -> None:
    """Subscribe to every planned topic (the handlers do nothing: the frames are recorded as read);
    watch each endpoint's connection."""

    def ignore(event: DataEvent[Any]) -> None:
        pass

    watched: set[str] = set()
    for plan in plans:
        sub = plan.subscribe(client, lambda kind: ignore)
        if plan.key in watched:
            continue
        watched.add(plan.key)
        url = client.urls[plan.key]

        def lost(key: str = plan.key, url: str = url) -> None:
            health.lost(key)
            line.message(f"connection to {url} lost; reconnecting")

        def restored(downtime: timedelta, key: str = plan.key, url: str = url) -> None:
            health.restored(key, downtime)
            line.message(f"connection to {url} restored after {downtime.total_seconds():.1f} s; resubscribed")

        sub.on_connection_lost(lost)
        sub.on_connection_restored(restored)


def _wait(
    client: BybitSocketClient, seconds: float | None, line: _StatusLine, report: _Report, every: float
) -> None:
    """Until ``seconds`` pass (``None``: until Ctrl-C) or the client fails, showing the status line."""
    interval = 1.0 if line.tty else every
    start = time.monotonic()
    deadline = None if seconds is None else start + seconds
    due = start + interval if interval > 0 else None
    while True:
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            return
        wake = min(t for t in (deadline, due, now + 3600.0) if t is not None)
        if client.wait(max(0.0, wake - now)):
            return
        if due is not None and time.monotonic() >= due:
            line.show(report.line())
            due = max(due + interval, time.monotonic())
