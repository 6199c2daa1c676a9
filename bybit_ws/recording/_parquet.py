"""Recordings to Parquet, locally or in object storage: one table per kind of row, Hive-partitioned by
category, topic and date, each file moved into place when complete."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from bybit_ws._export import (
    BOOL,
    DATETIME,
    DECIMAL,
    ENUM,
    INT,
    INT_ENUM,
    STR,
    Columns,
    _plain,
    table_columns,
    to_builtins,
)
from bybit_ws.models._common import DataEvent, DeltaUpdate

from ._reader import FrameParser, frames

__all__ = ["table_name", "to_parquet"]


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def table_name(data: Any) -> str | None:
    """The table an event's data goes to: the row model's family and name, e.g. ``"v5_trade"``,
    ``"v5_order_book_update"`` (one row per level), ``"inverse_order_book_entry"``; ``None`` when
    the data has no rows."""
    item = data
    if isinstance(item, DeltaUpdate):
        item = (*item.delete, *item.update, *item.insert)
    if isinstance(item, (list, tuple)):
        item = item[0] if item else None
    if item is None:
        return None
    cls = type(item)
    # bybit_ws.models.<family>[.<module>]: v5's models live in a package of modules
    family = cls.__module__.removeprefix("bybit_ws.models.").split(".", 1)[0]
    return f"{family}_{_snake(cls.__name__)}"


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise ImportError(
            "Parquet export needs pyarrow: pip install 'bybit-ws-sync[parquet]'", name=exc.name
        ) from exc
    return pyarrow


def _arrow_table(pa: Any, table: Columns, drop: tuple[str, ...]) -> Any:
    arrays = {}
    for name in table.names:
        if name in drop:
            continue
        values, kind = table.values[name], table.kinds[name]
        if kind == DECIMAL:
            array = pa.array([None if v is None else float(v) for v in values], pa.float64())
        elif kind == DATETIME:
            array = pa.array(values, pa.timestamp("us", tz="UTC"))
        elif kind in (INT, INT_ENUM):
            array = pa.array([None if v is None else int(v) for v in values], pa.int64())
        elif kind == BOOL:
            array = pa.array(values, pa.bool_())
        elif kind in (STR, ENUM):
            array = pa.array([None if v is None else str(_plain(v)) for v in values], pa.string())
        else:
            array = pa.array([None if v is None else json.dumps(to_builtins(v)) for v in values], pa.string())
        arrays[name] = array
    return pa.table(arrays)


def _category(endpoint: str) -> str:
    """The partition value of an endpoint key: ``"v5.linear"`` -> ``"linear"``, ``"inverse"`` as is."""
    return endpoint.removeprefix("v5.")


def _recorded_events(source: str | os.PathLike[str]) -> Iterator[tuple[str, DataEvent[Any]]]:
    """A recording's events with their category, parsed as :func:`read` parses them."""
    event_of = FrameParser().event
    for frame in frames(source):
        event = event_of(frame.endpoint, frame.topic, frame.data, frame.received)
        if event is not None:
            yield _category(frame.endpoint), event


class _Target:
    """Where the files go: a local directory (``os.replace`` into place) or an fsspec URL (written to
    a temporary key, then moved: on object stores a server-side copy, so no half file is visible)."""

    def __init__(self, out_dir: str | os.PathLike[str], storage_options: dict[str, Any] | None) -> None:
        self.fs: Any = None
        self.root: Any
        if isinstance(out_dir, str) and "://" in out_dir:
            try:
                from fsspec.core import url_to_fs
            except ImportError as exc:
                message = "Parquet to object storage needs fsspec: pip install 'bybit-ws-sync[s3]'"
                raise ImportError(message, name=exc.name) from exc
            self.fs, root = url_to_fs(out_dir, **(storage_options or {}))
            self.root = root.rstrip("/")
            self.protocol = out_dir.split("://", 1)[0]
        else:
            if storage_options:
                raise ValueError("storage_options go with an fsspec URL (s3://, gs://, file://, ...)")
            self.root = Path(out_dir)

    def write(self, pa: Any, table: Any, parts: tuple[str, ...], name: str, compression: str) -> Any:
        """Write ``table`` as ``root/parts.../name``, atomically; return its path (local) or URL."""
        hidden = f".{name}.{os.getpid()}-{uuid.uuid4().hex[:12]}.tmp"  # skipped by dataset readers
        if self.fs is None:
            directory = self.root.joinpath(*parts)
            directory.mkdir(parents=True, exist_ok=True)
            temporary, final = directory / hidden, directory / name
            try:
                pa.parquet.write_table(table, temporary, compression=compression)
                os.replace(temporary, final)
            finally:
                temporary.unlink(missing_ok=True)
            return final
        directory = "/".join((self.root, *parts))
        temporary, final = f"{directory}/{hidden}", f"{directory}/{name}"
        self.fs.makedirs(directory, exist_ok=True)
        try:
            with self.fs.open(temporary, "wb") as file:
                pa.parquet.write_table(table, file, compression=compression)
            self.fs.mv(temporary, final)
        finally:
            if self.fs.exists(temporary):
                self.fs.rm(temporary)
        return f"{self.protocol}://{final}" if self.protocol != "file" else final


