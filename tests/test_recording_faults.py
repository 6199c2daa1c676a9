"""Recordings under faults: a full disk while recording (a real, small tmpfs), and files torn by a
power loss or a crash (cut anywhere, zeros appended), read back with nothing made up."""

from __future__ import annotations

import errno
import json
import logging
import os
import subprocess
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bybit_ws import BybitSocketClient
from bybit_ws.recording import Recorder, frames
from bybit_ws.testing import FakeBybit

from .support import Collector

T0 = datetime(2024, 5, 1, 23, 59, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def noisy(n: int) -> bytes:
    """A frame that does not compress (random hex), so a small disk fills after a few."""
    return json.dumps({"topic": "publicTrade.X", "n": n, "noise": os.urandom(256).hex()}).encode()


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB tmpfs (needs root, as locally and in CI; skipped with the reason otherwise)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
            check=False,
            capture_output=True,
            text=True,
        )
    except FileNotFoundError:
        pytest.skip("no mount command to make a small tmpfs")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def _recorder_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name.startswith("bybit_ws.recording") or "record" in r.getMessage()
    ]


@pytest.mark.parametrize("flush_interval", [0.01, None], ids=["flusher-thread", "writers-compress"])
@pytest.mark.parametrize("compression", ["gzip", "none"])
def test_a_full_disk_stops_the_recording_once_and_close_still_stops_the_thread(
    full_disk: Path, caplog: pytest.LogCaptureFixture, flush_interval: float | None, compression: str
) -> None:
    recorder = Recorder(full_disk, compression=compression, flush_interval=flush_interval)
    written: list[bytes] = []
    while recorder.error is None and len(written) < 100_000:  # 64 KiB fill after ~100 frames
        data = noisy(len(written))
        recorder.write(data, at(len(written)), "v5.linear")  # never raises
        written.append(data)
    dropped = recorder.dropped  # a write racing the flusher's error may be one already
    for n in range(10):
        recorder.write(noisy(n), at(n), "v5.linear")  # dropped, counted
    assert recorder.dropped == dropped + 10
    with pytest.raises(OSError) as flushed:
        recorder.flush()
    error = recorder.error
    assert error is flushed.value and error is not None and error.errno == errno.ENOSPC
    with pytest.raises(OSError) as closed:
        recorder.close()
    assert closed.value is error
    recorder.close()  # a second close: harmless, nothing raised
    assert recorder._flusher is None or not recorder._flusher.is_alive()
    lines = _recorder_lines(caplog)
    print(f"frames {recorder.frames}, dropped {recorder.dropped};", [r.getMessage() for r in lines])
    assert len(lines) == 1 and lines[0].levelno == logging.ERROR and "No space left" in lines[0].getMessage()
    (path,) = recorder.files
    kept = [f.text.encode() for f in frames(path)]
    assert kept == written[: len(kept)]  # what reached the disk reads back: a prefix, nothing made up


def test_a_full_disk_never_stops_the_live_stream(full_disk: Path, caplog: pytest.LogCaptureFixture) -> None:
    trade = {"T": 1, "s": "BTCUSDT", "S": "Buy", "v": "1", "i": "x", "BT": False}
    got = Collector()
    with (
        FakeBybit("v5") as fake,
        BybitSocketClient(urls=fake.urls, request_timeout=2) as client,
        Recorder(full_disk, compression="none", flush_interval=0.01) as recorder,
    ):
        client.record(recorder)
        client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", got)
        for n in range(300):
            fake.publish("publicTrade.BTCUSDT", [{**trade, "p": str(n), "L": os.urandom(256).hex()}])
        got.wait(300)
        client.stop_recording(recorder)
        error = recorder.error
        with pytest.raises(OSError):
            recorder.close()
    lines = _recorder_lines(caplog)
    print(f"events {len(got.events)}; recorder frames {recorder.frames}, dropped {recorder.dropped}: {error}")
    assert error is not None and error.errno == errno.ENOSPC
    assert len(lines) == 1 and lines[0].levelno == logging.ERROR
    assert [int(e.data[0].price) for e in got.events] == list(range(300))
    assert not [t for t in threading.enumerate() if t.name == "bybit-ws-recorder"]
