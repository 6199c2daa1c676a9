"""Models of the Inverse Perpetual v2 streams (``wss://stream.bybit.com/realtime``).

One frozen attrs class per payload item, named after Bybit.Net's socket models without the ``Bybit``
prefix, fields in snake_case after Bybit.Net's property names. Build them with
:func:`bybit_ws._convert.structurer` from the ``data`` part of a frame (decoded with
``json.loads(text, parse_float=Decimal)``).

Conventions shared by every model here:

* prices, quantities, values, fees and balances are exact :class:`~decimal.Decimal`, whether the wire
  sent a number or a string;
* times are timezone-aware UTC :class:`~datetime.datetime`, read in each field's own unit (ISO strings,
  epoch seconds, milliseconds or microseconds);
* ``*_eN`` integers are divided by exactly ``10**N`` (not Bybit.Net's ``10**(N-2)``), so rates and
  percentage changes are plain ratios: ``Decimal("0.01")`` means 1 %;
* enums are open: a value the library does not know is kept as a pseudo-member with that value;
* fields are ``None`` when the frame leaves them out (except the few required ones, without which the
  item means nothing); a number, time or enum sent as ``""`` is ``None`` too, while text fields keep
  ``""`` as sent (``order_link_id: ""``); unknown extra fields are ignored.
"""

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
    price_decimal,
    scaled,
    text,
    time_auto,
    time_iso,
    time_ms,
    time_s,
    time_us,
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
    TickDirection,
    TimeInForce,
    TradeType,
    TriggerType,
)

__all__ = [
    "BalanceUpdate",
    "InsuranceUpdate",
    "KlineUpdate",
    "LiquidationUpdate",
    "OrderBookEntry",
    "OrderUpdate",
    "PositionUpdate",
    "StopOrderUpdate",
    "TickerUpdate",
    "TradeUpdate",
    "UserTradeUpdate",
]

_side = enum_of(OrderSide)
_trigger = enum_of(TriggerType)
_position_mode = enum_of(PositionMode)
_e4 = scaled(4)
_e6 = scaled(6)
_e8 = scaled(8)
# An alias's value is converted by the alias hook and then again by the field's own hook, so a time
# field with aliases takes the alias value as text and reads every form with ``time_auto`` (ISO, or an
# epoch in the unit Bybit.Net's thresholds guess, as its DateTimeConverter does).
_TIME_ALIAS = text


# ------------------------------------------------------------------------------------------- public
@attrs.frozen(kw_only=True, weakref_slot=False)
class TradeUpdate:
    """One public trade (topic ``trade.{symbol}``).

    Attributes:
        symbol: the contract, e.g. ``"BTCUSD"``.
        side: the taker's side.
        price: the trade price (``price``; sent as a JSON number).
        quantity: contracts traded (``size``).
        timestamp: the trade's time as an ISO string on the wire, second precision (``timestamp``).
        trade_time: the trade's time to the millisecond (``trade_time_ms``).
        tick_direction: direction of this price against the previous trade.
        id: the trade id, a UUID string (``trade_id``).
        cross_sequence: the matching engine's sequence number (``cross_seq``).
        is_block_trade: whether it was a block trade (``is_block_trade``; not in Bybit.Net, seen live
            as the string ``"false"``).
    """

    symbol: str = wire("symbol", text, optional=False)
    side: OrderSide = wire("side", _side, optional=False)
    price: Decimal = wire("price", price_decimal, optional=False)
    quantity: Decimal = wire("size", decimal, optional=False)
    timestamp: datetime | None = wire("timestamp", time_iso)
    trade_time: datetime | None = wire("trade_time_ms", time_ms)
    tick_direction: TickDirection | None = wire("tick_direction", enum_of(TickDirection))
    id: str | None = wire("trade_id", text)
    cross_sequence: int | None = wire("cross_seq", integer)
    is_block_trade: bool | None = wire("is_block_trade", boolean)


