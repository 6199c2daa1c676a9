"""Parquet to object storage: ``to_parquet`` into an S3 bucket on moto's standalone server (a real HTTP
S3 endpoint on 127.0.0.1) and into ``file://`` URLs, Hive-partitioned by category, topic and date, each
file moved into place only when complete."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest

from bybit_ws.recording import Recorder, read, to_parquet

from .support import frame_text

s3fs = pytest.importorskip("s3fs", reason="s3fs is not installed (extra [s3])")

T0 = datetime(2024, 5, 1, 23, 59, 0, tzinfo=timezone.utc)
TRADE = frame_text("v5_public_trade").encode()
BOOK = frame_text("v5_orderbook_snapshot").encode()
LAYOUT = [
    "v5_order_book_update/category=linear/topic=orderbook.50.BTCUSDT/date=2024-05-01",
    "v5_order_book_update/category=linear/topic=orderbook.50.BTCUSDT/date=2024-05-02",
    "v5_trade/category=linear/topic=publicTrade.BTCUSDT/date=2024-05-01",
    "v5_trade/category=linear/topic=publicTrade.BTCUSDT/date=2024-05-02",
    "v5_trade/category=spot/topic=publicTrade.BTCUSDT/date=2024-05-01",
]


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    source = tmp_path / "rec"
    with Recorder(source, flush_interval=None) as rec:
        for i in range(0, 120, 10):  # crosses midnight UTC at 60 s
            rec.write(TRADE, T0 + timedelta(seconds=i), "v5.linear")
            rec.write(BOOK, T0 + timedelta(seconds=i), "v5.linear")
        rec.write(TRADE, T0, "v5.spot")
    return source


@pytest.fixture
def bucket(s3_server: str) -> Iterator[tuple[Any, dict[str, Any]]]:
    """An empty bucket ``archive`` on the S3 server: the filesystem and the storage options to reach it."""
    options = {
        "endpoint_url": s3_server,
        "key": "testing",
        "secret": "testing",
        "skip_instance_cache": True,
    }
    fs = s3fs.S3FileSystem(**options)
    fs.mkdir("archive")
    yield fs, options


def test_parquet_on_s3_reads_back_with_pyarrow(
    recording: Path, tmp_path: Path, bucket: tuple[Any, dict[str, Any]]
) -> None:
    fs, options = bucket
    urls = to_parquet(recording, "s3://archive/bybit", batch_events=4, storage_options=options)
    assert all(u.startswith("s3://archive/bybit/") and u.endswith(".parquet") for u in urls)
    keys = fs.find("archive/bybit")
    assert sorted(f"s3://{k}" for k in keys) == sorted(urls)  # no temporary key left behind
    layout = sorted({k.removeprefix("archive/bybit/").rsplit("/", 1)[0] for k in keys})
    assert layout == LAYOUT
    local = to_parquet(recording, tmp_path / "local", batch_events=4)
    assert len(local) == len(urls)
    remote = ds.dataset("archive/bybit/v5_trade", filesystem=fs, partitioning="hive").to_table()
    expected = ds.dataset(tmp_path / "local" / "v5_trade", partitioning="hive").to_table()
    order = [("received", "ascending"), ("category", "ascending")]
    assert remote.sort_by(order).to_pylist() == expected.sort_by(order).to_pylist()
    assert remote.num_rows == 13 and set(remote.column("category").to_pylist()) == {"linear", "spot"}


def test_a_failed_write_leaves_no_file_visible(recording: Path, bucket: tuple[Any, dict[str, Any]]) -> None:
    fs, options = bucket
    with pytest.raises(Exception, match=r"(?i)compression|codec"):
        to_parquet(recording, "s3://archive/broken", compression="no-such-codec", storage_options=options)
    assert fs.find("archive/broken") == []


def test_file_urls_and_local_paths_are_written_the_same_way(recording: Path, tmp_path: Path) -> None:
    urls = to_parquet(recording, f"file://{tmp_path}/by-url", batch_events=4)
    paths = to_parquet(recording, tmp_path / "by-path", batch_events=4)
    assert sorted(Path(u).relative_to(tmp_path / "by-url") for u in urls) == sorted(
        p.relative_to(tmp_path / "by-path") for p in paths
    )
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".")]  # no temporary file left
    with pytest.raises(Exception, match=r"(?i)compression|codec"):
        to_parquet(recording, tmp_path / "broken", compression="no-such-codec")
    assert [p for p in (tmp_path / "broken").rglob("*") if p.is_file()] == []


def test_events_without_an_endpoint_take_the_category_given(recording: Path, tmp_path: Path) -> None:
    linear = list(read(recording))[:-1]  # the spot frame is the last one written, at T0
    written = to_parquet(linear, tmp_path / "a", category="linear")
    assert sorted({str(p.parent.relative_to(tmp_path / "a")) for p in written}) == LAYOUT[:4]
    plain = to_parquet(linear, tmp_path / "b")
    assert all("category=" not in str(p) for p in plain)
    with pytest.raises(ValueError, match="category"):
        to_parquet(linear, tmp_path / "c", category="a/b")
    with pytest.raises(ValueError, match="storage_options"):
        to_parquet(linear, tmp_path / "d", storage_options={"key": "x"})
