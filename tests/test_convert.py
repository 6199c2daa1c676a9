"""The generated fast structurers agree with the cattrs reference on every fixture; hooks and merging."""

from __future__ import annotations

import json
import pickle
import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import msgspec
import pytest

from bybit_ws._convert import (
    _hooks,
    decimal,
    enum_of,
    layout_twin,
    merger,
    price_decimal,
    reference_structurer,
    required_twin,
    structurer,
    text,
    time_iso,
    time_ms,
    time_us,
    wire,
    wire_schema,
)
from bybit_ws.engine._framepath import decode_frame
from bybit_ws.models import DataEvent, DeltaUpdate, contract, inverse, v5

from .support import BYBITNET, FRAMES, bybitnet, frame

# fixture -> model of its data items
FRAME_MODELS: dict[str, type] = {
    "inverse_trade": inverse.TradeUpdate,
    "inverse_trade_observed": inverse.TradeUpdate,
    "inverse_insurance": inverse.InsuranceUpdate,
    "inverse_insurance_observed": inverse.InsuranceUpdate,
    "inverse_kline": inverse.KlineUpdate,
    "inverse_kline_observed": inverse.KlineUpdate,
    "inverse_liquidation": inverse.LiquidationUpdate,
    "inverse_instrument_info_snapshot": inverse.TickerUpdate,
    "inverse_instrument_info_snapshot_observed": inverse.TickerUpdate,
    "inverse_orderbook25_snapshot": inverse.OrderBookEntry,
    "inverse_orderbook200_snapshot": inverse.OrderBookEntry,
    "inverse_position": inverse.PositionUpdate,
    "inverse_execution": inverse.UserTradeUpdate,
    "inverse_order": inverse.OrderUpdate,
    "inverse_stop_order": inverse.StopOrderUpdate,
    "inverse_wallet": inverse.BalanceUpdate,
    "contract_order": contract.ContractOrderUpdate,
    "contract_execution": contract.ContractUserTradeUpdate,
    "contract_position": contract.ContractPositionUpdate,
    "contract_wallet": contract.ContractBalanceUpdate,
    "v5_public_trade": v5.Trade,
    "v5_ticker_linear_snapshot": v5.Ticker,
    "v5_ticker_linear_futures_snapshot": v5.Ticker,
    "v5_kline": v5.Kline,
    "v5_all_liquidation": v5.Liquidation,
    "v5_order": v5.Order,
    "v5_position": v5.Position,
    "v5_execution": v5.UserTrade,
    "v5_wallet": v5.Balance,
}
BYBITNET_MODELS: dict[str, type] = {
    "InversePerpetual/Socket/TradeUpdate.txt": inverse.TradeUpdate,
    "InversePerpetual/Socket/TickerUpdate.txt": inverse.TickerUpdate,
    "InversePerpetual/Socket/InsuranceUpdate.txt": inverse.InsuranceUpdate,
    "InversePerpetual/Socket/KlineUpdate.txt": inverse.KlineUpdate,
    "InversePerpetual/Socket/LiquidationUpdate.txt": inverse.LiquidationUpdate,
    "InversePerpetual/Socket/PositionUpdate.txt": inverse.PositionUpdate,
    "InversePerpetual/Socket/UserTradeUpdate.txt": inverse.UserTradeUpdate,
    "InversePerpetual/Socket/OrderUpdate.txt": inverse.OrderUpdate,
    "InversePerpetual/Socket/StopOrderUpdate.txt": inverse.StopOrderUpdate,
    "InversePerpetual/Socket/BalanceUpdate.txt": inverse.BalanceUpdate,
    "Derivatives/Contract/Socket/BalanceUpdate.txt": contract.ContractBalanceUpdate,
    "Derivatives/Contract/Socket/OrderUpdate.txt": contract.ContractOrderUpdate,
    "Derivatives/Contract/Socket/PositionUpdate.txt": contract.ContractPositionUpdate,
    "Derivatives/Contract/Socket/UserTradeUpdate.txt": contract.ContractUserTradeUpdate,
}


