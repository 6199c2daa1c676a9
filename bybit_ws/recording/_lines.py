"""A recording's data lines (formats 3 and 4): encoded a socket read's frames at a time (the recorder's
flusher thread), and decoded back, any format (the reader).

Format 4: the frames of one socket read handed over together (:meth:`Recorder.write_many`, what the
client's reader does) are one line, the frames verbatim, in order, as the elements of ``frames``, with
their sizes in bytes (the reader slices each frame off the line by its size, so a frame reads back
exactly, whitespace around it included)::

    {"t": <receive time>, "key": <endpoint key>, "sizes": [<bytes>, ...], "frames": [<frame>, ...]}

The line is one ``bytes.join``, no Python call a frame. It takes every frame of the read (control frames
too: the reader skips frames without a topic, which format 3 never wrote), when the read holds no
newline, is UTF-8, and is known to be JSON (the client's reader decoded every frame of it) or the
line checks as JSON (one C call); else its frames get format-3 lines.

Format 3 (a frame written alone, :meth:`Recorder.write`, or one of a read that cannot go in a format-4
line): a frame that is a JSON object on one line, in UTF-8 (every frame Bybit sends) is stored verbatim, as
the line's ``frame`` value (always its last, so the reader slices the frame off the line, whitespace
around it included)::

    {"t": <receive time>, "key": <endpoint key>, "topic": <topic>, "frame": <the frame's bytes, as sent>}

so a line costs no escaping: its parts are joined by one ``bytes.join`` over the run. The flusher's
one per-frame pass is a C decode of the frame that checks it is JSON and takes its topic (msgspec,
into a struct of that one field; the rest is skipped). Any other frame is stored as format 2 stored
them all, ``"frame": <the frame's text as a JSON string>``, or, when it is not UTF-8,
``"frame64": <its bytes in base64>``; either reads back exactly too. A frame with no topic (a control
frame, or bytes that are neither JSON nor start with a topic) gets no line.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from itertools import chain, groupby, repeat
from operator import attrgetter, itemgetter
from typing import Any

import msgspec

__all__ = ["encode_read", "encode_run", "packed", "runs", "topic_of"]

_TOPIC_FIRST = b'{"topic":"'
_TOPIC_AT = len(_TOPIC_FIRST)
_decode = msgspec.json.Decoder().decode
_RUN = itemgetter(1, 2, 3)
_DATA = itemgetter(0)
_encode = msgspec.json.Encoder().encode
_NL = b"\n"
_FRAME = b',"frame":'
_END = b"}\n"


class _Head(msgspec.Struct):
    """A frame's topic (its other fields are skipped, their JSON checked)."""

    topic: str | None = None


_decode_head = msgspec.json.Decoder(_Head).decode
_TOPIC = attrgetter("topic")
_NOT_JSON = (msgspec.DecodeError, msgspec.ValidationError, RecursionError)

#: topics as JSON strings, ``b'"publicTrade.BTCUSDT"'`` (a few hundred in a real session; cleared when
#: it grows past ``_NAMES_MAX``, so a stream of made-up topics cannot grow it without bound)
_names: dict[str, bytes] = {}
_NAMES_MAX = 10_000


