"""RFQ (block trade) streams, issue 25 / V5_2026.md §4.2: the public ``rfq.open.public.trades`` on
``/v5/public/rfq`` and the private ``rfq.open.rfqs``, ``rfq.open.quotes`` and ``rfq.open.trades``.

Times inside ``data`` come as strings of epoch milliseconds. Sides come as ``Buy``/``Sell`` in Bybit's
examples and ``buy``/``sell`` in its tables: both are read as :class:`~bybit_ws.enums.OrderSide`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from bybit_ws._convert import OpenEnum, boolean, decimal, enum_of, integer, structurer, text, time_ms, wire
from bybit_ws.enums import OrderSide

from ._base import Category, _category, _side, tuple_of

__all__ = ["RfqInquiry", "RfqLeg", "RfqPublicTrade", "RfqQuote", "RfqStatus", "RfqTrade"]


class RfqStatus(OpenEnum):
    """State of an inquiry, a quote or a block trade."""

    ACTIVE = "Active"
    CANCELED = "Canceled"
    PENDING_FILL = "PendingFill"
    FILLED = "Filled"
    EXPIRED = "Expired"
    FAILED = "Failed"


def _rfq_side(value: Any, _type: Any = None) -> OrderSide | None:
    """``Buy``/``Sell`` or ``buy``/``sell`` (the docs' tables and examples disagree); ``""`` is unset."""
    if isinstance(value, str) and value:
        value = value[0].upper() + value[1:].lower()
    return _side(value)  # type: ignore[no-any-return]


@attrs.frozen(kw_only=True, weakref_slot=False)
class RfqLeg:
    """One leg of an inquiry, a quote or a block trade; a field the frame does not carry is ``None``
    (an inquiry's legs have no price, a quote's no side, only the user's own trades have ids and fees)."""

    category: Category | None = wire("category", _category)
    symbol: str = wire("symbol", text, optional=False)
    side: OrderSide | None = wire("side", _rfq_side)
    price: Decimal | None = wire("price", decimal)
    quantity: Decimal | None = wire("qty", decimal)
    mark_price: Decimal | None = wire("markPrice", decimal)
    """Mark price at execution (spot: the index price)."""
    order_id: str | None = wire("orderId", text)
    trade_id: str | None = wire("execId", text)
    fee: Decimal | None = wire("execFee", decimal)
    """Fee paid to the exchange executing the block trade."""
    result_code: int | None = wire("resultCode", integer)
    """``0`` on success."""
    result_message: str | None = wire("resultMessage", text)
    reject_party: str | None = wire("rejectParty", text)
    """``""`` when filled; ``Taker``, ``Maker`` or ``bybit`` when not."""


_legs = tuple_of(structurer(RfqLeg), "legs")
_texts = tuple_of(str, "names")


_status = enum_of(RfqStatus)


@attrs.frozen(kw_only=True, weakref_slot=False)
class RfqPublicTrade:
    """A block trade on Bybit's RFQ desk, all its legs in one (topic ``rfq.open.public.trades``)."""

    rfq_id: str = wire("rfqId", text, optional=False)
    strategy_type: str | None = wire("strategyType", text)
    """The inquiry's label (e.g. ``custom``)."""
    legs: tuple[RfqLeg, ...] = wire("legs", _legs, optional=False)
    create_time: datetime | None = wire("createdAt", time_ms)
    update_time: datetime | None = wire("updatedAt", time_ms)


@attrs.frozen(kw_only=True, weakref_slot=False)
class RfqInquiry:
    """An inquiry (RFQ) the user sent or received (topic ``rfq.open.rfqs``)."""

    rfq_id: str = wire("rfqId", text, optional=False)
    client_rfq_id: str | None = wire("rfqLinkId", text)
    """The inquirer's own id (``rfqLinkId``; ``""`` when anonymous)."""
    counterparties: tuple[str, ...] = wire("counterparties", _texts, optional=False)
    strategy_type: str | None = wire("strategyType", text)
    status: RfqStatus | None = wire("status", _status)
    accept_other_quotes: bool | None = wire("acceptOtherQuoteStatus", boolean)
    """Whether quotes from non-LP parties are accepted (sent as the string ``"true"``/``"false"``)."""
    desk_code: str | None = wire("deskCode", text)
    expire_time: datetime | None = wire("expiresAt", time_ms)
    create_time: datetime | None = wire("createdAt", time_ms)
    update_time: datetime | None = wire("updatedAt", time_ms)
    legs: tuple[RfqLeg, ...] = wire("legs", _legs, optional=False)


@attrs.frozen(kw_only=True, weakref_slot=False)
class RfqQuote:
    """A quote the user sent or received (topic ``rfq.open.quotes``)."""

    rfq_id: str = wire("rfqId", text, optional=False)
    client_rfq_id: str | None = wire("rfqLinkId", text)
    quote_id: str = wire("quoteId", text, optional=False)
    client_quote_id: str | None = wire("quoteLinkId", text)
    status: RfqStatus | None = wire("status", _status)
    desk_code: str | None = wire("deskCode", text)
    """The quoting party's desk code."""
    executed_side: OrderSide | None = wire("execQuoteSide", _rfq_side)
    """The side executed (``None`` until then): the maker's side is the legs' side, the taker's the other."""
    buy_legs: tuple[RfqLeg, ...] = wire("quoteBuyList", _legs, optional=False)
    sell_legs: tuple[RfqLeg, ...] = wire("quoteSellList", _legs, optional=False)
    expire_time: datetime | None = wire("expiresAt", time_ms)
    create_time: datetime | None = wire("createdAt", time_ms)
    update_time: datetime | None = wire("updatedAt", time_ms)


@attrs.frozen(kw_only=True, weakref_slot=False)
class RfqTrade:
    """One of the user's own block trades (topic ``rfq.open.trades``)."""

    rfq_id: str = wire("rfqId", text, optional=False)
    client_rfq_id: str | None = wire("rfqLinkId", text)
    quote_id: str = wire("quoteId", text, optional=False)
    client_quote_id: str | None = wire("quoteLinkId", text)
    quote_side: OrderSide | None = wire("quoteSide", _rfq_side)
    """The executed quote's direction."""
    strategy_type: str | None = wire("strategyType", text)
    status: RfqStatus | None = wire("status", _status)
    """``FILLED`` or ``FAILED``."""
    rfq_desk_code: str | None = wire("rfqDeskCode", text)
    quote_desk_code: str | None = wire("quoteDeskCode", text)
    legs: tuple[RfqLeg, ...] = wire("legs", _legs, optional=False)
    create_time: datetime | None = wire("createdAt", time_ms)
    update_time: datetime | None = wire("updatedAt", time_ms)


# Notebook display: every model above gets a _repr_html_ (a table of its fields).
from bybit_ws.models._display import add_html_reprs  # noqa: E402

add_html_reprs(globals())
