"""Recording a socket read's frames at once (format 4): the client's reader hands each read's frames to
the recorder in one call, the flusher writes them as one line, and every frame reads back exactly as a
format-3 line of its own would, in order, whatever it holds; recordings of the base code still read."""

from __future__ import annotations

import json
import logging
import tempfile
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bybit_ws import BybitSocketClient
from bybit_ws.engine._framepath import FramePath, decode_frame
from bybit_ws.recording import Recorder, frames, read
from bybit_ws.recording._lines import encode_read, encode_run
from bybit_ws.testing import FakeBybit

from .support import clients_for, frame_text, wait_until
from .test_recording_lines import COMPACT, TRADE, _frame, _read_back

T0 = datetime(2026, 12, 6, 7, 0, tzinfo=timezone.utc)
FIXTURES = Path(__file__).parent / "fixtures" / "recordings"


def _is_json(data: bytes) -> bool:
    """Whether the client's reader would decode ``data`` (and so vouch for it as JSON)."""
    try:
        decode_frame(data)
    except (ValueError, RecursionError):
        return False
    return True


def _as_format_3(entries: list[tuple[list[bytes], float, str]]) -> list[tuple[str, str, bytes]]:
    """What the frames of ``entries`` read back as, each in a format-3 line of its own."""
    return _read_back(b"".join(encode_run([d], t, key)[0] for run, t, key in entries for d in run))


_runs = st.lists(_frame(), min_size=1, max_size=10)


@settings(max_examples=300, deadline=None)
@given(_runs, st.floats(0, 2e9), st.sampled_from(["v5.linear", 'k"\\']), st.booleans())
def test_a_reads_frames_read_back_as_their_own_lines_would(
    run: list[bytes], t: float, key: str, vouch: bool
) -> None:
    """Whatever the frames hold (newlines, bytes that are not UTF-8, not JSON, several values, control
    frames, whitespace at their edges), the read's lines give each frame's exact bytes, topic and
    endpoint, in order, as format 3 did; every line is one JSON object; a read of JSON frames is one
    line whether the caller vouched for them or the line was checked."""
    json_ok = all(map(_is_json, run))
    lines, count, one = encode_read(run, t, key, vouch and json_ok)
    assert lines.endswith(b"\n") or (lines == b"" and not one)
    assert all(type(json.loads(line)) is dict for line in lines.split(b"\n")[:-1])  # JSON lines
    assert _read_back(lines) == _as_format_3([(run, t, key)])
    if json_ok and b"\n" not in b"".join(run):
        assert one and count == len(run) and lines.count(b"\n") == 1
    if one:
        assert json.loads(lines)["sizes"] == [len(d) for d in run]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.booleans(), _runs, st.integers(0, 3)), min_size=1, max_size=8))
def test_reads_and_single_frames_record_in_order(ops: list[tuple[bool, list[bytes], int]]) -> None:
    """A recorder given reads (``write_many``) and frames alone (``write``), interleaved, with receive
    times repeating: the file reads back every frame with a topic, in the order written."""
    expected: list[tuple[list[bytes], float, str]] = []
    with tempfile.TemporaryDirectory() as scratch:
        with Recorder(scratch, compression="none", flush_interval=None) as rec:
            for many, run, second in ops:
                received = T0 + timedelta(seconds=second)
                if many:
                    rec.write_many(run, received, "v5.linear", all(map(_is_json, run)))
                else:
                    for data in run:
                        rec.write(data, received, "v5.linear")
                expected.append((run, received.timestamp(), "v5.linear"))
        got = [(f.endpoint, f.topic, f.data) for f in frames(scratch)]
    assert got == _as_format_3(expected)


