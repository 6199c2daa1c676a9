"""Models of the Inverse Perpetual v2 private streams; import them from :mod:`bybit_ws.models.inverse`
(whose conventions they follow)."""

# (``wire()`` returns an ``attrs.field``; RUF009 takes it for a call in a dataclass default.)

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from bybit_ws._convert import (
    boolean,
    decimal,
    enum_of,
    integer,
    text,
    time_auto,
    time_iso,
    wire,
)
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
    TimeInForce,
    TradeType,
    TriggerType,
)

__all__ = ["BalanceUpdate", "OrderUpdate", "PositionUpdate", "StopOrderUpdate", "UserTradeUpdate"]

_side = enum_of(OrderSide)
_trigger = enum_of(TriggerType)
_position_mode = enum_of(PositionMode)
# An alias's value is converted by the alias hook and then again by the field's own hook, so a time
# field with aliases takes the alias value as text and reads every form with ``time_auto`` (ISO, or an
# epoch in the unit Bybit.Net's thresholds guess, as its DateTimeConverter does).
_TIME_ALIAS = text


# ------------------------------------------------------------------------------------------ private
@attrs.frozen(kw_only=True, weakref_slot=False)
class PositionUpdate:
    """A change of one position (private topic ``position``).

    Attributes:
        symbol: the contract.
        side: the position's side; ``PositionSide.NONE`` when flat.
        quantity: position size in contracts (``size``).
        user_id / risk_id: the account and the risk-limit id.
        position_mode: one-way, or the buy or sell side of hedge mode (``position_idx``).
        position_status: ``NORMAL``, ``LIQUIDATION`` or ``AUTO_DELEVERAGE``.
        position_sequence: the position's version number (``position_seq``).

    Prices:
        entry_price, liquidation_price (``liq_price``), bankruptcy_price (``bust_price``),
        take_profit, stop_loss, trailing_stop, trailing_active (``0`` means unset).
        take_profit_trigger_by / stop_loss_triggered_by: the price each triggers on (``tp_trigger_by`` /
            ``sl_trigger_by``; ``""`` gives ``None``).
        take_profit_stop_loss_mode: ``FULL`` or ``PARTIAL`` (``tp_sl_mode``; not in Bybit.Net's inverse
            model).

    Amounts, in the coin:
        position_value, leverage, position_margin, order_margin, wallet_balance, available_balance,
        closing_fee (``occ_closing_fee``), funding_fee (``occ_funding_fee``),
        realized_pnl (today's, ``realised_pnl``), total_realized_pnl (``cum_realised_pnl``).

    Flags:
        auto_add_margin: whether margin is topped up automatically (``auto_add_margin``, 0/1).
        isolated: isolated margin (``Isolated``, capital I on the wire; not in Bybit.Net's inverse model).
    """

    symbol: str = wire("symbol", text, optional=False)
    side: PositionSide | None = wire("side", enum_of(PositionSide))
    quantity: Decimal | None = wire("size", decimal)
    user_id: int | None = wire("user_id", integer)
    risk_id: int | None = wire("risk_id", integer)
    position_mode: PositionMode | None = wire("position_idx", _position_mode)
    position_status: PositionStatus | None = wire("position_status", enum_of(PositionStatus))
    position_sequence: int | None = wire("position_seq", integer)

    entry_price: Decimal | None = wire("entry_price", decimal)
    liquidation_price: Decimal | None = wire("liq_price", decimal)
    bankruptcy_price: Decimal | None = wire("bust_price", decimal)
    take_profit: Decimal | None = wire("take_profit", decimal)
    stop_loss: Decimal | None = wire("stop_loss", decimal)
    trailing_stop: Decimal | None = wire("trailing_stop", decimal)
    trailing_active: Decimal | None = wire("trailing_active", decimal)
    take_profit_trigger_by: TriggerType | None = wire("tp_trigger_by", _trigger)
    stop_loss_triggered_by: TriggerType | None = wire("sl_trigger_by", _trigger)
    take_profit_stop_loss_mode: StopLossTakeProfitMode | None = wire(
        "tp_sl_mode", enum_of(StopLossTakeProfitMode)
    )

    position_value: Decimal | None = wire("position_value", decimal)
    leverage: Decimal | None = wire("leverage", decimal)
    position_margin: Decimal | None = wire("position_margin", decimal)
    order_margin: Decimal | None = wire("order_margin", decimal)
    wallet_balance: Decimal | None = wire("wallet_balance", decimal)
    available_balance: Decimal | None = wire("available_balance", decimal)
    closing_fee: Decimal | None = wire("occ_closing_fee", decimal)
    funding_fee: Decimal | None = wire("occ_funding_fee", decimal)
    realized_pnl: Decimal | None = wire("realised_pnl", decimal)
    total_realized_pnl: Decimal | None = wire("cum_realised_pnl", decimal)

    auto_add_margin: bool | None = wire("auto_add_margin", boolean)
    isolated: bool | None = wire("Isolated", boolean)


