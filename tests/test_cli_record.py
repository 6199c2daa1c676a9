"""``python -m bybit_ws record``: unattended collection against FakeBybit, run as a subprocess (stopped by
``--seconds``, Ctrl-C or SIGTERM), its status line, and ``replay`` of what it wrote."""

from __future__ import annotations

import io
import json
import re
import signal
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bybit_ws._cli import main
from bybit_ws._cli._record import _StatusLine
from bybit_ws._cli._recording import load_recording
from bybit_ws.recording import Recorder, read
from bybit_ws.testing import FakeBybit

from . import test_cli
from .support import frame_text
from .test_cli import STARTUP, Proc, events

run = test_cli.run  # the fixture: python subprocesses, killed at teardown

TOPICS = ["publicTrade.BTCUSDT", "orderbook.50.BTCUSDT"]
SENT = [frame_text("v5_orderbook_snapshot"), frame_text("v5_public_trade"), frame_text("v5_public_trade")]
_STATUS = re.compile(
    r"^\d\d:\d\d:\d\d recording \d+ s \| (\d+) frames, [\d.]+ (B|KiB|MiB) written \| "
    r"(\d+) reconnects, (\d+) gaps \([\d.]+ s down\) \| "
    r"publicTrade\.BTCUSDT [\d.]+/s  orderbook\.50\.BTCUSDT [\d.]+/s$"
)


def _status(line: str) -> re.Match[str] | None:
    return _STATUS.match(line)


def _start(run: Callable[..., Proc], fake: FakeBybit, out: Path, *extra: str) -> Proc:
    proc = run(
        "-m", "bybit_ws", "record", *TOPICS, "--url", fake.url, "--out", str(out), *extra, sigint=True
    )  # fmt: skip
    for topic in TOPICS:
        fake.wait_for_subscribers(topic, timeout=STARTUP, path="v5.linear")
    for text in SENT:
        assert fake.send_raw(text, path="v5.linear") == 1
    return proc


def _check_recording(out: Path, fake: FakeBybit) -> None:
    """The files hold exactly the frames sent, with the command's metadata, and read back typed."""
    (path,) = sorted(out.iterdir())
    assert path.name.endswith(".jsonl.zst")  # zstandard is installed: the default
    recorded = list(read(out, keep_original_data=True))
    assert [e.original_data for e in recorded] == SENT
    assert [e.topic for e in recorded] == ["orderbook.50.BTCUSDT", *TOPICS[:1] * 2]
    assert recorded[1].data[0].symbol == "BTCUSDT"
    header, frames = load_recording(str(out))
    assert header["bybit_ws_recording"] == 4 and header["api"] == "v5" and header["category"] == "linear"
    assert header["topics"] == TOPICS and header["urls"] == {"v5.linear": fake.urls["v5.linear"]}
    assert [f.text for f in frames] == SENT


def test_record_for_some_seconds(run: Callable[..., Proc], tmp_path: Path) -> None:
    out = tmp_path / "recordings"
    with FakeBybit("v5") as fake:
        proc = _start(run, fake, out, "--seconds", "2", "--status-every", "0.2")
        assert proc.finish(timeout=15.0) == 0, proc.stderr
    assert proc.stdout == []  # everything goes to stderr
    assert proc.stderr[0].startswith(f"recording {', '.join(TOPICS)} from {fake.urls['v5.linear']} to ")
    statuses = [m for m in map(_status, proc.stderr) if m]
    assert statuses, proc.stderr  # plain lines (stderr is a pipe), never a carriage return
    assert not any("\r" in line for line in proc.stderr)
    assert proc.stderr[-1].startswith(
        "recorded 3 frames (orderbook.50.BTCUSDT 1, publicTrade.BTCUSDT 2) in "
    ), proc.stderr
    assert proc.stderr[-1].endswith("; 0 reconnects, 0 gaps (0.0 s down)")
    _check_recording(out, fake)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT and SIGTERM are POSIX")
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_exits_0_with_everything_flushed(
    run: Callable[..., Proc], tmp_path: Path, stop: signal.Signals
) -> None:
    out = tmp_path / "recordings"
    with FakeBybit("v5") as fake:
        proc = _start(run, fake, out, "--status-every", "0.1")
        counted = proc.next_line(lambda line: bool((m := _status(line)) and m[1] == "3"), 10.0, stderr=True)
        assert "| 0 reconnects, 0 gaps (0.0 s down) |" in counted
        proc.popen.send_signal(stop)
        assert proc.finish(timeout=15.0) == 0, proc.stderr
    assert not any("Traceback" in line for line in proc.stderr), proc.stderr
    assert proc.stderr[-1].startswith("recorded 3 frames"), proc.stderr
    _check_recording(out, fake)


