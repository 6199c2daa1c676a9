"""Reading recordings back: the frames of a file or a directory in time order, and their typed events
parsed offline by the same dialect parsers the live client uses (no socket, no fake exchange)."""

from __future__ import annotations

import heapq
import logging
import math
import os
import zlib
from collections import deque
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, NamedTuple

import msgspec

from bybit_ws.dialects._base import Dialect, TopicSpec
from bybit_ws.dialects._contract import ContractDialect
from bybit_ws.dialects._inverse import InverseDialect
from bybit_ws.dialects._v5 import V5Dialect
from bybit_ws.engine._framepath import frame_meta, new_event
from bybit_ws.models._common import DataEvent

from ._lines import _decode_line, _decode_text, _Line, _nested, _verbatim, packed, read_topic
from ._writer import SUFFIXES

__all__ = ["FrameParser", "RecordedFrame", "frames", "read", "recording_files"]

_log = logging.getLogger(__name__)

_CHUNK = 1 << 20
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_GZIP_MAGIC = b"\x1f\x8b"
_HEADER = b'{"bybit_ws_recording"'
_fromtimestamp = datetime.fromtimestamp
_utc = timezone.utc


class RecordedFrame(NamedTuple):
    """One recorded frame: receive time (epoch seconds), endpoint key, topic and the exact frame text
    (bytes that are not UTF-8 held as surrogate escapes: :attr:`data` gives them back)."""

    t: float
    endpoint: str
    topic: str
    text: str

    @property
    def received(self) -> datetime:
        """The receive time as a UTC datetime."""
        return _fromtimestamp(self.t, _utc)

    @property
    def data(self) -> bytes:
        """The frame's bytes, exactly as received (formats 3 and 4; older files: as their text held
        them)."""
        return self.text.encode("utf-8", "surrogateescape")


_decode_header = msgspec.json.Decoder().decode
_decode_frame = msgspec.json.Decoder(float_hook=Decimal).decode  # as the engine decodes frames


# ------------------------------------------------------------------------------------ raw lines
def _decompressor(head: bytes) -> Any:
    if head.startswith(_ZSTD_MAGIC):
        try:
            import zstandard
        except ImportError as exc:
            raise ImportError(
                "reading .zst recordings needs zstandard: pip install 'bybit-ws-sync[zstd]'"
            ) from exc
        return zstandard.ZstdDecompressor().decompressobj()
    if head.startswith(_GZIP_MAGIC):
        return zlib.decompressobj(31)
    return None


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    """The decompressed bytes of a file (zstd, gzip or plain, told by its first bytes). Several
    compressed frames or members follow each other; a truncated last block ends the data quietly.

    Only what the writer vouched for comes out. gzip: up to a flush (Z_SYNC_FLUSH ends with the bytes
    ``00 00 ff ff``) or a member's end (its CRC checked); zstd: whole blocks, each decoded on its own.
    What a crash or a power loss leaves after the last flush (a block cut short, then zeros or stale
    bytes) would otherwise decode into made-up text, e.g. copies of earlier lines through gzip's
    back-references, or take the good blocks before it down with it; it is dropped instead, with a
    warning naming the file and the byte offset.
    """
    name = getattr(file, "name", "?")
    data = file.read(_CHUNK)
    if data.startswith(_ZSTD_MAGIC):
        yield from _zstd_chunks(file, data, name)
        return
    decompressor = _decompressor(data)
    if decompressor is None:
        while data:
            yield data
            data = file.read(_CHUNK)
        return
    offset = 0  # of ``data`` in the file
    vouched = _Vouched()
    while data:
        try:
            yield from vouched.feed(decompressor, data, offset)
        except zlib.error as exc:  # corrupt data (not a mere truncation): keep what came before
            _corrupt(name, offset, exc)
            return
        if decompressor.eof:  # the next member, if any
            yield from vouched.confirm()
            offset += len(data) - len(decompressor.unused_data)
            data = decompressor.unused_data or file.read(_CHUNK)
            if not data:
                return
            if not data.startswith(_GZIP_MAGIC):
                _log.warning("%s: ignores data after the compressed stream, at byte %d", name, offset)
                return
            decompressor = _decompressor(data)
            continue
        offset += len(data)
        data = file.read(_CHUNK)
    if vouched.pending:
        _log.warning(
            "%s: ends in %d decompressed bytes after its last flush (at byte %d of %d), dropped: "
            "cut short by a crash or a power loss",
            name,
            vouched.pending,
            vouched.at,
            offset,
        )


