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
from typing import Any

import pytest

from bybit_ws import BybitSocketClient
from bybit_ws.recording import Recorder, _reader, frames
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
        # the flusher may meet the full disk before close() or in it (its last flush): either way
        # close() raises that error, and it is the one the recorder keeps
        with pytest.raises(OSError) as closed:
            recorder.close()
        error = recorder.error
        assert error is closed.value
    lines = _recorder_lines(caplog)
    print(f"events {len(got.events)}; recorder frames {recorder.frames}, dropped {recorder.dropped}: {error}")
    assert error is not None and error.errno == errno.ENOSPC
    assert len(lines) == 1 and lines[0].levelno == logging.ERROR
    assert [int(e.data[0].price) for e in got.events] == list(range(300))
    assert not [t for t in threading.enumerate() if t.name == "bybit-ws-recorder"]


# ------------------------------------------------------------------------- torn files: cut anywhere
@pytest.mark.parametrize("compression", ["gzip", "zstd", "none"])
def test_a_file_torn_anywhere_reads_back_its_frames_up_to_the_damage_and_nothing_else(
    tmp_path: Path, compression: str
) -> None:
    """``Recorder(fsync=True)``: a power loss keeps what was flushed, and after it leaves the file cut
    anywhere (inside a block, inside a line) with zeros where the lost writes were. Every cut point
    reads back exactly the frames written, in order, at least those flushed before the cut: no
    duplicate, no made-up frame (a gzip block cut short decodes zeros into copies of earlier lines)."""
    if compression == "zstd":
        pytest.importorskip("zstandard")
    texts: list[str] = []
    boundaries: list[tuple[int, int]] = []  # (file size, frames) after each flush: the block boundaries
    with Recorder(tmp_path / "live", compression=compression, flush_interval=None, fsync=True) as rec:
        for i in range(120):
            data = {"topic": "publicTrade.X", "data": [{"i": f"id-{i:05d}", "p": "100.5", "v": str(i % 7)}]}
            text = json.dumps(data)
            rec.write(text.encode(), at(i), "v5.linear")
            texts.append(text)
            if i % 10 == 9:
                rec.flush()
                boundaries.append((rec.bytes_written, len(texts)))
    (path,) = rec.files
    raw = path.read_bytes()
    assert boundaries[-1][0] <= len(raw)
    torn = tmp_path / f"torn{path.name[-8:]}"
    step = 1 if compression != "none" else 17  # every cut point of the compressed files
    cuts = sorted({*range(0, len(raw) + 1, step), *(size for size, _n in boundaries)})
    exact = 0
    for cut in cuts:
        torn.write_bytes(raw[:cut] + bytes(4096))
        got = [f.text for f in frames(torn)]
        assert got == texts[: len(got)], f"cut at {cut}: frames that were never written in that order"
        flushed = max((n for size, n in boundaries if size <= cut), default=0)
        assert len(got) >= flushed, f"cut at {cut}: lost flushed frames"
        exact += len(got) == flushed
    print(
        f"{compression}: {len(cuts)} cut points ({len(boundaries)} block boundaries) + 4 KiB of zeros: "
        f"all read back a prefix; {exact} exactly the flushed frames, {len(cuts) - exact} more"
    )


def test_a_gzip_file_without_flushes_reads_back_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the reader holds back until a flush vouches for it is bounded: past ``_HOLD`` bytes the
    oldest go out (so a long file written without flushes needs no memory of its size)."""
    monkeypatch.setattr(_reader, "_HOLD", 4096)
    monkeypatch.setattr(_reader, "_CHUNK", 8192)  # compressed bytes read at a time
    held: list[int] = []
    feed = _reader._Vouched.feed

    def watched(self: _reader._Vouched, decompressor: Any, data: bytes, offset: int) -> Iterator[bytes]:
        yield from feed(self, decompressor, data, offset)
        held.append(self.pending)

    monkeypatch.setattr(_reader._Vouched, "feed", watched)
    with Recorder(tmp_path, compression="gzip", flush_interval=None) as rec:  # flushed only at close
        for i in range(5000):
            rec.write(noisy(i), at(i), "v5.linear")
    (path,) = rec.files
    got = list(frames(path))
    print(f"{len(got)} frames, {path.stat().st_size} bytes; held at most {max(held)} bytes while reading")
    assert [json.loads(f.text)["n"] for f in got] == list(range(5000))
    assert max(held) <= 4096 + 8 * 8192  # plus the newest piece held (one read's output)
