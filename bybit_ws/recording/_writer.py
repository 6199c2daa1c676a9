"""The recorder: raw frames with their receive time, as compressed, rotating JSON-lines files.

File format 4 (a superset of the CLI's ``stream --record`` format 1 and of formats 2 and 3, read by the
same line reader): a header line ``{"bybit_ws_recording": 4, "t": <first frame's receive time>,
...metadata}``, then data lines: the frames of one socket read (:meth:`Recorder.write_many`, what the
client hands over) as one line ``{"t": <receive time, epoch seconds>, "key": <endpoint key>, "sizes":
[<each frame's bytes>, ...], "frames": [<the frames, verbatim>, ...]}``, and a frame written alone
(:meth:`Recorder.write`), or one of a read that cannot go verbatim (a newline, not UTF-8, not JSON), as
a format-3 line ``{"t": ..., "key": ..., "topic": <topic>, "frame": <the frame, verbatim>}`` (a frame
that is not a one-line JSON object: its text as a JSON string, as format 2 stored every frame, or
``"frame64"``, its bytes in base64, when it is not UTF-8; see ``_lines``). The file is compressed as
one stream (zstd or gzip) that is flushed to a block boundary on every :meth:`Recorder.flush`, so a
crash loses at most what came after the last flush, and the reader stops cleanly at a truncated final
block.

A write error (a full disk) stops the recording, never the live stream: it is logged once, kept in
:attr:`Recorder.error`, later frames are counted in :attr:`Recorder.dropped`, and :meth:`Recorder.flush`
and :meth:`Recorder.close` raise it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from . import _lines
from ._files import BATCH, FORMAT, MAX_AHEAD, SUFFIXES, RecordingFiles, codec
from ._lines import Entry, runs, topic_of

__all__ = ["FORMAT", "SUFFIXES", "Recorder", "default_compression", "topic_of"]

_log = logging.getLogger(__name__)

# benchmarks/profile_stages.py times these stages of a line alone
_codec = codec
_encode = _lines._encode


def default_compression() -> str:
    """``"zstd"`` when the ``zstandard`` package is installed (extra ``[zstd]``), else ``"gzip"``."""
    try:
        import zstandard  # noqa: F401
    except ImportError:
        return "gzip"
    return "zstd"


def _checked(
    compression: str | None,
    level: int | None,
    rotate_bytes: int | None,
    rotate_seconds: float | None,
    flush_interval: float | None,
) -> str:
    """The compression a :class:`Recorder`'s arguments ask for, once they are checked."""
    compression = default_compression() if compression is None else compression
    if compression not in SUFFIXES:
        raise ValueError(f"compression must be one of {', '.join(SUFFIXES)}, not {compression!r}")
    if compression == "zstd":
        codec("zstd", level)  # ImportError now, not on the first frame
    for name, value in (("rotate_bytes", rotate_bytes), ("rotate_seconds", rotate_seconds)):
        if value is not None and not value > 0:
            raise ValueError(f"{name} must be positive")
    if flush_interval is not None and not flush_interval > 0:
        raise ValueError("flush_interval must be positive (or None)")
    return compression


