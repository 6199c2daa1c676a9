"""Recording lines encoded a run of frames at a time (the frames of one socket read) read back exactly as
the one-frame-at-a-time encoding does, whatever the frames hold."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bybit_ws.recording import Recorder, frames
from bybit_ws.recording._lines import _one_by_one, encode_run

from .support import frame_text

T0 = datetime(2024, 5, 1, 23, 59, 0, tzinfo=timezone.utc)
TRADE = frame_text("v5_public_trade").encode()

#: text that stresses the run encoding: its separator raw and as escaped text, quotes, backslashes,
#: control characters, non-ASCII
_NASTY = st.lists(
    st.sampled_from(["\x1f", "\\u001f", "\\", '"', "\n", "\x00", "\t", "é", "€", "a", "}"])
).map("".join)


@st.composite
def _frame(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["topic-first", "topic-later", "control", "not-json", "bad-utf8", "plain"]))
    topic = draw(st.sampled_from(["publicTrade.BTCUSDT", "tickers.X", "a\\b", "é.1", ""]))
    value = draw(_NASTY)
    if kind == "topic-first":
        return b'{"topic":' + json.dumps(topic).encode() + b',"data":' + json.dumps(value).encode() + b"}"
    if kind == "topic-later":
        return json.dumps({"data": value, "topic": topic}, ensure_ascii=False).encode()
    if kind == "control":
        return json.dumps({"op": "pong", "ret_msg": value}).encode()
    if kind == "not-json":
        return b'{"topic":"x.' + value.encode() + b'"'
    if kind == "bad-utf8":
        return b'{"topic":"t.1","data":"\xff\xfe' + value.encode() + b'"}'
    return TRADE


def _decoded(lines: bytes) -> list[Any]:
    assert lines == b"" or lines.endswith(b"\n")
    return [json.loads(line) for line in lines.splitlines()]


@settings(max_examples=300, deadline=None)
@given(st.lists(_frame(), min_size=1, max_size=12), st.floats(0, 2e9), st.sampled_from(["v5.linear", 'k"\\']))
def test_a_run_encodes_as_its_frames_one_by_one(run: list[bytes], t: float, key: str) -> None:
    lines, count = encode_run(run, t, key)
    expected, expected_count = _one_by_one(run, t, key)
    assert count == expected_count
    assert _decoded(lines) == _decoded(expected)


def test_the_frames_of_one_read_record_exactly_with_their_order_and_counts(tmp_path: Path) -> None:
    """One receive time for many frames (as a socket read gives them): data frames of every shape
    record exactly and in order, control frames are skipped and counted."""
    odd = [
        TRADE,
        b'{"topic":"tickers.X","data":{"note":"\\u001f and \x1f, a \\"quote\\", a \\\\ and \\n"}}',
        b'{"op":"pong"}',  # control: skipped
        b'{"data":[],"topic":"publicTrade.ETHUSDT"}',  # topic not first
        b'{"topic":"kline.1.\xc3\xa9","data":[]}',  # non-ASCII topic
        b'{"topic":"t.1","data":"\xff"}',  # not UTF-8: kept as the reader decodes it
        TRADE,
    ]
    with Recorder(tmp_path, compression="zstd") as rec:
        for data in odd * 50:
            rec.write(data, T0, "v5.linear")
    assert (rec.frames, rec.skipped) == (6 * 50, 50)
    got = list(frames(tmp_path))
    recorded = [d for d in odd if d != b'{"op":"pong"}'] * 50
    assert [f.text for f in got] == [d.decode("utf-8", "replace") for d in recorded]
    assert {f.t for f in got} == {T0.timestamp()}
    assert [f.topic for f in got[:6]] == [
        "publicTrade.BTCUSDT",
        "tickers.X",
        "publicTrade.ETHUSDT",
        "kline.1.é",
        "t.1",
        "publicTrade.BTCUSDT",
    ]