def _corrupt(name: str, offset: int, exc: BaseException) -> None:
    _log.warning("%s: stops at corrupt compressed data at byte %d: %s", name, offset, exc)


def _zstd_chunks(file: IO[bytes], data: bytes, name: str) -> Iterator[bytes]:
    """zstd: feed the decompressor one whole unit (frame header, block, checksum) at a time, so a
    damaged block loses only itself and what follows, never the good blocks before it."""
    decompressor: Any = None
    state = _FRAME
    checksum = False
    pos = 0  # in ``data``
    offset = 0  # of ``data`` in the file
    while True:
        size, after, checksum_next = _zstd_unit(data, pos, state, checksum)
        if size is None or pos + size > len(data):  # an incomplete unit: read on
            more = file.read(_CHUNK)
            if not more:
                if pos < len(data):
                    _log.debug("%s: ends in a block cut short at byte %d, dropped", name, offset + pos)
                return
            data, offset, pos = data[pos:] + more, offset + pos, 0
            continue
        if size < 0:
            _log.warning("%s: ignores data after the compressed stream, at byte %d", name, offset + pos)
            return
        if state == _FRAME:
            decompressor = _decompressor(_ZSTD_MAGIC)
        try:
            out = decompressor.decompress(data[pos : pos + size])
        except Exception as exc:  # zstandard.ZstdError: a damaged block
            _corrupt(name, offset + pos, exc)
            return
        if out:
            yield out
        pos += size
        state, checksum = after, checksum_next


_FRAME, _BLOCK, _CHECKSUM = 0, 1, 2  # what a zstd stream holds next
_DICT_ID_BYTES = (0, 1, 2, 4)


def _zstd_unit(data: bytes, pos: int, state: int, checksum: bool) -> tuple[int | None, int, bool]:
    """The zstd unit (RFC 8878) at ``data[pos:]`` given what comes next (``state``): its size (maybe
    past the data's end; ``None``: too few bytes to tell; -1: not a zstd frame), what follows it, and
    whether its frame ends with a checksum."""
    if state == _CHECKSUM:
        return 4, _FRAME, False
    if state == _FRAME:
        if len(data) - pos < 5:
            return None, state, checksum
        if data[pos : pos + 4] != _ZSTD_MAGIC:
            return -1, state, checksum
        descriptor = data[pos + 4]
        single = bool(descriptor & 0x20)
        fcs = (1 if single else 0, 2, 4, 8)[descriptor >> 6]
        return 5 + (not single) + _DICT_ID_BYTES[descriptor & 3] + fcs, _BLOCK, bool(descriptor & 4)
    if len(data) - pos < 3:
        return None, state, checksum
    header = int.from_bytes(data[pos : pos + 3], "little")
    after = (_CHECKSUM if checksum else _FRAME) if header & 1 else _BLOCK  # bit 0: the frame's last
    kind, size = (header >> 1) & 3, header >> 3
    return 3 + (1 if kind == 1 else size), after, checksum


_SYNC = b"\x00\x00\xff\xff"  # the end of a deflate sync flush (an empty stored block)
#: decompressed bytes held back at most: a file written without flushes is read in bounded memory,
#: vouching for all but its last 64 MiB (garbage decodes to at most ~1,000 times its size: a power
#: loss would have to leave over 64 KiB of it to reach past this)
_HOLD = 64 << 20


class _Vouched:
    """gzip output held back until the compressed input reaches a sync flush or the member's end
    (or more than ``_HOLD`` bytes of it are held: the oldest then go)."""

    def __init__(self) -> None:
        self._held: list[bytes] = []
        self.pending = 0  # bytes held
        self._tail = b""  # the last bytes fed, for a marker split across two reads
        self.at = 0  # the file offset vouched for last

    def feed(self, decompressor: Any, data: bytes, offset: int) -> Iterator[bytes]:
        """Decompress ``data`` (at ``offset`` in the file); give what a flush vouches for."""
        seen = self._tail + data
        start = 0
        at = seen.find(_SYNC)
        while at >= 0:
            end = at + len(_SYNC) - len(self._tail)  # just past the marker, in ``data``
            if end > start:
                self._hold(decompressor.decompress(data[start:end]))
                start = end
                self.at = offset + end
                yield from self.confirm()
            at = seen.find(_SYNC, at + 1)
        if start < len(data):
            self._hold(decompressor.decompress(data[start:]))
            while self.pending > _HOLD and len(self._held) > 1:
                oldest = self._held.pop(0)
                self.pending -= len(oldest)
                yield oldest
        self._tail = seen[-(len(_SYNC) - 1) :]

    def _hold(self, out: bytes) -> None:
        if out:
            self._held.append(out)
            self.pending += len(out)

    def confirm(self) -> Iterator[bytes]:
        if self._held:
            yield b"".join(self._held)
            self._held = []
            self.pending = 0