class Recorder:
    """Writes raw frames with their receive time to rotating, compressed files in ``directory``.

    ``write(data, received, endpoint)`` and ``write_many(frames, received, endpoint)`` (a socket read's
    frames: what the client's reader hands over) are thread-safe (reader threads of several connections
    may call them) and cheap: the frame, or the read's list of frames, is appended to a queue, nothing
    more; a background thread (``bybit-ws-recorder``) encodes the queued frames into lines, a socket
    read's frames together (see ``_lines``), compresses them in batches, off the reader threads, and
    flushes the file every ``flush_interval`` seconds; :meth:`flush` and :meth:`close` do the same at
    once. Without the thread (``flush_interval=None``), or when the writers get ``MAX_AHEAD`` frames
    ahead of it (memory stays bounded), the writers do that work themselves. Control frames (no topic)
    are not read back: a frame written alone gets no line, a read's are kept with its line.

    Args:
        directory: where files go (created if missing); names are
            ``{prefix}-{first frame's UTC time}-{n}.jsonl.zst`` (``.jsonl.gz``, ``.jsonl``).
        compression: ``"zstd"`` (default when ``zstandard`` is installed, extra ``[zstd]``), ``"gzip"``
            (the default otherwise) or ``"none"``.
        level: the compression level (zstd 1, gzip 6 by default: zstd 3 costs ~60 % more CPU a frame for
            files ~10 % larger on verbatim frames, see benchmarks/README.md).
        rotate_bytes: start a new file once a file holds this many bytes, counting lines not yet
            compressed at their full size (the compressor also holds back up to a block, about 128 KiB
            for zstd, until the next flush).
        rotate_seconds: start a new file when a frame's receive time enters a new period of this many
            seconds since the epoch (3600: hourly files starting on the hour). Driven by the ``received``
            times given to :meth:`write`, so it needs no clock of its own.
        flush_interval: seconds between background flushes (``None``: flush only on rotation, on
            :meth:`flush` and :meth:`close`).
        fsync: also ``os.fsync`` on each flush (survives power loss, not only a crash of the process:
            what was flushed reads back whole, and the reader stops before whatever a power loss
            left after it).
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
        compression = _checked(compression, level, rotate_bytes, rotate_seconds, flush_interval)
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.compression = compression
        self._out = RecordingFiles(
            self.directory,
            compression,
            level,
            prefix=prefix,
            metadata=metadata or {},
            fsync=fsync,
            rotate_bytes=rotate_bytes,
            rotate_seconds=rotate_seconds,
        )
        self._lock = threading.Lock()  # the counters and the queue's end
        self._io = threading.Lock()  # the queue's frames, the files, the disk; taken before _lock
        self._closed = False
        #: frames written and not yet encoded (see ``_lines.Entry``): appended by the writers, taken by
        #: whoever holds ``_io``
        self._queue: list[Entry] = []
        self._many = 0  # frames queued by write_many since the queue was last taken (``_lock`` held)
        self._refuse = False  # closed, or stopped by a write error: writers count, never queue
        #: frames written, and frames skipped (written alone with no topic: control frames, or not JSON;
        #: those of a read are kept in its line, and counted in ``frames``); counted as the queue is
        #: encoded (by the flusher, :meth:`flush`, :meth:`close` or :attr:`files`)
        self.frames = 0
        self.skipped = 0
        #: the first error writing to disk (e.g. ``OSError(ENOSPC)``, a full disk): it stopped the
        #: recording; logged once, raised by :meth:`flush` and :meth:`close`
        self.error: OSError | None = None
        #: frames not recorded because of :attr:`error`
        self.dropped = 0
        self._stop = threading.Event()
        self._wake = threading.Event()  # a batch is ready (or a file rotated): the flusher compresses
        self._flusher: threading.Thread | None = None
        if flush_interval is not None:
            self._flusher = threading.Thread(
                target=self._flush_loop, args=(flush_interval,), name="bybit-ws-recorder", daemon=True
            )
            self._flusher.start()

    @property
    def files(self) -> list[Path]:
        """The files written so far, oldest first (the frames queued are encoded first, so a file is
        listed once a frame for it was written)."""
        with self._io:
            self._drain(flush=False)
            return list(self._out.paths)

    @property
    def bytes_written(self) -> int:
        """Compressed bytes written to disk so far, over every file (the compressor holds back up to a
        block until the next flush)."""
        with self._io:
            return self._out.size()

    def write(self, data: bytes, received: datetime, endpoint: str) -> None:
        """Record one frame: its exact bytes, the time it was received, and the client's ``urls`` key
        of its endpoint (``"v5.linear"``, ``"v5.private"``, ``"inverse"``, ``"contract"``, ...).

        The reader's share is an append to a queue (atomic under the GIL, no lock): the topic, the
        line and the compression are the flusher thread's work, ``BATCH`` frames at a time.

        After :meth:`close`, frames are dropped (and counted in ``skipped``): a reader thread that
        outlives the recorder never raises here. Nor does a write error: see :attr:`error`.
        """
        if self._refuse:
            self._refused(1)
            return
        queue = self._queue
        queue.append((data, received, endpoint, None))
        queued = len(queue)
        if queued >= BATCH:
            if self._flusher is None or queued >= MAX_AHEAD:
                with self._io:  # no flusher thread, or it fell behind: encode and compress here
                    self._drain(flush=False)
            elif not queued % BATCH:
                self._wake.set()

    def write_many(self, frames: list[bytes], received: datetime, endpoint: str, json: bool = False) -> None:
        """Record the frames of one socket read, in order, all received at ``received`` on ``endpoint``
        (as :meth:`write` records one): what the client's reader hands over after each read.

        The reader's share is one append for the whole read; the flusher writes the read as one line
        (file format 4, see ``_lines``), the frames verbatim, when they allow it. ``frames`` is kept:
        it must not be changed afterwards. ``json``: the caller vouches that every frame is one JSON
        value (the client's reader decoded each); else the line is checked (one C call).
        """
        if self._refuse:
            self._refused(len(frames))
            return
        if not frames:
            return
        with self._lock:
            self._queue.append((frames, received, endpoint, json))
            self._many += len(frames)
            ahead = self._many
        if ahead >= BATCH:
            if self._flusher is None or ahead >= MAX_AHEAD:
                with self._io:  # no flusher thread, or it fell behind: encode and compress here
                    self._drain(flush=False)
            elif not self._wake.is_set():
                self._wake.set()

    def _refused(self, count: int) -> None:
        with self._lock:
            if self._closed:
                self.skipped += count
            else:
                self.dropped += count

    def flush(self) -> None:
        """Compress what is queued and flush the compressor to a block boundary and the file to the OS:
        a crash from now on loses nothing written before this call.

        Raises:
            OSError: :attr:`error`, the write error that stopped the recording (now or before).
        """
        with self._io:
            self._drain(flush=True)
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        """Finish the current file and stop the flusher thread, always. Idempotent: a second call does
        nothing.

        Raises:
            OSError: :attr:`error`, the write error that stopped the recording (the first call only; the
                thread is stopped and the files closed all the same).
        """
        with self._lock:
            if self._closed:
                return
            self._closed = self._refuse = True
        try:
            with self._io:
                self._drain(flush=False, final=True)
        finally:
            self._stop.set()
            self._wake.set()
            if self._flusher is not None and self._flusher is not threading.current_thread():
                self._flusher.join()
            with self._lock:  # a write that raced close() (queued after the last drain): not recorded
                self.skipped += self._sweep()
        if self.error is not None:
            raise self.error

    def __enter__(self) -> Recorder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Recorder({str(self.directory)!r}, compression={self.compression!r}, frames={self.frames})"

    # ------------------------------------------------------------------------------------ internals
    def _drain(self, *, flush: bool, final: bool = False) -> None:
        """Encode and compress every queued frame, in order, and finish rotated files; ``flush``: flush
        the current file too; ``final``: finish it. Runs with ``_io`` held (one drain at a time keeps
        the lines in order). A write error stops the recording (see :meth:`_failed`); it is not raised
        here."""
        try:
            self._encode_queued()
            if final:
                self._out.retire()
            self._out.drain(flush)
        except OSError as exc:
            with self._lock:
                current = self._out.current
                self._failed(exc, current.path if current is not None else self.directory)
        if self.error is not None:
            with self._lock:
                self.dropped += self._sweep()  # writes that raced the error
            self._out.abandon()

    def _failed(self, exc: OSError, where: Path) -> None:
        """Lock held: a write error stops the recording; the first is kept and logged, once. The frames
        still queued are dropped (and counted) before :attr:`error` is set."""
        if self.error is None:
            self._refuse = True
            self.dropped += self._sweep()
            self.error = exc
            _log.error(
                "recorder: writing %s failed (%s); recording stopped, later frames are dropped "
                "(Recorder.error, Recorder.dropped); the live stream goes on",
                where,
                exc,
            )

    def _sweep(self) -> int:
        """Empty the queue (``_lock`` held, the recording stopped): how many frames it held."""
        queue = self._queue
        swept = queue[:]
        del queue[: len(swept)]
        self._many = 0
        return _frames_in(swept)

    def _encode_queued(self) -> None:
        """``_io`` held: take the queued frames and encode them into their files' lines, opening and
        rotating files on the way. An error opening a file stops the recording (raised as OSError)."""
        if self.error is not None:
            with self._lock:  # writes that raced the error
                self.dropped += self._sweep()
            return
        queue = self._queue
        with self._lock:
            entries = queue[:]
            del queue[: len(entries)]  # what writers add meanwhile stays for the next drain
            self._many = 0
        if not entries:
            return
        out = self._out
        added = out.added
        skipped = 0
        try:
            for received, t, lines, count, skip, one in runs(entries):
                skipped += skip
                if count:
                    out.add(received, t, lines, count, one)
        except OSError:
            with self._lock:  # the frames not encoded are dropped (counted before the error is set)
                self.dropped += _frames_in(entries) - (out.added - added) - skipped
            raise
        finally:
            with self._lock:
                self.frames += out.added - added
                self.skipped += skipped

    def _flush_loop(self, interval: float) -> None:
        """The flusher: compress batches as they fill, flush every ``interval`` seconds."""
        next_flush = time.monotonic() + interval
        while not self._stop.is_set():
            self._wake.wait(max(0.0, next_flush - time.monotonic()))
            self._wake.clear()
            due = time.monotonic() >= next_flush
            try:
                with self._io:
                    self._drain(flush=due)
            except Exception:  # not a write error (those stop the recording in _drain): a bug
                _log.exception("recorder: compressing or flushing failed")
            if due:
                next_flush = time.monotonic() + interval


def _frames_in(entries: list[Entry]) -> int:
    """How many frames queued ``entries`` hold."""
    return sum(1 if many is None else len(data) for data, _, _, many in entries)
