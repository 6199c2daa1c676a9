"""The typed fast path (msgspec decodes a whole frame into structs) builds exactly what the dict path
builds, on every fixture and on random frames; frames it cannot take fall back to the dict path."""

from __future__ import annotations

import json
import random
import typing
from decimal import Decimal
from typing import Any

import attrs
import msgspec
import pytest

from bybit_ws import BybitSocketClient, FrameError
from bybit_ws.dialects._base import Dialect, TopicSpec
from bybit_ws.dialects._contract import ContractDialect
from bybit_ws.dialects._inverse import InverseDialect, _entry_schema
from bybit_ws.dialects._inverse import _ticker_schema as InverseTicker
from bybit_ws.dialects._v5 import V5Dialect
from bybit_ws.dialects._v5 import _ticker_schema as V5Ticker
from bybit_ws.engine._framepath import TYPED_RETRY, decode_frame
from bybit_ws.engine._stream_connection import StreamConnection
from bybit_ws.models import DataEvent, DeltaUpdate
from bybit_ws.models.inverse import TradeUpdate
from bybit_ws.testing import FakeBybit

from .support import FRAMES, Collector, wait_until

DIALECTS: dict[str, list[Dialect]] = {
    "inverse": [InverseDialect()],
    "contract": [ContractDialect()],
    "v5": [V5Dialect("linear"), V5Dialect("private")],
}


def _typed_spec(name: str, topic: str) -> TopicSpec | None:
    for dialect in DIALECTS[name.split("_", 1)[0]]:
        spec = dialect.topic_spec(topic)
        if spec is not None and spec.typed is not None:
            return spec
    return None


def _data_fixtures() -> list[str]:
    names = []
    for path in sorted(FRAMES.glob("*.json")):
        text = path.read_text()
        topic = json.loads(text).get("topic")
        if isinstance(topic, str) and _typed_spec(path.stem, topic) is not None:
            names.append(path.stem)
    return names


TYPED_FIXTURES = _data_fixtures()


def _both(spec: TopicSpec, data: bytes) -> tuple[Any, Any]:
    """(dict path result or its exception type, typed path result or its exception type)."""
    assert spec.typed is not None
    try:
        frame = decode_frame(data)
        by_dict: Any = spec.parse(frame, frame["topic"], {})
    except Exception as exc:
        by_dict = type(exc)
    try:
        by_struct: Any = spec.typed.parse(spec.typed.decode(data), {})
    except Exception as exc:
        by_struct = type(exc)
    return by_dict, by_struct


def test_the_fixtures_cover_every_typed_topic_family() -> None:
    families = {
        name.split("_")[0] + ":" + json.loads((FRAMES / f"{name}.json").read_text())["topic"].split(".")[0]
        for name in TYPED_FIXTURES
    }
    assert {
        "inverse:trade",
        "inverse:orderBookL2_25",
        "inverse:orderBook_200",
        "v5:publicTrade",
        "v5:orderbook",
        "inverse:instrument_info",
        "v5:tickers",
    } <= families
    assert len(TYPED_FIXTURES) >= 15


@pytest.mark.parametrize("name", TYPED_FIXTURES)
def test_typed_path_equals_dict_path_on_fixtures(name: str) -> None:
    compact = msgspec.json.format((FRAMES / f"{name}.json").read_bytes(), indent=-1)
    spec = _typed_spec(name, decode_frame(compact)["topic"])
    assert spec is not None
    by_dict, by_struct = _both(spec, compact)
    assert not isinstance(by_dict, type), f"the fixture does not parse: {by_dict}"
    if isinstance(by_struct, type):  # a fixture the schema does not fit (e.g. "" decimals): dict path
        assert issubclass(by_struct, ValueError)
        return
    assert by_struct == by_dict
    assert repr(by_struct) == repr(by_dict)  # same Decimal exponents, same enum members, same types


