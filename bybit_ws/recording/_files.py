"""A recording's files being written (the recorder's side of the disk): each with its compressor (zstd,
gzip or none), its lines not yet compressed and its bytes on disk; rotation; finishing."""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import zlib
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Protocol

import msgspec

__all__ = ["BATCH", "FORMAT", "MAX_AHEAD", "SUFFIXES", "RecordingFiles", "codec"]

_log = logging.getLogger(__name__)
_encode = msgspec.json.Encoder().encode

#: the format number of the header line (the CLI's ``--record`` files are format 1; format 2 stored
#: every frame as an escaped JSON string, format 3 JSON frames verbatim, a line each, format 4 a socket
#: read's frames verbatim in one line: see ``_lines``)
FORMAT = 4
#: file name endings of each compression
SUFFIXES = {"zstd": ".jsonl.zst", "gzip": ".jsonl.gz", "none": ".jsonl"}


class _Codec(Protocol):
    def compress(self, data: bytes) -> bytes: ...
    def flush(self) -> bytes: ...
    def finish(self) -> bytes: ...


#: frames queued before the flusher thread is woken to encode and compress them together
BATCH = 256
#: frames the writers may get ahead of the flusher thread before they encode and compress themselves
MAX_AHEAD = 16 * BATCH


class _Plain:
    def compress(self, data: bytes) -> bytes:
        return data

    def flush(self) -> bytes:
        return b""

    def finish(self) -> bytes:
        return b""


class _Stream:
    """A zlib (gzip) or zstandard compressor object and its two flush modes."""

    def __init__(self, z: Any, flush_block: int, flush_finish: int) -> None:
        self._z = z
        self._flush_block = flush_block
        self._flush_finish = flush_finish

    def compress(self, data: bytes) -> bytes:
        return self._z.compress(data)  # type: ignore[no-any-return]

    def flush(self) -> bytes:
        return self._z.flush(self._flush_block)  # type: ignore[no-any-return]

    def finish(self) -> bytes:
        return self._z.flush(self._flush_finish)  # type: ignore[no-any-return]


def codec(compression: str, level: int | None) -> _Codec:
    """A compressor for ``compression`` at ``level`` (zstd 1, gzip 6 by default)."""
    if compression == "zstd":
        import zstandard

        zstd = zstandard.ZstdCompressor(level=1 if level is None else level).compressobj()
        return _Stream(zstd, zstandard.COMPRESSOBJ_FLUSH_BLOCK, zstandard.COMPRESSOBJ_FLUSH_FINISH)
    if compression == "gzip":
        gzip = zlib.compressobj(6 if level is None else level, zlib.DEFLATED, 31)  # 31: a gzip member
        return _Stream(gzip, zlib.Z_SYNC_FLUSH, zlib.Z_FINISH)
    return _Plain()


class _File:
    """One open recording file: the lines not yet compressed, its compressor, its bytes on disk.

    Lines are collected (``add``) and handed to the compressor in batches (``compress``), both under
    the recorder's I/O lock: a compressor call per line cost ~12 us (zstandard allocates its output
    buffer on every call), and a batch compresses with the GIL released, on the flusher thread.
    """

    def __init__(self, path: Path, codec: _Codec) -> None:
        self.path = path
        self.codec = codec
        self.file: IO[bytes] = open(path, "xb")  # noqa: SIM115 (closed by finish())
        self.size = 0  # bytes on disk
        self.dirty = False  # compressed since the last flush
        self.lines: list[bytes] = []
        self.batched = 0  # bytes in ``lines``

    def add(self, line: bytes) -> None:
        self.lines.append(line)
        self.batched += len(line)

    def take(self) -> bytes:
        lines, self.lines = self.lines, []
        self.batched = 0
        return b"".join(lines)

    def compress(self, data: bytes) -> None:
        if not data:
            return
        out = self.codec.compress(data)
        self.dirty = True
        if out:
            self.file.write(out)
            self.size += len(out)

    def flush(self, fsync: bool) -> None:
        self._sync(self.codec.flush(), fsync)
        self.dirty = False

    def finish(self, fsync: bool) -> None:
        self._sync(self.codec.finish(), fsync)
        self.file.close()

    def _sync(self, out: bytes, fsync: bool) -> None:
        """Write the compressor's last bytes ``out``, flush the file to the OS (``fsync``: to the disk)."""
        if out:
            self.file.write(out)
            self.size += len(out)
        self.file.flush()
        if fsync:
            os.fsync(self.file.fileno())