def to_parquet(
    source: str | os.PathLike[str] | Iterable[DataEvent[Any]],
    out_dir: str | os.PathLike[str],
    *,
    batch_events: int = 50_000,
    compression: str = "zstd",
    category: str | None = None,
    storage_options: dict[str, Any] | None = None,
) -> list[Any]:
    """Export a recording (a file, a directory of them, or any iterable of events) to Parquet, in a
    local directory or object storage.

    One table per kind of row (see :func:`table_name`), Hive-partitioned by category, topic and date:
    ``out_dir/<table>/category=<category>/topic=<topic>/date=<YYYY-MM-DD>/part-<first receive
    time>-<n>.parquet``, the category being the recording's endpoint (``linear``, ``spot``, ...,
    ``inverse``, ``contract``) and the date the UTC day the frames were received. Events from an
    iterable carry no endpoint: their ``category=`` level is the ``category`` argument, or left out
    when it is ``None``. Rows and columns are those of :func:`bybit_ws.to_dataframe` (prices as
    ``float64``, times as UTC timestamps in microseconds, enums as their wire strings, nested lists as
    JSON text); the partition columns live in the paths. Read a table, a month of it included, as one
    dataset::

        pandas.read_parquet("out/v5_trade")                      # category, topic, date as columns
        pyarrow.dataset.dataset("out/v5_trade", partitioning="hive")
        duckdb.sql("select * from read_parquet('out/v5_trade/**/*.parquet', hive_partitioning=true)")

    ``out_dir`` may be an fsspec URL: ``s3://bucket/prefix`` (extra ``[s3]``: s3fs), ``gs://...``
    (gcsfs), ``file:///...``; ``storage_options`` go to its filesystem (e.g. ``{"endpoint_url": ...,
    "key": ..., "secret": ...}`` for S3-compatible stores), else the usual credentials apply. Each file
    is written under a hidden temporary name (``.part-...tmp``, which dataset readers skip) and moved
    into place when complete, so readers never see half a file. Files get stable names, so exporting
    the same recording again overwrites them. Needs the ``[parquet]`` extra (pyarrow).

    Returns:
        The files written: local :class:`~pathlib.Path` objects, or URLs for an fsspec ``out_dir``.
    """
    pa = _pyarrow()
    if category is not None and (not category or "/" in category or "=" in category):
        raise ValueError(f"category must be a plain name, not {category!r}")
    if isinstance(source, (str, os.PathLike)):
        events: Iterable[tuple[str | None, DataEvent[Any]]] = _recorded_events(source)
    else:
        events = ((category, event) for event in source)
    target = _Target(out_dir, storage_options)
    buffers: dict[tuple[str, str | None, str, str], list[DataEvent[Any]]] = {}
    parts: dict[tuple[str, str | None, str, str], int] = {}
    written: list[Any] = []

    def write(key: tuple[str, str | None, str, str]) -> None:
        batch = buffers.pop(key)
        table, kind, topic, date = key
        parts[key] = number = parts.get(key, 0) + 1
        levels = (table, *(() if kind is None else (f"category={kind}",)), f"topic={topic}", f"date={date}")
        stamp = batch[0].timestamp.strftime("%Y%m%dT%H%M%S_%f")
        arrow = _arrow_table(pa, table_columns(batch), drop=("topic",))
        written.append(target.write(pa, arrow, levels, f"part-{stamp}-{number:04d}.parquet", compression))

    for kind, event in events:
        name = table_name(event.data)
        if name is None:
            continue
        key = (name, kind, event.topic, event.timestamp.strftime("%Y-%m-%d"))
        batch = buffers.get(key)
        if batch is None:
            batch = buffers[key] = []
        batch.append(event)
        if len(batch) >= batch_events:
            write(key)
    for key in list(buffers):
        write(key)
    return written
