"""The recorder: raw frames with their receive time, as compressed, rotating JSON-lines files.

File format (a superset of the CLI's ``stream --record`` format 1, readable by the same line reader):
a header line ``{"bybit_ws_recording": 2, "t": <first frame's receive time>, ...metadata}``, then one
line per data frame ``{"t": <receive time, epoch seconds>, "key": <endpoint key>, "topic": <topic>,
"frame": <the frame's text, exact>}``. The file is compressed as one stream (zstd or gzip) that is flushed
to a block boundary on every :meth:`Recorder.flush`, so a crash loses at most what came after the last
flush, and the reader stops cleanly at a truncated final block.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import zlib
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol

import msgspec

__all__ = ["FORMAT", "SUFFIXES", "Recorder", "default_compression", "topic_of"]

_log = logging.getLogger(__name__)

#: the format number of the header line (the CLI's ``--record`` files are format 1)
FORMAT = 2
#: file name endings of each compression
SUFFIXES = {"zstd": ".jsonl.zst", "gzip": ".jsonl.gz", "none": ".jsonl"}

_TOPIC_FIRST = b'{"topic":"'
_TOPIC_AT = len(_TOPIC_FIRST)
_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode


def default_compression() -> str:
    """``"zstd"`` when the ``zstandard`` package is installed (extra ``[zstd]``), else ``"gzip"``."""
    try:
        import zstandard  # noqa: F401
    except ImportError:
        return "gzip"
    return "zstd"


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


class _Codec(Protocol):
    def compress(self, data: bytes) -> bytes: ...
    def flush(self) -> bytes: ...
    def finish(self) -> bytes: ...


class _Plain:
    def compress(self, data: bytes) -> bytes:
        return data

    def flush(self) -> bytes:
        return b""

    def finish(self) -> bytes:
        return b""


class _Gzip:
    def __init__(self, level: int) -> None:
        self._z = zlib.compressobj(level, zlib.DEFLATED, 31)  # 31: a gzip member

    def compress(self, data: bytes) -> bytes:
        return self._z.compress(data)

    def flush(self) -> bytes:
        return self._z.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        return self._z.flush(zlib.Z_FINISH)


class _Zstd:
    def __init__(self, level: int) -> None:
        import zstandard

        self._flush_block = zstandard.COMPRESSOBJ_FLUSH_BLOCK
        self._flush_finish = zstandard.COMPRESSOBJ_FLUSH_FINISH
        self._z = zstandard.ZstdCompressor(level=level).compressobj()

    def compress(self, data: bytes) -> bytes:
        return self._z.compress(data)

    def flush(self) -> bytes:
        return self._z.flush(self._flush_block)

    def finish(self) -> bytes:
        return self._z.flush(self._flush_finish)


def _codec(compression: str, level: int | None) -> _Codec:
    if compression == "zstd":
        return _Zstd(3 if level is None else level)
    if compression == "gzip":
        return _Gzip(6 if level is None else level)
    return _Plain()


class _File:
    """One open recording file: its compressor and the bytes written to disk so far."""

    def __init__(self, path: Path, codec: _Codec) -> None:
        self.path = path
        self.codec = codec
        self.file: IO[bytes] = open(path, "xb")  # noqa: SIM115 (closed by close())
        self.size = 0
        self.dirty = False

    def write(self, data: bytes) -> None:
        out = self.codec.compress(data)
        if out:
            self.file.write(out)
            self.size += len(out)
        self.dirty = True

    def flush(self, fsync: bool) -> None:
        out = self.codec.flush()
        if out:
            self.file.write(out)
            self.size += len(out)
        self.file.flush()
        if fsync:
            os.fsync(self.file.fileno())
        self.dirty = False

    def close(self, fsync: bool) -> None:
        out = self.codec.finish()
        if out:
            self.file.write(out)
            self.size += len(out)
        self.file.flush()
        if fsync:
            os.fsync(self.file.fileno())
        self.file.close()


class Recorder:
    """Writes raw frames with their receive time to rotating, compressed files in ``directory``.

    ``write(data, received, endpoint)`` is thread-safe (reader threads of several connections may call
    it) and cheap: a frame is encoded into one line and handed to the compressor; the file is flushed
    every ``flush_interval`` seconds by a background thread, on rotation, on :meth:`flush` and on
    :meth:`close`. Control frames (no topic) are not recorded.

    Args:
        directory: where files go (created if missing); names are
            ``{prefix}-{first frame's UTC time}-{n}.jsonl.zst`` (``.jsonl.gz``, ``.jsonl``).
        compression: ``"zstd"`` (default when ``zstandard`` is installed, extra ``[zstd]``), ``"gzip"``
            (the default otherwise) or ``"none"``.
        level: the compression level (zstd 3, gzip 6 by default).
        rotate_bytes: start a new file once a file holds this many bytes on disk (the compressor holds
            back up to a block, about 128 KiB for zstd, until the next flush).
        rotate_seconds: start a new file when a frame's receive time enters a new period of this many
            seconds since the epoch (3600: hourly files starting on the hour). Driven by the ``received``
            times given to :meth:`write`, so it needs no clock of its own.
        flush_interval: seconds between background flushes (``None``: flush only on rotation, on
            :meth:`flush` and :meth:`close`).
        fsync: also ``os.fsync`` on each flush (survives power loss, not only a crash of the process).
        prefix: the file names' first part.
        metadata: extra fields for each file's header line (e.g. ``{"api": "v5", "topics": [...]}``).
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        compression: str | None = None,
        level: int | None = None,
        rotate_bytes: int | None = None,
        rotate_seconds: float | None = None,
        flush_interval: float | None = 1.0,
        fsync: bool = False,
        prefix: str = "bybit_ws",
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        compression = default_compression() if compression is None else compression
        if compression not in SUFFIXES:
            raise ValueError(f"compression must be one of {', '.join(SUFFIXES)}, not {compression!r}")
        if compression == "zstd":
            _codec("zstd", level)  # ImportError now, not on the first frame
        for name, value in (("rotate_bytes", rotate_bytes), ("rotate_seconds", rotate_seconds)):
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be positive")
        if flush_interval is not None and not flush_interval > 0:
            raise ValueError("flush_interval must be positive (or None)")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.compression = compression
        self._level = level
        self._rotate_bytes = rotate_bytes
        self._rotate_seconds = rotate_seconds
        self._fsync = fsync
        self._prefix = prefix
        self._metadata = dict(metadata or {})
        self._lock = threading.Lock()
        self._file: _File | None = None
        self._period = -math.inf
        self._closed = False
        self._files: list[Path] = []
        self._count = 0
        #: frames written, and frames skipped (no topic: control frames or not JSON)
        self.frames = 0
        self.skipped = 0
        self._closed_bytes = 0  # on disk in the files already finished
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None
        if flush_interval is not None:
            self._flusher = threading.Thread(
                target=self._flush_loop, args=(flush_interval,), name="bybit-ws-recorder", daemon=True
            )
            self._flusher.start()

    @property
    def files(self) -> list[Path]:
        """The files written so far, oldest first."""
        with self._lock:
            return list(self._files)

    @property
    def bytes_written(self) -> int:
        """Compressed bytes written to disk so far, over every file (the compressor holds back up to a
        block until the next flush)."""
        with self._lock:
            return self._closed_bytes + (self._file.size if self._file is not None else 0)

    def write(self, data: bytes, received: datetime, endpoint: str) -> None:
        """Record one frame: its exact bytes, the time it was received, and the client's ``urls`` key
        of its endpoint (``"v5.linear"``, ``"v5.private"``, ``"inverse"``, ``"contract"``, ...).

        After :meth:`close`, frames are dropped (and counted in ``skipped``): a reader thread that
        outlives the recorder never raises here.
        """
        topic = topic_of(data)
        if topic is None:
            with self._lock:
                self.skipped += 1
            return
        t = received.timestamp()
        line = _encode({"t": t, "key": endpoint, "topic": topic, "frame": data.decode("utf-8", "replace")})
        with self._lock:
            if self._closed:
                self.skipped += 1
                return
            file = self._file
            if self._rotate_seconds is not None:
                period = t // self._rotate_seconds
                if period > self._period:
                    self._period = period
                    if file is not None:
                        self._close_file()
                        file = None
            if file is None:
                file = self._open(received)
            file.write(line + b"\n")
            self.frames += 1
            if self._rotate_bytes is not None and file.size >= self._rotate_bytes:
                self._close_file()

    def flush(self) -> None:
        """Flush the compressor to a block boundary and the file to the OS: a crash from now on loses
        nothing written before this call."""
        with self._lock:
            if self._file is not None and self._file.dirty:
                self._file.flush(self._fsync)

    def close(self) -> None:
        """Finish the current file and stop the flusher thread. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._file is not None:
                self._close_file()
        self._stop.set()
        if self._flusher is not None and self._flusher is not threading.current_thread():
            self._flusher.join()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Recorder({str(self.directory)!r}, compression={self.compression!r}, frames={self.frames})"

    # ------------------------------------------------------------------------------------ internals
    def _open(self, received: datetime) -> _File:
        stamp = received.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S_%fZ")
        suffix = SUFFIXES[self.compression]
        while True:
            self._count += 1
            path = self.directory / f"{self._prefix}-{stamp}-{self._count:04d}{suffix}"
            try:
                file = _File(path, _codec(self.compression, self._level))
            except FileExistsError:
                continue
            break
        header = {"bybit_ws_recording": FORMAT, "t": received.timestamp(), **self._metadata}
        file.write(_encode(header) + b"\n")
        self._file = file
        self._files.append(path)
        _log.debug("recording to %s", path)
        return file

    def _close_file(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            file.close(self._fsync)
            self._closed_bytes += file.size

    def _flush_loop(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.flush()
            except Exception:  # a full disk: keep trying, the writer will raise too
                _log.exception("recorder: flush failed")