def _random_value(rng: random.Random, kind: str) -> Any:
    choices: list[Any] = [None, "", "x", True, 0, -3, 12345678901234567890, 1.5, "2.50", "1e3", [], {}]
    if kind == "price":
        choices += [8098, 8098.5, "8098.50", 0.1, "NaN", "1_000"]
    elif kind == "time":
        choices += [1582793344685, "1582793344685", "2020-01-12T16:59:59.000Z", "2020-01-12T16:59:59Z"]
    elif kind == "side":
        choices += ["Buy", "Sell", "buy", "Short"]
    return rng.choice(choices)


def _random_trade(rng: random.Random) -> dict[str, Any]:
    trade: dict[str, Any] = {
        "timestamp": "2020-01-12T16:59:59.000Z",
        "trade_time_ms": 1582793344685,
        "symbol": "BTCUSD",
        "side": "Sell",
        "size": 328,
        "price": 8098,
        "tick_direction": "MinusTick",
        "trade_id": "00c706e1-ba52-5bb0-98d0-bf694bdc69f7",
        "cross_seq": 1052816407,
    }
    for key, kind in rng.sample(
        [
            ("timestamp", "time"),
            ("trade_time_ms", "time"),
            ("symbol", ""),
            ("side", "side"),
            ("size", "price"),
            ("price", "price"),
            ("tick_direction", "side"),
            ("cross_seq", ""),
        ],
        rng.randint(0, 3),
    ):
        if rng.random() < 0.2:
            del trade[key]
        else:
            trade[key] = _random_value(rng, kind)
    return trade


def test_typed_path_never_disagrees_with_the_dict_path_on_random_frames() -> None:
    spec = InverseDialect().topic_spec("trade.BTCUSD")
    assert spec is not None
    rng = random.Random(7)
    texts = (
        _compact({"topic": "trade.BTCUSD", "data": [_random_trade(rng) for _ in range(rng.randint(1, 3))]})
        for _ in range(5000)
    )
    # the typed path may only refuse (the engine then uses the dict path), never differ
    outcomes = _exact_lenient_or_dict(spec, texts)
    assert min(outcomes.values()) >= 10, outcomes  # every branch was exercised (ints: mostly lenient)


def _random_v5_trade(rng: random.Random) -> dict[str, Any]:
    trade: dict[str, Any] = {
        "T": 1683308606958,
        "s": "BTCUSDT",
        "S": "Buy",
        "v": "0.005",
        "p": "29999.90",
        "L": "MinusTick",
        "i": "7b297d0b-0e5e-48ba-b320-cd576d14475b",
        "BT": False,
        "seq": 1783284621,
    }
    kinds = [("T", "time"), ("s", ""), ("S", "side"), ("v", "price"), ("p", "price"), ("L", "side")]
    kinds += [
        ("i", ""),
        ("BT", ""),
        ("RPI", ""),
        ("seq", ""),
        ("mP", "price"),
        ("iP", "price"),
        ("iv", "price"),
    ]
    for key, kind in rng.sample(kinds, rng.randint(0, 3)):
        if rng.random() < 0.2:
            trade.pop(key, None)
        else:
            trade[key] = _random_value(rng, kind)
    return trade


def _exact_lenient_or_dict(spec: TopicSpec, texts: Any) -> dict[str, int]:
    """Each frame through the exact schema (or its lenient fallback) and through the dict path: the
    same result, or both refuse; returns how often each way was taken."""
    assert spec.typed is not None
    exact = spec.typed.envelopes[0]
    outcomes = {"exact": 0, "lenient": 0, "fallback": 0, "both fail": 0}
    for text in texts:
        by_dict, by_struct = _both(spec, text)
        if isinstance(by_struct, type):
            outcomes["both fail" if isinstance(by_dict, type) else "fallback"] += 1
            continue
        assert not isinstance(by_dict, type), f"typed path accepted what the dict path rejects: {text!r}"
        assert repr(by_struct) == repr(by_dict), text
        outcomes["exact" if type(spec.typed.decode(text)) is exact else "lenient"] += 1
    return outcomes


