"""Recordings to Parquet: one table per kind of row, Hive-partitioned by topic and date."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
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

from ._reader import read

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


def to_parquet(
    source: str | os.PathLike[str] | Iterable[DataEvent[Any]],
    out_dir: str | os.PathLike[str],
    *,
    batch_events: int = 50_000,
    compression: str = "zstd",
) -> list[Path]:
    """Export a recording (a file, a directory of them, or any iterable of events) to Parquet.

    One table per kind of row (see :func:`table_name`): ``out_dir/<table>/topic=<topic>/date=<YYYY-MM-DD>/
    part-<first receive time>-<n>.parquet``, the date being the UTC day the frames were received. Rows
    and columns are those of :func:`bybit_ws.to_dataframe` (prices as ``float64``, times as UTC
    timestamps in microseconds, enums as their wire strings, nested lists as JSON text); the
    ``topic`` and ``date`` columns live in the partition paths. Read a table, a month of it included,
    as one dataset::

        pandas.read_parquet("out/v5_trade")                      # topic and date come back as columns
        pyarrow.dataset.dataset("out/v5_trade", partitioning="hive")
        duckdb.sql("select * from read_parquet('out/v5_trade/**/*.parquet', hive_partitioning=true)")

    Files get stable names, so exporting the same recording again overwrites them. Needs the
    ``[parquet]`` extra (pyarrow). Returns the files written.
    """
    pa = _pyarrow()
    events = read(source) if isinstance(source, (str, os.PathLike)) else source
    out = Path(out_dir)
    buffers: dict[tuple[str, str, str], list[DataEvent[Any]]] = {}
    parts: dict[tuple[str, str, str], int] = {}
    written: list[Path] = []

    def write(key: tuple[str, str, str]) -> None:
        batch = buffers.pop(key)
        table, topic, date = key
        parts[key] = number = parts.get(key, 0) + 1
        directory = out / table / f"topic={topic}" / f"date={date}"
        directory.mkdir(parents=True, exist_ok=True)
        stamp = batch[0].timestamp.strftime("%Y%m%dT%H%M%S_%f")
        path = directory / f"part-{stamp}-{number:04d}.parquet"
        arrow = _arrow_table(pa, table_columns(batch), drop=("topic",))
        pa.parquet.write_table(arrow, path, compression=compression)
        written.append(path)

    for event in events:
        name = table_name(event.data)
        if name is None:
            continue
        key = (name, event.topic, event.timestamp.strftime("%Y-%m-%d"))
        batch = buffers.get(key)
        if batch is None:
            batch = buffers[key] = []
        batch.append(event)
        if len(batch) >= batch_events:
            write(key)
    for key in list(buffers):
        write(key)
    return written
