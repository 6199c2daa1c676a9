"""The inverse perpetual v2 models against every inverse fixture, field by field.

Frames come from ``tests/fixtures/frames/inverse_*.json`` (the models parse their ``data`` part) and
Bybit.Net's payloads from ``tests/fixtures/bybitnet/InversePerpetual/Socket/*.txt``. JSON is decoded
the way the engine decodes it: ``json.loads(text, parse_float=Decimal)``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import attrs
import pytest

from bybit_ws._convert import structurer
from bybit_ws.enums import (
    OrderSide,
    OrderStatus,
    OrderType,
    PositionMode,
    PositionSide,
    PositionStatus,
    StopLossTakeProfitMode,
    StopOrderStatus,
    StopOrderType,
    TickDirection,
    TimeInForce,
    TradeType,
    TriggerType,
)
from bybit_ws.models._common import DeltaUpdate
from bybit_ws.models.inverse import (
    BalanceUpdate,
    InsuranceUpdate,
    KlineUpdate,
    LiquidationUpdate,
    OrderBookEntry,
    OrderUpdate,
    PositionUpdate,
    StopOrderUpdate,
    TickerUpdate,
    TradeUpdate,
    UserTradeUpdate,
)

M = TypeVar("M")

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FRAMES = FIXTURES / "frames"
BYBITNET = FIXTURES / "bybitnet" / "InversePerpetual" / "Socket"

structure_trade = structurer(TradeUpdate)
structure_ticker = structurer(TickerUpdate)
structure_entry = structurer(OrderBookEntry)
structure_insurance = structurer(InsuranceUpdate)
structure_kline = structurer(KlineUpdate)
structure_liquidation = structurer(LiquidationUpdate)
structure_position = structurer(PositionUpdate)
structure_user_trade = structurer(UserTradeUpdate)
structure_order = structurer(OrderUpdate)
structure_stop_order = structurer(StopOrderUpdate)
structure_balance = structurer(BalanceUpdate)


# ------------------------------------------------------------------------------------------ helpers
def frame_data(name: str) -> Any:
    """The ``data`` part of one frame file."""
    return json.loads((FRAMES / name).read_text(), parse_float=Decimal)["data"]


def bybitnet(name: str) -> Any:
    """One Bybit.Net payload file, ``//`` line comments stripped (no string in them contains ``//``)."""
    text = re.sub(r"//[^\n]*", "", (BYBITNET / name).read_text())
    return json.loads(text, parse_float=Decimal)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=timezone.utc)


def assert_model(actual: Any, expected: Any) -> None:
    """Compare two models field by field: same type and same value (fields left out are ``None``).

    Types are compared too, so ``"Sell"`` does not pass for ``OrderSide.SELL`` nor ``8098`` for
    ``Decimal("8098")``; every datetime must be timezone-aware UTC.
    """
    assert type(actual) is type(expected)
    for field in attrs.fields(type(actual)):
        got = getattr(actual, field.name)
        want = getattr(expected, field.name)
        where = f"{type(actual).__name__}.{field.name}"
        assert (type(got), got) == (type(want), want), f"{where}: {got!r} != {want!r}"
        if isinstance(got, datetime):
            assert got.utcoffset() == timedelta(0), where


def structure_all(structure: Callable[[Mapping[str, Any]], M], items: list[dict[str, Any]]) -> list[M]:
    return [structure(item) for item in items]


# ------------------------------------------------------------------------------------------- trades
DOC_TRADE = TradeUpdate(
    symbol="BTCUSD",
    side=OrderSide.SELL,
    price=Decimal("8098"),
    quantity=Decimal("328"),
    timestamp=utc(2020, 1, 12, 16, 59, 59),
    trade_time=utc(2020, 2, 27, 8, 49, 4, 685000),
    tick_direction=TickDirection.MINUS_TICK,
    id="00c706e1-ba52-5bb0-98d0-bf694bdc69f7",
    cross_sequence=1052816407,
    is_block_trade=None,
)


@pytest.mark.parametrize(
    "items",
    [frame_data("inverse_trade.json"), bybitnet("TradeUpdate.txt")],
    ids=["frame", "bybitnet"],
)
def test_trade(items: list[dict[str, Any]]) -> None:
    trades = structure_all(structure_trade, items)
    assert len(trades) == 1
    assert_model(trades[0], DOC_TRADE)


def test_trade_observed() -> None:
    first, second = structure_all(structure_trade, frame_data("inverse_trade_observed.json"))
    assert_model(
        first,
        TradeUpdate(
            symbol="ETHUSD",
            side=OrderSide.BUY,
            price=Decimal("1995.05"),
            quantity=Decimal("1"),
            timestamp=utc(2023, 5, 5, 17, 43, 26),
            trade_time=utc(2023, 5, 5, 17, 43, 26, 936000),
            tick_direction=TickDirection.ZERO_PLUS_TICK,
            id="14bbac52-f716-5cd0-af1a-236a2f963be5",
            cross_sequence=14563860127,
            is_block_trade=False,
        ),
    )
    assert str(first.price) == "1995.05"
    assert_model(
        second,
        TradeUpdate(
            symbol="ETHUSD",
            side=OrderSide.SELL,
            price=Decimal("1995"),
            quantity=Decimal("1"),
            timestamp=utc(2023, 5, 5, 17, 43, 26),
            trade_time=utc(2023, 5, 5, 17, 43, 26, 941000),
            tick_direction=TickDirection.MINUS_TICK,
            id="5050a170-03d4-5984-9542-1d7f62c3c45e",
            cross_sequence=14563860131,
            is_block_trade=False,
        ),
    )


