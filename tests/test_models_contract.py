"""The v3 contract private models against the docs' frames and Bybit.Net's fixtures, field by field."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from bybit_ws._convert import structurer
from bybit_ws.enums import (
    LiquidityType,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionMode,
    PositionSide,
    PositionStatus,
    StopLossTakeProfitMode,
    StopOrderType,
    TimeInForce,
    TradeMode,
    TradeType,
    TriggerDirection,
    TriggerType,
)
from bybit_ws.models.contract import (
    ContractBalanceUpdate,
    ContractOrderUpdate,
    ContractPositionUpdate,
    ContractUserTradeUpdate,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FRAMES = FIXTURES / "frames"
BYBITNET = FIXTURES / "bybitnet" / "Derivatives" / "Contract" / "Socket"

structure_balance = structurer(ContractBalanceUpdate)
structure_order = structurer(ContractOrderUpdate)
structure_position = structurer(ContractPositionUpdate)
structure_user_trade = structurer(ContractUserTradeUpdate)


def load_frame_data(name: str) -> list[dict[str, Any]]:
    frame = json.loads((FRAMES / name).read_text(), parse_float=Decimal)
    data: list[dict[str, Any]] = frame["data"]
    return data


def load_bybitnet(name: str) -> list[dict[str, Any]]:
    text = re.sub(r"//[^\n]*", "", (BYBITNET / name).read_text())
    data: list[dict[str, Any]] = json.loads(text, parse_float=Decimal)
    return data


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
            assert got.tzinfo is not None and got.utcoffset() == timezone.utc.utcoffset(None), name


# --------------------------------------------------------------------------------------------- wallet
BALANCE = {
    "asset": "USDT",
    "equity": Decimal("610.3984319"),
    "wallet_balance": Decimal("609.7384319"),
    "position_margin": Decimal("4.7582882"),
    "available_balance": Decimal("604.9801437"),
    "order_margin": Decimal("0"),
    "unrealised_pnl": Decimal("0.66"),
    "total_realized_pnl": Decimal("-0.2615681"),
}


@pytest.mark.parametrize(
    "items",
    [load_frame_data("contract_wallet.json"), load_bybitnet("BalanceUpdate.txt")],
    ids=["frame", "bybitnet"],
)
def test_balance_update(items: list[dict[str, Any]]) -> None:
    assert len(items) == 1
    assert_fields(structure_balance(items[0]), BALANCE)


# --------------------------------------------------------------------------------------------- order
ORDER = {
    "id": "ee013d82-fafc-4504-97b1-d92aca21eedd",
    "symbol": "BTCUSD",
    "block_trade_id": None,
    "side": OrderSide.BUY,
    "type": OrderType.MARKET,
    "price": Decimal("21920.00"),
    "quantity": Decimal("200"),
    "reduce_only": False,
    "time_in_force": TimeInForce.IMMEDIATE_OR_CANCEL,
    "status": OrderStatus.FILLED,
    "leaves_value": None,
    "leaves_quantity": Decimal("0"),
    "accumulative_trading_volume": Decimal("200"),
    "accumulative_trading_value": Decimal("0.00939761"),
    "accumulative_trading_fee": None,
    "client_order_id": "inv001",
    "reject_reason": None,
    "create_time": ms(1661338622771),
    "update_time": ms(1661338622775),
    "take_profit": Decimal("0.00"),
    "stop_loss": Decimal("0.00"),
    "trigger_price": Decimal("0.00"),
    "base_price": None,
    "take_profit_trigger_type": TriggerType.UNKNOWN,
    "stop_loss_trigger_type": TriggerType.UNKNOWN,
    "trigger_by": TriggerType.UNKNOWN,
    "close_on_trigger": False,
    "conditional_order_type": StopOrderType.UNKNOWN,
    "last_trade_price": None,
    "trigger_direction": TriggerDirection.NONE,
    "position_mode": None,
    "closed_size": None,
    "trade_time": None,
    "filled_price": Decimal("21282.00"),
    "filled_quantity": Decimal("200"),
}


@pytest.mark.parametrize(
    "items",
    [load_frame_data("contract_order.json"), load_bybitnet("OrderUpdate.txt")],
    ids=["frame", "bybitnet"],
)
def test_order_update(items: list[dict[str, Any]]) -> None:
    assert len(items) == 1
    order = structure_order(items[0])
    assert_fields(order, ORDER)
    # Bybit.Net turns triggerDirection 0 into Rise (BYBITNET §9.5); it must stay NONE here.
    assert order.trigger_direction is TriggerDirection.NONE
    assert order.create_time == datetime(2022, 8, 24, 10, 57, 2, 771000, tzinfo=timezone.utc)


def test_order_update_optional_fields_from_the_doc_table() -> None:
    item = dict(load_frame_data("contract_order.json")[0])
    item.update(
        {
            "blockTradeId": "bt1",
            "leavesValue": "12.5",
            "cumExecFee": "0.0000051",
            "rejectReason": "EC_NoError",
            "basePrice": "21000.5",
            "lastPriceOnCreated": "21282.50",
            "positionIdx": 2,
            "closedSize": "100",
            "execTime": "1661338622775",
            "triggerDirection": 2,
        }
    )
    order = structure_order(item)
    assert order.block_trade_id == "bt1"
    assert order.leaves_value == Decimal("12.5")
    assert order.accumulative_trading_fee == Decimal("0.0000051")
    assert order.reject_reason == "EC_NoError"
    assert order.base_price == Decimal("21000.5")
    assert order.last_trade_price == Decimal("21282.50")
    assert order.position_mode is PositionMode.BOTH_SIDE_SELL
    assert order.closed_size == Decimal("100")
    assert order.trade_time == ms(1661338622775)
    assert order.trigger_direction is TriggerDirection.FALL


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (0, TriggerDirection.NONE),
        (1, TriggerDirection.RISE),
        (2, TriggerDirection.FALL),
        ("0", TriggerDirection.NONE),
        ("1", TriggerDirection.RISE),
    ],
)
def test_trigger_direction(wire: Any, expected: TriggerDirection) -> None:
    item = dict(load_frame_data("contract_order.json")[0], triggerDirection=wire)
    assert structure_order(item).trigger_direction is expected


def test_trigger_direction_unknown_is_kept() -> None:
    item = dict(load_frame_data("contract_order.json")[0], triggerDirection=7)
    direction = structure_order(item).trigger_direction
    assert direction is not None
    assert direction.value == 7
    assert isinstance(direction, TriggerDirection)


# --------------------------------------------------------------------------------------------- position
POSITION = {
    "symbol": "BTCUSDT",
    "position_mode": PositionMode.ONE_WAY,
    "risk_id": 1,
    "side": PositionSide.BUY,
    "position_status": PositionStatus.NORMAL,
    "quantity": Decimal("0.024"),
    "position_value": Decimal("394.55123078"),
    "entry_price": Decimal("16439.63461538"),
    "mark_price": Decimal("17797.00"),
    "settlement_price": Decimal("0.00"),
    "total_realized_pnl": Decimal("44834.01605397"),
    "leverage": Decimal("3"),
    "take_profit": Decimal("0.00"),
    "stop_loss": Decimal("0.00"),
    "trailing_stop": Decimal("0.00"),
    "unrealised_pnl": Decimal("32.57676922"),
    "initial_margin": Decimal("3.9455123078"),
    "maintenance_margin": Decimal("0.00006"),
    "create_time": ms(1640056352777),
    "update_time": ms(1671002545179),
    "position_balance": Decimal("131.67490005"),
    "risk_limit_value": Decimal("2000000"),
    "liquidation_price": Decimal("0.50"),
    "bankruptcy_price": Decimal("0.50"),
    "active_price": Decimal("0.00"),
    "closing_fee": Decimal("0.0000072"),
    "auto_add_margin": False,
    "trade_mode": TradeMode.CROSS_MARGIN,
    "stop_mode": StopLossTakeProfitMode.PARTIAL,
}


@pytest.mark.parametrize(
    "items",
    [load_frame_data("contract_position.json"), load_bybitnet("PositionUpdate.txt")],
    ids=["frame", "bybitnet"],
)
def test_position_update(items: list[dict[str, Any]]) -> None:
    assert len(items) == 1
    assert_fields(structure_position(items[0]), POSITION)


def test_position_accepts_tpsl_mode_spelling_of_the_doc_table() -> None:
    item = dict(load_frame_data("contract_position.json")[0])
    del item["tpSlMode"]
    item["tpslMode"] = "Full"
    assert structure_position(item).stop_mode is StopLossTakeProfitMode.FULL
    # Both present: the example's spelling wins; neither: None.
    both = dict(item, tpSlMode="Partial")
    assert structure_position(both).stop_mode is StopLossTakeProfitMode.PARTIAL
    del item["tpslMode"]
    assert structure_position(item).stop_mode is None


def test_position_numbers_and_strings_both_accepted() -> None:
    item = dict(load_frame_data("contract_position.json")[0])
    item.update(
        {
            "positionIdx": "1",
            "riskId": "1",
            "tradeMode": "1",
            "autoAddMargin": "1",
            "size": 5,
            "entryPrice": Decimal("16439.5"),
            "leverage": 3.5,
            "createdTime": 1640056352777,
        }
    )
    position = structure_position(item)
    assert position.position_mode is PositionMode.BOTH_SIDE_BUY
    assert position.risk_id == 1
    assert position.trade_mode is TradeMode.ISOLATED
    assert position.auto_add_margin is True
    assert position.quantity == Decimal("5")
    assert type(position.quantity) is Decimal
    assert position.entry_price == Decimal("16439.5")
    assert position.leverage == Decimal("3.5")
    assert position.create_time == ms(1640056352777)


def test_position_flat_side_and_empty_values() -> None:
    item = dict(load_frame_data("contract_position.json")[0])
    item.update({"side": "None", "liqPrice": "", "markPrice": "", "updatedTime": "", "tpSlMode": ""})
    position = structure_position(item)
    assert position.side is PositionSide.NONE
    assert position.liquidation_price is None
    assert position.mark_price is None
    assert position.update_time is None
    assert position.stop_mode is None
    item["side"] = ""
    assert structure_position(item).side is None


# --------------------------------------------------------------------------------------------- execution
USER_TRADE = {
    "order_id": "ddbea432-2bd7-45dd-ab42-52d920b8136d",
    "trading_id": "beba036f-9fb4-59a7-84b7-2620e5d13e1c",
    "symbol": "BITUSDT",
    "order_type": OrderType.MARKET,
    "accumulative_trading_volume": Decimal("50"),
    "trading_value": Decimal("33.7"),
    "trading_fee": Decimal("0.02022"),
    "trading_price": Decimal("0.674"),
    "fee_rate": Decimal("0.0006"),
    "client_order_id": "b001",
    "order_price": Decimal("0.707"),
    "order_quantity": Decimal("50"),
    "side": OrderSide.BUY,
    "trading_time": ms(1659057535081),
    "conditional_order_type": StopOrderType.UNKNOWN,
    "trade_type": TradeType.TRADE,
    "liquidity_type": LiquidityType.REMOVED_LIQUIDITY,
    "remaining_order_quantity": Decimal("0"),
    "closed_size": Decimal("0"),
}


@pytest.mark.parametrize(
    "items",
    [load_frame_data("contract_execution.json"), load_bybitnet("UserTradeUpdate.txt")],
    ids=["frame", "bybitnet"],
)
def test_user_trade_update(items: list[dict[str, Any]]) -> None:
    assert len(items) == 1
    trade = structure_user_trade(items[0])
    assert_fields(trade, USER_TRADE)
    assert trade.liquidity_type is not None
    assert not trade.liquidity_type.is_maker


def test_added_liquidity_is_kept_not_turned_into_taker() -> None:
    item = dict(load_frame_data("contract_execution.json")[0], lastLiquidityInd="AddedLiquidity")
    trade = structure_user_trade(item)
    assert trade.liquidity_type is LiquidityType.ADDED_LIQUIDITY
    assert trade.liquidity_type.is_maker


@pytest.mark.parametrize(
    ("wire", "expected"),
    [("Funding", TradeType.FUNDING), ("AdlTrade", TradeType.ADL_TRADE), ("BustTrade", TradeType.BUST_TRADE)],
)
def test_exec_types(wire: str, expected: TradeType) -> None:
    item = dict(load_frame_data("contract_execution.json")[0], execType=wire)
    assert structure_user_trade(item).trade_type is expected


# --------------------------------------------------------------------------------------------- drift
def test_unknown_enum_values_are_kept() -> None:
    item = dict(load_frame_data("contract_execution.json")[0])
    item.update(
        {
            "execType": "Settle2",
            "lastLiquidityInd": "Hidden",
            "side": "Short",
            "orderType": "Iceberg",
            "stopOrderType": "BidirectionalTpslOrder",
        }
    )
    trade = structure_user_trade(item)
    assert trade.trade_type is not None and trade.trade_type.value == "Settle2"
    assert isinstance(trade.trade_type, TradeType)
    assert trade.liquidity_type is not None and trade.liquidity_type.value == "Hidden"
    assert trade.side is not None and trade.side.value == "Short"
    assert trade.order_type is not None and trade.order_type.value == "Iceberg"
    assert trade.conditional_order_type is not None
    assert trade.conditional_order_type.value == "BidirectionalTpslOrder"

    order = structure_order(dict(load_frame_data("contract_order.json")[0], orderStatus="Expired"))
    assert order.status is not None and order.status.value == "Expired"


def test_empty_string_is_none_for_optional_values() -> None:
    item = dict(load_frame_data("contract_order.json")[0])
    item.update({"price": "", "takeProfit": "", "tpTriggerBy": "", "createdTime": "", "reduceOnly": ""})
    order = structure_order(item)
    assert order.price is None
    assert order.take_profit is None
    assert order.take_profit_trigger_type is None
    assert order.create_time is None
    assert order.reduce_only is None

    balance = structure_balance(dict(load_frame_data("contract_wallet.json")[0], orderMargin=""))
    assert balance.order_margin is None


def test_numbers_instead_of_strings() -> None:
    item = dict(load_frame_data("contract_wallet.json")[0])
    item.update({"equity": Decimal("610.3984319"), "orderMargin": 0, "walletBalance": 609.5})
    balance = structure_balance(item)
    assert balance.equity == Decimal("610.3984319")
    assert balance.order_margin == Decimal("0")
    assert balance.wallet_balance == Decimal("609.5")
    assert all(type(v) is Decimal for v in (balance.equity, balance.order_margin, balance.wallet_balance))

    trade = structure_user_trade(dict(load_frame_data("contract_execution.json")[0], execTime=1659057535081))
    assert trade.trading_time == ms(1659057535081)


def test_extra_fields_are_ignored() -> None:
    item = dict(load_frame_data("contract_wallet.json")[0], newField="x", accountType="CONTRACT")
    assert_fields(structure_balance(item), BALANCE)
    order = dict(load_frame_data("contract_order.json")[0], smpType="None", placeType="", nested={"a": 1})
    assert_fields(structure_order(order), ORDER)


def test_missing_required_field_raises() -> None:
    item = dict(load_frame_data("contract_order.json")[0])
    del item["orderId"]
    with pytest.raises(KeyError):
        structure_order(item)


def test_models_are_frozen_and_hashable() -> None:
    order = structure_order(load_frame_data("contract_order.json")[0])
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        order.price = Decimal(1)  # type: ignore[misc]
    assert hash(order) == hash(structure_order(load_frame_data("contract_order.json")[0]))
    assert order == structure_order(load_bybitnet("OrderUpdate.txt")[0])
