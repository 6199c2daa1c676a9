"""Data out: to_builtins (JSON-ready, through cattrs) and to_dataframe (typed pandas columns)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

import bybit_ws
from bybit_ws import DataEvent, DeltaUpdate, to_builtins, to_dataframe
from bybit_ws.dialects._base import Dialect
from bybit_ws.dialects._contract import ContractDialect
from bybit_ws.dialects._inverse import InverseDialect
from bybit_ws.dialects._v5 import V5Dialect
from bybit_ws.enums import KlineInterval, OrderSide
from bybit_ws.models import inverse, v5

from .support import frame

RECEIVED = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=timezone.utc)

#: (dialect, fixture frame) for every model kind of the three families
FRAMES: list[tuple[Dialect, str]] = [
    *[
        (V5Dialect("linear"), name)
        for name in ("v5_public_trade", "v5_orderbook_snapshot", "v5_orderbook_delta", "v5_kline")
    ],
    (V5Dialect("linear"), "v5_ticker_linear_snapshot"),
    (V5Dialect("linear"), "v5_all_liquidation"),
    *[(V5Dialect("private"), name) for name in ("v5_order", "v5_position", "v5_execution", "v5_wallet")],
    *[
        (InverseDialect(), name)
        for name in (
            "inverse_trade",
            "inverse_orderbook25_snapshot",
            "inverse_orderbook25_delta",
            "inverse_instrument_info_snapshot",
            "inverse_insurance",
            "inverse_kline",
            "inverse_liquidation",
            "inverse_position",
            "inverse_execution",
            "inverse_order",
            "inverse_stop_order",
            "inverse_wallet",
        )
    ],
    *[
        (ContractDialect(), name)
        for name in ("contract_wallet", "contract_order", "contract_position", "contract_execution")
    ],
]


def event_of(dialect: Dialect, name: str) -> DataEvent[Any]:
    """A fixture frame parsed by its dialect's topic spec, as the engine's dict path parses it."""
    raw = frame(name)
    spec = dialect.topic_spec(raw["topic"])
    assert spec is not None, name
    parsed = spec.parse(raw, raw["topic"], {})
    assert parsed is not None, name
    return DataEvent(parsed[1], raw["topic"], RECEIVED)


def test_the_functions_are_public() -> None:
    assert {"to_builtins", "to_dataframe"} <= set(bybit_ws.__all__)
    assert to_builtins.__doc__ and to_dataframe.__doc__


@pytest.mark.parametrize(("dialect", "name"), FRAMES, ids=[name for _, name in FRAMES])
def test_to_builtins_round_trips_through_json_for_every_model_kind(dialect: Dialect, name: str) -> None:
    event = event_of(dialect, name)
    built = to_builtins(event)
    assert json.loads(json.dumps(built)) == built  # only JSON types: no Decimal, datetime, enum, tuple
    assert built["topic"] == event.topic
    assert built["timestamp"] == "2024-05-01T12:30:15.123456+00:00"
    frame_df = to_dataframe(event)
    assert len(frame_df) >= 1
    assert frame_df["topic"].eq(event.topic).all()


def test_to_builtins_values() -> None:
    trade = v5.Trade(
        timestamp=datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=timezone.utc),
        symbol="BTCUSDT",
        side=OrderSide("Short"),  # an unknown value kept by the open enum
        quantity=Decimal("0.0100"),
        price=Decimal("30000.5"),
        id="t-1",
    )
    assert to_builtins(trade) == {
        "timestamp": "2024-01-02T03:04:05.006000+00:00",
        "symbol": "BTCUSDT",
        "side": "Short",
        "quantity": "0.0100",
        "price": "30000.5",
        "id": "t-1",
        "direction": None,
        "is_block_trade": None,
        "is_rpi_trade": None,
        "sequence": None,
        "mark_price": None,
        "index_price": None,
        "mark_iv": None,
        "iv": None,
    }
    assert type(to_builtins(trade)["side"]) is str
    assert to_builtins([OrderSide.BUY, KlineInterval.ONE_DAY, (1, Decimal("2"))]) == ["Buy", "D", [1, "2"]]


def test_order_book_snapshot_is_a_list_and_delta_a_dict() -> None:
    snapshot = event_of(InverseDialect(), "inverse_orderbook25_snapshot")
    assert isinstance(to_builtins(snapshot)["data"], list)
    delta = event_of(InverseDialect(), "inverse_orderbook25_delta")
    assert set(to_builtins(delta)["data"]) == {"delete", "update", "insert", "sequence", "timestamp"}


def test_trades_dataframe_dtypes() -> None:
    event = event_of(V5Dialect("linear"), "v5_public_trade")
    df = to_dataframe([event, event])
    assert len(df) == 2 * len(event.data)
    assert isinstance(df["received"].dtype, pd.DatetimeTZDtype)
    assert str(df["received"].dtype.tz) == "UTC"
    assert isinstance(df["timestamp"].dtype, pd.DatetimeTZDtype)
    assert df["price"].dtype == "float64" and df["quantity"].dtype == "float64"
    assert df["price"].iloc[0] == float(event.data[0].price)
    assert df["received"].iloc[0] == pd.Timestamp(RECEIVED)
    assert list(df["side"]) == [t.side.value for t in event.data] * 2
    assert df["sequence"].dtype == "int64"


def test_exact_decimals_on_request() -> None:
    event = event_of(V5Dialect("linear"), "v5_public_trade")
    df = to_dataframe(event, exact=True)
    assert df["price"].dtype == object
    assert list(df["price"]) == [t.price for t in event.data]
    assert all(type(p) is Decimal for p in df["price"])


def test_missing_values_keep_their_column_type() -> None:
    event = event_of(V5Dialect("linear"), "v5_public_trade")
    df = to_dataframe(event)
    assert df["mark_price"].dtype == "float64" and df["mark_price"].isna().all()  # None on linear trades
    assert df["is_rpi_trade"].dtype == "boolean"


def test_v5_order_book_gives_a_row_per_level_with_its_side() -> None:
    event = event_of(V5Dialect("linear"), "v5_orderbook_snapshot")
    book: v5.OrderBookUpdate = event.data
    df = to_dataframe(event)
    assert len(df) == len(book.bids) + len(book.asks)
    bids = df[df["side"] == "Buy"]
    assert list(bids["price"]) == [float(level.price) for level in book.bids]
    assert list(df[df["side"] == "Sell"]["quantity"]) == [float(level.quantity) for level in book.asks]
    assert (df["update_id"] == book.update_id).all() and (df["symbol"] == book.symbol).all()


def test_inverse_order_book_rows_carry_their_action() -> None:
    delta = event_of(InverseDialect(), "inverse_orderbook25_delta")
    data: DeltaUpdate[inverse.OrderBookEntry] = delta.data
    df = to_dataframe(delta)
    expected = ["delete"] * len(data.delete) + ["update"] * len(data.update) + ["insert"] * len(data.insert)
    assert list(df["action"]) == expected
    assert df["sequence"].dtype == "int64"
    snapshot = to_dataframe(event_of(InverseDialect(), "inverse_orderbook25_snapshot"))
    assert set(snapshot["action"]) == {"snapshot"}
    assert set(snapshot["side"]) == {"Buy", "Sell"}


def test_a_wallet_gives_a_row_per_coin() -> None:
    event = event_of(V5Dialect("private"), "v5_wallet")
    wallets: list[v5.Balance] = event.data
    df = to_dataframe(event)
    assert len(df) == sum(len(w.assets) for w in wallets)
    assert list(df["asset"]) == [a.asset for w in wallets for a in w.assets]
    types = [w.account_type.value if w.account_type else None for w in wallets for _ in w.assets]
    assert list(df["account_type"]) == types


def test_plain_models_and_empty_input() -> None:
    trade = event_of(InverseDialect(), "inverse_trade").data[0]
    df = to_dataframe(trade)
    assert len(df) == 1 and "topic" not in df.columns and df["price"].iloc[0] == float(trade.price)
    assert to_dataframe([]).empty
    with pytest.raises(TypeError, match="not a model"):
        to_dataframe([object()])