# ------------------------------------------------------------------------------------------ tickers
def test_ticker_doc_snapshot() -> None:
    # The doc example puts the e4 integer into the string prices ("81165000"): kept as sent, since the
    # plain field wins over its *_e4 twin.
    ticker = structure_ticker(frame_data("inverse_instrument_info_snapshot.json"))
    assert_model(
        ticker,
        TickerUpdate(
            id=1,
            symbol="BTCUSD",
            last_tick_direction=TickDirection.ZERO_PLUS_TICK,
            cross_sequence=1053192577,
            last_price=Decimal("81165000"),
            best_bid_price=Decimal("400025000"),
            best_ask_price=Decimal("475450000"),
            mark_price=Decimal("81178500"),
            index_price=Decimal("81172800"),
            price_24h=Decimal("81585000"),
            price_1h=Decimal("81395000"),
            high_price_24h=Decimal("82900000"),
            low_price_24h=Decimal("79655000"),
            price_change_percentage_24h=Decimal("-0.005148"),
            price_change_percentage_1h=Decimal("-0.002825"),
            funding_rate=Decimal("0.0001"),
            predicted_funding_rate=Decimal("0.0001"),
            open_interest=Decimal("154418471"),
            open_value=Decimal("19975.61103030"),
            total_volume=Decimal("175654418740"),
            volume_24h=Decimal("735865248"),
            total_turnover=Decimal("20293701.41961401"),
            turnover_24h=Decimal("90729.39873591"),
            create_time=utc(2018, 11, 14, 16, 33, 26),
            update_time=utc(2020, 1, 12, 18, 25, 16),
            next_funding_time=utc(2020, 1, 13),
            countdown_hour=6,
            funding_rate_interval=8,
            delisting_status=None,
        ),
    )
    assert str(ticker.price_change_percentage_24h) == "-0.005148"


def test_ticker_observed_snapshot() -> None:
    ticker = structure_ticker(frame_data("inverse_instrument_info_snapshot_observed.json"))
    assert_model(
        ticker,
        TickerUpdate(
            id=1,
            symbol="BTCUSD",
            last_tick_direction=TickDirection.PLUS_TICK,
            cross_sequence=21539067996,
            last_price=Decimal("29524.50"),
            best_bid_price=Decimal("29524.00"),
            best_ask_price=Decimal("29524.50"),
            mark_price=Decimal("29521.00"),
            index_price=Decimal("29528.95"),
            price_24h=Decimal("28816.50"),
            price_1h=Decimal("29519.50"),
            high_price_24h=Decimal("29700.00"),
            low_price_24h=Decimal("28670.50"),
            price_change_percentage_24h=Decimal("0.024569"),
            price_change_percentage_1h=Decimal("0.000169"),
            funding_rate=Decimal("0.0001"),
            predicted_funding_rate=Decimal("0.0001"),
            open_interest=Decimal("508778809"),
            open_value=Decimal("0"),
            total_volume=Decimal("30329789303"),
            volume_24h=Decimal("778214476"),
            total_turnover=Decimal("1060897.38482568"),
            turnover_24h=Decimal("26668.32075738"),
            create_time=utc(2018, 11, 14, 16, 33, 26),
            update_time=utc(2023, 5, 5, 17, 49, 57),
            next_funding_time=utc(2023, 5, 6),
            countdown_hour=7,
            funding_rate_interval=8,
            delisting_status="0",
        ),
    )


def test_ticker_bybitnet() -> None:
    ticker = structure_ticker(bybitnet("TickerUpdate.txt"))
    assert_model(
        ticker,
        TickerUpdate(
            id=92,
            symbol="BITUSD",
            last_tick_direction=TickDirection.ZERO_MINUS_TICK,
            cross_sequence=98763156,
            last_price=Decimal("1.908"),
            best_bid_price=Decimal("1.907"),
            best_ask_price=Decimal("1.908"),
            mark_price=Decimal("1.907"),
            index_price=Decimal("1.906"),
            price_24h=Decimal("1.974"),
            price_1h=Decimal("1.914"),
            high_price_24h=Decimal("2.026"),
            low_price_24h=Decimal("1.860"),
            price_change_percentage_24h=Decimal("-0.033434"),
            price_change_percentage_1h=Decimal("-0.003134"),
            funding_rate=Decimal("0.000548"),
            predicted_funding_rate=Decimal("0.0001"),
            open_interest=Decimal("54392640"),
            open_value=Decimal("0"),
            total_volume=Decimal("1801762781"),
            volume_24h=Decimal("57130366"),
            total_turnover=Decimal("898930086.73429363"),
            turnover_24h=Decimal("29552328.44926929"),
            create_time=utc(2021, 11, 4, 13, 32, 53),
            update_time=utc(2022, 1, 21, 10, 14, 18),
            next_funding_time=utc(2022, 1, 21, 16),
            countdown_hour=6,
            funding_rate_interval=8,
        ),
    )