def test_status_counts_reconnects_and_gaps(run: Callable[..., Proc], tmp_path: Path) -> None:
    with FakeBybit("v5") as fake:
        proc = _start(run, fake, tmp_path, "--status-every", "0.1")
        fake.drop_connections()
        lost = proc.next_line(lambda line: line.startswith("connection to "), timeout=10.0, stderr=True)
        assert lost == f"connection to {fake.urls['v5.linear']} lost; reconnecting"
        proc.next_line(lambda line: "restored after" in line, timeout=10.0, stderr=True)
        line = proc.next_line(lambda line: bool((m := _status(line)) and m[3] == "1"), 10.0, stderr=True)
        match = _status(line)
        assert match is not None and match[4] == "1"  # one outage
        proc.popen.send_signal(signal.SIGINT)
        assert proc.finish(timeout=15.0) == 0, proc.stderr
    assert re.search(r"; 1 reconnects, 1 gaps \([\d.]+ s down\)$", proc.stderr[-1]), proc.stderr


def test_replay_serves_a_record_directory_and_a_single_file(run: Callable[..., Proc], tmp_path: Path) -> None:
    """What ``record`` (the library's Recorder) writes replays, rotated files merged in time order; a
    gzip file of a library Recorder without metadata too (API and category from its frames)."""
    t0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc).timestamp()
    with Recorder(tmp_path / "dir", compression="zstd", rotate_seconds=1, flush_interval=None) as rec:
        for n, text in enumerate(SENT):
            rec.write(text.encode(), datetime.fromtimestamp(t0 + n * 0.6, timezone.utc), "v5.linear")
    assert len(rec.files) == 2
    with Recorder(tmp_path / "one", compression="gzip", flush_interval=None) as single:
        single.write(SENT[1].encode(), datetime.fromtimestamp(t0, timezone.utc), "v5.linear")
    expected = ["book   BTCUSDT snapshot 2 bids 2 asks", "trade  BTCUSDT Buy 0.001 @ 16578.50"]
    for path, shown in ((tmp_path / "dir", expected + expected[1:]), (single.files[0], expected[1:])):
        proc = run("-m", "bybit_ws", "replay", str(path), "--print", "--as-fast-as-possible")
        assert proc.finish(timeout=STARTUP) == 0, proc.stderr
        assert [e.split(",")[0] for e in events(proc.stdout)] == shown, proc.stdout
        assert any(f"{len(shown)} of {len(shown)} frames" in line for line in proc.stderr), proc.stderr


def test_load_recording_reads_both_formats(tmp_path: Path) -> None:
    old = tmp_path / "old.jsonl"
    t = 1_700_000_000.0
    lines = [{"bybit_ws_recording": 1, "api": "v5", "category": "spot", "topics": ["publicTrade.BTCUSDT"]}]
    lines.append({"t": t, "key": "v5.spot", "topic": "publicTrade.BTCUSDT", "frame": SENT[1]})
    old.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with Recorder(tmp_path / "new", compression="none", flush_interval=None) as rec:
        rec.write(SENT[1].encode(), datetime.fromtimestamp(t, timezone.utc), "v5.spot")
    for path in (old, tmp_path / "new"):
        header, frames = load_recording(str(path))
        assert (header["api"], header["category"]) == ("v5", "spot"), path
        assert [(f.t, f.key, f.topic, f.text) for f in frames] == [(t, "v5.spot", TOPICS[0], SENT[1])]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["record", "publicTrade.BTCUSDT", "--out", "x", "--seconds", "0"], "--seconds must be positive"),
        (["record", "publicTrade.BTCUSDT", "--out", "x", "--rotate-mb", "-1"], "--rotate-mb must be"),
        (["record", "order", "--out", "x"], "private topics need credentials"),
        (["record", "nonsense.X", "--out", "x"], "unknown topic 'nonsense.X'"),
        (["replay", "no-such-dir/"], "cannot read no-such-dir/"),
    ],
)
def test_record_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BYBIT_API_KEY", raising=False)
    monkeypatch.delenv("BYBIT_API_SECRET", raising=False)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert f"bybit-ws {argv[0]}: error: {message}" in captured.err and captured.out == ""


def test_record_needs_out(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["record", "publicTrade.BTCUSDT"])
    assert exit_.value.code == 2
    assert "--out" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_status_line_redraws_in_place_on_a_terminal() -> None:
    stream = _Terminal()
    line = _StatusLine(stream)
    line.show("first status")
    line.show("second")  # padded over the longer first one
    line.message("connection lost")  # on a line of its own, then the status again
    line.end()
    assert stream.getvalue() == ("\rfirst status\rsecond      \r      \rconnection lost\nsecond\n")
