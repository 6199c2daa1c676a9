"""The command line (``python -m bybit_ws stream | demo | replay``), run as subprocesses with deadlines,
plus the simulated market behind the demo."""

from __future__ import annotations

import itertools
import json
import os
import queue
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bybit_ws import BybitSocketClient, DataEvent
from bybit_ws._cli import describe, main
from bybit_ws._cli._recording import load_recording
from bybit_ws.models.v5 import OrderBookUpdate
from bybit_ws.recording import read
from bybit_ws.testing import FakeBybit, SimulatedMarket

from .support import API_KEY, API_SECRET, Collector, frame_text, wait_until

ROOT = Path(__file__).resolve().parents[1]
STARTUP = 20.0  # deadline for a fresh interpreter to import and get going on a slow machine
_STAMP = re.compile(r"^\d\d:\d\d:\d\d\.\d\d\d ")


def child_env(**extra: str) -> dict[str, str]:
    """The test's environment without Bybit credentials, with the work tree importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYBIT_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env.update(extra)
    return env


def _default_sigint() -> None:  # pragma: no cover - runs in the child before exec
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a child of a background job may inherit SIG_IGN


class Proc:
    """A Python subprocess whose stdout and stderr lines reach queues through reader threads.

    Every wait has a deadline; `close` kills the process if it is still running and joins the readers.
    """

    def __init__(
        self, args: Sequence[str], env: dict[str, str] | None = None, *, sigint: bool = False
    ) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=env or child_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_default_sigint if sigint else None,  # noqa: PLW1509
        )
        self.out: queue.Queue[str | None] = queue.Queue()
        self.err: queue.Queue[str | None] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        assert self.popen.stdout is not None and self.popen.stderr is not None
        self._readers = [
            threading.Thread(target=self._read, args=(self.popen.stdout, self.out), name="test-stdout"),
            threading.Thread(target=self._read, args=(self.popen.stderr, self.err), name="test-stderr"),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: Any, lines: queue.Queue[str | None]) -> None:
        for line in stream:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    def next_line(self, predicate: Callable[[str], bool], timeout: float, *, stderr: bool = False) -> str:
        """The next line (of stdout, or stderr) that satisfies ``predicate``, within ``timeout`` s."""
        lines, seen = (self.err, self.stderr) if stderr else (self.out, self.stdout)
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no matching line within {timeout} s; got {seen}") from None
            if line is None:
                lines.put(None)
                raise AssertionError(f"the process ended without a matching line; got {seen}")
            seen.append(line)
            if predicate(line):
                return line

    def finish(self, timeout: float) -> int:
        """Wait for the exit (within ``timeout`` s) and collect the rest of the output; the exit code."""
        code = self.popen.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout)
        for lines, seen in ((self.out, self.stdout), (self.err, self.stderr)):
            while (line := lines.get_nowait()) is not None:
                seen.append(line)
            lines.put(None)
        return code

    def close(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait(10)
        for reader in self._readers:
            reader.join(10)
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def run() -> Iterator[Callable[..., Proc]]:
    """Start ``python <args>`` subprocesses; every one is killed (if need be) at teardown."""
    started: list[Proc] = []

    def start(*args: str, env: dict[str, str] | None = None, sigint: bool = False) -> Proc:
        proc = Proc(args, env, sigint=sigint)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.close()


def is_event(line: str) -> bool:
    return _STAMP.match(line) is not None


def events(lines: Sequence[str]) -> list[str]:
    """Event lines without their time stamps."""
    return [_STAMP.sub("", line) for line in lines if _STAMP.match(line)]


# ==================================================================================== demo
def test_demo_streams_a_simulated_market(run: Callable[..., Proc]) -> None:
    proc = run("-m", "bybit_ws", "demo", "--seconds", "2", "--seed", "7")
    banner = proc.next_line(lambda line: True, timeout=STARTUP)
    assert banner.startswith("bybit_ws demo:") and "offline" in banner
    proc.next_line(is_event, timeout=5.0)  # events flow within seconds of the banner
    assert proc.finish(timeout=15.0) == 0, proc.stderr
    assert any("Ctrl-C" in line for line in proc.stdout[:5])  # the banner says how to stop
    got = events(proc.stdout)
    assert any(line.startswith("book   BTCUSDT snapshot 50 bids 50 asks, best ") for line in got), got
    assert any(line.startswith("book   BTCUSDT delta ") for line in got), got
    assert any(line.startswith("trade  BTCUSDT ") and " @ " in line for line in got), got
    assert any(line.startswith("ticker BTCUSDT last ") for line in got), got
    assert any(line.startswith("system demo maintenance scheduled 20") for line in got), got
    assert any(line.startswith("limits BTCUSDT buy <= ") for line in got), got  # newer v5 streams
    assert not any("Traceback" in line for line in proc.stderr), proc.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX")
def test_demo_exits_0_without_traceback_on_ctrl_c(run: Callable[..., Proc]) -> None:
    proc = run("-m", "bybit_ws", "demo", sigint=True)
    proc.next_line(is_event, timeout=STARTUP)  # streaming
    proc.popen.send_signal(signal.SIGINT)
    assert proc.finish(timeout=15.0) == 0  # Ctrl-C is how a stream normally ends: exit code 0
    assert not any("Traceback" in line for line in proc.stderr), proc.stderr


def test_the_readme_inverse_stream_line_works_against_the_inverse_demo(run: Callable[..., Proc]) -> None:
    """README's ``stream trade.BTCUSD --api inverse --url ws://127.0.0.1:8765/realtime`` against its own
    ``demo --api inverse --port 8765`` (a free port instead of 8765): trades stream (it got a 404)."""
    readme = "\n".join(p.read_text() for p in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))])
    demo_line = next(line for line in readme.splitlines() if "bybit_ws demo --api inverse" in line)
    stream_line = next(line for line in readme.splitlines() if "stream trade.BTCUSD --api inverse" in line)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    demo_args = shlex.split(demo_line.split("#")[0].replace("8765", port))[1:]
    stream_args = shlex.split(stream_line.split("#")[0].replace("8765", port))[1:]
    demo = run(*demo_args, "--seconds", "30")
    demo.next_line(lambda line: f"127.0.0.1:{port}/realtime" in line, timeout=STARTUP)
    stream = run(*stream_args, "--seconds", "2")
    stream.next_line(lambda line: "trade  BTCUSD " in line and " @ " in line, timeout=STARTUP)
    assert stream.finish(timeout=15.0) == 0, stream.stderr
    assert not any("Traceback" in line for line in stream.stderr), stream.stderr


def test_a_refused_handshake_is_reported_once_in_one_clear_line(run: Callable[..., Proc]) -> None:
    """The v5-only fake has no /realtime: one line with the HTTP status, no header dump, not twice."""
    with FakeBybit("v5") as fake:
        url = f"{fake.url}/realtime"
        proc = run("-m", "bybit_ws", "stream", "trade.BTCUSD", "--api", "inverse", "--url", url)
        assert proc.finish(timeout=STARTUP + 10) == 1
    failures = [line for line in proc.stderr if "cannot connect" in line]
    assert len(failures) == 1, proc.stderr
    (failure,) = failures
    assert "HTTP 404 Not Found" in failure and f"{fake.url}/realtime" in failure, failure
    assert "{" not in failure and "-+-+-" not in failure, failure
    assert not any("Traceback" in line for line in proc.stderr), proc.stderr


# ==================================================================================== stream
STREAMED = {
    "inverse_trade": "trade  BTCUSD Sell 328 @ 8098",
    "inverse_orderbook25_snapshot": "book   BTCUSD snapshot 1 bids 1 asks, best 2999.00/3001.00",
    "inverse_orderbook25_delta": "book   BTCUSD delta 1 deleted 1 updated 1 inserted",
}


def test_stream_prints_records_and_replays(run: Callable[..., Proc], tmp_path: Path) -> None:
    recording = tmp_path / "session"
    topics = ["trade.BTCUSD", "orderBookL2_25.BTCUSD"]
    with FakeBybit("inverse") as fake:
        proc = run(
            "-m", "bybit_ws", "stream", "--api", "inverse", "--url", fake.urls["inverse"], *topics,
            "--seconds", "2", "--record", str(recording),
        )  # fmt: skip
        for topic in topics:
            fake.wait_for_subscribers(topic, timeout=STARTUP)
        for name in STREAMED:
            assert fake.send_raw(frame_text(name)) == 1
        assert proc.finish(timeout=15.0) == 0, proc.stderr
    assert sorted(events(proc.stdout)) == sorted(STREAMED.values()), proc.stdout
    assert all(is_event(line) for line in proc.stdout), proc.stdout  # stdout carries events only

    # --record writes what `record --out DIR` writes: bybit_ws.recording files, the command's metadata
    header, frames = load_recording(str(recording))
    assert header["bybit_ws_recording"] == 4
    assert header["api"] == "inverse" and header["topics"] == topics
    assert header["urls"] == {"inverse": fake.urls["inverse"]}
    assert [f.text for f in frames] == [frame_text(name) for name in STREAMED]  # in order, byte for byte
    assert {f.key for f in frames} == {"inverse"}
    assert [f.topic for f in frames] == [json.loads(f.text)["topic"] for f in frames]
    assert all(abs(f.t - time.time()) < 60 for f in frames)
    assert [e.topic for e in read(recording)] == [f.topic for f in frames]  # typed events read back

    replay = run("-m", "bybit_ws", "replay", str(recording), "--print", "--as-fast-as-possible")
    assert replay.finish(timeout=STARTUP) == 0, replay.stderr
    assert sorted(events(replay.stdout)) == sorted(STREAMED.values()), (replay.stdout, replay.stderr)
    assert any("3 of 3 frames" in line for line in replay.stderr), replay.stderr


def test_replay_reads_an_old_stream_record_file(run: Callable[..., Proc], tmp_path: Path) -> None:
    """The single-file JSON lines (format 1) that ``stream --record FILE`` wrote before it wrote a
    directory: a header, then ``{"t", "key", "url", "topic", "frame"}`` lines."""
    recording = tmp_path / "session.jsonl"
    header = {"bybit_ws_recording": 1, "api": "inverse", "topics": ["trade.BTCUSD", "orderBookL2_25.BTCUSD"]}
    lines = [json.dumps({**header, "urls": {"inverse": "ws://127.0.0.1:1/realtime"}, "t": 1.0})]
    for n, name in enumerate(STREAMED):
        topic = json.loads(frame_text(name))["topic"]
        line = {"t": 1_700_000_000.0 + n / 10, "key": "inverse", "url": "ws://127.0.0.1:1/realtime"}
        lines.append(json.dumps({**line, "topic": topic, "frame": frame_text(name)}))
    recording.write_text("\n".join(lines) + "\n")
    replay = run("-m", "bybit_ws", "replay", str(recording), "--print", "--as-fast-as-possible")
    assert replay.finish(timeout=STARTUP) == 0, replay.stderr
    assert events(replay.stdout) == list(STREAMED.values()), (replay.stdout, replay.stderr)
    assert any("3 of 3 frames" in line for line in replay.stderr), replay.stderr


def test_stream_record_refuses_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "session.jsonl"
    old.write_text("")
    assert main(["stream", "publicTrade.BTCUSDT", "--record", str(old), "--url", "ws://127.0.0.1:1"]) == 2
    assert "--record takes a directory" in capsys.readouterr().err


def test_stream_private_v5_topics_with_a_base_url(run: Callable[..., Proc]) -> None:
    with FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET) as fake:
        env = child_env(BYBIT_API_KEY=API_KEY, BYBIT_API_SECRET=API_SECRET)
        proc = run(
            "-m",
            "bybit_ws",
            "stream",
            "--url",
            fake.url,
            "order",
            "tickers.BTCUSDT",
            "--seconds",
            "2",
            env=env,
        )
        fake.wait_for_subscribers("order", timeout=STARTUP, path="v5.private")
        fake.wait_for_subscribers("tickers.BTCUSDT", timeout=5.0, path="v5.linear")
        assert fake.send_raw(frame_text("v5_order"), path="v5.private") == 1
        assert fake.send_raw(frame_text("v5_ticker_linear_snapshot"), path="v5.linear") == 1
        assert proc.finish(timeout=15.0) == 0, proc.stderr
    assert sorted(events(proc.stdout)) == [
        "order  ETH-30DEC22-1400-C Sell Market 1 @ 72.5 Filled",
        "ticker BTCUSDT last 66666.60 bid 66666.60 ask 66666.70 mark 66666.60",
    ], proc.stdout
    assert not any(API_SECRET in line for line in proc.stdout + proc.stderr)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["stream", "foo.BTCUSD"], "unknown topic 'foo.BTCUSD'"),
        (
            ["stream", "--api", "inverse", "publicTrade.BTCUSDT"],
            "unknown inverse topic 'publicTrade.BTCUSDT'",
        ),
        (["stream", "trade.BTCUSD", "publicTrade.BTCUSDT"], "different APIs"),
        (["stream", "orderbook.7.BTCUSDT"], "depth must be one of"),
        (["stream", "order"], "BYBIT_API_KEY"),
        (["stream", "--url", "http://example.com", "publicTrade.BTCUSDT"], "ws:// or wss://"),
        (["replay", "no-such-file.jsonl"], "cannot read no-such-file.jsonl"),
        (["demo", "--seconds", "0"], "--seconds must be positive, not 0"),
        (["demo", "--seconds", "-2"], "--seconds must be positive, not -2"),
        (["demo", "--port", "70000"], "--port must be 0 (any free port) to 65535"),
    ],
)
def test_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BYBIT_API_KEY", raising=False)
    monkeypatch.delenv("BYBIT_API_SECRET", raising=False)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_unknown_topic_exits_2_as_a_subprocess(run: Callable[..., Proc]) -> None:
    proc = run("-m", "bybit_ws", "stream", "nonsense.BTCUSD")
    assert proc.finish(timeout=STARTUP) == 2
    assert "bybit-ws stream: error: unknown topic 'nonsense.BTCUSD'" in proc.stderr[0], proc.stderr
    assert any("publicTrade.SYMBOL" in line for line in proc.stderr)  # it lists the known topics
    assert not any("Traceback" in line for line in proc.stderr)


# ==================================================================================== replay
def _v5_recording(path: Path, gaps: Sequence[float]) -> list[str]:
    """Write a v5 recording of trade frames ``gaps`` seconds apart; return the frames."""
    template = json.loads(frame_text("v5_public_trade"))
    frames, t = [], 1_700_000_000.0
    lines = [
        json.dumps(
            {"bybit_ws_recording": 1, "api": "v5", "category": "linear", "topics": ["publicTrade.BTCUSDT"]}
        )
    ]
    for n, gap in enumerate([0.0, *gaps]):
        t += gap
        template["data"][0]["p"] = f"{16578 + n}.50"
        frames.append(json.dumps(template))
        lines.append(
            json.dumps({"t": t, "key": "v5.linear", "topic": "publicTrade.BTCUSDT", "frame": frames[-1]})
        )
    path.write_text("\n".join(lines) + "\n")
    return frames


def test_replay_keeps_the_recorded_pace_divided_by_speed(run: Callable[..., Proc], tmp_path: Path) -> None:
    recording = tmp_path / "v5.jsonl"
    _v5_recording(recording, gaps=[0.4, 0.4])
    proc = run("-m", "bybit_ws", "replay", str(recording), "--print", "--speed", "2")
    assert proc.finish(timeout=STARTUP) == 0, proc.stderr
    assert events(proc.stdout) == [f"trade  BTCUSDT Buy 0.001 @ {16578 + n}.50" for n in range(3)]
    stamps = [_seconds(line) for line in proc.stdout if is_event(line)]
    assert all(b - a >= 0.19 for a, b in itertools.pairwise(stamps)), stamps  # 0.4 s / 2, never sooner


def test_replay_print_shows_the_recorded_times(run: Callable[..., Proc], tmp_path: Path) -> None:
    recording = tmp_path / "v5.jsonl"
    _v5_recording(
        recording, gaps=[0.4, 61.25]
    )  # recorded at 1_700_000_000.0 = 22:13:20 UTC, then +0.4, +61.25
    proc = run("-m", "bybit_ws", "replay", str(recording), "--print", "--as-fast-as-possible")
    assert proc.finish(timeout=STARTUP) == 0, proc.stderr
    assert [line[:12] for line in proc.stdout if is_event(line)] == [
        "22:13:20.000",
        "22:13:20.400",
        "22:14:21.650",
    ]
    assert any("recorded time" in line for line in proc.stderr), proc.stderr


def test_stream_says_when_a_connection_is_lost_and_restored(run: Callable[..., Proc]) -> None:
    with FakeBybit("inverse") as fake:
        proc = run("-m", "bybit_ws", "stream", "--api", "inverse", "--url", fake.url, "trade.BTCUSD")
        fake.wait_for_subscribers("trade.BTCUSD", timeout=STARTUP)
        fake.drop_connections()
        lost = proc.next_line(lambda line: line.startswith("connection to "), timeout=10.0, stderr=True)
        assert lost == f"connection to {fake.urls['inverse']} lost; reconnecting"
        restored = proc.next_line(lambda line: line.startswith("connection to "), timeout=10.0, stderr=True)
        assert restored.startswith(f"connection to {fake.urls['inverse']} restored after ")
        assert restored.endswith(" s; resubscribed")
        fake.wait_for_subscribers("trade.BTCUSD", timeout=5.0)
        assert fake.send_raw(frame_text("inverse_trade")) == 1
        assert events([proc.next_line(is_event, timeout=5.0)]) == ["trade  BTCUSD Sell 328 @ 8098"]


def _seconds(line: str) -> float:
    h, m, s = line[:12].split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def test_replay_serves_your_own_client(run: Callable[..., Proc], tmp_path: Path) -> None:
    recording = tmp_path / "v5.jsonl"
    frames = _v5_recording(recording, gaps=[0.01, 0.01])
    proc = run("-m", "bybit_ws", "replay", str(recording), "--as-fast-as-possible")
    line = proc.next_line(lambda line: "connect with" in line, timeout=STARTUP, stderr=True)
    urls = json.loads(line.split("urls=", 1)[1].rstrip(")"))
    assert list(urls) == ["v5.linear"]
    got = Collector()
    with BybitSocketClient(urls=urls, keep_original_data=True) as client:
        client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", got)
        assert proc.finish(timeout=15.0) == 0, proc.stderr
        got.wait(3, timeout=5.0)
    assert [event.original_data for event in got.events] == frames  # byte for byte, in order


# ==================================================================================== the market
def test_simulated_market_publishes_a_consistent_book() -> None:
    """A subscriber applying snapshot + deltas ends with exactly the market's book; u goes up by 1."""
    bids: dict[Decimal, Decimal] = {}
    asks: dict[Decimal, Decimal] = {}
    seen: list[tuple[str, int]] = []
    problems: list[str] = []
    lock = threading.Lock()

    def apply(kind: str) -> Callable[[DataEvent[OrderBookUpdate]], None]:
        def on_book(event: DataEvent[OrderBookUpdate]) -> None:
            book = event.data
            with lock:
                if kind == "snapshot":
                    bids.clear()
                    asks.clear()
                elif not seen:
                    problems.append("a delta came before the first snapshot")
                elif book.update_id != seen[-1][1] + 1:
                    problems.append(f"u jumped from {seen[-1][1]} to {book.update_id}")
                for side, levels in ((bids, book.bids), (asks, book.asks)):
                    for level in levels:
                        if level.quantity == 0:
                            side.pop(level.price, None)
                        else:
                            side[level.price] = level.quantity
                if len(bids) != 50 or len(asks) != 50 or max(bids) >= min(asks):
                    problems.append(f"bad book after u={book.update_id}: {len(bids)}/{len(asks)} levels")
                seen.append((kind, book.update_id))

        return on_book

    with FakeBybit("v5") as fake, SimulatedMarket(fake, seed=11, rate=200) as market:
        with BybitSocketClient(urls=fake.urls) as client:
            client.v5.subscribe_to_order_book_updates(
                "linear", "BTCUSDT", 50, apply("snapshot"), apply("delta")
            )
            wait_until(lambda: len(seen) >= 40, timeout=10.0, message="40 book frames")
            market.close()
            wait_until(
                lambda: bool(seen) and seen[-1][1] == market.update_id, timeout=5.0, message="the last frame"
            )
        with lock:
            assert seen[0][0] == "snapshot"
            assert not problems, problems[:5]
            assert (bids, asks) == market.book()


def test_simulated_market_sends_a_snapshot_to_each_new_subscriber() -> None:
    with (
        FakeBybit("v5") as fake,
        SimulatedMarket(fake, seed=5, rate=100),
        BybitSocketClient(urls=fake.urls) as client,
    ):
        first, second = Collector(), Collector()
        client.v5.subscribe_to_ticker_updates("linear", "BTCUSDT", first)
        first.wait(3, timeout=10.0)
        with BybitSocketClient(urls=fake.urls) as other:
            sub = other.v5.subscribe_to_order_book_updates("linear", "BTCUSDT", 50)
            event = sub.get(timeout=10.0)
            assert event.data.symbol == "BTCUSDT" and len(event.data.bids) == 50  # a snapshot first
            other.v5.subscribe_to_ticker_updates("linear", "BTCUSDT", second)
            second.wait(1, timeout=10.0)
        assert second.events[0].data.open_interest is not None  # only the snapshot carries it
        assert describe(second.events[0].data, "tickers.BTCUSDT").startswith("ticker BTCUSDT last ")