def test_ticker_delta_alone_and_merged() -> None:
    update = frame_data("inverse_instrument_info_delta.json")["update"][0]
    delta_only = TickerUpdate(
        id=1,
        symbol="BTCUSD",
        cross_sequence=1053192657,
        price_24h=Decimal("81565000"),
        price_change_percentage_24h=Decimal("-0.004904"),
        open_value=Decimal("20004.79681106"),
        total_turnover=Decimal("20293704.95672976"),
        turnover_24h=Decimal("90662.15468687"),
        volume_24h=Decimal("735316391"),
        create_time=utc(2018, 11, 14, 16, 33, 26),
        update_time=utc(2020, 1, 12, 18, 25, 25),
    )
    assert_model(structure_ticker(update), delta_only)

    # What the engine hands over after the delta: the snapshot dict updated with the changed fields.
    merged = structure_ticker({**frame_data("inverse_instrument_info_snapshot.json"), **update})
    snapshot = structure_ticker(frame_data("inverse_instrument_info_snapshot.json"))
    assert_model(
        merged,
        attrs.evolve(
            snapshot,
            cross_sequence=1053192657,
            price_24h=Decimal("81565000"),
            price_change_percentage_24h=Decimal("-0.004904"),
            open_value=Decimal("20004.79681106"),
            total_turnover=Decimal("20293704.95672976"),
            turnover_24h=Decimal("90662.15468687"),
            volume_24h=Decimal("735316391"),
            update_time=utc(2020, 1, 12, 18, 25, 25),
        ),
    )


def test_ticker_reads_e4_prices_when_plain_prices_are_missing() -> None:
    ticker = structure_ticker(
        {
            "symbol": "BTCUSD",
            "last_price_e4": 295245000,
            "bid1_price_e4": 295240000,
            "ask1_price_e4": "295245000",
            "prev_price_24h_e4": 288165000,
            "high_price_24h_e4": 297000000,
            "low_price_24h_e4": 286705000,
            "prev_price_1h_e4": 295195000,
            "mark_price_e4": 295210000,
            "index_price_e4": 295289500,
        }
    )
    assert_model(
        ticker,
        TickerUpdate(
            symbol="BTCUSD",
            last_price=Decimal("29524.5"),
            best_bid_price=Decimal("29524"),
            best_ask_price=Decimal("29524.5"),
            price_24h=Decimal("28816.5"),
            high_price_24h=Decimal("29700"),
            low_price_24h=Decimal("28670.5"),
            price_1h=Decimal("29519.5"),
            mark_price=Decimal("29521"),
            index_price=Decimal("29528.95"),
        ),
    )
    # The plain price wins when both are present.
    both = structure_ticker({"last_price": "29524.50", "last_price_e4": 1})
    assert both.last_price == Decimal("29524.50")


def test_ticker_e8_and_countdown_aliases() -> None:
    ticker = structure_ticker(
        {
            "open_interest_e8": 50877880900000000,
            "total_volume_e8": 3032978930300000000,
            "volume_24h_e8": "77821447600000000",
            "count_down_hour": "7",
        }
    )
    assert_model(
        ticker,
        TickerUpdate(
            open_interest=Decimal("508778809"),
            total_volume=Decimal("30329789303"),
            volume_24h=Decimal("778214476"),
            countdown_hour=7,
        ),
    )
    # The plain names win over their aliases.
    plain = structure_ticker(
        {"open_interest": 5, "open_interest_e8": 1, "countdown_hour": 6, "count_down_hour": 1}
    )
    assert (plain.open_interest, plain.countdown_hour) == (Decimal(5), 6)


# -------------------------------------------------------------------------------------- order books
def level(price: str, side: OrderSide, id: int, size: int | None = None) -> OrderBookEntry:
    """An expected BTCUSD level; ``size=None`` for delete entries, which carry no size."""
    return OrderBookEntry(
        symbol="BTCUSD",
        price=Decimal(price),
        side=side,
        quantity=None if size is None else Decimal(size),
        id=id,
    )


@pytest.mark.parametrize("name", ["inverse_orderbook25_snapshot.json", "inverse_orderbook200_snapshot.json"])
def test_order_book_snapshot(name: str) -> None:
    entries = structure_all(structure_entry, frame_data(name))
    expected = [
        level("2999.00", OrderSide.BUY, 29990000, size=9),
        level("3001.00", OrderSide.SELL, 30010000, size=10),
    ]
    assert len(entries) == len(expected)
    for entry, want in zip(entries, expected, strict=True):
        assert_model(entry, want)
    assert str(entries[0].price) == "2999.00"