def _lines(path: Path) -> Iterator[bytes]:
    """The complete lines of a recording; a partial last line (a crash mid-write) is dropped."""
    with open(path, "rb") as file:
        rest = b""
        for chunk in _chunks(file):
            lines = (rest + chunk).split(b"\n") if rest else chunk.split(b"\n")
            rest = lines.pop()
            yield from lines
    if rest.strip():
        _log.debug("%s: ends in a partial line (%d bytes), dropped", path, len(rest))


# ------------------------------------------------------------------------------------ frames
def recording_files(path: str | os.PathLike[str]) -> list[Path]:
    """``path`` itself if it is a file, else the recordings in the directory (by name ending), sorted."""
    root = Path(path)
    if not root.is_dir():
        return [root]
    endings = tuple(SUFFIXES.values())
    return sorted(p for p in root.iterdir() if p.is_file() and p.name.endswith(endings))


def _file_frames(path: Path) -> Iterator[RecordedFrame]:
    lines = _lines(path)
    first = next(lines, None)
    if first is None:  # empty: nothing flushed yet, or a crash before the first flush
        return
    if not first.startswith(_HEADER):
        raise ValueError(f"{path} is not a bybit_ws recording (no header line)")
    for number, line in enumerate(lines, 2):
        if not line:
            continue
        read = packed(line)  # format 4: a socket read's frames
        if read is not None:
            t, key, datas = read
            for data in datas:
                topic = read_topic(data)
                if topic is not None:  # control frames: not data
                    yield RecordedFrame(t, key, topic, data.decode("utf-8", "surrogateescape"))
            continue
        item: _Line | None
        try:
            item = _decode_line(line)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            item = _nested(line) if isinstance(exc, RecursionError) else None
            if item is None:
                if not line.startswith(_HEADER):
                    _log.warning("%s, line %d: not a recording line (%s); skipped", path, number, exc)
                continue
        frame = bytes(item.frame)
        if frame.startswith(b'"'):
            text = _decode_text(frame)
        elif item.frame64 is not None:
            text = item.frame64.decode("utf-8", "surrogateescape")
        elif frame:
            text = _verbatim(line, frame).decode("utf-8", "surrogateescape")
        else:
            _log.warning("%s, line %d: a recording line without a frame; skipped", path, number)
            continue
        yield RecordedFrame(item.t, item.key, item.topic, text)


def _start(path: Path) -> float:
    """A file's header time (its first frame's receive time, or the start of a CLI recording)."""
    try:
        first = next(_lines(path), b"")
        header = _decode_header(first) if first.startswith(_HEADER) else {}
        return float(header.get("t", -math.inf))
    except (OSError, ValueError, TypeError):
        return -math.inf


def frames(path: str | os.PathLike[str]) -> Iterator[RecordedFrame]:
    """The recorded frames of a file, or of every recording in a directory merged in time order.

    Files open one after the other as the merge reaches their start time, so a month of hourly files
    keeps only the overlapping ones open. Within a file, frames are in the order they were written.

    Raises:
        ValueError: a file is not a recording.
        FileNotFoundError: ``path`` does not exist.
    """
    files = recording_files(path)
    if len(files) == 1:
        yield from _file_frames(files[0])
        return
    pending = deque(sorted((_start(p), i, p) for i, p in enumerate(files)))
    heap: list[tuple[float, int, RecordedFrame, Iterator[RecordedFrame]]] = []

    def admit(until: float) -> None:
        while pending and pending[0][0] <= until:
            _, index, file = pending.popleft()
            iterator = _file_frames(file)
            first = next(iterator, None)
            if first is not None:
                heapq.heappush(heap, (first.t, index, first, iterator))

    while heap or pending:
        admit(heap[0][0] if heap else pending[0][0])
        if not heap:
            continue
        _, index, frame, iterator = heap[0]
        yield frame
        following = next(iterator, None)
        if following is None:
            heapq.heappop(heap)
        else:
            heapq.heapreplace(heap, (following.t, index, following, iterator))