@attrs.frozen(kw_only=True, weakref_slot=False)
class TickerUpdate:
    """Instrument info of one contract (topic ``instrument_info.100ms.{symbol}``).

    Every field is optional: a delta carries only what changed, and the client merges the snapshot and
    the deltas into one dict before building this model, so a handler always sees the full ticker.

    Where a plain price is missing but its deprecated ``*_e4`` integer is present (``last_price_e4``,
    ``bid1_price_e4``, ...), the price is read from the integer divided by 10^4.

    Attributes:
        id: the instrument id (``id``).
        symbol: the contract, e.g. ``"BTCUSD"``.
        last_tick_direction: direction of the last price change.
        cross_sequence: the matching engine's sequence number (``cross_seq``).

    Prices (``Decimal``):
        last_price: last traded price.
        best_bid_price / best_ask_price: best bid and ask (``bid1_price`` / ``ask1_price``).
        mark_price / index_price: mark and index price.
        price_24h / price_1h: price 24 hours / 1 hour ago (``prev_price_24h`` / ``prev_price_1h``).
        high_price_24h / low_price_24h: highest and lowest price in the last 24 hours.

    Changes and rates, as ratios (``Decimal("0.01")`` means 1 %; Bybit.Net gives these in percent):
        price_change_percentage_24h: change against 24 hours ago (``price_24h_pcnt_e6`` ÷ 10^6).
        price_change_percentage_1h: change against 1 hour ago (``price_1h_pcnt_e6`` ÷ 10^6).
        funding_rate: the current funding rate (``funding_rate_e6`` ÷ 10^6; 100 gives 0.0001 = 0.01 %).
        predicted_funding_rate: the next funding rate (``predicted_funding_rate_e6`` ÷ 10^6).

    Volumes (contracts) and values (coin):
        open_interest: open interest in contracts (``open_interest``, or ``open_interest_e8`` ÷ 10^8).
        open_value: value of the open interest (``open_value_e8`` ÷ 10^8).
        total_volume / volume_24h: contracts traded in total / in 24 hours (``total_volume``,
            ``volume_24h``, or their ``*_e8`` forms ÷ 10^8).
        total_turnover / turnover_24h: value traded in total / in 24 hours (``*_e8`` ÷ 10^8).

    Times and funding schedule:
        create_time / update_time: when the instrument was created / last updated (``created_at`` /
            ``updated_at``, ISO).
        next_funding_time: the next funding settlement (ISO).
        countdown_hour: hours until the next funding (``countdown_hour`` or ``count_down_hour``).
        funding_rate_interval: hours between fundings.
        delisting_status: delisting status as sent (``"0"`` when listed; not in Bybit.Net).
    """

    id: int | None = wire("id", integer)
    symbol: str | None = wire("symbol", text)
    last_tick_direction: TickDirection | None = wire("last_tick_direction", enum_of(TickDirection))
    cross_sequence: int | None = wire("cross_seq", integer)

    last_price: Decimal | None = wire("last_price", price_decimal, aliases=(("last_price_e4", _e4),))
    best_bid_price: Decimal | None = wire("bid1_price", price_decimal, aliases=(("bid1_price_e4", _e4),))
    best_ask_price: Decimal | None = wire("ask1_price", price_decimal, aliases=(("ask1_price_e4", _e4),))
    mark_price: Decimal | None = wire("mark_price", price_decimal, aliases=(("mark_price_e4", _e4),))
    index_price: Decimal | None = wire("index_price", price_decimal, aliases=(("index_price_e4", _e4),))
    price_24h: Decimal | None = wire("prev_price_24h", price_decimal, aliases=(("prev_price_24h_e4", _e4),))
    price_1h: Decimal | None = wire("prev_price_1h", price_decimal, aliases=(("prev_price_1h_e4", _e4),))
    high_price_24h: Decimal | None = wire(
        "high_price_24h", price_decimal, aliases=(("high_price_24h_e4", _e4),)
    )
    low_price_24h: Decimal | None = wire("low_price_24h", price_decimal, aliases=(("low_price_24h_e4", _e4),))

    price_change_percentage_24h: Decimal | None = wire("price_24h_pcnt_e6", _e6)
    price_change_percentage_1h: Decimal | None = wire("price_1h_pcnt_e6", _e6)
    funding_rate: Decimal | None = wire("funding_rate_e6", _e6)
    predicted_funding_rate: Decimal | None = wire("predicted_funding_rate_e6", _e6)

    open_interest: Decimal | None = wire("open_interest", decimal, aliases=(("open_interest_e8", _e8),))
    open_value: Decimal | None = wire("open_value_e8", _e8)
    total_volume: Decimal | None = wire("total_volume", decimal, aliases=(("total_volume_e8", _e8),))
    volume_24h: Decimal | None = wire("volume_24h", decimal, aliases=(("volume_24h_e8", _e8),))
    total_turnover: Decimal | None = wire("total_turnover_e8", _e8)
    turnover_24h: Decimal | None = wire("turnover_24h_e8", _e8)

    create_time: datetime | None = wire("created_at", time_iso)
    update_time: datetime | None = wire("updated_at", time_iso)
    next_funding_time: datetime | None = wire("next_funding_time", time_iso)
    countdown_hour: int | None = wire("countdown_hour", integer, aliases=(("count_down_hour", integer),))
    funding_rate_interval: int | None = wire("funding_rate_interval", integer)
    delisting_status: str | None = wire("delisting_status", text)