def structure_delta(data: dict[str, Any]) -> DeltaUpdate[OrderBookEntry]:
    return DeltaUpdate(
        delete=tuple(map(structure_entry, data["delete"])),
        update=tuple(map(structure_entry, data["update"])),
        insert=tuple(map(structure_entry, data["insert"])),
    )


def assert_delta(actual: DeltaUpdate[OrderBookEntry], expected: DeltaUpdate[OrderBookEntry]) -> None:
    for part in ("delete", "update", "insert"):
        got, want = getattr(actual, part), getattr(expected, part)
        assert len(got) == len(want), part
        for entry, expected_entry in zip(got, want, strict=True):
            assert_model(entry, expected_entry)


@pytest.mark.parametrize("name", ["inverse_orderbook25_delta.json", "inverse_orderbook200_delta.json"])
def test_order_book_doc_delta(name: str) -> None:
    delta = structure_delta(frame_data(name))
    assert_delta(
        delta,
        DeltaUpdate(
            delete=(level("3001.00", OrderSide.SELL, 30010000),),
            update=(level("2999.00", OrderSide.BUY, 29990000, size=8),),
            insert=(level("2998.00", OrderSide.BUY, 29980000, size=8),),
        ),
    )
    assert delta.delete[0].quantity is None


def test_order_book_25_observed_delta() -> None:
    assert_delta(
        structure_delta(frame_data("inverse_orderbook25_delta_observed.json")),
        DeltaUpdate(
            delete=(level("29597.00", OrderSide.BUY, 295970000),),
            update=(level("29606.50", OrderSide.BUY, 296065000, size=17500),),
            insert=(level("29607.50", OrderSide.BUY, 296075000, size=299),),
        ),
    )


def test_order_book_200_observed_delta() -> None:
    assert_delta(
        structure_delta(frame_data("inverse_orderbook200_delta_observed.json")),
        DeltaUpdate(
            delete=(level("29484.50", OrderSide.BUY, 294845000),),
            update=(
                level("29628.50", OrderSide.SELL, 296285000, size=95285),
                level("29628.00", OrderSide.SELL, 296280000, size=88728),
            ),
            insert=(level("29617.00", OrderSide.BUY, 296170000, size=64100),),
        ),
    )


# ----------------------------------------------------------------------------------------- insurance
@pytest.mark.parametrize(
    "items",
    [frame_data("inverse_insurance.json"), bybitnet("InsuranceUpdate.txt")],
    ids=["frame", "bybitnet"],
)
def test_insurance(items: list[dict[str, Any]]) -> None:
    (insurance,) = structure_all(structure_insurance, items)
    assert_model(
        insurance,
        InsuranceUpdate(asset="BTC", timestamp=utc(2020, 1, 11, 20), wallet_balance=Decimal("98786916569")),
    )


def test_insurance_observed() -> None:
    (insurance,) = structure_all(structure_insurance, frame_data("inverse_insurance_observed.json"))
    assert_model(
        insurance,
        InsuranceUpdate(asset="ETH", timestamp=utc(2023, 5, 4, 20), wallet_balance=Decimal("5067222494036")),
    )


# -------------------------------------------------------------------------------------------- klines
DOC_KLINE = KlineUpdate(
    open_time=utc(2019, 10, 30, 8, 54),
    close_time=utc(2019, 10, 30, 8, 55),
    open_price=Decimal("9200"),
    close_price=Decimal("9202.5"),
    high_price=Decimal("9202.5"),
    low_price=Decimal("9196"),
    volume=Decimal("81790"),
    turnover=Decimal("8.889247899999999"),
    confirm=False,
    cross_sequence=297503466,
    timestamp=utc(2019, 10, 30, 8, 54, 36, 958323),
)


@pytest.mark.parametrize(
    "items",
    [frame_data("inverse_kline.json"), bybitnet("KlineUpdate.txt")],
    ids=["frame", "bybitnet"],
)
def test_kline(items: list[dict[str, Any]]) -> None:
    (kline,) = structure_all(structure_kline, items)
    assert_model(kline, DOC_KLINE)
    assert str(kline.turnover) == "8.889247899999999"


def test_kline_observed_with_symbol_and_interval_from_the_topic() -> None:
    (item,) = frame_data("inverse_kline_observed.json")
    kline = structure_kline({**item, "symbol": "BTCUSD", "interval": "1"})
    assert_model(
        kline,
        KlineUpdate(
            symbol="BTCUSD",
            interval="1",
            open_time=utc(2023, 5, 5, 17, 51),
            close_time=utc(2023, 5, 5, 17, 52),
            open_price=Decimal("29529"),
            close_price=Decimal("29541"),
            high_price=Decimal("29541"),
            low_price=Decimal("29528.5"),
            volume=Decimal("184045"),
            turnover=Decimal("6.2314151"),
            confirm=False,
            cross_sequence=21539090874,
            timestamp=utc(2023, 5, 5, 17, 51, 42, 77887),
        ),
    )


