"""Event metadata (#17 item 3): every family's events carry the frame's exchange time
(``exchange_timestamp``: v5 ``ts`` / ``creationTime``, inverse ``timestamp_e6``) and its own type
(``update_type``), on the typed and the dict path alike, live through FakeBybit and read back from a
recording; ``timestamp`` stays the receive time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from bybit_ws import DataEvent, UpdateType, recording
from bybit_ws.dialects._base import Dialect
from bybit_ws.dialects._contract import ContractDialect
from bybit_ws.dialects._inverse import InverseDialect
from bybit_ws.dialects._v5 import V5Dialect
from bybit_ws.models.v5 import Ticker
from bybit_ws.testing import FakeBybit

from .support import API_KEY, API_SECRET, Collector, clients_for, frame_text

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# fixture frame -> (fake dialect, urls key); every data frame of a family the library parses
V5_PUBLIC = [
    "v5_public_trade", "v5_all_liquidation", "v5_kline", "v5_orderbook_snapshot", "v5_orderbook_delta",
    "v5_ticker_linear_snapshot", "v5_ticker_linear_futures_snapshot", "v5_insurance", "v5_adl_alert",
    "v5_price_limit", "v5_orderbook_rpi_delta",
]  # fmt: skip
V5_PRIVATE = ["v5_order", "v5_position", "v5_execution", "v5_wallet", "v5_execution_fast", "v5_greeks"]
INVERSE = [
    "inverse_trade", "inverse_trade_observed", "inverse_instrument_info_snapshot",
    "inverse_instrument_info_snapshot_observed", "inverse_orderbook25_snapshot", "inverse_orderbook25_delta",
    "inverse_orderbook25_delta_observed", "inverse_orderbook200_snapshot", "inverse_orderbook200_delta",
    "inverse_insurance", "inverse_kline", "inverse_kline_observed", "inverse_liquidation", "inverse_position",
    "inverse_execution", "inverse_order", "inverse_stop_order", "inverse_wallet",
]  # fmt: skip
CONTRACT = ["contract_execution", "contract_order", "contract_position", "contract_wallet"]
FRAMES = (
    [(name, "v5", "v5.linear") for name in V5_PUBLIC]
    + [(name, "v5", "v5.private") for name in V5_PRIVATE]
    + [("v5_system_status", "v5", "v5.status")]
    + [(name, "inverse", "inverse") for name in INVERSE]
    + [(name, "contract", "contract") for name in CONTRACT]
)


def dialect_of(key: str) -> Dialect:
    if key == "inverse":
        return InverseDialect()
    if key == "contract":
        return ContractDialect()
    return V5Dialect(key[3:])


def expected_stamp(raw: dict[str, Any]) -> datetime | None:
    """The exchange time of a frame, worked out here from its keys."""
    for key, unit in (("ts", 1000), ("creationTime", 1000), ("timestamp_e6", 1)):
        if key in raw:
            return EPOCH + timedelta(microseconds=int(raw[key]) * unit)
    return None


def expected_type(raw: dict[str, Any]) -> UpdateType | None:
    data = raw.get("data")
    if raw["topic"].startswith("orderbook.") and isinstance(data, dict) and data.get("u") == 1:
        return UpdateType.SNAPSHOT  # a v5 book restart
    return {"snapshot": UpdateType.SNAPSHOT, "delta": UpdateType.DELTA}.get(raw.get("type"))  # type: ignore[arg-type]


def compact(raw: dict[str, Any]) -> str:
    """The frame as Bybit sends it, ``{"topic":"...`` first: the typed path's shape."""
    return json.dumps(raw, separators=(",", ":"))


def topic_last(raw: dict[str, Any]) -> str:
    """The same frame with its topic last: the reader takes the dict path for it."""
    return json.dumps({**{k: v for k, v in raw.items() if k != "topic"}, "topic": raw["topic"]})


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, FakeBybit]]:
    started = {
        name: FakeBybit(name, api_key=API_KEY, api_secret=API_SECRET)
        for name in ("v5", "inverse", "contract")
    }
    try:
        for fake in started.values():
            fake.start()
        yield started
    finally:
        for fake in started.values():
            fake.close()


@pytest.mark.parametrize(("name", "family", "key"), FRAMES)
def test_every_family_carries_the_frames_time_and_type(
    fakes: dict[str, FakeBybit], name: str, family: str, key: str
) -> None:
    raw = json.loads(frame_text(name))
    topic = raw["topic"]
    dialect = dialect_of(key)
    spec = dialect.topic_spec(topic)
    assert spec is not None, name
    fake = fakes[family]
    with clients_for(fake, api_key=API_KEY, api_secret=API_SECRET) as make:
        client = make()
        streams = {"v5": client.v5, "inverse": client.inverse, "contract": client.contract}[family]
        got = Collector()
        handlers = {"data": got, "snapshot": got, "delta": got}
        sub = streams._subscribe(key, [topic], handlers, private=spec.private, dialect=dialect)
        texts = [compact(raw), topic_last(raw)]
        for text in texts:
            assert fake.send_raw(text, path=key) == 1
        events = got.wait(2)
        sub.close()
    parser = recording.FrameParser()
    for text, event in zip(texts, events, strict=True):
        assert event.topic == topic
        assert event.exchange_timestamp == expected_stamp(raw), text
        assert event.update_type == expected_type(raw), text
        assert event.timestamp != event.exchange_timestamp  # the receive time, now
        # recording.read() builds the same event from the same frame
        again = parser.event(key, topic, text.encode(), event.timestamp)
        assert again is not None
        assert again == event  # new_event, which the reader's inline build follows


