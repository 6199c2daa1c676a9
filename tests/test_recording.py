"""Recording: the Recorder's files (rotation, compression, crash safety), reading them back as the live
client's events, and the Parquet export."""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.dataset as ds
import pytest

import bybit_ws
from bybit_ws import DataEvent, to_dataframe
from bybit_ws.recording import Recorder, frames, read, to_parquet
from bybit_ws.testing import FakeBybit

from .support import Collector, clients_for, frame, frame_text

T0 = datetime(2024, 5, 1, 23, 59, 0, tzinfo=timezone.utc)
TRADE = frame_text("v5_public_trade").encode()
BOOK = frame_text("v5_orderbook_snapshot").encode()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def v5_fake() -> Iterator[FakeBybit]:
    with FakeBybit("v5") as server:
        yield server


def test_read_gives_what_the_live_client_delivered(v5_fake: FakeBybit, tmp_path: Path) -> None:
    """Record a real session (``client.record``: every raw frame, from the reader), then read it back
    offline: the same typed events, merged tickers and order books included."""
    live: dict[str, list[DataEvent[Any]]] = {}
    with Recorder(tmp_path, compression="zstd") as recorder, clients_for(v5_fake) as make:
        client = make()
        client.record(recorder)
        handler = got = Collector()

        client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", handler)
        client.v5.subscribe_to_ticker_updates("linear", "BTCUSDT", handler)
        client.v5.subscribe_to_order_book_updates("linear", "BTCUSDT", 50, handler, handler)
        trade, ticker, book = (
            frame("v5_public_trade"),
            frame("v5_ticker_linear_snapshot"),
            frame("v5_orderbook_snapshot"),
        )
        v5_fake.publish_frame(trade, path="v5.linear")
        v5_fake.publish_frame(ticker, path="v5.linear")
        v5_fake.publish("tickers.BTCUSDT", {"symbol": "BTCUSDT", "lastPrice": "66700.1"}, type="delta")
        v5_fake.publish("tickers.BTCUSDT", {"symbol": "BTCUSDT", "ask1Price": "66701"}, type="delta")
        v5_fake.publish_frame(book, path="v5.linear")
        delta = {"s": "BTCUSDT", "b": [["16493.50", "0"]], "a": [["16611.00", "0.1"]], "u": 18521289}
        v5_fake.publish("orderbook.50.BTCUSDT", delta, type="delta", cts=1672304484978)
        for event in got.wait(6):
            live.setdefault(event.topic, []).append(event)
    read_back: dict[str, list[DataEvent[Any]]] = {}
    for event in read(tmp_path):
        read_back.setdefault(event.topic, []).append(event)
    assert set(read_back) == set(live) == {"publicTrade.BTCUSDT", "tickers.BTCUSDT", "orderbook.50.BTCUSDT"}
    for topic, events in live.items():
        assert [(e.data, e.topic, e.timestamp) for e in read_back[topic]] == [
            (e.data, e.topic, e.timestamp) for e in events
        ], topic
    assert (
        read_back["tickers.BTCUSDT"][-1].data.best_ask_price
        == live["tickers.BTCUSDT"][-1].data.best_ask_price
    )
    kept = list(read(tmp_path, keep_original_data=True))
    assert all(e.original_data for e in kept)


def test_a_subscription_records_its_own_topics_only(v5_fake: FakeBybit, tmp_path: Path) -> None:
    with Recorder(tmp_path, compression="gzip") as recorder, clients_for(v5_fake) as make:
        client = make()
        trades, tickers = Collector(), Collector()
        recorded = client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", trades)
        client.v5.subscribe_to_ticker_updates("linear", "BTCUSDT", tickers)
        recorded.record(recorder)
        v5_fake.publish_frame(frame("v5_public_trade"), path="v5.linear")
        v5_fake.publish_frame(frame("v5_ticker_linear_snapshot"), path="v5.linear")
        trades.wait(1)
        tickers.wait(1)
        recorded.close()  # ends the recording too: later trades are not recorded
        client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", trades)
        v5_fake.publish_frame(frame("v5_public_trade"), path="v5.linear")
        trades.wait(2)
    events = list(read(tmp_path))
    assert [(e.topic, e.data) for e in events] == [("publicTrade.BTCUSDT", trades.events[0].data)]