def _items(data: Any) -> Iterator[dict[str, Any]]:
    yield from (data if isinstance(data, list) else [data])


def test_every_fixture_is_mapped() -> None:
    assert {p.relative_to(BYBITNET).as_posix() for p in BYBITNET.rglob("*.txt")} == set(BYBITNET_MODELS)
    assert set(FRAME_MODELS) <= {p.stem for p in FRAMES.glob("*.json")}


@pytest.mark.parametrize("name", sorted(FRAME_MODELS))
def test_fast_structurer_equals_the_cattrs_reference_on_frames(name: str) -> None:
    model = FRAME_MODELS[name]
    fast: Callable[[Any], Any] = structurer(model)
    reference: Callable[[Any], Any] = reference_structurer(model)
    # both the stdlib decoder (parse_float=Decimal) and the library's fast one must give the same models
    exact = frame(name)["data"]
    fast_decoded = decode_frame((FRAMES / f"{name}.json").read_bytes())["data"]
    for item, other in zip(_items(exact), _items(fast_decoded), strict=True):
        expected = reference(item)
        assert fast(item) == expected
        assert fast(other) == expected


@pytest.mark.parametrize("path", sorted(BYBITNET_MODELS))
def test_fast_structurer_equals_the_cattrs_reference_on_bybitnet_payloads(path: str) -> None:
    model = BYBITNET_MODELS[path]
    for item in _items(bybitnet(path)):
        assert structurer(model)(item) == reference_structurer(model)(item)


@pytest.mark.parametrize("name", sorted(FRAME_MODELS))
def test_built_models_are_ordinary_instances_of_their_class(name: str) -> None:
    # The generated builders fill a plain twin of the model and then switch its __class__: the result
    # must be indistinguishable from a model made by attrs' __init__.
    model = FRAME_MODELS[name]
    for item in _items(frame(name)["data"]):
        built: Any = structurer(model)(item)
        expected: Any = reference_structurer(model)(item)
        assert built == expected and repr(built) == repr(expected)
        assert attrs.asdict(built) == attrs.asdict(expected)
        assert attrs.evolve(built) == built and pickle.loads(pickle.dumps(built)) == built
        first = attrs.fields(model)[0].name
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(built, first, None)
        if all(type(value) is not list for value in attrs.astuple(built, recurse=False)):
            assert hash(built) == hash(expected)
        assert type(built) is model  # last: mypy narrows ``built`` to ``object`` after it


def test_build_all_is_build_in_a_loop() -> None:
    schema = wire_schema(inverse.TradeUpdate)
    items_type: Any = list.__class_getitem__(schema.struct)
    decode = msgspec.json.Decoder(items_type, float_hook=Decimal).decode
    items = decode(json.dumps(frame("inverse_trade")["data"] * 3).encode())
    assert len(items) >= 3
    built = schema.build_all(items)
    assert type(built) is list and [repr(x) for x in built] == [repr(schema.build(x)) for x in items]
    assert schema.build_all([]) == []
    bad = decode(
        b'[{"symbol":"BTCUSD","side":"Buy","size":1,"price":"1"},{"symbol":"BTCUSD","side":"Buy","size":1,"price":"x"}]'
    )
    with pytest.raises(ValueError, match="not a decimal number: 'x'"):  # the second item: as build raises
        schema.build_all(bad)
    with pytest.raises(ValueError, match="not a decimal number: 'x'"):
        schema.build(bad[1])