# ---------------------------------------------------------------------------------------- liquidation
@pytest.mark.parametrize(
    "data",
    [frame_data("inverse_liquidation.json"), bybitnet("LiquidationUpdate.txt")],
    ids=["frame", "bybitnet"],
)
def test_liquidation(data: dict[str, Any]) -> None:
    assert_model(
        structure_liquidation(data),
        LiquidationUpdate(
            symbol="ETHUSD",
            side=OrderSide.SELL,
            price=Decimal("3384.15"),
            quantity=Decimal("3655"),
            timestamp=utc(2021, 9, 14, 8, 41, 21, 954000),
        ),
    )


# ------------------------------------------------------------------------------------------ position
def test_position_frame() -> None:
    (position,) = structure_all(structure_position, frame_data("inverse_position.json"))
    assert_model(
        position,
        PositionUpdate(
            symbol="BTCUSD",
            side=PositionSide.BUY,
            quantity=Decimal("200"),
            user_id=533285,
            risk_id=1,
            position_mode=PositionMode.ONE_WAY,
            position_status=PositionStatus.NORMAL,
            position_sequence=0,
            entry_price=Decimal("20005.00125031"),
            liquidation_price=Decimal("489"),
            bankruptcy_price=Decimal("489"),
            take_profit=Decimal("0"),
            stop_loss=Decimal("0"),
            trailing_stop=Decimal("0"),
            trailing_active=Decimal("0"),
            take_profit_trigger_by=None,
            stop_loss_triggered_by=None,
            take_profit_stop_loss_mode=StopLossTakeProfitMode.PARTIAL,
            position_value=Decimal("0.0099975"),
            leverage=Decimal("5"),
            position_margin=Decimal("0.39929535"),
            order_margin=Decimal("0"),
            wallet_balance=Decimal("0.40053971"),
            available_balance=Decimal("0.39753405"),
            closing_fee=Decimal("0.0002454"),
            funding_fee=Decimal("0"),
            realized_pnl=Decimal("0.00055631"),
            total_realized_pnl=Decimal("0.00055105"),
            auto_add_margin=True,
            isolated=False,
        ),
    )


def test_position_bybitnet() -> None:
    (position,) = structure_all(structure_position, bybitnet("PositionUpdate.txt"))
    assert_model(
        position,
        PositionUpdate(
            symbol="BTCUSD",
            side=PositionSide.SELL,
            quantity=Decimal("11"),
            user_id=1,
            risk_id=1,
            position_mode=None,
            position_status=PositionStatus.NORMAL,
            position_sequence=14,
            entry_price=Decimal("6907.291588174717"),
            liquidation_price=Decimal("7100.234"),
            bankruptcy_price=Decimal("7088.1234"),
            take_profit=Decimal("0"),
            stop_loss=Decimal("0"),
            trailing_stop=Decimal("0"),
            trailing_active=Decimal("0"),
            take_profit_trigger_by=TriggerType.LAST_PRICE,
            stop_loss_triggered_by=None,  # sl_trigger_by: ""
            position_value=Decimal("0.00159252"),
            leverage=Decimal("1"),
            position_margin=Decimal("1"),
            order_margin=Decimal("1"),
            wallet_balance=Decimal("4.12"),
            available_balance=Decimal("2"),
            closing_fee=Decimal("0.1"),
            funding_fee=Decimal("0.1"),
            realized_pnl=Decimal("0.10"),
            total_realized_pnl=Decimal("0.12"),
            auto_add_margin=False,
            isolated=None,
        ),
    )


# ------------------------------------------------------------------------------------------ execution
@pytest.mark.parametrize(
    "items",
    [frame_data("inverse_execution.json"), bybitnet("UserTradeUpdate.txt")],
    ids=["frame", "bybitnet"],
)
def test_user_trade(items: list[dict[str, Any]]) -> None:
    (trade,) = structure_all(structure_user_trade, items)
    assert_model(
        trade,
        UserTradeUpdate(
            symbol="BTCUSD",
            side=OrderSide.BUY,
            id="xxxxxxxx-xxxx-xxxx-8b66-c3d2fcd352f6",
            order_id="xxxxxxxx-xxxx-xxxx-9a8f-4a973eb5c418",
            client_order_id="",
            price=Decimal("8300"),
            quantity=Decimal("1"),
            order_quantity=Decimal("1"),
            quantity_remaining=Decimal("0"),
            fee=Decimal("0.00000009"),
            type=TradeType.TRADE,
            is_maker=False,
            trade_time=utc(2020, 1, 14, 14, 7, 23, 629000),
        ),
    )


# --------------------------------------------------------------------------------------------- orders
def test_order_frame() -> None:
    (order,) = structure_all(structure_order, frame_data("inverse_order.json"))
    assert_model(
        order,
        OrderUpdate(
            symbol="BTCUSD",
            user_id=None,
            side=OrderSide.SELL,
            type=OrderType.MARKET,
            time_in_force=TimeInForce.IMMEDIATE_OR_CANCEL,
            price=Decimal("20564"),
            quantity=Decimal("200"),
            leaves_quantity=Decimal("0"),
            leaves_value=None,
            client_order_id="IPBTC00005",
            create_type="CreateByUser",
            cancel_type="",
            create_time=None,
            update_time=None,
            timestamp=utc(2022, 6, 21, 7, 35, 56, 505000),
            id="1640b725-75e9-407d-bea9-aae4fc666d33",
            status=OrderStatus.FILLED,
            quote_quantity_filled=Decimal("200"),
            base_quantity_filled=Decimal("0.00943552"),
            fee=Decimal("0.00000567"),
            last_trade_price=Decimal("21196.5"),
            take_profit=Decimal("18500"),
            stop_loss=Decimal("22000"),
            trailing_stop=Decimal("0"),
            trailing_active=None,
            take_profit_trigger_by=TriggerType.LAST_PRICE,
            stop_loss_trigger_by=TriggerType.LAST_PRICE,
            reduce_only=False,
            close_on_trigger=False,
            position_mode=None,
        ),
    )


