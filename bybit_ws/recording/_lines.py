"""A recording's data lines, encoded a run of frames at a time (the recorder's flusher thread).

A line is ``{"t": <receive time>, "key": <endpoint key>, "topic": <topic>, "frame": <the frame's text>}``.
Encoding one frame at a time (its topic read off its start, its bytes to ``str``, a msgspec encode that
escapes the whole frame) costs ~2 us of the GIL a frame, which the reader thread then waits for. A run of
frames with the same receive time and endpoint (the frames of one socket read) is encoded in a few C
passes over the run's frames joined instead: their topics by one regular expression, the escaping by
one msgspec encode of the whole run, the lines by one ``bytes.join``. A run that does not fit (a frame
holding the separator, bytes that are not UTF-8, a frame whose topic is not its first key or that has
none) goes the one-at-a-time way, which reads the same back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from itertools import chain, groupby, islice, repeat
from operator import itemgetter

import msgspec

__all__ = ["encode_run", "runs", "topic_of"]

_TOPIC_FIRST = b'{"topic":"'
_TOPIC_AT = len(_TOPIC_FIRST)
_decode = msgspec.json.Decoder().decode
_RUN = itemgetter(1, 2)
_DATA = itemgetter(0)
_encode = msgspec.json.Encoder().encode

#: joins a run's frames: a control character, so msgspec writes it escaped, as ``\u001f``
_SEP = b"\x1f"
_SEP_ESCAPED = b"\\u001f"
#: each joined frame's topic when it is its first key and has no ``\``
_TOPICS = re.compile(rb'\x1f\{"topic":"([^"\\\x1f]*)"')


class _Line(msgspec.Struct):
    """One data line of a recording (fields in the file's order)."""

    t: float
    key: str
    topic: str
    frame: str


def topic_of(data: bytes) -> str | None:
    """A frame's topic: read off its start in the common ``{"topic":"...`` shape, else decoded.
    ``None`` for a control frame (no topic) or bytes that are not a JSON object."""
    if data.startswith(_TOPIC_FIRST):
        end = data.find(b'"', _TOPIC_AT)
        if end > 0 and b"\\" not in data[_TOPIC_AT:end]:
            return data[_TOPIC_AT:end].decode("utf-8", "replace")
    try:
        frame = _decode(data)
    except (ValueError, UnicodeDecodeError):
        return None
    topic = frame.get("topic") if type(frame) is dict else None
    return topic if type(topic) is str else None


def runs(frames: list[tuple[bytes, datetime, str]]) -> Iterator[tuple[datetime, float, bytes, int, int]]:
    """The runs of ``(data, received, endpoint)`` frames with the same receive time and endpoint (the
    frames of one socket read), each as its receive time, as epoch seconds, its lines, how many lines,
    and how many frames had none (no topic)."""
    for (received, endpoint), run in groupby(frames, _RUN):
        datas = list(map(_DATA, run))
        t = received.timestamp()
        lines, count = encode_run(datas, t, endpoint)
        yield received, t, lines, count, len(datas) - count


def encode_run(frames: list[bytes], t: float, key: str) -> tuple[bytes, int]:
    """The lines (each ending in a newline) of ``frames``, all received at ``t`` on endpoint ``key``,
    in order, and how many there are: frames with no topic (control frames, not JSON) get none."""
    count = len(frames)
    joined = _SEP + _SEP.join(frames)
    # The run's frames as one string, escaped by one encode and split at the separators: exact when
    # every frame is UTF-8 with its topic first and none holds the separator, raw or as the text of its
    # escape (either splits the run into more parts than it has frames).
    topics = _TOPICS.findall(joined)
    if len(topics) == count and all(topics):
        try:
            text = joined.decode("utf-8")
        except UnicodeDecodeError:
            return _one_by_one(frames, t, key)
        escaped = _encode(text)[1:-1].split(_SEP_ESCAPED)  # [b"", frame 1, frame 2, ...]
        names = _encode(_SEP.join(topics).decode("utf-8"))[1:-1].split(_SEP_ESCAPED)
        if len(escaped) == count + 1 and len(names) == count:
            head = b'{"t":' + _encode(t) + b',"key":' + _encode(key) + b',"topic":"'
            mid, end = b'","frame":"', b'"}\n'
            parts = zip(repeat(head), names, repeat(mid), islice(escaped, 1, None), repeat(end))
            return b"".join(chain.from_iterable(parts)), count
    return _one_by_one(frames, t, key)


def _one_by_one(frames: list[bytes], t: float, key: str) -> tuple[bytes, int]:
    lines = []
    for data in frames:
        topic = topic_of(data)
        if topic is not None:
            lines.append(_encode(_Line(t, key, topic, data.decode("utf-8", "replace"))))
    lines.append(b"")
    return b"\n".join(lines) if len(lines) > 1 else b"", len(lines) - 1