def test_flat_models_have_a_layout_twin_and_others_build_through_their_slots() -> None:
    hot = (inverse.TradeUpdate, inverse.TickerUpdate, inverse.OrderBookEntry, v5.Trade, v5.Ticker, v5.Order)
    for model in hot:  # the fast path is not silently lost (a __weakref__ slot would lose it)
        assert layout_twin(model) is not None, model
        assert layout_twin(model) is layout_twin(model)  # one twin per class, shared by its builders

    @attrs.frozen
    class Weak:  # attrs' default keeps a __weakref__ slot: no class of another layout can become one
        name: str = wire("name", text, optional=False)
        note: str | None = wire("note", text)

    assert layout_twin(Weak) is None and layout_twin(inverse.OrderUpdate) is None  # slotted base
    for built in (structurer(Weak)({"name": "a"}), wire_schema(Weak).build(wire_schema(Weak).struct(f0="a"))):
        assert type(built) is Weak and built == Weak(name="a")
    order = structurer(inverse.OrderUpdate)(next(_items(frame("inverse_order")["data"])))
    assert type(order) is inverse.OrderUpdate
    # the hand-written hot paths (events, book deltas) require a twin, and say so when there is none
    assert required_twin(DataEvent) is not None and required_twin(DeltaUpdate) is not None
    with pytest.raises(TypeError, match="Weak has no layout twin"):
        required_twin(Weak)


def test_decoding_is_exact_for_every_number() -> None:
    text = b'{"topic":"t","data":{"p":1.2345678901234567,"q":0.1,"e":1e5,"n":-0.5,"i":1683308606986603}}'
    data = decode_frame(text)["data"]
    # floats arrive as the Decimal of their text: no double in between, whatever the digit count
    assert data["p"] == Decimal("1.2345678901234567") and type(data["p"]) is Decimal
    assert data["q"] == Decimal("0.1") and str(data["q"]) == "0.1"
    assert data["e"] == Decimal(100000) and data["n"] == Decimal("-0.5")
    # integers stay int, exactly, also past 2**64
    assert data["i"] == 1683308606986603 and type(data["i"]) is int
    assert decode_frame(b'{"i":123456789012345678901234567890}')["i"] == 123456789012345678901234567890
    sixteen = decode_frame(b'{"topic":"t","data":{"q":8.889247899999999}}')["data"]["q"]
    assert sixteen == Decimal("8.889247899999999")
    wire = {"start": 1, "open": data["n"], "close": sixteen, "high": 1, "low": 1}
    kline = structurer(inverse.KlineUpdate)(wire)
    assert (kline.open_price, kline.close_price) == (Decimal("-0.5"), Decimal("8.889247899999999"))
    # a float from a dict built by hand still converts through its shortest text
    by_hand = {"start": 1, "open": 1995.05, "close": 1, "high": 1, "low": 1}
    assert structurer(inverse.KlineUpdate)(by_hand).open_price == Decimal("1995.05")
    for bad in (b"{not json", b'{"a":NaN}', b'{"a":"\xff"}', b"\xff\xfe"):
        with pytest.raises(ValueError):
            decode_frame(bad)


def test_price_hook_remembers_prices_exactly_and_stays_bounded() -> None:
    for value in ("8098.50", "8098.5", 8098, "1e3", "-0.001", Decimal("2.50"), 1.5, None, "", "NaN"):
        expected, got = decimal(value), price_decimal(value)
        assert repr(got) == repr(expected), value  # same value, same exponent ("8098.50" keeps its 0)
        assert repr(price_decimal(value)) == repr(expected), value  # and again, from the cache
    assert price_decimal("8098.50") is price_decimal("8098.50")  # one Decimal for a repeated price
    assert price_decimal(8098) is not price_decimal("8098") and price_decimal(8098) == price_decimal("8098")
    bad: Any
    for bad in ("x", "1.2.3", True, [], {}):
        with pytest.raises(ValueError):
            price_decimal(bad)
    # the generated fast path and the hook agree, misses and hits alike
    build = structurer(inverse.OrderBookEntry)
    for value in ("8098.50", "8098.50", 8098, 8098, "", "NaN"):
        entry = build({"symbol": "BTCUSD", "side": "Buy", "price": value})
        assert repr(entry.price) == repr(decimal(value)), value
    with pytest.raises(ValueError, match="not a decimal number: 'x'"):
        build({"symbol": "BTCUSD", "side": "Buy", "price": "x"})
    # a feed of ever-new prices does not grow memory: the cache starts over when full
    for cents in range(3 * _hooks._PRICES_SIZE):
        assert price_decimal(f"{cents / 100:.2f}") == Decimal(cents) / 100
    assert 0 < len(_hooks._PRICES) <= _hooks._PRICES_SIZE