def test_order_bybitnet() -> None:
    # Bybit.Net's fixture: numbers as JSON numbers, nanosecond ISO create_time, position_idx "1".
    (order,) = structure_all(structure_order, bybitnet("OrderUpdate.txt"))
    assert_model(
        order,
        OrderUpdate(
            symbol="BTCUSDT",
            side=OrderSide.BUY,
            type=OrderType.MARKET,
            time_in_force=TimeInForce.IMMEDIATE_OR_CANCEL,
            price=Decimal("38262"),
            quantity=Decimal("0.01"),
            leaves_quantity=Decimal("0"),
            client_order_id="",
            create_type="CreateByUser",
            cancel_type="UNKNOWN",
            create_time=utc(2022, 1, 25, 10, 32, 34, 519268),
            update_time=utc(2022, 1, 25, 10, 32, 34, 519369),
            timestamp=None,
            id="19bffe79-de68-4c53-9515-4f91b0c70112",
            status=OrderStatus.FILLED,
            quote_quantity_filled=Decimal("0.01"),
            base_quantity_filled=Decimal("364.411"),
            fee=Decimal("0.0273315"),
            last_trade_price=Decimal("36442"),
            take_profit=Decimal("0"),
            stop_loss=Decimal("0"),
            trailing_stop=Decimal("0"),
            reduce_only=False,
            close_on_trigger=False,
            position_mode=PositionMode.BOTH_SIDE_BUY,
        ),
    )
    assert str(order.quantity) == "0.01"


def test_order_create_and_update_time_aliases() -> None:
    base = {"symbol": "BTCUSD", "order_id": "1"}
    at = structure_order(
        {**base, "created_at": "2022-01-25T10:32:34Z", "updated_at": "2022-01-25T10:32:35.5Z"}
    )
    assert (at.create_time, at.update_time) == (
        utc(2022, 1, 25, 10, 32, 34),
        utc(2022, 1, 25, 10, 32, 35, 500000),
    )
    ms = structure_order({**base, "created_time": 1643106754519, "updated_time": "1643106755000"})
    assert (ms.create_time, ms.update_time) == (
        utc(2022, 1, 25, 10, 32, 34, 519000),
        utc(2022, 1, 25, 10, 32, 35),
    )
    iso = structure_order(
        {
            **base,
            "create_time": "2022-01-25T10:32:34.519268798Z",
            "update_time": "2022-01-25T10:32:34.519369Z",
        }
    )
    assert (iso.create_time, iso.update_time) == (
        utc(2022, 1, 25, 10, 32, 34, 519268),
        utc(2022, 1, 25, 10, 32, 34, 519369),
    )
    assert iso.create_time is not None
    assert iso.create_time.tzinfo is not None
    assert iso.create_time.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "items",
    [frame_data("inverse_stop_order.json"), bybitnet("StopOrderUpdate.txt")],
    ids=["frame", "bybitnet"],
)
def test_stop_order(items: list[dict[str, Any]]) -> None:
    (stop,) = structure_all(structure_stop_order, items)
    # take_profit / stop_loss are only in the docs frame, as JSON numbers.
    has_tp_sl = "take_profit" in items[0]
    assert_model(
        stop,
        StopOrderUpdate(
            symbol="BTCUSD",
            user_id=1,
            side=OrderSide.BUY,
            type=OrderType.LIMIT,
            time_in_force=TimeInForce.IMMEDIATE_OR_CANCEL,
            price=Decimal("8584.5"),
            quantity=Decimal("1"),
            leaves_quantity=None,
            leaves_value=None,
            client_order_id="",
            create_type="CreateByStopOrder",
            cancel_type="",
            create_time=None,
            update_time=None,
            timestamp=utc(2020, 1, 14, 14, 11, 22, 62000),
            id="xxxxxxxx-xxxx-xxxx-98fb-335aaa6c613b",
            status=StopOrderStatus.UNTRIGGERED,
            stop_order_type=StopOrderType.STOP,
            trigger_by=TriggerType.LAST_PRICE,
            trigger_price=Decimal("8584.5"),
            close_on_trigger=False,
            take_profit=Decimal("10000") if has_tp_sl else None,
            stop_loss=Decimal("7500") if has_tp_sl else None,
        ),
    )


def test_stop_order_id_alias() -> None:
    stop = structure_stop_order({"symbol": "BTCUSD", "stop_order_id": "abc", "take_profit": "10000"})
    assert (stop.id, stop.take_profit) == ("abc", Decimal("10000"))


