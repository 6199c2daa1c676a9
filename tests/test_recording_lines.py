"""Recording lines (format 3) encoded a run of frames at a time (the frames of one socket read): every
frame reads back byte for byte, whatever it holds, and older formats still read."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bybit_ws.recording import Recorder, frames
from bybit_ws.recording._lines import _one_by_one, encode_run, topic_of

from .support import frame_text

T0 = datetime(2024, 5, 1, 23, 59, 0, tzinfo=timezone.utc)
TRADE = frame_text("v5_public_trade").encode()
COMPACT = json.dumps(json.loads(TRADE), separators=(",", ":")).encode()

#: text that stresses the encodings: newlines, quotes, backslashes, control characters, non-ASCII,
#: the edges of a verbatim frame
_NASTY = st.lists(
    st.sampled_from(["\x1f", "\\u001f", "\\", '"', "\n", "\r", "\x00", "\t", "é", "€", "a", "}", "{", " "])
).map("".join)


_KINDS = ["topic-first", "topic-later", "control", "not-json", "bad-utf8", "plain", "compact", "spaced"]
_KINDS += ["pretty", "bytes", "two"]


@st.composite
def _frame(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(_KINDS))
    topic = draw(st.sampled_from(["publicTrade.BTCUSDT", "tickers.X", "a\\b", "é.1", "", 'q"']))
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
    if kind == "compact":
        return COMPACT
    if kind == "spaced":  # JSON with whitespace at its edges: verbatim, but a newline makes it escaped
        return (
            draw(st.sampled_from([b" ", b"\t\r", b"\n"]))
            + COMPACT
            + draw(st.sampled_from([b" ", b"\r", b"\n "]))
        )
    if kind == "pretty":
        return json.dumps({"topic": topic, "data": value}, indent=1).encode()
    if kind == "bytes":
        return b'{"topic":"b.1",' + draw(st.binary(max_size=40))
    if kind == "two":  # two objects in one frame
        return COMPACT + b"," + COMPACT
    return TRADE


def _read_back(lines: bytes) -> list[tuple[str, str, bytes]]:
    """``lines`` as a recording file read back: (endpoint, topic, the frame's bytes) of each line."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch, "r.jsonl")
        path.write_bytes(b'{"bybit_ws_recording":3,"t":0}\n' + lines)
        return [(f.endpoint, f.topic, f.data) for f in frames(path)]


@settings(max_examples=300, deadline=None)
@given(st.lists(_frame(), min_size=1, max_size=12), st.floats(0, 2e9), st.sampled_from(["v5.linear", 'k"\\']))
def test_any_frames_read_back_exactly(run: list[bytes], t: float, key: str) -> None:
    """Whatever a frame holds (newlines, bytes that are not UTF-8, not JSON, several values), its line
    reads back as its exact bytes, in order; each line is one JSON object; frames with no topic get
    none; a run encodes as its frames one by one."""
    lines, count = encode_run(run, t, key)
    expected = [d for d in run if topic_of(d) is not None]
    assert count == len(expected)
    assert lines == _one_by_one(run, t, key)[0]
    assert lines == b"" or lines.endswith(b"\n")
    assert all(type(json.loads(line)) is dict for line in lines.split(b"\n")[:-1])  # JSON lines
    assert _read_back(lines) == [(key, topic_of(d), d) for d in expected]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=60), min_size=1, max_size=8))
def test_arbitrary_bytes_read_back_exactly(run: list[bytes]) -> None:
    tagged = [b'{"topic":"b.1",' + data for data in run] + run
    lines, _ = encode_run(tagged, 1.5, "v5.linear")
    assert _read_back(lines) == [("v5.linear", topic_of(d), d) for d in tagged if topic_of(d) is not None]


def test_a_json_frame_is_stored_verbatim() -> None:
    lines, count = encode_run([COMPACT, COMPACT], 1.5, "v5.linear")
    line = b'{"t":1.5,"key":"v5.linear","topic":"publicTrade.BTCUSDT","frame":' + COMPACT + b"}\n"
    assert (lines, count) == (line * 2, 2)


def test_older_formats_read_back(tmp_path: Path) -> None:
    """Format 2 (every frame an escaped JSON string) and format 1 (the CLI's, with ``url`` for ``key``)."""
    path = tmp_path / "old.jsonl"
    lines = [
        {"bybit_ws_recording": 2, "t": 1.5},
        {"t": 1.5, "key": "v5.linear", "topic": "publicTrade.BTCUSDT", "frame": TRADE.decode()},
        {"t": 2.5, "url": "wss://x", "topic": "publicTrade.BTCUSDT", "frame": COMPACT.decode()},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    got = [(f.t, f.endpoint, f.data) for f in frames(path)]
    assert got == [(1.5, "v5.linear", TRADE), (2.5, "", COMPACT)]


def test_a_frame_nested_too_deep_for_its_line_reads_back(tmp_path: Path) -> None:
    """A verbatim frame one level short of the decoder's depth limit (the line around it is a level
    deeper): the line's head is decoded alone and the frame sliced off."""
    deep = b'{"topic":"d.1","data":' + b"[" * 5000 + b"]" * 5000 + b"}"
    path = tmp_path / "deep.jsonl"
    line = b'{"t":1.5,"key":"v5.linear","topic":"d.1","frame":' + deep + b"}\n"
    path.write_bytes(b'{"bybit_ws_recording":3,"t":1.5}\n' + line)
    assert [(f.t, f.endpoint, f.topic, f.data) for f in frames(path)] == [(1.5, "v5.linear", "d.1", deep)]


def test_the_frames_of_one_read_record_exactly_with_their_order_and_counts(tmp_path: Path) -> None:
    """One receive time for many frames (as a socket read gives them): data frames of every shape
    record exactly and in order, control frames are skipped and counted."""
    odd = [
        TRADE,
        b'{"topic":"tickers.X","data":{"note":"\\u001f and \x1f, a \\"quote\\", a \\\\ and \\n"}}',
        b'{"op":"pong"}',  # control: skipped
        b'{"data":[],"topic":"publicTrade.ETHUSDT"}',  # topic not first
        b'{"topic":"kline.1.\xc3\xa9","data":[]}',  # non-ASCII topic
        b'{"topic":"t.1","data":"\xff"}',  # not UTF-8: kept exactly (base64)
        TRADE,
    ]
    with Recorder(tmp_path, compression="zstd") as rec:
        for data in odd * 50:
            rec.write(data, T0, "v5.linear")
    assert (rec.frames, rec.skipped) == (6 * 50, 50)
    got = list(frames(tmp_path))
    recorded = [d for d in odd if d != b'{"op":"pong"}'] * 50
    assert [f.data for f in got] == recorded
    assert {f.t for f in got} == {T0.timestamp()}
    assert [f.topic for f in got[:6]] == [
        "publicTrade.BTCUSDT",
        "tickers.X",
        "publicTrade.ETHUSDT",
        "kline.1.é",
        "t.1",
        "publicTrade.BTCUSDT",
    ]
