"""A recording file being written: its compressor (zstd, gzip or none), its lines not yet compressed and
its bytes on disk (the recorder's side of the disk)."""

from __future__ import annotations

import os
import zlib
from pathlib import Path
from typing import IO, Protocol

__all__ = ["_BATCH", "_MAX_AHEAD", "_File", "_codec"]


class _Codec(Protocol):
    def compress(self, data: bytes) -> bytes: ...
    def flush(self) -> bytes: ...
    def finish(self) -> bytes: ...


#: frames queued before the flusher thread is woken to encode and compress them together
_BATCH = 256
#: frames the writers may get ahead of the flusher thread before they encode and compress themselves
_MAX_AHEAD = 16 * _BATCH


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
        out = self.codec.flush()
        if out:
            self.file.write(out)
            self.size += len(out)
        self.file.flush()
        if fsync:
            os.fsync(self.file.fileno())
        self.dirty = False

    def finish(self, fsync: bool) -> None:
        out = self.codec.finish()
        if out:
            self.file.write(out)
            self.size += len(out)
        self.file.flush()
        if fsync:
            os.fsync(self.file.fileno())
        self.file.close()