# --------------------------------------------------------------------------------------------- wallet
def test_balance_frame() -> None:
    (balance,) = structure_all(structure_balance, frame_data("inverse_wallet.json"))
    assert_model(
        balance,
        BalanceUpdate(
            asset="BTC",
            wallet_balance=Decimal("1.50121261"),
            available_balance=Decimal("1.50121026"),
            user_id=738713,
        ),
    )


def test_balance_bybitnet() -> None:
    (balance,) = structure_all(structure_balance, bybitnet("BalanceUpdate.txt"))
    assert_model(
        balance,
        BalanceUpdate(
            asset="BTC", wallet_balance=Decimal("1.50121261"), available_balance=Decimal("1.50121026")
        ),
    )


# ------------------------------------------------------------------------------------ coverage check
COVERED_FRAMES = {
    "inverse_execution.json",
    "inverse_instrument_info_delta.json",
    "inverse_instrument_info_snapshot.json",
    "inverse_instrument_info_snapshot_observed.json",
    "inverse_insurance.json",
    "inverse_insurance_observed.json",
    "inverse_kline.json",
    "inverse_kline_observed.json",
    "inverse_liquidation.json",
    "inverse_order.json",
    "inverse_orderbook200_delta.json",
    "inverse_orderbook200_delta_observed.json",
    "inverse_orderbook200_snapshot.json",
    "inverse_orderbook25_delta.json",
    "inverse_orderbook25_delta_observed.json",
    "inverse_orderbook25_snapshot.json",
    "inverse_position.json",
    "inverse_stop_order.json",
    "inverse_trade.json",
    "inverse_trade_observed.json",
    "inverse_wallet.json",
}
COVERED_BYBITNET = {
    "BalanceUpdate.txt",
    "InsuranceUpdate.txt",
    "KlineUpdate.txt",
    "LiquidationUpdate.txt",
    "OrderUpdate.txt",
    "PositionUpdate.txt",
    "StopOrderUpdate.txt",
    "TickerUpdate.txt",
    "TradeUpdate.txt",
    "UserTradeUpdate.txt",
}


def test_every_inverse_fixture_with_data_is_covered() -> None:
    with_data = {
        path.name for path in FRAMES.glob("inverse_*.json") if "data" in json.loads(path.read_text())
    }
    assert with_data == COVERED_FRAMES
    assert {path.name for path in BYBITNET.glob("*.txt")} == COVERED_BYBITNET


# ------------------------------------------------------------------------------ tolerance of the wire
def test_unknown_enum_values_are_kept() -> None:
    trade = structure_trade(
        {"symbol": "BTCUSD", "side": "Short", "price": 1, "size": 1, "tick_direction": "SideTick"}
    )
    assert isinstance(trade.side, OrderSide)
    assert trade.side.value == "Short"
    assert trade.tick_direction is not None
    assert trade.tick_direction.value == "SideTick"

    order = structure_order(
        {
            "symbol": "BTCUSD",
            "order_id": "1",
            "order_status": "Frozen",
            "order_type": "Iceberg",
            "time_in_force": "GoodTillDate",
            "tp_trigger_by": "FairPrice",
            "position_idx": 7,
        }
    )
    assert isinstance(order.status, OrderStatus)
    assert order.status.value == "Frozen"
    assert order.type is not None
    assert order.type.value == "Iceberg"
    assert order.time_in_force is not None
    assert order.time_in_force.value == "GoodTillDate"
    assert order.take_profit_trigger_by is not None
    assert order.take_profit_trigger_by.value == "FairPrice"
    assert isinstance(order.position_mode, PositionMode)
    assert order.position_mode.value == 7

    position = structure_position({"symbol": "BTCUSD", "side": "None", "position_status": "Frozen"})
    assert position.side is PositionSide.NONE
    assert position.position_status is not None
    assert position.position_status.value == "Frozen"
    user_trade = structure_user_trade({"symbol": "BTCUSD", "exec_type": "Rebate"})
    assert user_trade.type is not None
    assert user_trade.type.value == "Rebate"