# ------------------------------------------------------------------------------------ parsing
def _dialect(endpoint: str) -> Dialect | None:
    if endpoint == "inverse":
        return InverseDialect()
    if endpoint == "contract":
        return ContractDialect()
    if endpoint.startswith("v5."):
        return V5Dialect(endpoint[3:])
    return None


class FrameParser:
    """Parses recorded frames as the live client parses them: the dialect of the frame's endpoint, its
    topic's typed fast path with the dict path behind it, and a state per endpoint and topic (merged
    tickers, order-book deltas).

    Unparsable frames are logged and counted in ``errors``; frames of unknown endpoints or topics in
    ``unknown``.
    """

    def __init__(self) -> None:
        self._dialects: dict[str, Dialect | None] = {}
        self._routes: dict[tuple[str, str], tuple[TopicSpec, dict[str, Any]] | None] = {}
        self.errors = 0
        self.unknown = 0

    def parse(self, endpoint: str, topic: str, data: bytes) -> tuple[str, Any] | None:
        """``(kind, payload)`` as the topic's parser gives it (kind: "data", "snapshot" or "delta"), or
        ``None`` when there is nothing to deliver."""
        found = self._parse(endpoint, topic, data)
        return None if found is None else found[0]

    def event(
        self, endpoint: str, topic: str, data: bytes, received: datetime, original_data: str | None = None
    ) -> DataEvent[Any] | None:
        """The event the live client would deliver for a frame received at ``received`` (its exchange
        time and update type included), or ``None`` when there is nothing to deliver."""
        found = self._parse(endpoint, topic, data)
        if found is None:
            return None
        (kind, payload), spec, stamp, frame_type = found
        return new_event(kind, payload, topic, received, original_data, stamp, frame_type, spec.time)

    def _parse(
        self, endpoint: str, topic: str, data: bytes
    ) -> tuple[tuple[str, Any], TopicSpec, Any, str | None] | None:
        """The parsed frame, its topic's spec, and the frame's exchange time as sent and type."""
        route = self._routes.get((endpoint, topic))
        if route is None:
            route = self._route(endpoint, topic)
            if route is None:
                self.unknown += 1
                return None
        spec, state = route
        typed = spec.typed
        if typed is not None:
            try:
                envelope = typed.decode(data)
                if envelope.topic != topic:
                    raise ValueError("another topic")
                parsed = typed.parse(envelope, state)
                return None if parsed is None else (parsed, spec, envelope.ts, envelope.type)
            except Exception:  # the dict path takes what the typed one cannot, as in the engine
                pass
        try:
            frame = _decode_frame(data)
            if type(frame) is not dict:
                raise ValueError("not a JSON object")
            parsed = spec.parse(frame, topic, state)
            return None if parsed is None else (parsed, spec, *frame_meta(frame, spec.stamp))
        except Exception as exc:
            self.errors += 1
            _log.warning("recording: cannot parse a frame of %s (%s): %s", topic, endpoint, exc)
            return None

    def _route(self, endpoint: str, topic: str) -> tuple[TopicSpec, dict[str, Any]] | None:
        if endpoint not in self._dialects:
            self._dialects[endpoint] = _dialect(endpoint)
        dialect = self._dialects[endpoint]
        spec = dialect.topic_spec(topic) if dialect is not None else None
        route = self._routes[endpoint, topic] = None if spec is None else (spec, {})
        return route


def read(path: str | os.PathLike[str], *, keep_original_data: bool = False) -> Iterator[DataEvent[Any]]:
    """The typed events of a recording file, or of every recording in a directory in time order.

    Each frame goes through its dialect's parser exactly as the live client's would (state per
    endpoint and topic included, so tickers are merged and order-book deltas typed), offline: no
    socket, no fake exchange. ``event.timestamp`` is the recorded receive time, ``exchange_timestamp``
    and ``update_type`` the frame's as live; ``original_data`` the frame text when
    ``keep_original_data``. Frames that cannot be parsed are logged and skipped.

    >>> for event in bybit_ws.recording.read("recordings/"):        # doctest: +SKIP
    ...     print(event.topic, event.data)

    Raises:
        ValueError: a file is not a recording.
        FileNotFoundError: ``path`` does not exist.
        ImportError: a ``.zst`` file without the ``zstandard`` package (extra ``[zstd]``).
    """
    event_of = FrameParser().event
    for frame in frames(path):
        text = frame.text
        event = event_of(
            frame.endpoint, frame.topic, frame.data, frame.received, text if keep_original_data else None
        )
        if event is not None:
            yield event
