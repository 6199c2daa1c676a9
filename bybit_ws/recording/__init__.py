"""Recording raw frames, reading them back as typed events, and exporting them to Parquet.

>>> from bybit_ws.recording import Recorder, read, to_parquet
>>> with Recorder("recordings/", rotate_seconds=3600) as recorder:          # doctest: +SKIP
...     recorder.write(frame_bytes, received, "v5.linear")     # what the client's hook calls per frame
>>> for event in read("recordings/"):                          # doctest: +SKIP
...     ...                                                    # DataEvents, typed as the live client's
>>> to_parquet("recordings/", "parquet/")                     # doctest: +SKIP

Files are JSON lines (a header, then ``{"t", "key", "sizes", "frames"}`` per socket read, its frames
verbatim, or ``{"t", "key", "topic", "frame"}`` per frame) compressed with zstd (extra ``[zstd]``) or
gzip; older formats (1: the CLI's ``stream --record`` files, 2: frames as escaped strings, 3: a line a
frame) read back too.
"""

from __future__ import annotations

from ._parquet import table_name, to_parquet
from ._reader import FrameParser, RecordedFrame, frames, read, recording_files
from ._writer import FORMAT, Recorder, default_compression

__all__ = [
    "FORMAT",
    "FrameParser",
    "RecordedFrame",
    "Recorder",
    "default_compression",
    "frames",
    "read",
    "recording_files",
    "table_name",
    "to_parquet",
]