def test_stop_recording_keeps_what_was_recorded(v5_fake: FakeBybit, tmp_path: Path) -> None:
    with Recorder(tmp_path, compression="none") as recorder, clients_for(v5_fake) as make:
        client = make()
        client.record(recorder)
        got = Collector()
        client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", got)
        v5_fake.publish_frame(frame("v5_public_trade"), path="v5.linear")
        got.wait(1)
        client.stop_recording(recorder)
        v5_fake.publish_frame(frame("v5_public_trade"), path="v5.linear")
        got.wait(2)
    assert len(list(read(tmp_path))) == 1


def test_file_format_header_and_lines(tmp_path: Path) -> None:
    """Format 3: a JSON frame stored verbatim as the line's ``frame``; a frame that is not a one-line
    JSON object as its text (a JSON string), one that is not UTF-8 as ``frame64`` (base64)."""
    pretty = b'{"topic":"tickers.Y",\n "data":{}}'  # JSON, but on two lines
    binary = b'{"topic":"t.1","data":"\xff"}'  # not UTF-8
    trade = json.dumps(json.loads(TRADE), separators=(",", ":")).encode()  # as Bybit sends it: one line
    with Recorder(
        tmp_path, compression="none", metadata={"api": "v5", "topics": ["publicTrade.BTCUSDT"]}
    ) as rec:
        rec.write(trade, at(0), "v5.linear")
        rec.write(
            b'{"success":true,"ret_msg":"","op":"subscribe"}', at(0), "v5.linear"
        )  # control: not recorded
        rec.write(b'{"type":"snapshot","topic":"tickers.X","data":{}}', at(1), "v5.linear")  # topic not first
        rec.write(pretty, at(2), "v5.linear")
        rec.write(binary, at(3), "v5.linear")
    assert (rec.frames, rec.skipped) == (4, 1)
    (path,) = rec.files
    assert path.name.endswith(".jsonl") and path.name.startswith("bybit_ws-20240501T235900_000000Z")
    raw_lines = path.read_bytes().splitlines()
    header, *lines = [json.loads(line) for line in raw_lines]
    assert header == {
        "bybit_ws_recording": 4,  # frames written alone: format-3 lines
        "t": T0.timestamp(),
        "api": "v5",
        "topics": ["publicTrade.BTCUSDT"],
    }
    assert raw_lines[1] == b'{"t":%r,"key":"v5.linear","topic":"publicTrade.BTCUSDT","frame":%b}' % (
        T0.timestamp(),
        trade,
    )
    assert lines[0] == {
        "t": T0.timestamp(),
        "key": "v5.linear",
        "topic": "publicTrade.BTCUSDT",
        "frame": json.loads(TRADE),
    }
    assert lines[1]["topic"] == "tickers.X"
    assert lines[2]["frame"] == pretty.decode()
    assert base64.b64decode(lines[3]["frame64"]) == binary and "frame" not in lines[3]
    assert [f.data for f in frames(path)] == [
        trade,
        b'{"type":"snapshot","topic":"tickers.X","data":{}}',
        pretty,
        binary,
    ]


def test_rotation_by_size(tmp_path: Path) -> None:
    with Recorder(tmp_path, compression="none", rotate_bytes=3 * len(TRADE), flush_interval=None) as rec:
        for i in range(10):
            rec.write(TRADE, at(i), "v5.linear")
    assert len(rec.files) >= 3
    assert rec.bytes_written == sum(p.stat().st_size for p in rec.files)
    assert all(p.stat().st_size < 6 * len(TRADE) for p in rec.files)
    assert [f.t for f in frames(tmp_path)] == [at(i).timestamp() for i in range(10)]


def test_rotation_by_time_follows_the_receive_times(tmp_path: Path) -> None:
    with Recorder(tmp_path, compression="gzip", rotate_seconds=60, flush_interval=None) as rec:
        for seconds in (0, 30, 59.5, 60, 100, 185):  # T0 is on a minute: periods 0, 0, 0, 1, 1, 3
            rec.write(TRADE, at(seconds), "v5.linear")
    assert [p.name[9:24] for p in rec.files] == ["20240501T235900", "20240502T000000", "20240502T000205"]
    assert [len(list(frames(p))) for p in rec.files] == [3, 2, 1]
    assert len(list(read(tmp_path))) == 6


