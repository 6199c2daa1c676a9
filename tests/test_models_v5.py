"""The v5 models against Bybit's documented frames, field by field, plus the drift v5 is known for."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from bybit_ws._convert import structurer
from bybit_ws.enums import (
    KlineInterval,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionMode,
    PositionSide,
    PositionStatus,
    StopLossTakeProfitMode,
    StopOrderType,
    TickDirection,
    TimeInForce,
    TradeMode,
    TradeType,
    TriggerDirection,
)
from bybit_ws.models.v5 import (
    AccountType,
    AssetBalance,
    AuctionPhase,
    Balance,
    CancelType,
    Category,
    CreateType,
    ExtraFee,
    Kline,
    Liquidation,
    Order,
    OrderBookEntry,
    OrderBookUpdate,
    Position,
    SelfMatchPreventionType,
    Ticker,
    Trade,
    UserTrade,
    parse_order_book,
)

FRAMES = Path(__file__).resolve().parent / "fixtures" / "frames"

structure_trade = structurer(Trade)
structure_ticker = structurer(Ticker)
structure_order_book = structurer(OrderBookUpdate)
structure_kline = structurer(Kline)
structure_liquidation = structurer(Liquidation)
structure_order = structurer(Order)
structure_position = structurer(Position)
structure_user_trade = structurer(UserTrade)
structure_balance = structurer(Balance)


def load(name: str) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads((FRAMES / name).read_text(), parse_float=Decimal)
    return frame


def ms(value: int) -> datetime:
    return datetime.fromtimestamp(value // 1000, tz=timezone.utc).replace(microsecond=value % 1000 * 1000)


def assert_fields(model: attrs.AttrsInstance, expected: dict[str, Any]) -> None:
    """Every field of ``model`` equals ``expected`` by value and type (Decimals also by their exact text)."""
    actual = attrs.asdict(model, recurse=False)
    assert set(actual) == set(expected)
    for name, want in expected.items():
        got = actual[name]
        assert type(got) is type(want), (name, got, want)
        assert got == want, (name, got, want)
        if isinstance(want, Decimal):
            assert str(got) == str(want), (name, got, want)
        if isinstance(want, datetime):
            assert got.utcoffset() == timezone.utc.utcoffset(None), name


def entries(*levels: tuple[str, str]) -> tuple[OrderBookEntry, ...]:
    return tuple(OrderBookEntry(price=Decimal(p), quantity=Decimal(q)) for p, q in levels)


# --------------------------------------------------------------------------------------------- trade
TRADE_NONE = {"is_rpi_trade": None, "mark_price": None, "index_price": None, "mark_iv": None, "iv": None}


def test_public_trade() -> None:
    frame = load("v5_public_trade.json")
    assert len(frame["data"]) == 1
    assert_fields(
        structure_trade(frame["data"][0]),
        {
            "timestamp": ms(1672304486865),
            "symbol": "BTCUSDT",
            "side": OrderSide.BUY,
            "quantity": Decimal("0.001"),
            "price": Decimal("16578.50"),
            "id": "20f43950-d8dd-5b31-9112-a178eb6023af",
            "direction": TickDirection.PLUS_TICK,
            "is_block_trade": False,
            "sequence": 1783284617,
            **TRADE_NONE,
        },
    )


def test_contract_public_trade_has_the_v5_shape() -> None:
    frame = load("contract_public_trade.json")
    assert_fields(
        structure_trade(frame["data"][0]),
        {
            "timestamp": ms(1662694953819),
            "symbol": "BTCUSDT",
            "side": OrderSide.BUY,
            "quantity": Decimal("0.010"),
            "price": Decimal("19792.50"),
            "id": "5c9ab13e-6010-522c-aecd-02c4d9c8db3d",
            "direction": TickDirection.PLUS_TICK,
            "is_block_trade": False,
            "sequence": None,
            **TRADE_NONE,
        },
    )


def test_option_trade_fields_and_rpi() -> None:
    # Shape of Bybit's v5 option publicTrade example (mP, iP, mIv, iv), with the newer RPI flag.
    item = {
        "T": "1672304486865",
        "s": "BTC-6JAN23-17500-C",
        "S": "Sell",
        "v": 1,
        "p": Decimal("25.5"),
        "L": "",
        "i": 123,
        "BT": "false",
        "RPI": True,
        "mP": "28.6",
        "iP": "16823.73",
        "mIv": "0.4896",
        "iv": "0.5134",
        "seq": "77",
    }
    trade = structure_trade(item)
    assert trade.timestamp == ms(1672304486865)
    assert trade.side is OrderSide.SELL
    assert trade.quantity == Decimal(1) and type(trade.quantity) is Decimal
    assert trade.price == Decimal("25.5")
    assert trade.id == "123"
    assert trade.direction is None
    assert trade.is_block_trade is False
    assert trade.is_rpi_trade is True
    assert trade.mark_price == Decimal("28.6")
    assert trade.index_price == Decimal("16823.73")
    assert trade.mark_iv == Decimal("0.4896")
    assert trade.iv == Decimal("0.5134")
    assert trade.sequence == 77


def test_trade_missing_required_field_raises() -> None:
    item = dict(load("v5_public_trade.json")["data"][0])
    del item["p"]
    with pytest.raises(KeyError):
        structure_trade(item)


# --------------------------------------------------------------------------------------------- ticker
TICKER_ALL_NONE: dict[str, Any] = {a.name: None for a in attrs.fields(Ticker)}


def test_linear_perpetual_ticker_snapshot() -> None:
    frame = load("v5_ticker_linear_snapshot.json")
    expected = dict(TICKER_ALL_NONE)
    expected.update(
        {
            "symbol": "BTCUSDT",
            "tick_direction": TickDirection.MINUS_TICK,
            "price_percentage_24h": Decimal("-0.158315"),
            "last_price": Decimal("66666.60"),
            "previous_price_24h": Decimal("79206.20"),
            "high_price_24h": Decimal("79266.30"),
            "low_price_24h": Decimal("65076.90"),
            "previous_price_1h": Decimal("66666.60"),
            "mark_price": Decimal("66666.60"),
            "index_price": Decimal("115418.19"),
            "open_interest": Decimal("492373.72"),
            "open_interest_value": Decimal("32824881841.75"),
            "turnover_24h": Decimal("4936790807.6521"),
            "volume_24h": Decimal("73191.3870"),
            "funding_interval": 8,
            "funding_cap": Decimal("0.005"),
            "next_funding_time": ms(1760342400000),
            "funding_rate": Decimal("-0.005"),
            "best_bid_price": Decimal("66666.60"),
            "best_bid_quantity": Decimal("23789.165"),
            "best_ask_price": Decimal("66666.70"),
            "best_ask_quantity": Decimal("23775.469"),
            # preOpenPrice, preQty, curPreListingPhase are "" on the wire: None.
        }
    )
    assert_fields(structure_ticker(frame["data"]), expected)


def test_linear_futures_ticker_snapshot() -> None:
    frame = load("v5_ticker_linear_futures_snapshot.json")
    expected = dict(TICKER_ALL_NONE)
    expected.update(
        {
            "symbol": "BTC-26DEC25",
            "tick_direction": TickDirection.ZERO_MINUS_TICK,
            "price_percentage_24h": Decimal("0"),
            "last_price": Decimal("109401.50"),
            "previous_price_24h": Decimal("109401.50"),
            "high_price_24h": Decimal("109401.50"),
            "low_price_24h": Decimal("109401.50"),
            "previous_price_1h": Decimal("109401.50"),
            "mark_price": Decimal("121144.63"),
            "index_price": Decimal("114132.51"),
            "open_interest": Decimal("6.622"),
            "open_interest_value": Decimal("802219.74"),
            "turnover_24h": Decimal("0.0000"),
            "volume_24h": Decimal("0.0000"),
            "delivery_time": datetime(2025, 12, 26, 8, 0, tzinfo=timezone.utc),
            "basis_rate": Decimal("0.06129209"),
            "delivery_fee_rate": Decimal("0"),
            "predicted_delivery_price": Decimal("0.00"),
            "basis": Decimal("-4730.84"),
            "basis_rate_year": Decimal("0.30655351"),
            # nextFundingTime and fundingRate are "": None.
            "best_bid_price": Decimal("111254.50"),
            "best_bid_quantity": Decimal("0.176"),
            "best_ask_price": Decimal("131001.00"),
            "best_ask_quantity": Decimal("0.580"),
        }
    )
    assert_fields(structure_ticker(frame["data"]), expected)


def test_contract_public_ticker_snapshot_and_delta_merged() -> None:
    snapshot = load("contract_public_ticker_snapshot.json")["data"]
    delta = load("contract_public_ticker_delta.json")["data"]
    expected = dict(TICKER_ALL_NONE)
    expected.update(
        {
            "symbol": "BTCUSDT",
            "tick_direction": TickDirection.ZERO_MINUS_TICK,
            "price_percentage_24h": Decimal("0.018608"),
            "last_price": Decimal("17243.00"),
            "previous_price_24h": Decimal("16928.00"),
            "high_price_24h": Decimal("17271.00"),
            "low_price_24h": Decimal("16915.00"),
            "previous_price_1h": Decimal("17246.00"),
            "mark_price": Decimal("17247.73"),
            "index_price": Decimal("17261.71"),
            "open_interest": Decimal("68257.758"),
            "open_interest_value": Decimal("1177291380.39"),
            "turnover_24h": Decimal("1468361827.0869985"),
            "volume_24h": Decimal("85837.138"),
            "next_funding_time": ms(1673280000000),
            "funding_rate": Decimal("-0.000231"),
            "best_bid_price": Decimal("17243.00"),
            "best_bid_quantity": Decimal("84.727"),
            "best_ask_price": Decimal("17243.50"),
            "best_ask_quantity": Decimal("34.425"),
        }
    )
    assert_fields(structure_ticker(snapshot), expected)

    # A delta alone carries only what changed ...
    only_delta = dict(TICKER_ALL_NONE)
    only_delta.update(
        {
            "symbol": "BTCUSDT",
            "best_bid_price": Decimal("17243.00"),
            "best_bid_quantity": Decimal("84.727"),
            "best_ask_price": Decimal("17243.50"),
            "best_ask_quantity": Decimal("33.175"),
        }
    )
    assert_fields(structure_ticker(delta), only_delta)
    # ... and the engine merges raw dicts before structuring.
    expected["best_ask_quantity"] = Decimal("33.175")
    assert_fields(structure_ticker({**snapshot, **delta}), expected)


def test_spot_ticker() -> None:
    # Bybit's v5 spot tickers example.
    data = {
        "symbol": "BTCUSDT",
        "lastPrice": "21109.77",
        "highPrice24h": "21426.99",
        "lowPrice24h": "20575",
        "prevPrice24h": "20704.93",
        "volume24h": "6780.866843",
        "turnover24h": "141946527.22907118",
        "price24hPcnt": "0.0196",
        "usdIndexPrice": "21120.2400136",
    }
    expected = dict(TICKER_ALL_NONE)
    expected.update(
        {
            "symbol": "BTCUSDT",
            "last_price": Decimal("21109.77"),
            "high_price_24h": Decimal("21426.99"),
            "low_price_24h": Decimal("20575"),
            "previous_price_24h": Decimal("20704.93"),
            "volume_24h": Decimal("6780.866843"),
            "turnover_24h": Decimal("141946527.22907118"),
            "price_percentage_24h": Decimal("0.0196"),
            "usd_index_price": Decimal("21120.2400136"),
        }
    )
    assert_fields(structure_ticker(data), expected)


def test_option_ticker() -> None:
    # Bybit's v5 option tickers example: bidPrice/askPrice instead of bid1Price/ask1Price.
    data = {
        "symbol": "BTC-6JAN23-17500-C",
        "bidPrice": "0",
        "bidSize": "0",
        "bidIv": "0",
        "askPrice": "10",
        "askSize": "5.1",
        "askIv": "0.514",
        "lastPrice": "10",
        "highPrice24h": "25",
        "lowPrice24h": "5",
        "markPrice": "7.86976724",
        "indexPrice": "16823.73",
        "markPriceIv": "0.4896",
        "underlyingPrice": "16815.1",
        "openInterest": "49.85",
        "turnover24h": "446802.8473",
        "volume24h": "26.55",
        "totalVolume": "86",
        "totalTurnover": "1437431",
        "delta": "0.047831",
        "gamma": "0.00021453",
        "vega": "0.81351067",
        "theta": "-19.9115368",
        "predictedDeliveryPrice": "0",
        "change24h": "-0.33333334",
    }
    expected = dict(TICKER_ALL_NONE)
    expected.update(
        {
            "symbol": "BTC-6JAN23-17500-C",
            "best_bid_price": Decimal("0"),
            "best_bid_quantity": Decimal("0"),
            "bid_iv": Decimal("0"),
            "best_ask_price": Decimal("10"),
            "best_ask_quantity": Decimal("5.1"),
            "ask_iv": Decimal("0.514"),
            "last_price": Decimal("10"),
            "high_price_24h": Decimal("25"),
            "low_price_24h": Decimal("5"),
            "mark_price": Decimal("7.86976724"),
            "index_price": Decimal("16823.73"),
            "mark_price_iv": Decimal("0.4896"),
            "underlying_price": Decimal("16815.1"),
            "open_interest": Decimal("49.85"),
            "turnover_24h": Decimal("446802.8473"),
            "volume_24h": Decimal("26.55"),
            "total_volume": Decimal("86"),
            "total_turnover": Decimal("1437431"),
            "delta": Decimal("0.047831"),
            "gamma": Decimal("0.00021453"),
            "vega": Decimal("0.81351067"),
            "theta": Decimal("-19.9115368"),
            "predicted_delivery_price": Decimal("0"),
            "change_24h": Decimal("-0.33333334"),
        }
    )
    assert_fields(structure_ticker(data), expected)


def test_ticker_drift() -> None:
    ticker = structure_ticker(
        {
            "lastPrice": 66666.6,
            "markPrice": Decimal("66666.60"),
            "openInterest": 492373,
            "fundingRate": "",
            "nextFundingTime": 1760342400000,
            "fundingIntervalHour": 8,
            "curPreListingPhase": "SomeNewPhase",
            "tickDirection": "PlusTick",
            "unknownField": {"nested": True},
        }
    )
    assert ticker.last_price == Decimal("66666.6") and type(ticker.last_price) is Decimal
    assert ticker.mark_price == Decimal("66666.60")
    assert ticker.open_interest == Decimal(492373)
    assert ticker.funding_rate is None
    assert ticker.next_funding_time == ms(1760342400000)
    assert ticker.funding_interval == 8
    assert ticker.pre_listing_phase is not None
    assert ticker.pre_listing_phase.value == "SomeNewPhase"
    assert isinstance(ticker.pre_listing_phase, AuctionPhase)
    assert ticker.tick_direction is TickDirection.PLUS_TICK
    assert structure_ticker({"curPreListingPhase": "CallAuction"}).pre_listing_phase is (
        AuctionPhase.CALL_AUCTION
    )
    assert structure_ticker({}) == Ticker()


# --------------------------------------------------------------------------------------------- order book
V5_SNAPSHOT = {
    "symbol": "BTCUSDT",
    "bids": entries(("16493.50", "0.006"), ("16493.00", "0.100")),
    "asks": entries(("16611.00", "0.029"), ("16612.00", "0.213")),
    "update_id": 18521288,
    "sequence": 7961638724,
    "timestamp": ms(1672304484978),
    "matching_engine_timestamp": ms(1672304484976),
}

V5_DELTA = {
    "symbol": "BTCUSDT",
    "bids": entries(
        ("30247.20", "30.028"),
        ("30245.40", "0.224"),
        ("30242.10", "1.593"),
        ("30240.30", "1.305"),
        ("30240.00", "0"),
    ),
    "asks": entries(
        ("30248.70", "0"),
        ("30249.30", "0.892"),
        ("30249.50", "1.778"),
        ("30249.60", "0"),
        ("30251.90", "2.947"),
        ("30252.20", "0.659"),
        ("30252.50", "4.591"),
    ),
    "update_id": 177400507,
    "sequence": 66544703342,
    "timestamp": ms(1687940967466),
    "matching_engine_timestamp": ms(1687940967464),
}

CONTRACT_SNAPSHOT = {
    "symbol": "BTCUSDT",
    "bids": entries(("17053.00", "0.021"), ("17016.50", "0.020")),
    "asks": entries(("17054.00", "6.288"), ("17166.50", "0.049")),
    "update_id": 3083181,
    "sequence": 7545268447,
    "timestamp": ms(1668748553479),
    "matching_engine_timestamp": None,
}

CONTRACT_DELTA = {
    "symbol": "BTCUSDT",
    "bids": (),
    "asks": entries(("17168.00", "0.300"), ("17070.00", "0")),
    "update_id": 3083182,
    "sequence": 7545268448,
    "timestamp": ms(1668748553556),
    "matching_engine_timestamp": None,
}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("v5_orderbook_snapshot.json", V5_SNAPSHOT),
        ("v5_orderbook_delta.json", V5_DELTA),
        ("contract_public_orderbook50_snapshot.json", CONTRACT_SNAPSHOT),
        ("contract_public_orderbook50_delta.json", CONTRACT_DELTA),
    ],
)
def test_order_book(name: str, expected: dict[str, Any]) -> None:
    frame = load(name)
    book = parse_order_book(frame["data"], ts=frame["ts"], cts=frame.get("cts"))
    assert_fields(book, expected)
    for entry in book.bids + book.asks:
        assert type(entry.price) is Decimal and type(entry.quantity) is Decimal
    # The exact text survives: "0.100" stays "0.100".
    assert [str(e.quantity) for e in book.bids] == [str(e.quantity) for e in expected["bids"]]
    # The generic structurer agrees; ts/cts are not in `data`, so they are None there.
    generic = structure_order_book(frame["data"])
    assert generic == attrs.evolve(book, timestamp=None, matching_engine_timestamp=None)
    # ts/cts may also be put into the data mapping.
    merged = {**frame["data"], "ts": frame["ts"], "cts": frame.get("cts")}
    assert parse_order_book(merged) == book
    assert structure_order_book(merged) == book


def test_order_book_first_entries_field_by_field() -> None:
    book = parse_order_book(load("v5_orderbook_snapshot.json")["data"])
    assert_fields(book.bids[0], {"price": Decimal("16493.50"), "quantity": Decimal("0.006")})
    assert_fields(book.asks[0], {"price": Decimal("16611.00"), "quantity": Decimal("0.029")})
    assert book.timestamp is None and book.matching_engine_timestamp is None


def test_order_book_drift() -> None:
    data = {"s": "ETHUSDT", "b": [[Decimal("1.5"), 2], ["1.4", "0"]], "u": "1", "seq": "9", "extra": 1}
    book = parse_order_book(data, ts="1672304484978")
    assert book.symbol == "ETHUSDT"
    assert book.bids == entries(("1.5", "2"), ("1.4", "0"))
    assert book.asks == ()
    assert book.update_id == 1
    assert book.sequence == 9
    assert book.timestamp == ms(1672304484978)
    assert structure_order_book(dict(data, a=[])) == attrs.evolve(book, timestamp=None)
    with pytest.raises(KeyError):
        parse_order_book({"s": "X", "b": [], "a": []})
    with pytest.raises(ValueError, match="not a decimal number: 'abc'"):
        parse_order_book({"s": "X", "b": [["abc", "1"]], "a": [], "u": 1})
    with pytest.raises(ValueError, match="order book level without a price"):
        parse_order_book({"s": "X", "b": [["", "1"]], "a": [], "u": 1})
    with pytest.raises(ArithmeticError):
        parse_order_book({"s": "X", "b": [["1.5", "abc"]], "a": [], "u": 1})


# --------------------------------------------------------------------------------------------- kline
def test_kline() -> None:
    frame = load("v5_kline.json")
    assert len(frame["data"]) == 1
    assert_fields(
        structure_kline(frame["data"][0]),
        {
            "start_time": ms(1672324800000),
            "end_time": ms(1672325099999),
            "interval": KlineInterval.FIVE_MINUTES,
            "open_price": Decimal("16649.5"),
            "close_price": Decimal("16677"),
            "high_price": Decimal("16677"),
            "low_price": Decimal("16608"),
            "volume": Decimal("2.081"),
            "turnover": Decimal("34666.4005"),
            "confirm": False,
            "timestamp": ms(1672324988882),
            "symbol": None,
        },
    )


def test_contract_public_kline() -> None:
    frame = load("contract_public_kline.json")
    kline = structure_kline(frame["data"][0])
    assert_fields(
        kline,
        {
            "start_time": ms(1658150220000),
            "end_time": ms(1658150279999),
            "interval": KlineInterval.ONE_MINUTE,
            "open_price": Decimal("22212"),
            "close_price": Decimal("22214"),
            "high_price": Decimal("22214.5"),
            "low_price": Decimal("22212"),
            "volume": Decimal("5.456"),
            "turnover": Decimal("121193.36"),
            "confirm": False,
            "timestamp": ms(1658150224542),
            "symbol": None,
        },
    )
    # The engine fills the symbol from the topic.
    assert attrs.evolve(kline, symbol="BTCUSDT").symbol == "BTCUSDT"


def test_kline_unknown_interval_is_kept_and_strings_accepted() -> None:
    item = dict(load("v5_kline.json")["data"][0], interval="2", start="1672324800000", confirm="true")
    kline = structure_kline(item)
    assert kline.interval == "2"
    assert not isinstance(kline.interval, KlineInterval)
    assert kline.start_time == ms(1672324800000)
    assert kline.confirm is True
    assert structure_kline(dict(item, interval="D")).interval is KlineInterval.ONE_DAY


# --------------------------------------------------------------------------------------------- liquidation
def test_all_liquidation() -> None:
    frame = load("v5_all_liquidation.json")
    assert len(frame["data"]) == 1
    assert_fields(
        structure_liquidation(frame["data"][0]),
        {
            "update_time": ms(1739502302929),
            "symbol": "ROSEUSDT",
            "side": OrderSide.SELL,
            "quantity": Decimal("20000"),
            "price": Decimal("0.04499"),
        },
    )


# --------------------------------------------------------------------------------------------- order
ORDER = {
    "order_id": "5cf98598-39a7-459e-97bf-76ca765ee020",
    "symbol": "ETH-30DEC22-1400-C",
    "category": Category.OPTION,
    "client_order_id": "",
    "parent_client_order_id": None,
    "block_trade_id": "",
    "price": Decimal("72.5"),
    "quantity": Decimal("1"),
    "side": OrderSide.SELL,
    "is_leverage": None,
    "position_idx": PositionMode.ONE_WAY,
    "status": OrderStatus.FILLED,
    "cancel_type": CancelType.UNKNOWN,
    "reject_reason": "EC_NoError",
    "average_price": Decimal("75"),
    "quantity_remaining": None,
    "value_remaining": None,
    "quantity_filled": Decimal("1"),
    "value_filled": Decimal("75"),
    "executed_fee": Decimal("0.358635"),
    "fee_asset": "",
    "fee_details": (("MNT", Decimal("0.00242968")),),
    "time_in_force": TimeInForce.IOC,
    "order_type": OrderType.MARKET,
    "stop_order_type": None,
    "order_iv": None,
    "trigger_price": None,
    "take_profit": None,
    "stop_loss": None,
    "take_profit_trigger_by": None,
    "stop_loss_trigger_by": None,
    "trigger_direction": TriggerDirection.NONE,
    "trigger_by": None,
    "last_price_on_created": None,
    "close_on_trigger": False,
    "reduce_only": False,
    "create_time": ms(1672364262444),
    "update_time": ms(1672364262457),
    "create_type": None,
    "market_unit": None,
    "oco_trigger_type": None,
    "take_profit_limit_price": None,
    "stop_loss_limit_price": None,
    "self_match_prevention_type": SelfMatchPreventionType.NONE,
    "self_match_prevention_group": 0,
    "self_match_prevention_order_id": "",
    "tp_sl_mode": None,
    "place_type": "price",
    "slippage_tolerance_type": None,
    "slippage_tolerance": None,
    "rpi_match": False,
    "rpi_matched_quantity": Decimal("0"),
    "closed_pnl": Decimal("0"),
    "broker_order_price": None,
}


def test_order() -> None:
    frame = load("v5_order.json")
    assert len(frame["data"]) == 1
    order = structure_order(frame["data"][0])
    assert_fields(order, ORDER)
    assert dict(order.fee_details or ()) == {"MNT": Decimal("0.00242968")}
    hash(order)  # tuples keep the model hashable


def test_order_drift() -> None:
    item = dict(load("v5_order.json")["data"][0])
    item.update(
        {
            "orderStatus": "Expired",
            "cancelType": "CancelByNewReason",
            "timeInForce": "GTC",
            "positionIdx": "1",
            "triggerDirection": "2",
            "leavesQty": 0,
            "price": 72.5,
            "createdTime": 1672364262444,
            "tpslMode": "Partial",
            "stopOrderType": "TakeProfit",
            "cumFeeDetail": {},
            "newField": [1, 2],
        }
    )
    order = structure_order(item)
    assert order.status is not None and order.status.value == "Expired"
    assert order.cancel_type is not None and order.cancel_type.value == "CancelByNewReason"
    assert order.time_in_force is TimeInForce.GTC
    assert order.position_idx is PositionMode.BOTH_SIDE_BUY
    assert order.trigger_direction is TriggerDirection.FALL
    assert order.quantity_remaining == Decimal(0)
    assert order.price == Decimal("72.5")
    assert order.create_time == ms(1672364262444)
    assert order.tp_sl_mode is StopLossTakeProfitMode.PARTIAL
    assert order.stop_order_type is StopOrderType.TAKE_PROFIT
    assert order.fee_details == ()


# --------------------------------------------------------------------------------------------- position
POSITION = {
    "symbol": "BTCUSDT",
    "category": Category.LINEAR,
    "position_idx": PositionMode.BOTH_SIDE_SELL,
    "risk_id": 1,
    "risk_limit_value": Decimal("2000000"),
    "side": None,
    "quantity": Decimal("0"),
    "average_price": Decimal("0"),
    "break_even_price": Decimal("93556.73034991"),
    "position_value": Decimal("0"),
    "trade_mode": TradeMode.CROSS_MARGIN,
    "position_status": PositionStatus.NORMAL,
    "leverage": Decimal("10"),
    "mark_price": Decimal("28184.5"),
    "liquidation_price": Decimal("0"),
    "bust_price": None,
    "initial_margin": Decimal("0"),
    "initial_margin_by_mark_price": Decimal("0"),
    "maintenance_margin": Decimal("0"),
    "maintenance_margin_by_mark_price": Decimal("0"),
    "position_balance": Decimal("0"),
    "take_profit_stop_loss_mode": StopLossTakeProfitMode.FULL,
    "take_profit": Decimal("0"),
    "stop_loss": Decimal("0"),
    "trailing_stop": Decimal("0"),
    "session_average_price": Decimal("0"),
    "unrealized_pnl": Decimal("0"),
    "current_realized_pnl": Decimal("1.26"),
    "realized_pnl": Decimal("-25.06579337"),
    "auto_deleverage_rank_indicator": 0,
    "auto_add_margin": False,
    "is_reduce_only": False,
    "create_time": ms(1694402496913),
    "update_time": ms(1697682317038),
    "maintenance_margin_update_time": None,
    "leverage_update_time": None,
    "sequence": 8327597863,
    "delta": None,
    "gamma": None,
    "vega": None,
    "theta": None,
    "open_time": None,
}


def test_position() -> None:
    frame = load("v5_position.json")
    assert len(frame["data"]) == 1
    assert_fields(structure_position(frame["data"][0]), POSITION)


def test_position_side_and_avg_price_alias() -> None:
    item = dict(load("v5_position.json")["data"][0], side="Buy", size="0.5")
    del item["entryPrice"]
    item["avgPrice"] = "28000.5"
    position = structure_position(item)
    assert position.side is PositionSide.BUY
    assert position.average_price == Decimal("28000.5")
    assert structure_position(dict(item, side="None")).side is PositionSide.NONE
    assert structure_position(dict(item, entryPrice="1")).average_price == Decimal("1")


# --------------------------------------------------------------------------------------------- execution
USER_TRADE = {
    "symbol": "BTCUSDT",
    "order_id": "9aac161b-8ed6-450d-9cab-c5cc67c21784",
    "trade_id": "0ab1bdf7-4219-438b-b30a-32ec863018f7",
    "category": Category.LINEAR,
    "client_order_id": "",
    "side": OrderSide.SELL,
    "order_price": Decimal("94942.5"),
    "order_quantity": Decimal("0.5"),
    "quantity_remaining": Decimal("0"),
    "order_type": OrderType.MARKET,
    "stop_order_type": StopOrderType.UNKNOWN,
    "fee": Decimal("26.3725275"),
    "fee_asset": "USDT",
    "fee_rate": Decimal("0.00055"),
    "price": Decimal("95900.1"),
    "quantity": Decimal("0.5"),
    "value": Decimal("47950.05"),
    "timestamp": ms(1746270400353),
    "trade_type": TradeType.TRADE,
    "is_maker": False,
    "is_leverage": False,
    "trade_iv": None,
    "mark_iv": None,
    "mark_price": Decimal("95901.48"),
    "index_price": None,
    "underlying_price": None,
    "block_trade_id": "",
    "closed_quantity": Decimal("0.5"),
    "pnl": Decimal("0.05"),
    "sequence": 140612148849382,
    "create_type": CreateType.CREATE_BY_USER,
    "market_unit": None,
    "extra_fees": (
        ExtraFee(
            fee_asset="USDT",
            fee_type="GST",
            sub_fee_type="IND_GST",
            fee_rate=Decimal("0.0000675"),
            fee=Decimal("0.006403779"),
        ),
    ),
}


def test_execution() -> None:
    frame = load("v5_execution.json")
    assert len(frame["data"]) == 1
    assert_fields(structure_user_trade(frame["data"][0]), USER_TRADE)


def test_execution_unknown_exec_type_and_category_kept() -> None:
    item = dict(load("v5_execution.json")["data"][0], execType="FutureSpread", category="spread")
    trade = structure_user_trade(item)
    assert trade.trade_type is not None and trade.trade_type.value == "FutureSpread"
    assert trade.category is not None and trade.category.value == "spread"
    assert structure_user_trade(dict(item, execType="Funding")).trade_type is TradeType.FUNDING


# --------------------------------------------------------------------------------------------- wallet
ASSET_BALANCE: dict[str, Any] = {
    "asset": "BTC",
    "equity": Decimal("0.00102964"),
    "usd_value": Decimal("36.70759517"),
    "wallet_balance": Decimal("0.00102964"),
    "free": None,
    "locked": Decimal("0"),
    "borrow_amount": Decimal("0"),
    "available_to_borrow": None,
    "available_to_withdraw": Decimal("0.00102964"),
    "accrued_interest": Decimal("0"),
    "total_order_initial_margin": None,
    "total_position_initial_margin": None,
    "total_position_maintenance_margin": None,
    "unrealized_pnl": Decimal("0"),
    "realized_pnl": Decimal("-0.00000973"),
    "bonus": Decimal("0"),
    "spot_hedging_quantity": Decimal("0.01592413"),
    "spot_borrow": Decimal("0"),
    "collateral_switch": True,
    "margin_collateral": True,
    "collateral_restriction": None,
}


def test_wallet() -> None:
    frame = load("v5_wallet.json")
    assert len(frame["data"]) == 1
    balance = structure_balance(frame["data"][0])
    assert len(balance.assets) == 1
    assert_fields(balance.assets[0], ASSET_BALANCE)
    assert_fields(
        balance,
        {
            "account_type": AccountType.UNIFIED,
            "account_ltv": Decimal("0"),
            "account_initial_margin_rate": Decimal("0"),
            "account_initial_margin_rate_by_mark_price": Decimal("0"),
            "account_maintenance_margin_rate": Decimal("0"),
            "account_maintenance_margin_rate_by_mark_price": Decimal("0"),
            "total_equity": Decimal("10262.91335023"),
            "total_wallet_balance": Decimal("9684.46297164"),
            "total_margin_balance": Decimal("9684.46297164"),
            "total_available_balance": Decimal("9556.6056555"),
            "total_perp_unrealized_pnl": Decimal("0"),
            "total_initial_margin": Decimal("0"),
            "total_initial_margin_by_mark_price": Decimal("0"),
            "total_maintenance_margin": Decimal("0"),
            "total_maintenance_margin_by_mark_price": Decimal("0"),
            "assets": (AssetBalance(**ASSET_BALANCE),),
        },
    )
    hash(balance)


def test_wallet_several_coins_and_empty() -> None:
    item = dict(load("v5_wallet.json")["data"][0])
    usdt = {"coin": "USDT", "equity": 100, "walletBalance": "100.5", "free": "", "collateralSwitch": "false"}
    item["coin"] = [*item["coin"], usdt]
    balance = structure_balance(item)
    assert [a.asset for a in balance.assets] == ["BTC", "USDT"]
    assert balance.assets[1].equity == Decimal(100)
    assert balance.assets[1].wallet_balance == Decimal("100.5")
    assert balance.assets[1].free is None
    assert balance.assets[1].collateral_switch is False
    assert structure_balance(dict(item, coin=[])).assets == ()
    assert structure_balance(dict(item, accountType="CONTRACT")).account_type is AccountType.CONTRACT
    with pytest.raises(KeyError):
        structure_balance({"accountType": "UNIFIED"})