@attrs.frozen(kw_only=True, weakref_slot=False)
class OrderBookEntry:
    """One price level of an order book (topics ``orderBookL2_25.{s}``, ``orderBook_200.100ms.{s}``).

    Attributes:
        symbol: the contract.
        price: the level's price.
        side: ``BUY`` for a bid, ``SELL`` for an ask.
        quantity: contracts at this level (``size``); ``None`` on delete entries, which carry no size.
        id: Bybit's deprecated level id (the price times 10^4); key levels by ``(side, price)`` instead.
    """

    symbol: str = wire("symbol", text, optional=False)
    price: Decimal = wire("price", price_decimal, optional=False)
    side: OrderSide = wire("side", _side, optional=False)
    quantity: Decimal | None = wire("size", decimal)
    id: int | None = wire("id", integer)


@attrs.frozen(kw_only=True, weakref_slot=False)
class InsuranceUpdate:
    """The insurance fund balance of one coin (topic ``insurance.{coin}``, daily at 20:00 UTC).

    Attributes:
        asset: the coin, e.g. ``"BTC"`` (``currency``).
        timestamp: time of the balance (ISO).
        wallet_balance: the fund's balance as sent: an integer in 10^-8 units of the coin
            (``98786916569`` is 987.86916569 BTC). Not scaled, as in Bybit.Net: the name has no ``_eN``.
    """

    asset: str = wire("currency", text, optional=False)
    timestamp: datetime | None = wire("timestamp", time_iso)
    wallet_balance: Decimal | None = wire("wallet_balance", decimal)


@attrs.frozen(kw_only=True, weakref_slot=False)
class KlineUpdate:
    """One candle (topic ``klineV2.{interval}.{symbol}``).

    Attributes:
        symbol / interval: the contract and the interval's wire string (``"1"``, ``"D"``, ...). Not in the
            payload: the client fills them in from the topic.
        open_time / close_time: start and end of the candle (``start`` / ``end``, epoch seconds).
        open_price / close_price / high_price / low_price: ``open`` / ``close`` / ``high`` / ``low``.
        volume: contracts traded.
        turnover: value traded, in the coin.
        confirm: ``True`` on the candle's final update.
        cross_sequence: the matching engine's sequence number (``cross_seq``).
        timestamp: time of this update (epoch microseconds).
    """

    symbol: str | None = wire("symbol", text)
    interval: str | None = wire("interval", text)
    open_time: datetime = wire("start", time_s, optional=False)
    close_time: datetime | None = wire("end", time_s)
    open_price: Decimal = wire("open", price_decimal, optional=False)
    close_price: Decimal = wire("close", price_decimal, optional=False)
    high_price: Decimal = wire("high", price_decimal, optional=False)
    low_price: Decimal = wire("low", price_decimal, optional=False)
    volume: Decimal | None = wire("volume", decimal)
    turnover: Decimal | None = wire("turnover", decimal)
    confirm: bool | None = wire("confirm", boolean)
    cross_sequence: int | None = wire("cross_seq", integer)
    timestamp: datetime | None = wire("timestamp", time_us)


@attrs.frozen(kw_only=True, weakref_slot=False)
class LiquidationUpdate:
    """One liquidation (topic ``liquidation.{symbol}``).

    Attributes:
        symbol: the contract.
        side: the liquidated position's side.
        price: the bankruptcy price.
        quantity: contracts liquidated (``qty``).
        timestamp: time of the liquidation (``time``, epoch milliseconds).
    """

    symbol: str = wire("symbol", text, optional=False)
    side: OrderSide | None = wire("side", _side)
    price: Decimal = wire("price", price_decimal, optional=False)
    quantity: Decimal | None = wire("qty", decimal)
    timestamp: datetime | None = wire("time", time_ms)


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
