"""Advanced-Earn offers on ``/v5/public/fp`` (issue 25, V5_2026.md §4.3): ``earn.dualassets.offers``.

Each frame is a full snapshot of every online Dual Assets product's quotes (no ``ts``, no ``type``).
Bybit's table says ``p`` and ``a`` are int64, its example sends strings: both are read.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from bybit_ws._convert import decimal, integer, scaled, structurer, time_ms, wire

from ._base import tuple_of

__all__ = ["DualAssetOffer", "DualAssetQuote"]


@attrs.frozen(kw_only=True, weakref_slot=False)
class DualAssetQuote:
    """One price point of a Dual Assets product (an item of ``buy_low`` or ``sell_high``)."""

    select_price: Decimal = wire("s", decimal, optional=False)
    """The price point's selected (strike) price."""
    apy: Decimal | None = wire("a", scaled(8))
    """The annualised yield, exactly: wire ``a`` (``apyE8``) / 1e8 (``979209000`` -> ``9.79209``). Send
    the latest ``select_price`` and yield when ordering."""
    max_investment: Decimal | None = wire("m", decimal)
    expire_time: datetime | None = wire("x", time_ms)
    """When this quote expires."""


_quotes = tuple_of(structurer(DualAssetQuote), "quotes")


@attrs.frozen(kw_only=True, weakref_slot=False)
class DualAssetOffer:
    """One Dual Assets product's current quotes (topic ``earn.dualassets.offers``)."""

    product_id: int = wire("p", integer, optional=False)
    current_price: Decimal | None = wire("c", decimal)
    buy_low: tuple[DualAssetQuote, ...] = wire("b", _quotes, optional=False)
    """Buy-low price points."""
    sell_high: tuple[DualAssetQuote, ...] = wire("s", _quotes, optional=False)
    """Sell-high price points."""


# Notebook display: every model above gets a _repr_html_ (a table of its fields).
from bybit_ws.models._display import add_html_reprs  # noqa: E402

add_html_reprs(globals())