def test_numbers_as_strings() -> None:
    trade = structure_trade(
        {
            "symbol": "BTCUSD",
            "side": "Buy",
            "price": "8098.5",
            "size": "328",
            "trade_time_ms": "1582793344685",
            "cross_seq": "1052816407",
            "is_block_trade": "false",
        }
    )
    assert (trade.price, trade.quantity) == (Decimal("8098.5"), Decimal("328"))
    assert trade.trade_time == utc(2020, 2, 27, 8, 49, 4, 685000)
    assert (trade.cross_sequence, trade.is_block_trade) == (1052816407, False)

    kline = structure_kline(
        {
            "start": "1572425640",
            "end": "1572425700",
            "open": "9200",
            "close": "9202.5",
            "high": "9202.5",
            "low": "9196",
            "confirm": "true",
            "timestamp": "1572425676958323",
        }
    )
    assert (kline.open_time, kline.close_time) == (utc(2019, 10, 30, 8, 54), utc(2019, 10, 30, 8, 55))
    assert kline.timestamp == utc(2019, 10, 30, 8, 54, 36, 958323)
    assert kline.confirm is True

    ticker = structure_ticker({"price_24h_pcnt_e6": "-5148", "funding_rate_e6": "100", "id": "1"})
    assert (ticker.price_change_percentage_24h, ticker.funding_rate, ticker.id) == (
        Decimal("-0.005148"),
        Decimal("0.0001"),
        1,
    )
    liquidation = structure_liquidation({"symbol": "ETHUSD", "price": "3384.15", "time": "1631608881954"})
    assert liquidation.timestamp == utc(2021, 9, 14, 8, 41, 21, 954000)
    position = structure_position({"symbol": "BTCUSD", "position_idx": "2", "auto_add_margin": "1"})
    assert (position.position_mode, position.auto_add_margin) == (PositionMode.BOTH_SIDE_SELL, True)


def test_strings_as_numbers() -> None:
    position = structure_position(
        json.loads('{"symbol": "BTCUSD", "position_value": 0.0099975, "leverage": 5}', parse_float=Decimal)
    )
    assert (position.position_value, position.leverage) == (Decimal("0.0099975"), Decimal(5))
    user_trade = structure_user_trade({"symbol": "BTCUSD", "order_link_id": 12345, "exec_id": 6789})
    assert (user_trade.client_order_id, user_trade.id) == ("12345", "6789")
    liquidation = structure_liquidation({"symbol": "ETHUSD", "price": Decimal("3384.15"), "qty": 3655})
    assert (liquidation.price, liquidation.quantity) == (Decimal("3384.15"), Decimal(3655))
    stop = structure_stop_order(
        {"symbol": "BTCUSD", "order_id": 1, "take_profit": 10000, "stop_loss": "7500"}
    )
    assert (stop.id, stop.take_profit, stop.stop_loss) == ("1", Decimal(10000), Decimal(7500))


def test_empty_strings_are_unset() -> None:
    position = structure_position(
        {"symbol": "BTCUSD", "side": "", "take_profit": "", "sl_trigger_by": "", "position_idx": ""}
    )
    assert (position.side, position.take_profit, position.stop_loss_triggered_by, position.position_mode) == (
        None,
        None,
        None,
        None,
    )
    ticker = structure_ticker({"last_tick_direction": "", "last_price": "", "funding_rate_e6": ""})
    assert (ticker.last_tick_direction, ticker.last_price, ticker.funding_rate) == (None, None, None)
    order = structure_order({"symbol": "BTCUSD", "order_id": "1", "order_status": "", "created_at": ""})
    assert (order.status, order.create_time) == (None, None)


def test_unknown_fields_are_ignored() -> None:
    trade = structure_trade(
        {
            "symbol": "BTCUSD",
            "side": "Buy",
            "price": 1,
            "size": 2,
            "brand_new": {"x": [1]},
            "settle_time_e9": 0,
        }
    )
    assert_model(
        trade, TradeUpdate(symbol="BTCUSD", side=OrderSide.BUY, price=Decimal(1), quantity=Decimal(2))
    )


def test_float_price_is_exact() -> None:
    text = '{"symbol": "ETHUSD", "side": "Buy", "price": 1995.05, "size": 1}'
    from_float = structure_trade(json.loads(text))  # a decoder that makes floats
    from_decimal = structure_trade(json.loads(text, parse_float=Decimal))
    for trade in (from_float, from_decimal):
        assert type(trade.price) is Decimal
        assert str(trade.price) == "1995.05"
    kline = structure_kline(json.loads('{"start": 1, "open": 0.1, "close": 0.2, "high": 0.3, "low": 0.1}'))
    assert (str(kline.open_price), str(kline.high_price)) == ("0.1", "0.3")


def test_iso_with_nine_fractional_digits() -> None:
    user_trade = structure_user_trade({"symbol": "BTCUSD", "trade_time": "2022-01-25T10:32:34.519268798Z"})
    assert user_trade.trade_time == utc(2022, 1, 25, 10, 32, 34, 519268)
    insurance = structure_insurance({"currency": "BTC", "timestamp": "2020-01-11T20:00:00.123456789+00:00"})
    assert insurance.timestamp == utc(2020, 1, 11, 20, 0, 0, 123456)


def test_missing_required_field_raises() -> None:
    # The engine reports such a frame through on_exception; the stream goes on.
    with pytest.raises(KeyError):
        structure_trade({"side": "Buy", "price": 1, "size": 1})
    with pytest.raises(KeyError):
        structure_entry({"symbol": "BTCUSD", "side": "Buy", "size": 1})


def test_models_are_frozen_and_hashable() -> None:
    trade = structure_trade(frame_data("inverse_trade.json")[0])
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        trade.price = Decimal(1)  # type: ignore[misc]
    assert hash(trade) == hash(DOC_TRADE)
    with pytest.raises(TypeError):
        TradeUpdate("BTCUSD", OrderSide.BUY, Decimal(1), Decimal(1))  # type: ignore[call-arg]
