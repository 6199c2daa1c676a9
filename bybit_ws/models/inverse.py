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
    time_iso,
    time_ms,
    time_s,
    time_us,
    wire,
)
from bybit_ws.enums import (
    OrderSide,
    TickDirection,
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
_e4 = scaled(4)
_e6 = scaled(6)
_e8 = scaled(8)


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
# Notebook display: every model above gets a _repr_html_ (a table of its fields).
from bybit_ws.models._display import add_html_reprs  # noqa: E402
from bybit_ws.models._inverse_private import (  # noqa: E402
    BalanceUpdate,
    OrderUpdate,
    PositionUpdate,
    StopOrderUpdate,
    UserTradeUpdate,
)

add_html_reprs(globals())