def topic_of(data: bytes) -> str | None:
    """A frame's topic: read off its start in the common ``{"topic":"...`` shape, else decoded.
    ``None`` for a control frame (no topic) or bytes that are not a JSON object."""
    if data.startswith(_TOPIC_FIRST):
        end = data.find(b'"', _TOPIC_AT)
        if end > 0 and b"\\" not in data[_TOPIC_AT:end]:
            return data[_TOPIC_AT:end].decode("utf-8", "replace")
    try:
        frame = _decode(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    topic = frame.get("topic") if type(frame) is dict else None
    return topic if type(topic) is str else None


#: what the recorder queues: ``(data, received, endpoint, None)``, a frame written alone, or
#: ``(frames, received, endpoint, json)``, a socket read's frames (``json``: known to be JSON)
Entry = tuple[Any, datetime, str, "bool | None"]


def runs(entries: list[Entry]) -> Iterator[tuple[datetime, float, bytes, int, int, bool]]:
    """The lines of queued ``entries``, in order: each run of frames written alone with the same receive
    time and endpoint (the frames of one socket read), and each read's frames, as their receive time,
    as epoch seconds, their lines, how many frames they hold, how many frames got no line (no topic),
    and whether the lines are one format-4 line."""
    for (received, endpoint, json), run in groupby(entries, _RUN):
        t = received.timestamp()
        if json is None:
            datas = list(map(_DATA, run))
            lines, count = encode_run(datas, t, endpoint)
            yield received, t, lines, count, len(datas) - count, False
            continue
        for entry in run:
            frames = entry[0]
            lines, count, one = encode_read(frames, t, endpoint, json)
            yield received, t, lines, count, len(frames) - count, one


class _Object(msgspec.Struct):
    """Any JSON object (its fields skipped, their JSON checked)."""


_check_object = msgspec.json.Decoder(_Object).decode
_SIZES = b',"sizes":'
_FRAMES = b',"frames":['
_READ_END = b"]}\n"


def encode_read(frames: list[bytes], t: float, key: str, json: bool) -> tuple[bytes, int, bool]:
    """The frames of one socket read, received at ``t`` on endpoint ``key``, as one format-4 line when
    they allow it (``json``: every frame is known to be JSON; else the line is checked), else as
    format-3 lines (:func:`encode_run`); how many frames the lines hold, and whether it is one line."""
    joined = b",".join(frames)
    if _NL not in joined and _utf8(joined):
        line = b"".join(
            (_prefix(t, key), _SIZES, _encode(list(map(len, frames))), _FRAMES, joined, _READ_END)
        )
        if not json:
            try:
                _check_object(line)
                json = True
            except _NOT_JSON:
                pass
        if json:
            return line, len(frames), True
    lines, count = encode_run(frames, t, key)
    return lines, count, False


def _prefix(t: float, key: str) -> bytes:
    """What every data line (formats 3 and 4) starts with: its receive time and endpoint key."""
    return b'{"t":' + _encode(t) + b',"key":' + _encode(key)


def _head(t: float, key: str) -> bytes:
    return _prefix(t, key) + b',"topic":'


def _name(topic: str) -> bytes:
    name = _names.get(topic)
    if name is None:
        if len(_names) >= _NAMES_MAX:
            _names.clear()
        name = _names[topic] = _encode(topic)
    return name


def encode_run(frames: list[bytes], t: float, key: str) -> tuple[bytes, int]:
    """The lines (each ending in a newline) of ``frames``, all received at ``t`` on endpoint ``key``,
    in order, and how many there are: frames with no topic (control frames, not JSON) get none."""
    # Every frame verbatim when the run holds no newline, is UTF-8 (ASCII: one C pass over the run
    # joined), and each frame alone decodes as a JSON object with a string topic. Else each frame on
    # its own (see _line).
    joined = b"".join(frames)
    if _NL not in joined and joined.isascii():
        try:
            topics: list[Any] = list(map(_TOPIC, map(_decode_head, frames)))  # str, or None: no topic
        except _NOT_JSON:
            pass
        else:
            if None not in topics:
                names: list[Any] = list(map(_names.get, topics))
                if None in names:
                    names = list(map(_name, topics))
                parts = zip(repeat(_head(t, key)), names, repeat(_FRAME), frames, repeat(_END))
                return b"".join(chain.from_iterable(parts)), len(frames)
    return _one_by_one(frames, t, key)


def _utf8(data: bytes) -> bool:
    """Whether ``data`` is UTF-8."""
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _one_by_one(frames: list[bytes], t: float, key: str) -> tuple[bytes, int]:
    head = _head(t, key)
    lines = [line for line in (_line(data, head) for data in frames) if line]
    return b"".join(lines), len(lines)


def _line(data: bytes, head: bytes) -> bytes:
    """One frame's line after ``head`` (``{"t":...,"key":...,"topic":``), verbatim or escaped as the
    frame allows; ``b""`` for a frame with no topic."""
    topic: str | None = None
    verbatim = _NL not in data and _utf8(data)
    if verbatim:
        try:
            topic = _decode_head(data).topic
        except _NOT_JSON:
            verbatim = False
    if not verbatim:
        topic = topic_of(data)
    if topic is None:
        return b""
    name = _name(topic)
    if verbatim:
        return b"".join((head, name, _FRAME, data, _END))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return b"".join((head, name, b',"frame64":', _encode(data), _END))
    return b"".join((head, name, _FRAME, _encode(text), _END))


# ------------------------------------------------------------------------------------ reading lines
_NO_FRAME = msgspec.Raw(b"")


class _Line(msgspec.Struct):
    """A data line of any format: ``frame`` a JSON object (the frame verbatim, format 3) or a JSON
    string (the frame's text, every format), or ``frame64`` (a frame that is not UTF-8, format 3)."""

    t: float
    topic: str
    key: str = ""
    frame: msgspec.Raw = _NO_FRAME
    frame64: bytes | None = None


class _LineHead(msgspec.Struct):
    t: float
    topic: str
    key: str = ""


class _ReadHead(msgspec.Struct):
    """A format-4 line's fields before its frames."""

    t: float
    sizes: list[int]
    key: str = ""


_decode_line = msgspec.json.Decoder(_Line).decode
_decode_read_head = msgspec.json.Decoder(_ReadHead).decode
_decode_line_head = msgspec.json.Decoder(_LineHead).decode
_decode_text = msgspec.json.Decoder(str).decode
_FRAME_KEY = b',"frame":'  # in a format-3 line: after its topic, before its verbatim frame


def _verbatim(line: bytes, value: bytes) -> bytes:
    """A format-3 line's verbatim frame, as it was written: sliced off the line after its first
    ``,"frame":`` (a key or topic before it, being JSON strings, cannot hold that text), whitespace
    around the frame's JSON ``value`` included."""
    at = line.find(_FRAME_KEY)
    frame = line[at + len(_FRAME_KEY) : -1] if at > 0 and line.endswith(b"}") else b""
    return frame if frame.strip(b" \t\r") == value else value


def _nested(line: bytes) -> _Line | None:
    """A format-3 line whose verbatim frame nests too deep to decode with the line around it (the
    writer decoded it alone, a level less): its head decoded alone, the frame sliced off."""
    at = line.find(_FRAME_KEY)
    if at < 0 or not line.endswith(b"}"):
        return None
    try:
        head = _decode_line_head(line[:at] + b"}")
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return _Line(head.t, head.topic, head.key, msgspec.Raw(line[at + len(_FRAME_KEY) : -1].strip(b" \t\r")))


def packed(line: bytes) -> tuple[float, str, list[bytes]] | None:
    """A format-4 line's receive time, endpoint key and frames, each sliced off the line by its size
    (exactly as written, whatever whitespace is around it); ``None``: not a format-4 line (a format-3
    line whose verbatim frame holds ``,"frames":[`` has no head before it that decodes)."""
    at = line.find(_FRAMES)
    if at < 0:
        return None
    try:
        head = _decode_read_head(line[:at] + b"}")
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    sizes = head.sizes
    start = at + len(_FRAMES)
    if (
        not line.endswith(b"]}")
        or (sizes and min(sizes) < 0)
        or start + sum(sizes) + max(len(sizes) - 1, 0) + 2 != len(line)
    ):
        return None
    frames = []
    last = len(sizes) - 1
    for number, size in enumerate(sizes):
        end = start + size
        if line[end] != (_CLOSE if number == last else _COMMA):
            return None
        frames.append(line[start:end])
        start = end + 1
    return head.t, head.key, frames


_COMMA, _CLOSE = b",]"


def read_topic(data: bytes) -> str | None:
    """The topic of a frame of a format-4 line (one line, UTF-8), as format 3 took it when it wrote a
    line for that frame (see ``_line``): decoded, else read off its start (``topic_of``)."""
    try:
        return _decode_head(data).topic
    except _NOT_JSON:
        return topic_of(data)