def test_a_read_of_json_frames_is_one_line_with_their_sizes() -> None:
    spaced = b" " + COMPACT + b"\r\t"
    lines, count, one = encode_read([COMPACT, spaced, b'{"op":"pong"}'], 1.5, "v5.linear", True)
    head = b'{"t":1.5,"key":"v5.linear","sizes":[%d,%d,13],"frames":[' % (len(COMPACT), len(spaced))
    assert (lines, count, one) == (head + COMPACT + b"," + spaced + b',{"op":"pong"}]}\n', 3, True)
    assert [d for _, _, d in _read_back(lines)] == [COMPACT, spaced]  # the pong: no topic, not read


def test_a_recording_of_the_base_code_still_reads() -> None:
    """A format-3 file written by the code before format 4 (``05ead54``, zstd; see fixtures/README)."""
    (path,) = FIXTURES.glob("format3-*.jsonl.zst")
    got = [(f.t - T0.timestamp(), f.endpoint, f.topic, f.data) for f in frames(path)]
    assert got == [
        (0, "v5.linear", "publicTrade.BTCUSDT", FORMAT_3_FRAMES[0]),
        (0, "v5.linear", "tickers.X", FORMAT_3_FRAMES[2]),
        (1, "v5.linear", "tickers.Y", FORMAT_3_FRAMES[3]),
        (1, "v5.spot", "kline.1.é", FORMAT_3_FRAMES[4]),
        (2, "inverse", "t.1", FORMAT_3_FRAMES[5]),
        (2, "inverse", "trade.BTCUSD", FORMAT_3_FRAMES[6]),
    ]


#: the frames the base code wrote to the fixture, in order (the pong got no line)
FORMAT_3_FRAMES = [
    b'{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":[{"p":"1.5"}]}',
    b'{"op":"pong"}',
    b'{"type":"delta","topic":"tickers.X","data":{"note":"\\u001f \\"q\\" \\\\"}}',
    b'{"topic":"tickers.Y",\n "data":{}}',
    b'{"topic":"kline.1.\xc3\xa9","data":[]}',
    b'{"topic":"t.1","data":"\xff"}',
    b'  {"topic":"trade.BTCUSD","data":[]} ',
]