@pytest.mark.parametrize("compression", ["zstd", "gzip", "none"])
def test_a_crash_loses_nothing_flushed(tmp_path: Path, compression: str) -> None:
    """Copies of the file taken mid-write (as a crash leaves it), cut anywhere after the last flush
    (inside a compressed block, inside a line), read back every frame written before that flush."""
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    with Recorder(tmp_path / "live", compression=compression, flush_interval=None) as rec:
        for i in range(200):
            rec.write(TRADE, at(i), "v5.linear")
        rec.flush()
        (path,) = rec.files
        flushed = path.stat().st_size
        unflushed: list[bytes] = []
        while path.stat().st_size < flushed + 2000:  # until the compressor emits part of a block
            data = json.dumps({"topic": "publicTrade.X", "data": [], "noise": os.urandom(64).hex()}).encode()
            rec.write(data, at(200 + len(unflushed)), "v5.linear")
            unflushed.append(data)
        data = path.read_bytes()
        for keep in (flushed, flushed + 1, (flushed + len(data)) // 2, len(data) - 3):
            copy = crashed / f"{keep}-{path.name}"
            copy.write_bytes(data[:keep])
            got = list(frames(copy))
            assert len(got) >= 200
            assert [f.t for f in got[:200]] == [at(i).timestamp() for i in range(200)]
            assert all(f.text.encode() == TRADE for f in got[:200])
            assert [f.text.encode() for f in got[200:]] == unflushed[: len(got) - 200]
    assert len(list(frames(path))) == 200 + len(unflushed)  # closed cleanly: everything


def test_a_directory_merges_its_files_in_time_order(tmp_path: Path) -> None:
    with (
        Recorder(tmp_path, prefix="a", rotate_seconds=10, flush_interval=None) as a,
        Recorder(tmp_path, prefix="b", compression="gzip", flush_interval=None) as b,
    ):
        for i in range(0, 40, 2):
            a.write(TRADE, at(i), "v5.linear")
            b.write(BOOK, at(i + 1), "v5.linear")
    (tmp_path / "notes.txt").write_text("not a recording")
    got = list(frames(tmp_path))
    assert [f.t for f in got] == [at(i).timestamp() for i in range(40)]
    assert [f.topic for f in got[:2]] == ["publicTrade.BTCUSDT", "orderbook.50.BTCUSDT"]


def test_reads_the_cli_record_format(tmp_path: Path) -> None:
    """``stream --record`` files (format 1: header, then t/key/url/topic/frame lines) read back."""
    path = tmp_path / "session.jsonl"
    header = {"bybit_ws_recording": 1, "api": "inverse", "topics": ["trade.BTCUSD"], "t": 1.0}
    line = {
        "t": 2.5,
        "key": "inverse",
        "url": "wss://x/realtime",
        "topic": "trade.BTCUSD",
        "frame": frame_text("inverse_trade"),
    }
    path.write_text(json.dumps(header) + "\n" + json.dumps(line) + "\n")
    (event,) = read(path)
    assert event.topic == "trade.BTCUSD" and event.timestamp == datetime(
        1970, 1, 1, 0, 0, 2, 500000, tzinfo=timezone.utc
    )
    assert event.data[0].symbol == "BTCUSD"


def test_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="compression"):
        Recorder(tmp_path, compression="lz4")
    with pytest.raises(ValueError, match="rotate_bytes"):
        Recorder(tmp_path, rotate_bytes=0)
    other = tmp_path / "other.jsonl"
    other.write_text('{"hello": 1}\n')
    with pytest.raises(ValueError, match="not a bybit_ws recording"):
        list(read(other))
    rec = Recorder(tmp_path / "r")
    rec.close()
    rec.write(TRADE, at(0), "v5.linear")  # a reader thread outliving the recorder: dropped, counted
    assert rec.skipped == 1 and rec.frames == 0
    rec.close()


def test_unparsable_and_unknown_frames_are_skipped(tmp_path: Path) -> None:
    with Recorder(tmp_path, flush_interval=None) as rec:
        rec.write(b'{"topic":"publicTrade.BTCUSDT","data":[{"nonsense":1}]}', at(0), "v5.linear")
        rec.write(b'{"topic":"mystery.X","data":[]}', at(1), "v5.linear")
        rec.write(b'{"topic":"publicTrade.BTCUSDT"}', at(2), "v9.moon")
        rec.write(TRADE, at(3), "v5.linear")
    (event,) = read(tmp_path)
    assert event.timestamp == at(3)