def test_the_exact_v5_trade_path_never_disagrees_with_the_dict_path_on_random_frames() -> None:
    """The exact schema (final types decoded in C), its lenient fallback and the dict path: the same
    trades, or all refuse, for any values (numbers as text, "" flags, unknown or "" enum values)."""
    spec = V5Dialect("linear").topic_spec("publicTrade.BTCUSDT")
    assert spec is not None
    rng = random.Random(5)
    texts = (
        _compact(
            {
                "topic": "publicTrade.BTCUSDT",
                "ts": 1683308606961,
                "data": [_random_v5_trade(rng) for _ in range(rng.randint(1, 3))],
            }
        )
        for _ in range(5000)
    )
    outcomes = _exact_lenient_or_dict(spec, texts)
    assert min(outcomes.values()) >= 20, outcomes  # every branch was exercised


def test_the_exact_v5_book_path_never_disagrees_with_the_dict_path_on_random_frames() -> None:
    """Order-book frames with any values in any place: the exact schema, its lenient fallback and the
    dict path build the same book (kind included), or all refuse it."""
    spec = V5Dialect("linear").topic_spec("orderbook.50.BTCUSDT")
    assert spec is not None
    rng = random.Random(9)
    values: list[Any] = [None, "", "x", 0, 1, 7, "7", 1.5, "2.50", 1683308606961, "1683308606961", [], True]

    def frames() -> Any:
        for _ in range(4000):
            data: dict[str, Any] = {"s": "BTCUSDT", "u": rng.choice([1, 177400002]), "seq": 66544703026}
            for side in "ba":
                data[side] = [[rng.choice(["30003.40", "30003.50"]), "1.5"] for _ in range(rng.randint(0, 3))]
            frame: dict[str, Any] = {
                "topic": "orderbook.50.BTCUSDT",
                "type": rng.choice(["snapshot", "delta"]),
            }
            frame |= {"ts": 1683308606967, "data": data, "cts": 1683308606965}
            for _change in range(rng.randint(0, 2)):
                where = rng.choice(["s", "u", "seq", "ts", "cts", "b", "a", "level", "type", "frame ts"])
                value = rng.choice(values)
                if where == "level" and isinstance(data.get("b"), list) and data["b"]:
                    data["b"][0][rng.randint(0, 1)] = value
                elif where in ("type", "cts"):
                    frame[where] = value
                elif where == "frame ts":
                    frame["ts"] = value
                elif rng.random() < 0.2:
                    data.pop(where, None)
                else:
                    data[where] = value
            yield _compact(frame)

    outcomes = _exact_lenient_or_dict(spec, frames())
    assert min(outcomes.values()) >= 20, outcomes