def test_time_hooks_are_exact() -> None:
    assert time_ms(1683308606965) == datetime(2023, 5, 5, 17, 43, 26, 965000, tzinfo=timezone.utc)
    assert time_ms(9_999_999_999_999) == datetime(2286, 11, 20, 17, 46, 39, 999000, tzinfo=timezone.utc)
    assert time_ms("1683308606965") == time_ms(1683308606965)
    assert time_us(1572425676958323) == datetime(2019, 10, 30, 8, 54, 36, 958323, tzinfo=timezone.utc)
    assert time_us(5_000_000_000_000_001) == datetime(2128, 6, 11, 8, 53, 20, 1, tzinfo=timezone.utc)
    rng = random.Random(3)
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    for value in (rng.randrange(0, 4_000_000_000_000_000) for _ in range(20_000)):
        assert time_us(value) == epoch + timedelta(microseconds=value)
    # time_ms remembers each second's datetime: hits, misses, negatives, the generated fast path
    build = structurer(inverse.LiquidationUpdate)
    near = [1683308606965 + rng.randrange(-3000, 3000) for _ in range(5000)]
    far = [rng.randrange(-62_000_000_000_000, 4_100_000_000_000) for _ in range(5000)]
    for value in near + far + [-1, 0, 999, 1000, -1000, -1001]:
        expected = epoch + timedelta(milliseconds=value)
        got = time_ms(value)
        assert got == expected and got is not None and got.tzinfo is timezone.utc, value
        assert build({"symbol": "BTCUSD", "price": "1", "time": value}).timestamp == expected, value
    assert 0 < len(_hooks._SECONDS) <= _hooks._SECONDS_SIZE
    assert time_iso("2022-09-06T14:16:34.519268798Z") == datetime(
        2022, 9, 6, 14, 16, 34, 519268, tzinfo=timezone.utc
    )
    assert time_iso("2022-09-06T14:16:34.519268798Z") is time_iso("2022-09-06T14:16:34.519268798Z")  # cached
    assert time_iso("") is None


def test_merger_applies_only_what_the_delta_carries() -> None:
    snapshot = json.loads(
        '{"symbol": "BTCUSD", "last_price": "100.5", "bid1_price": "100.0", "funding_rate_e6": 100,'
        ' "last_price_e4": 1005000}'
    )
    base = structurer(inverse.TickerUpdate)(snapshot)
    merged = merger(inverse.TickerUpdate)(base, {"bid1_price": "100.25"})
    assert merged.best_bid_price == Decimal("100.25")
    assert merged.last_price == Decimal("100.5") and merged.funding_rate == Decimal("0.0001")
    # a delta that carries only the scaled twin still updates the price
    assert merger(inverse.TickerUpdate)(base, {"last_price_e4": 1010000}).last_price == Decimal("101")
    assert merged == structurer(inverse.TickerUpdate)({**snapshot, "bid1_price": "100.25"})
    assert base.best_bid_price == Decimal("100.0")  # the base is not touched
    assert type(merged) is inverse.TickerUpdate and hash(merged) == hash(
        structurer(inverse.TickerUpdate)({**snapshot, "bid1_price": "100.25"})
    )


def test_an_empty_enum_value_stays_unset_after_the_enum_made_its_pseudo_member() -> None:
    # OrderSide("") makes a pseudo-member (msgspec's exact schemas call _missing_ for it too); it used
    # to be remembered in the value map the hooks read first, so "" then came out as that member
    from bybit_ws.enums import OrderSide
    from bybit_ws.models.v5 import Trade

    assert OrderSide("").value == ""
    item = {"T": 1683308606958, "s": "BTCUSDT", "S": "", "v": "1", "p": "2", "i": "x"}
    assert structurer(Trade)(item).side is None
    assert reference_structurer(Trade)(item).side is None
    assert enum_of(OrderSide)("") is None