@attrs.frozen(kw_only=True, weakref_slot=False)
class UserTradeUpdate:
    """One fill of one of the user's orders (private topic ``execution``).

    Attributes:
        symbol: the contract.
        side: the order's side.
        id: the execution id (``exec_id``).
        order_id / client_order_id: the order's id and the user's own id (``order_link_id``; ``""`` when
            none was given).
        price: the fill price.
        quantity: contracts filled (``exec_qty``).
        order_quantity: the order's quantity (``order_qty``).
        quantity_remaining: contracts still open (``leaves_qty``).
        fee: the fee paid, in the coin (``exec_fee``; negative for a rebate).
        type: kind of execution (``exec_type``).
        is_maker: whether the fill added liquidity.
        trade_time: time of the fill (ISO).
    """

    symbol: str = wire("symbol", text, optional=False)
    side: OrderSide | None = wire("side", _side)
    id: str | None = wire("exec_id", text)
    order_id: str | None = wire("order_id", text)
    client_order_id: str | None = wire("order_link_id", text)
    price: Decimal | None = wire("price", decimal)
    quantity: Decimal | None = wire("exec_qty", decimal)
    order_quantity: Decimal | None = wire("order_qty", decimal)
    quantity_remaining: Decimal | None = wire("leaves_qty", decimal)
    fee: Decimal | None = wire("exec_fee", decimal)
    type: TradeType | None = wire("exec_type", enum_of(TradeType))
    is_maker: bool | None = wire("is_maker", boolean)
    trade_time: datetime | None = wire("trade_time", time_iso)


@attrs.frozen(kw_only=True, weakref_slot=False)
class _OrderBase:
    """Fields every order update has (Bybit.Net's ``BybitOrderBase``).

    Attributes:
        symbol: the contract.
        user_id: the account.
        side / type / time_in_force: ``side`` / ``order_type`` / ``time_in_force``.
        price: the limit price.
        quantity: the order's quantity in contracts (``qty``).
        leaves_quantity / leaves_value: what is still open, in contracts and in the coin.
        client_order_id: the user's own id (``order_link_id``; ``""`` when none was given).
        create_type / cancel_type: how the order was created / cancelled, as sent (``"CreateByUser"``,
            ``""``, ``"UNKNOWN"``, ...).
        create_time / update_time: ``created_at`` (ISO) or ``created_time`` / ``create_time``, and
            ``updated_at`` or ``updated_time`` / ``update_time``; ISO strings (nanoseconds are truncated
            to microseconds) or epochs.
        timestamp: time of the update (ISO).
    """

    symbol: str = wire("symbol", text, optional=False)
    user_id: int | None = wire("user_id", integer)
    side: OrderSide | None = wire("side", _side)
    type: OrderType | None = wire("order_type", enum_of(OrderType))
    time_in_force: TimeInForce | None = wire("time_in_force", enum_of(TimeInForce))
    price: Decimal | None = wire("price", decimal)
    quantity: Decimal | None = wire("qty", decimal)
    leaves_quantity: Decimal | None = wire("leaves_qty", decimal)
    leaves_value: Decimal | None = wire("leaves_value", decimal)
    client_order_id: str | None = wire("order_link_id", text)
    create_type: str | None = wire("create_type", text)
    cancel_type: str | None = wire("cancel_type", text)
    create_time: datetime | None = wire(
        "created_at", time_auto, aliases=(("created_time", _TIME_ALIAS), ("create_time", _TIME_ALIAS))
    )
    update_time: datetime | None = wire(
        "updated_at", time_auto, aliases=(("updated_time", _TIME_ALIAS), ("update_time", _TIME_ALIAS))
    )
    timestamp: datetime | None = wire("timestamp", time_iso)