def _compact(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _random_ticker_value(rng: random.Random) -> Any:
    return rng.choice(
        [
            None,
            "",
            "x",
            0,
            7,
            -3,
            81565000,
            "81565000",
            "8098.50",
            1.5,
            "2020-01-12T18:25:25Z",
            "PlusTick",
            [],
        ]
    )


@pytest.mark.parametrize(
    ("topic", "dialect", "snapshot_fixture"),
    [
        ("instrument_info.100ms.BTCUSD", InverseDialect(), "inverse_instrument_info_snapshot"),
        ("tickers.BTCUSDT", V5Dialect("linear"), "v5_ticker_linear_snapshot"),
    ],
)
def test_typed_ticker_merges_equal_the_dict_path_frame_by_frame(
    topic: str, dialect: Dialect, snapshot_fixture: str
) -> None:
    """A snapshot, then 1,500 random deltas (any subset of the wire keys, aliases included, any value):
    the typed path keeps its own merged ticker and must build, or refuse, exactly what the dict path does."""
    spec = dialect.topic_spec(topic)
    assert spec is not None and spec.typed is not None
    snapshot = json.loads((FRAMES / f"{snapshot_fixture}.json").read_text())
    keys = sorted(
        {*snapshot["data"], *(snapshot["data"][0] if isinstance(snapshot["data"], list) else {})}
        | set(
            (InverseTicker if topic.startswith("instrument") else V5Ticker).attributes  # every key and alias
        )
    )
    rng = random.Random(11)
    by_dict_state: dict[str, Any] = {}
    by_struct_state: dict[str, Any] = {}
    outcomes = {"same": 0, "both fail": 0, "skipped": 0}
    frames = [snapshot]
    for _ in range(1500):
        change = {key: _random_ticker_value(rng) for key in rng.sample(keys, rng.randint(0, 6))}
        if rng.random() < 0.7:  # mostly well-formed values, so merges go on from a real ticker
            change = {k: v for k, v in change.items() if not isinstance(v, list) and v != "x"}
        if topic.startswith("instrument"):
            data: Any = {"delete": [], "update": [change] if rng.random() < 0.95 else [], "insert": []}
            if rng.random() < 0.05:  # a ticker that also has "update": a snapshot by its symbol
                data = {**snapshot["data"], **change, "update": []}
        else:
            data = {"symbol": "BTCUSDT", **change}
        frames.append({"topic": topic, "type": "delta", "data": data})
        if rng.random() < 0.03:
            frames.append(snapshot)
        if rng.random() < 0.1:  # no "type": the shape of data decides (inverse), a delta or not (v5)
            frames[-1] = {k: v for k, v in frames[-1].items() if k != "type"}
    for frame in frames:
        text = _compact(frame)
        try:
            by_dict: Any = spec.parse(decode_frame(text), topic, by_dict_state)
        except Exception as exc:
            by_dict = type(exc)
        try:
            by_struct: Any = spec.typed.parse(spec.typed.decode(text), by_struct_state)
        except Exception as exc:
            by_struct = type(exc)
        assert repr(by_struct) == repr(by_dict), text
        assert repr(by_struct_state) == repr(by_dict_state), text
        outcomes["skipped" if by_dict is None else "both fail" if isinstance(by_dict, type) else "same"] += 1
    assert outcomes["same"] >= 500 and outcomes["both fail"] >= 20, outcomes


# ----------------------------------------------------------------------------------- through the wire
def trade(seq: int, price: Any = "100.5", size: Any = 5) -> dict[str, Any]:
    return {
        "symbol": "BTCUSD",
        "side": "Buy",
        "size": size,
        "price": price,
        "trade_time_ms": 1582793344685,
        "timestamp": "2020-01-12T16:59:59.000Z",
        "tick_direction": "PlusTick",
        "cross_seq": seq,
    }


def _connection(client: BybitSocketClient) -> StreamConnection:
    (connection,) = [c for group in client._engine.connections.values() for c in group]
    return connection


def _trades(client: BybitSocketClient) -> tuple[Collector, list[FrameError]]:
    """Subscribe to BTCUSD trades: the events, and the errors the subscription reports."""
    got = Collector()
    errors: list[FrameError] = []
    client.inverse.subscribe_to_trade_updates("BTCUSD", got).on_exception(errors.append)
    return got, errors


def _typed_route(client: BybitSocketClient, topic: str) -> Any:
    return _connection(client).registry.routes.raw.get(topic.encode())


def _typed_trades(fake: FakeBybit, client: BybitSocketClient) -> tuple[Collector, list[FrameError]]:
    """:func:`_trades`, after one frame (sequence 1) has made the typed route."""
    got, errors = _trades(client)
    fake.publish("trade.BTCUSD", [trade(1)])
    wait_until(lambda: _typed_route(client, "trade.BTCUSD") is not None, message="the typed route")
    return got, errors


def test_frames_take_the_typed_path_and_match_the_dict_path(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    got = Collector()
    client.inverse.subscribe_to_trade_updates("BTCUSD", got)
    for _ in range(3):  # the first frame of a topic resolves its route on the dict path
        fake.publish("trade.BTCUSD", [trade(7)])
    events = got.wait(3)
    route = _typed_route(client, "trade.BTCUSD")
    assert route is not None and route.typed is not None  # still on: the typed path took the frames
    assert events[0].data == events[1].data == events[2].data
    assert repr(events[0].data) == repr(events[2].data)
    assert events[2].data[0].price == Decimal("100.5")
    # events and models are built through layout twins: each must be exactly its public class
    assert all(type(e) is DataEvent and type(e.data[0]) is TradeUpdate for e in events)
    assert events[1] == DataEvent(events[1].data, "trade.BTCUSD", events[1].timestamp)


def test_a_frame_the_schema_does_not_fit_falls_back_to_the_dict_path(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    got, errors = _trades(client)
    fake.publish("trade.BTCUSD", [trade(1)])
    fake.publish("trade.BTCUSD", [trade(2)])
    wait_until(lambda: _typed_route(client, "trade.BTCUSD") is not None, message="the typed route")
    fake.publish("trade.BTCUSD", [trade(3, size="")])  # "" is no decimal for msgspec; the dict path: None
    fake.publish("trade.BTCUSD", [trade(4)])
    events = got.wait(4)
    assert [e.data[0].cross_sequence for e in events] == [1, 2, 3, 4]
    assert events[2].data[0].quantity is None
    assert events[3].data[0].price == Decimal("100.5")
    assert errors == []
    assert _typed_route(client, "trade.BTCUSD").typed is None  # the next frames take the dict path


def test_the_typed_path_comes_back_after_a_frame_it_could_not_take(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    got, errors = _typed_trades(fake, client)
    fake.publish("trade.BTCUSD", [trade(2, size="")])  # one frame the exact and lenient schemas miss
    last = 3 + TYPED_RETRY  # the dict path takes TYPED_RETRY frames after it, then the typed one again
    for seq in range(3, last + 1):
        fake.publish("trade.BTCUSD", [trade(seq)])
    events = got.wait(last)
    assert [e.data[0].cross_sequence for e in events] == list(range(1, last + 1))
    assert events[1].data[0].quantity is None and events[-1].data[0].quantity == 5
    assert errors == []
    route = _typed_route(client, "trade.BTCUSD")
    assert route.typed is not None and route.parked is None  # on again for the frames after


def test_a_feed_the_schema_never_fits_keeps_the_dict_path_and_retries(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    got, errors = _typed_trades(fake, client)
    last = 2 + 2 * (TYPED_RETRY + 1)  # each miss: TYPED_RETRY frames the dict way, then a retry
    for seq in range(2, last + 1):
        fake.publish("trade.BTCUSD", [trade(seq, size="")])
    events = got.wait(last)
    assert [e.data[0].cross_sequence for e in events] == list(range(1, last + 1))
    assert all(e.data[0].quantity is None for e in events[1:])
    assert errors == []
    route = _typed_route(client, "trade.BTCUSD")
    assert route.typed is None and route.parked is not None
    assert route.retry_in == TYPED_RETRY  # the last frame was the third miss of the typed path


def test_a_bad_frame_on_a_typed_route_is_reported_and_the_stream_goes_on(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    got, errors = _trades(client)
    fake.publish("trade.BTCUSD", [trade(1)])
    got.wait(1)
    fake.publish("trade.BTCUSD", [trade(2, price="not-a-price")])
    fake.send_raw('{"topic":"trade.BTCUSD","data":[{"price":1')  # cut short
    fake.publish("trade.BTCUSD", [trade(3)])
    assert [e.data[0].cross_sequence for e in got.wait(2)] == [1, 3]
    wait_until(lambda: len(errors) == 2, message="both bad frames reported")
    assert all(isinstance(e, FrameError) for e in errors)
    assert "not-a-price" in str(errors[0].text)
    route = _typed_route(client, "trade.BTCUSD")
    assert route is not None and route.typed is not None  # bad frames do not turn the typed path off


def test_order_book_deltas_take_the_typed_path(fake: FakeBybit, client: BybitSocketClient) -> None:
    snapshots, deltas = Collector(), Collector()
    client.inverse.subscribe_to_order_book_updates("BTCUSD", 25, snapshots, deltas)
    entry = {"price": "100.50", "symbol": "BTCUSD", "id": 1005000, "side": "Buy", "size": 7}
    fake.publish(
        "orderBookL2_25.BTCUSD", [entry], type="snapshot", cross_seq=1, timestamp_e6=1582793344685123
    )
    for seq in (2, 3):
        fake.publish(
            "orderBookL2_25.BTCUSD",
            {"delete": [], "update": [entry], "insert": []},
            type="delta",
            cross_seq=seq,
            timestamp_e6=1582793344685123,
        )
    snapshot = snapshots.wait(1)[0].data
    first, second = (e.data for e in deltas.wait(2))
    assert _typed_route(client, "orderBookL2_25.BTCUSD").typed is not None
    assert repr(first.update) == repr(second.update) == repr(tuple(snapshot))
    assert (first.sequence, second.sequence) == (2, 3)
    assert type(first) is type(second) is DeltaUpdate
    assert first == DeltaUpdate(update=first.update, sequence=2, timestamp=first.timestamp)
    assert first.timestamp == second.timestamp == snapshot.timestamp


def test_ticker_deltas_take_the_typed_path(fake: FakeBybit, client: BybitSocketClient) -> None:
    got = Collector()
    client.inverse.subscribe_to_ticker_updates("BTCUSD", got)
    topic = "instrument_info.100ms.BTCUSD"
    snapshot = json.loads((FRAMES / "inverse_instrument_info_snapshot.json").read_text())["data"]
    fake.publish(topic, snapshot, type="snapshot", cross_seq=1)
    for seq, price in ((2, "81000.50"), (3, "81001.00")):
        update = {"id": 1, "symbol": "BTCUSD", "last_price": price, "last_price_e4": 0, "cross_seq": seq}
        fake.publish(topic, {"delete": [], "update": [update], "insert": []}, type="delta", cross_seq=seq)
    first, second, third = (event.data for event in got.wait(3))
    assert _typed_route(client, topic).typed is not None  # the deltas did not turn it off
    assert (second.last_price, third.last_price) == (Decimal("81000.50"), Decimal("81001.00"))
    assert (second.cross_sequence, third.cross_sequence) == (2, 3)
    # everything the deltas leave out is the snapshot's
    assert attrs.evolve(third, last_price=first.last_price, cross_sequence=first.cross_sequence) == first


# ------------------------------------------------------------------------------------- key order
def _list_item_struct(spec: TopicSpec | None, which: int = 0) -> Any:
    """The item struct of a list topic's typed path (its envelope's ``data: list[struct]``; ``which``:
    0 the exact envelope, 1 the lenient one)."""
    assert spec is not None and spec.typed is not None
    envelope = spec.typed.envelopes[which]
    data = {field.name: field.type for field in msgspec.structs.fields(envelope)}["data"]
    return typing.get_args(data)[0]


def _path(name: str, *keys: Any) -> Any:
    item = json.loads((FRAMES / f"{name}.json").read_text())
    for key in keys:
        item = item[key]
    return item


@pytest.mark.parametrize(
    ("struct", "item"),
    [
        (
            _list_item_struct(InverseDialect().topic_spec("trade.BTCUSD")),
            _path("inverse_trade_observed", "data", 0),
        ),
        (_entry_schema.struct, _path("inverse_orderbook25_delta_observed", "data", "update", 0)),
        (_entry_schema.struct, _path("inverse_orderbook200_delta", "data", "insert", 0)),
        (InverseTicker.struct, _path("inverse_instrument_info_snapshot", "data")),
        (InverseTicker.struct, _path("inverse_instrument_info_delta", "data", "update", 0)),
        (
            _list_item_struct(V5Dialect("linear").topic_spec("publicTrade.BTCUSDT")),
            _path("v5_public_trade", "data", 0),
        ),
        (
            _list_item_struct(V5Dialect("linear").topic_spec("publicTrade.BTCUSDT"), 1),
            _path("v5_public_trade", "data", 0),
        ),
        (
            _list_item_struct(V5Dialect("linear").topic_spec("allLiquidation.BTCUSDT")),
            _path("v5_all_liquidation", "data", 0),
        ),
        (V5Ticker.struct, _path("v5_ticker_linear_snapshot", "data")),
        (V5Ticker.struct, _path("v5_ticker_linear_futures_snapshot", "data")),
    ],
)
def test_hot_wire_structs_declare_their_keys_in_the_order_bybit_sends_them(struct: Any, item: Any) -> None:
    # msgspec matches keys fastest in declaration order; any order decodes the same structs
    declared = [field.encode_name for field in msgspec.structs.fields(struct)]
    sent = list(item)
    assert [key for key in declared if key in item] == [key for key in sent if key in declared]
    assert len([key for key in sent if key in declared]) >= 5