class RecordingFiles:
    """A recording's files, every call with the recorder's I/O lock held: the one being written, those
    rotated out (their last lines still to compress, then finished), the names so far, rotation."""

    def __init__(
        self,
        directory: Path,
        compression: str,
        level: int | None,
        *,
        prefix: str,
        metadata: Mapping[str, Any],
        fsync: bool,
        rotate_bytes: int | None,
        rotate_seconds: float | None,
    ) -> None:
        self.directory = directory
        self._compression = compression
        self._level = level
        self._prefix = prefix
        self._metadata = dict(metadata)
        self._fsync = fsync
        self._rotate_bytes = rotate_bytes
        self._rotate_seconds = rotate_seconds
        self.current: _File | None = None
        self._retiring: list[_File] = []
        self.paths: list[Path] = []  # every file opened, oldest first
        self.added = 0  # data lines added
        self._count = 0
        self._period = -math.inf
        self._closed_bytes = 0  # on disk in the files already finished

    def size(self) -> int:
        """Compressed bytes on disk, over every file."""
        files = [*self._retiring, *([self.current] if self.current is not None else [])]
        return self._closed_bytes + sum(f.size for f in files)

    def add(self, received: datetime, t: float, lines: bytes, count: int, one: bool = False) -> None:
        """Add the ``lines`` of ``count`` frames received at ``received`` (``t``: as epoch seconds),
        rotating as due; ``one``: they are one line (a socket read's, format 4), else a line a frame.

        Raises:
            OSError: a file could not be opened (the lines from there on are not added).
        """
        rotate_seconds, rotate_bytes = self._rotate_seconds, self._rotate_bytes
        if rotate_seconds is not None and t // rotate_seconds > self._period:
            self._period = t // rotate_seconds
            self.retire()
        file = self.current if self.current is not None else self._open(received)
        if rotate_bytes is None or one:
            file.add(lines)
            self.added += count
            if rotate_bytes is not None and file.size + file.batched >= rotate_bytes:
                self.retire()
            return
        for line in io.BytesIO(lines):  # split at newlines only (a verbatim frame may hold a "\r")
            if self.current is None:
                file = self._open(received)
            file.add(line)
            self.added += 1
            if file.size + file.batched >= rotate_bytes:
                self.retire()

    def retire(self) -> None:
        """Rotate the current file out: its last lines are compressed, then it is finished."""
        file, self.current = self.current, None
        if file is not None:
            self._retiring.append(file)

    def drain(self, flush: bool) -> None:
        """Compress the lines added, finish rotated files; ``flush``: flush the current file too."""
        finishing, self._retiring = self._retiring, []
        try:
            while finishing:
                file = finishing[0]
                file.compress(file.take())
                file.finish(self._fsync)
                self._closed_bytes += file.size
                del finishing[0]
        except OSError:
            self._retiring[:0] = finishing  # abandon() closes them
            raise
        current = self.current
        if current is not None:
            current.compress(current.take())
            if flush and current.dirty:
                current.flush(self._fsync)

    def abandon(self) -> None:
        """After a write error: close every open file as it is (what was flushed stays readable) and
        forget the lines not compressed."""
        files = [*self._retiring, *([self.current] if self.current is not None else [])]
        self._retiring, self.current = [], None
        self._closed_bytes += sum(f.size for f in files)
        for file in files:
            with contextlib.suppress(OSError):  # its buffer cannot be written either; the fd is closed
                file.file.close()

    def _open(self, received: datetime) -> _File:
        stamp = received.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S_%fZ")
        suffix = SUFFIXES[self._compression]
        while True:
            self._count += 1
            path = self.directory / f"{self._prefix}-{stamp}-{self._count:04d}{suffix}"
            try:
                file = _File(path, codec(self._compression, self._level))
            except FileExistsError:
                continue
            break
        header = {"bybit_ws_recording": FORMAT, "t": received.timestamp(), **self._metadata}
        file.add(_encode(header) + b"\n")
        self.current = file
        self.paths.append(path)
        _log.debug("recording to %s", path)
        return file