def test_a_merged_ticker_from_a_delta_frame_is_a_delta() -> None:
    with FakeBybit("v5") as fake, clients_for(fake) as make:
        got = Collector()
        make().v5.subscribe_to_ticker_updates("linear", "BTCUSDT", got)
        fake.publish("tickers.BTCUSDT", {"symbol": "BTCUSDT", "lastPrice": "100"}, path="v5.linear", ts=1_000)
        fake.publish(
            "tickers.BTCUSDT", {"symbol": "BTCUSDT", "bid1Price": "99"}, path="v5.linear", type="delta"
        )
        first, second = got.wait(2)
    assert isinstance(second.data, Ticker) and str(second.data.last_price) == "100"  # merged
    assert (first.update_type, second.update_type) == (UpdateType.SNAPSHOT, UpdateType.DELTA)
    assert first.exchange_timestamp == EPOCH + timedelta(seconds=1)


@pytest.mark.parametrize("stamp", ["not a time", [1, 2], True])
def test_an_odd_stamp_loses_only_the_stamp(stamp: Any) -> None:
    with FakeBybit("v5") as fake, clients_for(fake) as make:
        got = Collector()
        make().v5.subscribe_to_trade_updates("linear", "BTCUSDT", got)
        trade = {"T": 1672304486865, "s": "BTCUSDT", "S": "Buy", "v": "0.001", "p": "16578.50", "i": "x"}
        fake.publish("publicTrade.BTCUSDT", [trade], path="v5.linear", ts=stamp, type=["odd"])
        (event,) = got.wait(1)
    assert event.data[0].symbol == "BTCUSDT"
    assert (event.exchange_timestamp, event.update_type) == (None, None)


def test_recording_read_sets_the_same_fields(tmp_path: Path) -> None:
    received = datetime(2026, 7, 1, tzinfo=timezone.utc)
    with recording.Recorder(tmp_path) as recorder:
        for name, key in (("v5_orderbook_delta", "v5.linear"), ("v5_order", "v5.private")):
            recorder.write(compact(json.loads(frame_text(name))).encode(), received, key)
        recorder.write(frame_text("inverse_kline_observed").encode(), received, "inverse")
    events = list(recording.read(tmp_path))
    assert [e.update_type for e in events] == [UpdateType.DELTA, None, None]
    assert [e.exchange_timestamp for e in events] == [
        EPOCH + timedelta(milliseconds=1687940967466),
        EPOCH + timedelta(milliseconds=1672364262474),
        EPOCH + timedelta(microseconds=1683309102077887),
    ]
    assert all(e.timestamp == received for e in events)


def test_data_event_keeps_its_positional_fields() -> None:
    event: DataEvent[int] = DataEvent(1, "t", EPOCH, "text")
    assert (event.exchange_timestamp, event.update_type, event.original_data) == (None, None, "text")
    assert "update_type=None" in repr(event)


def test_to_dataframe_has_the_metadata_columns() -> None:
    pytest.importorskip("pandas")
    from bybit_ws import to_dataframe

    parser = recording.FrameParser()
    text = compact(json.loads(frame_text("v5_public_trade")))
    event = parser.event("v5.linear", "publicTrade.BTCUSDT", text.encode(), EPOCH)
    frame = to_dataframe([event])
    assert frame["update_type"].tolist() == ["snapshot"]
    assert str(frame["exchange_timestamp"].iloc[0]) == "2022-12-29 09:01:26.868000+00:00"


def test_the_exchange_time_is_made_when_first_read_and_behaves_as_a_field() -> None:
    """The reader stores the raw stamp with its converter; reading, comparing, repr, asdict, pickling
    and to_builtins all see the datetime, made once."""
    import pickle

    import attrs

    from bybit_ws import to_builtins
    from bybit_ws._convert import time_ms
    from bybit_ws.engine._framepath import new_event

    calls: list[Any] = []

    def counting(raw: Any) -> datetime | None:
        calls.append(raw)
        return time_ms(raw)

    received = datetime(2024, 1, 1, tzinfo=timezone.utc)
    event = new_event("data", [1], "t", received, None, 1704067200123, "delta", counting)
    expected = datetime(2024, 1, 1, 0, 0, 0, 123000, tzinfo=timezone.utc)
    assert type(event) is DataEvent
    assert event.exchange_timestamp == expected and event.exchange_timestamp == expected
    assert calls == [1704067200123]  # converted once, then kept
    assert event == DataEvent([1], "t", received, None, expected, UpdateType.DELTA)
    assert "exchange_timestamp=datetime.datetime(2024, 1, 1, 0, 0, 0, 123000" in repr(event)
    assert attrs.asdict(event)["exchange_timestamp"] == expected
    assert pickle.loads(pickle.dumps(event)) == event
    unread = new_event("data", [1], "t", received, None, 1704067200123, None, time_ms)
    assert to_builtins(unread)["exchange_timestamp"] == "2024-01-01T00:00:00.123000+00:00"
    assert new_event("data", [1], "t", received, None, "not a time", None, time_ms).exchange_timestamp is None
    assert new_event("data", [1], "t", received, None, None, None, time_ms).exchange_timestamp is None