@attrs.frozen(kw_only=True, weakref_slot=False)
class OrderUpdate(_OrderBase):
    """A change of one active order (private topic ``order``; Bybit.Net's ``BybitInverseOrderUpdate``).

    Order fields, shared with :class:`StopOrderUpdate`: ``symbol``, ``user_id``, ``side``, ``type``
    (``order_type``), ``time_in_force``, ``price``, ``quantity`` (``qty``), ``leaves_quantity``
    (``leaves_qty``), ``leaves_value``, ``client_order_id`` (``order_link_id``; ``""`` when none was
    given), ``create_type``, ``cancel_type`` (text as sent), ``create_time`` (``created_at``,
    ``created_time`` or ``create_time``), ``update_time`` (``updated_at``, ``updated_time`` or
    ``update_time``), ``timestamp`` (ISO). Create and update times may be ISO strings (nanoseconds are
    truncated to microseconds) or epochs.

    Attributes:
        id: the order id (``order_id``).
        status: the order's status (``order_status``).
        quote_quantity_filled: contracts (USD) filled so far (``cum_exec_qty``).
        base_quantity_filled: value filled so far, in the coin (``cum_exec_value``).
        fee: fees paid so far, in the coin (``cum_exec_fee``).
        last_trade_price: price of the last fill (``last_exec_price``).
        take_profit / stop_loss / trailing_stop / trailing_active: attached prices (``0`` means unset).
        take_profit_trigger_by / stop_loss_trigger_by: the price each triggers on (``tp_trigger_by`` /
            ``sl_trigger_by``; not in Bybit.Net).
        reduce_only / close_on_trigger: the order's flags.
        position_mode: the position it belongs to (``position_idx``, int or numeric string).
    """

    id: str = wire("order_id", text, optional=False)
    status: OrderStatus | None = wire("order_status", enum_of(OrderStatus))
    quote_quantity_filled: Decimal | None = wire("cum_exec_qty", decimal)
    base_quantity_filled: Decimal | None = wire("cum_exec_value", decimal)
    fee: Decimal | None = wire("cum_exec_fee", decimal)
    last_trade_price: Decimal | None = wire("last_exec_price", decimal)
    take_profit: Decimal | None = wire("take_profit", decimal)
    stop_loss: Decimal | None = wire("stop_loss", decimal)
    trailing_stop: Decimal | None = wire("trailing_stop", decimal)
    trailing_active: Decimal | None = wire("trailing_active", decimal)
    take_profit_trigger_by: TriggerType | None = wire("tp_trigger_by", _trigger)
    stop_loss_trigger_by: TriggerType | None = wire("sl_trigger_by", _trigger)
    reduce_only: bool | None = wire("reduce_only", boolean)
    close_on_trigger: bool | None = wire("close_on_trigger", boolean)
    position_mode: PositionMode | None = wire("position_idx", _position_mode)


@attrs.frozen(kw_only=True, weakref_slot=False)
class StopOrderUpdate(_OrderBase):
    """A change of one conditional order (private topic ``stop_order``).

    Has the order fields listed in :class:`OrderUpdate` (``symbol``, ``side``, ``type``, ``price``,
    ``quantity``, ``time_in_force``, ``create_time``, ...), plus:

    Attributes:
        id: the order id (``order_id``, or ``stop_order_id``).
        status: the conditional order's status (``order_status``, e.g. ``UNTRIGGERED``).
        stop_order_type: kind of conditional order.
        trigger_by: the price it triggers on.
        trigger_price: the trigger price (for a trailing stop, its activation price).
        close_on_trigger: whether it only closes a position.
        take_profit / stop_loss: attached prices (sent as numbers or strings; not in Bybit.Net).
    """

    id: str = wire("order_id", text, optional=False, aliases=(("stop_order_id", text),))
    status: StopOrderStatus | None = wire("order_status", enum_of(StopOrderStatus))
    stop_order_type: StopOrderType | None = wire("stop_order_type", enum_of(StopOrderType))
    trigger_by: TriggerType | None = wire("trigger_by", _trigger)
    trigger_price: Decimal | None = wire("trigger_price", decimal)
    close_on_trigger: bool | None = wire("close_on_trigger", boolean)
    take_profit: Decimal | None = wire("take_profit", decimal)
    stop_loss: Decimal | None = wire("stop_loss", decimal)


@attrs.frozen(kw_only=True, weakref_slot=False)
class BalanceUpdate:
    """The wallet balance of one coin (private topic ``wallet``).

    Attributes:
        asset: the coin (``coin``).
        wallet_balance: the wallet balance.
        available_balance: the balance free for new orders.
        user_id: the account (``user_id``; not in Bybit.Net).
    """

    asset: str | None = wire("coin", text)
    wallet_balance: Decimal | None = wire("wallet_balance", decimal)
    available_balance: Decimal | None = wire("available_balance", decimal)
    user_id: int | None = wire("user_id", integer)


# Notebook display: every model above gets a _repr_html_ (a table of its fields).
from bybit_ws.models._display import add_html_reprs  # noqa: E402

add_html_reprs(globals())