def test_a_format_4_line_that_is_not_json_still_reads_its_frames(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The sizes, not the JSON, split the line: a frame wrongly vouched for (or nested deeper than a
    line decodes) still reads back exactly; a line whose sizes do not fit it is skipped, with a warning."""
    deep = b'{"topic":"d.1","data":' + b"[" * 5000 + b"]" * 5000 + b"}"
    broken = b'{"topic":"b.1","data":[}'
    good, _, _ = encode_read([deep, broken, COMPACT], 1.5, "v5.linear", True)  # wrongly vouched
    bad = b'{"t":2.5,"key":"v5.linear","sizes":[3],"frames":[' + COMPACT + b"]}\n"
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"bybit_ws_recording":4,"t":0}\n' + good + bad)
    with caplog.at_level(logging.WARNING, logger="bybit_ws.recording"):
        got = [(f.t, f.topic, f.data) for f in frames(path)]
    assert got == [(1.5, "d.1", deep), (1.5, "b.1", broken), (1.5, "publicTrade.BTCUSDT", COMPACT)]
    assert [r.getMessage() for r in caplog.records if "line 3" in r.getMessage()]


def test_rotation_by_size_counts_a_reads_frames(tmp_path: Path) -> None:
    read_ = [COMPACT] * 40
    with Recorder(tmp_path, compression="none", rotate_bytes=20_000, flush_interval=None) as rec:
        for n in range(20):
            rec.write_many(read_, T0 + timedelta(seconds=n), "v5.linear", True)
    assert rec.frames == 800 and rec.skipped == 0 and len(rec.files) > 1
    assert [f.data for f in frames(tmp_path)] == [COMPACT] * 800


def test_write_many_after_close_is_counted_not_raised(tmp_path: Path) -> None:
    rec = Recorder(tmp_path)
    rec.write_many([COMPACT, COMPACT], T0, "v5.linear")
    rec.close()
    rec.write_many([COMPACT] * 3, T0, "v5.linear")
    rec.write_many([], T0, "v5.linear")
    assert (rec.frames, rec.skipped, rec.dropped) == (2, 3, 0)


# ------------------------------------------------------------------ the client's reader hands reads over
class _Spy:
    """A recorder that keeps what it was handed: ``("many", frames, json)`` or ``("one", frame)``."""

    def __init__(self, many: bool) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()
        if many:
            self.write_many = self._write_many

    def write(self, data: bytes, received: datetime, endpoint: str) -> None:
        with self._lock:
            self.calls.append(("one", data, received, endpoint))

    def _write_many(self, frames: list[bytes], received: datetime, endpoint: str, json: bool) -> None:
        with self._lock:
            self.calls.append(("many", list(frames), received, endpoint, json))


def _path(client: BybitSocketClient) -> FramePath:
    return next(c.frame_path for group in client._engine.connections.values() for c in group)


BAD = b'{"topic":"publicTrade.BTCUSDT","data":[{"p":1e}]}'  # not JSON: the reader cannot vouch for it


def test_the_reader_hands_each_reads_frames_over_at_once(tmp_path: Path) -> None:
    """One ``write_many`` a socket read (at ``end_read``, or when the receive time changes), vouched
    for as JSON unless a frame failed to decode; a recorder without it gets every frame alone, in
    order; a real recorder reads the frames back exactly."""
    trade, pong = frame_text("v5_public_trade").encode(), b'{"op":"pong","ret_msg":"pong"}'
    later = T0 + timedelta(seconds=1)
    many, alone = _Spy(True), _Spy(False)
    with (
        FakeBybit("v5") as fake,
        clients_for(fake) as make,
        Recorder(tmp_path, compression="zstd") as recorder,
    ):
        client = make()
        client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", lambda event: None)
        for tap in (many, alone, recorder):
            client.record(tap)
        path = _path(client)
        for data in (trade, COMPACT, pong):
            path.take(data, T0)
        path.take(TRADE, later)  # a new read without end_read: the first read goes first
        path.end_read()
        for data in (COMPACT, BAD, trade):
            path.take(data, later)
        path.end_read()
        path.end_read()  # nothing taken: nothing handed over
    assert [c[1:] for c in many.calls] == [
        ([trade, COMPACT, pong], T0, "v5.linear", True),
        ([TRADE], later, "v5.linear", True),
        ([COMPACT, BAD], later, "v5.linear", False),  # handed over before the bad frame is reported
        ([trade], later, "v5.linear", True),
    ]
    sent = [trade, COMPACT, pong, TRADE, COMPACT, BAD, trade]
    assert [c[1] for c in alone.calls] == sent and {c[0] for c in alone.calls} == {"one"}
    # the first read holds a frame on several lines: a line a frame, the pong skipped; the others one
    # line a read, frames without a topic kept in it (and skipped when read)
    assert (recorder.frames, recorder.skipped) == (len(sent) - 1, 1)
    assert [f.data for f in frames(tmp_path)] == [d for d in sent if d != pong]


def test_a_live_recording_reads_back_every_frame_exactly(tmp_path: Path) -> None:
    """Frames from a fake exchange, some not JSON or on several lines, recorded by ``client.record``:
    every line of the file is JSON, and the frames read back byte for byte, in order, typed."""
    sent = [COMPACT, frame_text("v5_public_trade").encode(), BAD, COMPACT.replace(b'"BTCUSDT"', b'"X"')]
    got: list[Any] = []
    with (
        FakeBybit("v5") as fake,
        clients_for(fake) as make,
        Recorder(tmp_path, compression="none") as recorder,
    ):
        client = make()
        client.record(recorder)
        client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", got.append)
        for _ in range(3):
            for data in sent:
                assert fake.send_raw(data.decode(), path="v5.linear") == 1
        wait_until(lambda: len(got) == 9, message="the JSON trades handled")
    (file,) = recorder.files
    assert all(type(msgspec.json.decode(line)) is dict for line in file.read_bytes().splitlines())
    assert [f.data for f in frames(tmp_path)] == sent * 3
    assert len(list(read(tmp_path))) == 9
