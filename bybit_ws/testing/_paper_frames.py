"""The paper exchange's state, its rate-limit counting, and the v5 wire shapes it is pushed in
(``order``, ``execution``, ``execution.fast``, ``position``, ``wallet``), as Bybit's docs and the
captured frames show them.

Numbers go out as strings (Bybit's own form); unset values as ``""``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = [
    "CoinRow",
    "Fill",
    "PaperOrder",
    "PaperPosition",
    "RateLimits",
    "categorised_topic",
    "num",
    "private_frame",
    "wallet_account",
]

_ZERO = Decimal(0)
#: Topics whose frames Bybit also pushes, per category, as ``{topic}.{category}``.
_CATEGORISED = frozenset({"order", "execution", "execution.fast", "position"})


def num(value: Decimal | None) -> str:
    """A Decimal as Bybit sends it: plain notation, no exponent; ``None`` as ``""``."""
    if value is None:
        return ""
    return format(value.normalize(), "f") if value else "0"


def private_frame(topic: str, data: list[dict[str, Any]], now: int) -> dict[str, Any]:
    """A private push frame: ``{"id", "topic", "creationTime", "data"}`` (``execution.fast``: no id)."""
    if topic == "execution.fast":
        return {"topic": topic, "creationTime": now, "data": data}
    return {"id": uuid.uuid4().hex, "topic": topic, "creationTime": now, "data": data}


def categorised_topic(frame: dict[str, Any]) -> str | None:
    """``order.linear`` for an ``order`` frame of linear orders (what a categorised subscription gets),
    ``None`` for a frame Bybit only pushes on its plain topic (``wallet``)."""
    topic = frame.get("topic")
    if topic not in _CATEGORISED or not frame.get("data"):
        return None
    return f"{topic}.{frame['data'][0]['category']}"


@dataclass
class PaperOrder:
    """One order of the paper exchange (mutable; only touched under the exchange's lock)."""

    order_id: str
    link_id: str
    category: str
    symbol: str
    side: str
    order_type: str
    qty: Decimal
    price: Decimal | None
    time_in_force: str
    position_idx: int
    reduce_only: bool
    market_unit: str
    created: int
    updated: int
    last_price: Decimal | None
    status: str = "New"
    cancel_type: str = "UNKNOWN"
    reject_reason: str = "EC_NoError"
    cum_qty: Decimal = _ZERO
    cum_value: Decimal = _ZERO
    cum_fee: Decimal = _ZERO
    fee_currency: str = ""
    closed_pnl: Decimal = _ZERO
    locked: tuple[str, Decimal] | None = None
    """Spot: the coin and amount this order holds back from the free balance."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        """Still on the book (New or PartiallyFilled)."""
        return self.status in ("New", "PartiallyFilled")

    @property
    def base_qty(self) -> Decimal:
        """The order's quantity in the base coin (a spot market buy's ``qty`` is in the quote coin)."""
        if self.quote_qty and self.price:
            return self.qty / self.price
        return self.qty

    @property
    def quote_qty(self) -> bool:
        """A spot market buy whose ``qty`` is an amount of the quote coin (Bybit's default)."""
        return (
            self.category == "spot"
            and self.order_type == "Market"
            and self.side == "Buy"
            and self.market_unit != "baseCoin"
        )

    def wire(self) -> dict[str, Any]:
        """The order as an item of an ``order`` frame (spot: no ``tpslMode``, as live spot frames
        have none; ccxt tells a contract order from a spot one by it)."""
        item = self._wire()
        if self.category == "spot":
            del item["tpslMode"]
        return item

    def _wire(self) -> dict[str, Any]:
        leaves = _ZERO if not self.active else self.qty - (self.cum_value if self.quote_qty else self.cum_qty)
        average = self.cum_value / self.cum_qty if self.cum_qty else None
        return {
            "category": self.category,
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderLinkId": self.link_id,
            "blockTradeId": "",
            "side": self.side,
            "positionIdx": self.position_idx,
            "orderStatus": self.status,
            "cancelType": self.cancel_type,
            "rejectReason": self.reject_reason,
            "timeInForce": self.time_in_force,
            "isLeverage": "0" if self.category == "spot" else "",
            "price": num(self.price),
            "qty": num(self.qty),
            "avgPrice": num(average),
            "leavesQty": num(leaves),
            "leavesValue": num(leaves * self.price if self.price and not self.quote_qty else leaves),
            "cumExecQty": num(self.cum_qty),
            "cumExecValue": num(self.cum_value),
            "cumExecFee": num(self.cum_fee),
            "closedPnl": num(self.closed_pnl),
            "feeCurrency": self.fee_currency,
            "orderType": self.order_type,
            "stopOrderType": "",
            "orderIv": "",
            "triggerPrice": "",
            "takeProfit": "",
            "stopLoss": "",
            "tpslMode": "",
            "tpLimitPrice": "",
            "slLimitPrice": "",
            "tpTriggerBy": "",
            "slTriggerBy": "",
            "triggerDirection": 0,
            "triggerBy": "",
            "lastPriceOnCreated": num(self.last_price),
            "reduceOnly": self.reduce_only,
            "closeOnTrigger": False,
            "placeType": "",
            "smpType": "None",
            "smpGroup": 0,
            "smpOrderId": "",
            "marketUnit": self.market_unit,
            "createType": "CreateByUser",
            "createdTime": str(self.created),
            "updatedTime": str(self.updated),
        }


@dataclass
class PaperPosition:
    """A linear position (signed ``size``: positive long) in one-way or hedge mode."""

    category: str
    symbol: str
    position_idx: int
    leverage: Decimal
    created: int
    size: Decimal = _ZERO
    entry: Decimal = _ZERO
    cur_realised: Decimal = _ZERO
    cum_realised: Decimal = _ZERO
    updated: int = 0

    def wire(self, mark: Decimal | None, seq: int) -> dict[str, Any]:
        """The position as an item of a ``position`` frame (``side`` ``""`` when flat)."""
        quantity = abs(self.size)
        value = quantity * self.entry
        mark = mark if mark is not None else self.entry
        unrealised = (mark - self.entry) * self.size if self.size else _ZERO
        side = "Buy" if self.size > 0 else "Sell" if self.size < 0 else ""
        initial_margin = value / self.leverage
        return {
            "category": self.category,
            "symbol": self.symbol,
            "positionIdx": self.position_idx,
            "tradeMode": 0,
            "riskId": 1,
            "riskLimitValue": "2000000",
            "side": side,
            "size": num(quantity),
            "entryPrice": num(self.entry),
            "leverage": num(self.leverage),
            "positionValue": num(value),
            "positionBalance": num(initial_margin),
            "markPrice": num(mark),
            "positionIM": num(initial_margin),
            "positionIMByMp": num(quantity * mark / self.leverage),
            "positionMM": num(value * Decimal("0.005")),
            "positionMMByMp": num(quantity * mark * Decimal("0.005")),
            "takeProfit": "0",
            "stopLoss": "0",
            "trailingStop": "0",
            "unrealisedPnl": num(unrealised),
            "curRealisedPnl": num(self.cur_realised),
            "cumRealisedPnl": num(self.cum_realised),
            "sessionAvgPrice": "",
            "createdTime": str(self.created),
            "updatedTime": str(self.updated),
            "tpslMode": "Full",
            "liqPrice": "",
            "bustPrice": "",
            "positionStatus": "Normal",
            "adlRankIndicator": 2 if self.size else 0,
            "autoAddMargin": 0,
            "leverageSysUpdatedTime": "",
            "mmrSysUpdatedTime": "",
            "seq": seq,
            "isReduceOnly": False,
        }


@dataclass(frozen=True)
class Fill:
    """One fill of an order, as the ``execution`` and ``execution.fast`` frames carry it."""

    exec_id: str
    price: Decimal
    qty: Decimal
    value: Decimal
    fee: Decimal
    fee_rate: Decimal
    fee_coin: str
    maker: bool
    pnl: Decimal
    closed: Decimal
    time: int
    seq: int
    mark: Decimal

    def execution(self, order: PaperOrder) -> dict[str, Any]:
        """An item of an ``execution`` frame."""
        return {
            "category": order.category, "symbol": order.symbol, "closedSize": num(self.closed),
            "execFee": num(self.fee), "execId": self.exec_id, "execPrice": num(self.price),
            "execQty": num(self.qty), "execType": "Trade", "execValue": num(self.value),
            "feeRate": num(self.fee_rate), "tradeIv": "", "markIv": "", "blockTradeId": "",
            "markPrice": num(self.mark), "indexPrice": "", "underlyingPrice": "", "leavesQty": "0",
            "orderId": order.order_id, "orderLinkId": order.link_id, "orderPrice": num(order.price),
            "orderQty": num(order.qty), "orderType": order.order_type, "stopOrderType": "UNKNOWN",
            "side": order.side, "execTime": str(self.time), "isLeverage": "0", "isMaker": self.maker,
            "seq": self.seq, "marketUnit": order.market_unit, "execPnl": num(self.pnl),
            "createType": "CreateByUser", "feeCurrency": self.fee_coin,
        }  # fmt: skip

    def fast(self, order: PaperOrder) -> dict[str, Any]:
        """An item of an ``execution.fast`` frame (``orderLinkId`` is ``""`` for maker fills)."""
        return {
            "category": order.category, "symbol": order.symbol, "execId": self.exec_id,
            "execPrice": num(self.price), "execQty": num(self.qty), "orderId": order.order_id,
            "isMaker": self.maker, "orderLinkId": "" if self.maker else order.link_id, "side": order.side,
            "execTime": str(self.time), "seq": self.seq,
        }  # fmt: skip


@dataclass(frozen=True)
class CoinRow:
    """One coin of the wallet: balance, its USD value, what is available and what orders hold."""

    coin: str
    balance: Decimal
    usd: Decimal
    available: Decimal
    locked: Decimal
    position_im: Decimal = _ZERO
    order_im: Decimal = _ZERO
    position_mm: Decimal = _ZERO
    upl: Decimal = _ZERO

    @property
    def usd_rate(self) -> Decimal:
        return self.usd / self.balance if self.balance else Decimal(1)


def wallet_account(rows: list[CoinRow]) -> dict[str, Any]:
    """The item of a ``wallet`` frame: a unified account holding ``rows`` (totals in USD).

    Margins agree with the positions and orders: a coin's ``totalPositionIM`` is its positions'
    ``positionIM``, ``totalOrderIM`` what its resting linear orders reserve; the account's
    ``totalInitialMargin`` is their sum in USD and ``totalAvailableBalance`` the margin balance less it.
    """
    total = sum((row.usd for row in rows), _ZERO)
    initial = sum(((row.position_im + row.order_im) * row.usd_rate for row in rows), _ZERO)
    maintenance = sum((row.position_mm * row.usd_rate for row in rows), _ZERO)
    upl = sum((row.upl * row.usd_rate for row in rows), _ZERO)
    margin_balance = total + upl
    im_rate = (initial / margin_balance).quantize(Decimal("0.0001")) if margin_balance else _ZERO
    mm_rate = (maintenance / margin_balance).quantize(Decimal("0.0001")) if margin_balance else _ZERO
    coins = [
        {
            "coin": row.coin, "equity": num(row.balance), "usdValue": num(row.usd),
            "walletBalance": num(row.balance), "availableToWithdraw": num(row.available),
            "availableToBorrow": "", "borrowAmount": "0", "accruedInterest": "0",
            "totalOrderIM": num(row.order_im), "totalPositionIM": num(row.position_im),
            "totalPositionMM": num(row.position_mm), "unrealisedPnl": num(row.upl), "cumRealisedPnl": "0",
            "bonus": "0", "collateralSwitch": True, "marginCollateral": True, "locked": num(row.locked),
            "spotHedgingQty": "0", "spotBorrow": "0",
        }
        for row in rows
    ]  # fmt: skip
    return {
        "accountType": "UNIFIED", "accountLTV": "0", "accountIMRate": num(im_rate),
        "accountIMRateByMp": num(im_rate), "accountMMRate": num(mm_rate), "accountMMRateByMp": num(mm_rate),
        "totalEquity": num(margin_balance), "totalWalletBalance": num(total),
        "totalMarginBalance": num(margin_balance), "totalAvailableBalance": num(margin_balance - initial),
        "totalPerpUPL": num(upl), "totalInitialMargin": num(initial), "totalInitialMarginByMp": num(initial),
        "totalMaintenanceMargin": num(maintenance), "totalMaintenanceMarginByMp": num(maintenance),
        "coin": coins,
    }  # fmt: skip


class RateLimits:
    """Per-second request counts by kind (spot per op, others shared), Bybit's default limits: 10 a
    second, spot 20. ``enforce``: refuse what goes over (the exchange answers 10006)."""

    def __init__(self, *, enforce: bool) -> None:
        self.enforce = enforce
        self._windows: dict[str, tuple[int, int]] = {}  # bucket -> (second, used)

    @staticmethod
    def _bucket(op: str, category: str) -> str:
        kind = op.removeprefix("order.").removesuffix("-batch")
        return f"{category}:{kind}" if category == "spot" else kind

    @staticmethod
    def limit(category: str) -> int:
        """Requests a second allowed for ``category``."""
        return 20 if category == "spot" else 10

    def _used(self, bucket: str, now_ms: int) -> int:
        second, used = self._windows.get(bucket, (now_ms // 1000, 0))
        return used if second == now_ms // 1000 else 0

    def take(self, op: str, category: str, count: int, now_ms: int) -> bool:
        """Count ``count`` requests; False (nothing counted) when enforced and over the limit."""
        bucket = self._bucket(op, category)
        used = self._used(bucket, now_ms)
        if self.enforce and used + count > self.limit(category):
            return False
        self._windows[bucket] = (now_ms // 1000, used + count)
        return True

    def header(self, op: str, category: str, now_ms: int) -> dict[str, str]:
        """The reply ``header``: limit, what is left this second, when the window resets, trace id, time."""
        limit = self.limit(category)
        used = self._used(self._bucket(op, category), now_ms)
        return {
            "X-Bapi-Limit": str(limit),
            "X-Bapi-Limit-Status": str(max(limit - used, 0)),
            # "when the limit is reached, the time it resets; otherwise just the current timestamp"
            "X-Bapi-Limit-Reset-Timestamp": str((now_ms // 1000 + 1) * 1000 if used >= limit else now_ms),
            "Traceid": uuid.uuid4().hex,
            "Timenow": str(now_ms),
        }