def test_background_flush_makes_frames_readable_while_recording(tmp_path: Path) -> None:
    with Recorder(tmp_path, compression="zstd", flush_interval=0.01) as rec:
        rec.write(TRADE, at(0), "v5.linear")
        from .support import wait_until

        wait_until(lambda: len(list(frames(rec.files[0]))) == 1, message="a background flush")


def test_parquet_layout_and_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "rec"
    with Recorder(source, flush_interval=None) as rec:
        for i in range(0, 120, 10):  # crosses midnight UTC at 60 s
            rec.write(TRADE, at(i), "v5.linear")
            rec.write(BOOK, at(i), "v5.linear")
    out = tmp_path / "parquet"
    written = to_parquet(source, out, batch_events=4)
    layout = sorted({str(p.parent.relative_to(out)) for p in written})
    assert layout == [
        "v5_order_book_update/category=linear/topic=orderbook.50.BTCUSDT/date=2024-05-01",
        "v5_order_book_update/category=linear/topic=orderbook.50.BTCUSDT/date=2024-05-02",
        "v5_trade/category=linear/topic=publicTrade.BTCUSDT/date=2024-05-01",
        "v5_trade/category=linear/topic=publicTrade.BTCUSDT/date=2024-05-02",
    ]
    assert len(written) == 8  # 6 events per day and table, 4 per part
    trades = pd.read_parquet(out / "v5_trade").sort_values("received", kind="stable").reset_index(drop=True)
    expected = to_dataframe([e for e in read(source) if e.topic.startswith("publicTrade")])
    assert len(trades) == len(expected) == 12
    for column in ("received", "timestamp", "price", "quantity", "side", "id", "sequence"):
        assert list(trades[column]) == list(expected[column]), column
    assert set(trades["topic"].astype(str)) == {"publicTrade.BTCUSDT"}
    assert set(trades["category"].astype(str)) == {"linear"}
    assert sorted(set(trades["date"].astype(str))) == ["2024-05-01", "2024-05-02"]
    book = ds.dataset(out / "v5_order_book_update", partitioning="hive").to_table().to_pandas()
    assert len(book) == 12 * 4 and set(book["side"]) == {"Buy", "Sell"}
    assert to_parquet(source, out, batch_events=4) == written  # stable names: a rerun overwrites


def test_recording_is_reachable_from_the_package() -> None:
    assert bybit_ws.recording.read is read
    for name in bybit_ws.recording.__all__:
        assert getattr(bybit_ws.recording, name).__doc__, name


def test_recordings_copy_and_read_anywhere(tmp_path: Path) -> None:
    with Recorder(tmp_path / "a", flush_interval=None) as rec:
        rec.write(TRADE, at(0), "v5.linear")
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    assert [e.data for e in read(tmp_path / "b")] == [e.data for e in read(tmp_path / "a")]


def test_batches_compressed_off_the_writers_keep_every_frame_in_order(tmp_path: Path) -> None:
    """Lines are compressed in batches by the flusher thread (or by a writer that got too far ahead):
    two writers, many batches and size rotation later, every frame reads back, each writer's in order."""
    import threading

    per_writer = 3000
    with Recorder(tmp_path, compression="zstd", rotate_bytes=200_000, flush_interval=0.05) as rec:

        def writer(offset: int) -> None:
            for i in range(per_writer):
                rec.write(TRADE, at(offset + i * 0.001), "v5.linear")

        threads = [threading.Thread(target=writer, args=(k * 10,), name=f"test-writer-{k}") for k in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert rec.frames == 2 * per_writer and len(rec.files) > 1
    times = [f.t for path in rec.files for f in frames(path)]  # file by file, each in written order
    assert len(times) == 2 * per_writer
    for offset in (0, 10):
        mine = [t for t in times if at(offset).timestamp() <= t < at(offset + 9).timestamp()]
        assert mine == sorted(mine) and len(mine) == per_writer
    assert rec.bytes_written == sum(p.stat().st_size for p in rec.files)
