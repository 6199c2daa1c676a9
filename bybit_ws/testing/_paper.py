"""`PaperExchange`: an in-memory paper exchange behind the v5 Trade API (no sockets, no threads).

It takes a parsed trade request frame (``{"reqId", "header", "op", "args"}``, V5_MORE.md §5.1) and
returns Bybit's reply frame and the private frames the change pushes on ``/v5/private``::

    paper = PaperExchange(balances={"USDT": "10000"}, prices={"BTCUSDT": "30000"})
    reply, frames = paper.handle(request_frame)         # send reply on /v5/trade, publish frames
    frames = paper.set_price("BTCUSDT", "29900")        # resting limits the price crossed fill

Scope: ``linear`` (USDT/USDC-settled positions, one-way or hedge mode, a fixed leverage) and ``spot``
(coin balances; a market buy's ``qty`` is in the quote coin unless ``marketUnit`` is ``baseCoin``).
Limit orders rest; market orders and crossing limits fill whole at the market price (taker fee),
resting limits fill whole at their price when the market crosses them (maker fee). ``PostOnly`` that
would cross and ``IOC``/``FOK`` that would not are cancelled, as on Bybit. Errors use Bybit's codes
(:class:`~bybit_ws.TradeRetCode`). All methods are thread-safe.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from bybit_ws._errors import TradeRetCode
from bybit_ws.testing._paper_account import PaperAccount, Reject
from bybit_ws.testing._paper_frames import Fill, PaperOrder, RateLimits, private_frame

__all__ = ["PaperExchange"]

_OPS = ("order.create", "order.amend", "order.cancel")
_BASE_STEP = Decimal("0.00000001")


def _decimal(value: Any, name: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Reject(TradeRetCode.PARAMS_ERROR, f"params error: {name} is not a number") from None
    if not number.is_finite():
        raise Reject(TradeRetCode.PARAMS_ERROR, f"params error: {name} is not a number")
    return number


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class PaperExchange:
    """An in-memory paper exchange speaking the v5 Trade API's request and reply shapes.

    Args:
        balances: starting wallet, coin -> amount (default 100,000 USDT).
        prices: starting market price per symbol (set more with :meth:`set_price`).
        maker_fee_rate: the fee rate of maker fills.
        taker_fee_rate: the fee rate of taker fills.
        leverage: the leverage of every linear position (margin = value / leverage).
        clock: epoch milliseconds (default: the wall clock); requests are checked against it.
        rate_limits: reject requests over the default per-second limits (10/s, spot 20/s) with 10006.
    """

    def __init__(
        self,
        *,
        balances: Mapping[str, Decimal | str | int] | None = None,
        prices: Mapping[str, Decimal | str | int] | None = None,
        maker_fee_rate: Decimal | str = "0.0002",
        taker_fee_rate: Decimal | str = "0.00055",
        leverage: Decimal | str | int = 10,
        clock: Callable[[], int] = _now_ms,
        rate_limits: bool = False,
    ) -> None:
        self._lock = threading.RLock()
        self._clock = clock
        self._prices: dict[str, Decimal] = {s: Decimal(p) for s, p in (prices or {}).items()}
        self._orders: dict[str, PaperOrder] = {}
        self._account = PaperAccount(
            balances=balances,
            maker_fee_rate=maker_fee_rate,
            taker_fee_rate=taker_fee_rate,
            leverage=leverage,
            orders=self._orders,
            prices=self._prices,
        )
        # reqIds seen, per connection: live Bybit refuses a reqId repeated on one connection only, so
        # a second session numbering its requests from 1 again (ccxt, bybit-api) is not a duplicate.
        self._req_ids: dict[str, set[str]] = {}
        self._rejects: list[tuple[int, str]] = []
        self._limits = RateLimits(enforce=rate_limits)
        self._seq = 0

    # ------------------------------------------------------------------------------------------ controls
    def reject_next(self, ret_code: int, ret_msg: str = "rejected by PaperExchange") -> None:
        """Answer the next order request (single or batch) with ``ret_code``/``ret_msg`` and do nothing.

        Calls queue up: each rejects one more request.
        """
        with self._lock:
            self._rejects.append((int(ret_code), ret_msg))

    def set_price(self, symbol: str, price: Decimal | str | int) -> list[dict[str, Any]]:
        """Set ``symbol``'s market price; resting limits it crosses fill at their price (maker).

        Returns the private frames of those fills (empty when none filled).
        """
        with self._lock:
            market = self._prices[symbol] = Decimal(price)
            frames: list[dict[str, Any]] = []
            for order in list(self._orders.values()):
                if order.symbol == symbol and order.active and _crosses(order.side, market, order.price):
                    assert order.price is not None
                    frames += self._fill(order, order.price, maker=True)
            return frames

    def forget_connection(self, conn_id: str) -> None:
        """Forget the reqIds seen on a connection that closed (they are unique per connection)."""
        with self._lock:
            self._req_ids.pop(conn_id, None)

    # ------------------------------------------------------------------------------------------ queries
    def price(self, symbol: str) -> Decimal | None:
        """The market price of ``symbol``, if set."""
        with self._lock:
            return self._prices.get(symbol)

    def balance(self, coin: str) -> Decimal:
        """The wallet balance of ``coin``."""
        with self._lock:
            return self._account.balance(coin)

    def position_size(self, symbol: str, position_idx: int = 0) -> Decimal:
        """The signed size of a linear position (positive: long)."""
        with self._lock:
            return self._account.position_size(symbol, position_idx)

    def open_orders(self, symbol: str | None = None) -> list[dict[str, Any]]:
        """The resting orders (of ``symbol``, or all), as items of an ``order`` frame."""
        with self._lock:
            return [o.wire() for o in self._orders.values() if o.active and symbol in (None, o.symbol)]

    # ------------------------------------------------------------------------------------------ requests
    def handle(
        self, request: Mapping[str, Any], *, conn_id: str = "paper"
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Carry out one trade request frame: ``(reply frame, private frames to push)``.

        The reply has Bybit's shape (``reqId`` echoed only when sent, ``retCode``, ``retMsg``, ``op``,
        ``data``, ``retExtInfo``, ``header`` with the rate limit, ``connId``). A refused request pushes
        nothing. ``ping`` and ``auth`` are the connection's business, not the exchange's. A ``reqId``
        must be unique on its connection (`conn_id`), not across connections (``20006`` otherwise).
        """
        with self._lock:
            op = str(request.get("op", ""))
            reply: dict[str, Any] = {}
            req_id = request.get("reqId")
            if req_id is not None:
                reply["reqId"] = req_id
            frames: list[dict[str, Any]] = []
            count = 1
            try:
                _check_envelope(request, op, self._req_ids.setdefault(conn_id, set()), self._clock)
                args = request.get("args")
                if not isinstance(args, list) or len(args) != 1 or not isinstance(args[0], Mapping):
                    raise Reject(TradeRetCode.PARAMS_ERROR, "params error: args must hold one object")
                if self._rejects:
                    raise Reject(*self._rejects.pop(0))
                if op.endswith("-batch"):
                    count = len(args[0].get("request") or ())
                if not self._limits.take(op, str(args[0].get("category", "")), count, self._clock()):
                    raise Reject(TradeRetCode.TOO_MANY_VISITS, "Too many visits!")
                if op.endswith("-batch"):
                    data, ext = self._batch(op.removesuffix("-batch"), args[0], frames)
                else:
                    data, ext = self._single(op, args[0], frames), {}
                code, msg = 0, "OK"
            except Reject as reject:
                code, msg, data, ext, frames = reject.code, reject.msg, {}, {}, []
            reply.update(retCode=code, retMsg=msg, op=op, data=data, retExtInfo=ext)
            reply["header"] = self._limits.header(op, args_category(request), self._clock())
            reply["connId"] = conn_id
            return reply, frames

    def _single(self, op: str, args: Mapping[str, Any], frames: list[dict[str, Any]]) -> dict[str, Any]:
        category = _category(args)
        order = {"order.create": self._create, "order.amend": self._amend, "order.cancel": self._cancel}[op](
            category, args, frames
        )
        return {"orderId": order.order_id, "orderLinkId": order.link_id}

    def _batch(
        self, op: str, args: Mapping[str, Any], frames: list[dict[str, Any]]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        category = _category(args)
        items = args.get("request")
        if not isinstance(items, list) or not items:
            raise Reject(TradeRetCode.PARAMS_ERROR, "params error: request must be a non-empty list")
        if len(items) > (10 if category == "spot" else 20):
            raise Reject(TradeRetCode.PARAMS_ERROR, "params error: too many orders in the batch")
        results, codes = [], []
        for raw in items:
            item = raw if isinstance(raw, Mapping) else {}
            entry = {"category": category, "symbol": str(item.get("symbol", "")), "orderId": ""}
            entry["orderLinkId"] = str(item.get("orderLinkId", ""))
            try:
                entry.update(self._single(op, {**item, "category": category}, frames))
                code, msg = 0, "OK"
            except Reject as reject:
                code, msg = reject.code, reject.msg
            if op == "order.create":
                entry["createAt"] = str(self._clock()) if code == 0 else ""
            results.append(entry)
            codes.append({"code": code, "msg": msg})
        return {"list": results}, {"list": codes}

    # ------------------------------------------------------------------------------------------ orders
    def _create(self, category: str, args: Mapping[str, Any], frames: list[dict[str, Any]]) -> PaperOrder:
        symbol, side, order_type = (str(args.get(k) or "") for k in ("symbol", "side", "orderType"))
        if not symbol or side not in ("Buy", "Sell") or order_type not in ("Market", "Limit"):
            raise Reject(TradeRetCode.PARAMS_ERROR, "params error: symbol, side or orderType invalid")
        qty = _decimal(args.get("qty"), "qty")
        if qty <= 0:
            raise Reject(TradeRetCode.PARAMS_ERROR, "params error: qty must be positive")
        market = self._prices.get(symbol)
        price = _decimal(args["price"], "price") if args.get("price") not in (None, "") else None
        if order_type == "Limit" and price is None:
            raise Reject(TradeRetCode.PARAMS_ERROR, "params error: a Limit order needs a price")
        if order_type == "Market":
            if market is None:
                raise Reject(TradeRetCode.PARAMS_ERROR, f"no market price for {symbol}: set one first")
            price = market
        link_id = str(args.get("orderLinkId") or "")
        if link_id and any(o.active and o.link_id == link_id for o in self._orders.values()):
            raise Reject(TradeRetCode.DUPLICATE_CLIENT_ORDER_ID, "OrderLinkedID is duplicate")
        tif = "IOC" if order_type == "Market" else str(args.get("timeInForce") or "GTC")
        now = self._clock()
        order = PaperOrder(
            order_id=str(uuid.uuid4()), link_id=link_id, category=category, symbol=symbol, side=side,
            order_type=order_type, qty=qty, price=price, time_in_force=tif,
            position_idx=int(args.get("positionIdx") or 0), reduce_only=bool(args.get("reduceOnly")),
            market_unit=str(args.get("marketUnit") or ""), created=now, updated=now, last_price=market,
        )  # fmt: skip
        self._account.check_funds(order)
        self._orders[order.order_id] = order
        crosses = _crosses(side, market, price)
        if order_type == "Limit" and crosses and tif == "PostOnly":
            self._close(order, "Cancelled", "EC_PostOnlyWillTakeLiquidity", frames)
        elif order_type == "Limit" and not crosses and tif in ("IOC", "FOK"):
            self._close(order, "Cancelled", "EC_NoImmediateQtyToFill", frames)
        elif crosses:
            assert market is not None
            frames += self._fill(order, market, maker=False)
        else:
            self._account.lock_funds(order)
            frames += [self._order_frame(order), self._account.order_wallet_frame(order, self._clock())]
        return order

    def _find(self, category: str, args: Mapping[str, Any], action: str) -> PaperOrder:
        order_id, link_id = str(args.get("orderId") or ""), str(args.get("orderLinkId") or "")
        if not order_id and not link_id:
            raise Reject(TradeRetCode.PARAMS_ERROR, "params error: orderId or orderLinkId is required")
        for order in self._orders.values():
            if (
                order.active
                and order.category == category
                and order.symbol == args.get("symbol")
                and (order.order_id == order_id if order_id else order.link_id == link_id)
            ):
                return order
        raise Reject(TradeRetCode.ORDER_NOT_FOUND, f"order not exists or too late to {action}")

    def _amend(self, category: str, args: Mapping[str, Any], frames: list[dict[str, Any]]) -> PaperOrder:
        order = self._find(category, args, "replace")
        qty = _decimal(args["qty"], "qty") if args.get("qty") not in (None, "") else order.qty
        price = _decimal(args["price"], "price") if args.get("price") not in (None, "") else order.price
        if qty <= order.cum_qty or (price is not None and price <= 0):
            raise Reject(TradeRetCode.PARAMS_ERROR, "params error: qty or price invalid")
        if qty == order.qty and price == order.price:
            raise Reject(
                TradeRetCode.PARAMS_ERROR,
                "The order remains unchanged as the parameters entered match the existing ones.",
            )
        self._account.unlock_funds(order)
        old = order.qty, order.price
        order.qty, order.price = qty, price
        try:
            self._account.check_funds(order)
        except Reject:
            order.qty, order.price = old
            self._account.lock_funds(order)
            raise
        order.updated = self._clock()
        market = self._prices.get(order.symbol)
        if _crosses(order.side, market, price):
            assert market is not None
            frames += self._fill(order, market, maker=False)
        else:
            self._account.lock_funds(order)
            frames += [self._order_frame(order), self._account.order_wallet_frame(order, self._clock())]
        return order

    def _cancel(self, category: str, args: Mapping[str, Any], frames: list[dict[str, Any]]) -> PaperOrder:
        order = self._find(category, args, "cancel")
        order.cancel_type = "CancelByUser"
        self._close(order, "Cancelled", "EC_PerCancelRequest", frames)
        return order

    def _close(self, order: PaperOrder, status: str, reason: str, frames: list[dict[str, Any]]) -> None:
        self._account.unlock_funds(order)
        order.status, order.reject_reason, order.updated = status, reason, self._clock()
        self._orders.pop(order.order_id, None)  # (see _fill)
        frames += [self._order_frame(order), self._account.order_wallet_frame(order, self._clock())]

    # ------------------------------------------------------------------------------------------ fills
    def _fill(self, order: PaperOrder, price: Decimal, *, maker: bool) -> list[dict[str, Any]]:
        """Fill the rest of ``order`` at ``price``: the order, execution, execution.fast, position
        (linear) and wallet frames of the fill."""
        self._account.unlock_funds(order)
        now = self._clock()
        if order.quote_qty:
            qty = (order.qty / price).quantize(_BASE_STEP, rounding="ROUND_DOWN")
        else:
            qty = order.qty - order.cum_qty
        value = qty * price
        rate = self._account.maker if maker else self._account.taker
        fee, fee_coin, pnl, closed = self._account.settle(order, qty, price, value, rate, now)
        order.cum_qty += qty
        order.cum_value += value
        order.cum_fee += fee
        order.closed_pnl += pnl
        order.fee_currency = fee_coin
        order.status, order.updated = "Filled", now
        # off the book, out of the orders every request scans (funds, margins, lookups: all of open
        # orders only); kept, each order placed made the next one slower (+0.3 ms per 1,000 orders)
        self._orders.pop(order.order_id, None)
        self._seq += 1
        fill = Fill(
            exec_id=str(uuid.uuid4()), price=price, qty=qty, value=value, fee=fee, fee_rate=rate,
            fee_coin=fee_coin, maker=maker, pnl=pnl, closed=closed, time=now, seq=self._seq,
            mark=self._prices.get(order.symbol, price),
        )  # fmt: skip
        frames = [
            self._order_frame(order),
            private_frame("execution", [fill.execution(order)], now),
            private_frame("execution.fast", [fill.fast(order)], now),
        ]
        if order.category == "linear":
            frames.append(self._account.position_frame(order, self._seq, now))
        frames.append(self._account.order_wallet_frame(order, now))
        return frames

    def _order_frame(self, order: PaperOrder) -> dict[str, Any]:
        return private_frame("order", [order.wire()], self._clock())


def _check_envelope(request: Mapping[str, Any], op: str, req_ids: set[str], clock: Callable[[], int]) -> None:
    """Refuse an unknown op, a reused ``reqId`` (remembered in ``req_ids``) or a stale timestamp."""
    if op not in _OPS and op.removesuffix("-batch") not in _OPS:
        raise Reject(TradeRetCode.UNKNOWN_OP, f"unknown op: {op}")
    req_id = request.get("reqId")
    if req_id is not None:
        if str(req_id) in req_ids:
            raise Reject(TradeRetCode.DUPLICATE_REQ_ID, f"duplicate reqId: {req_id}")
        req_ids.add(str(req_id))
    header = request.get("header")
    header = header if isinstance(header, Mapping) else {}
    try:
        timestamp = int(header["X-BAPI-TIMESTAMP"])
        window = int(header.get("X-BAPI-RECV-WINDOW", 5000))
    except (KeyError, TypeError, ValueError):
        raise Reject(TradeRetCode.PARAMS_ERROR, "params error: X-BAPI-TIMESTAMP is required") from None
    now = clock()
    if not now - window <= timestamp < now + 1000:
        raise Reject(
            TradeRetCode.INVALID_TIMESTAMP,
            "invalid request, please check your server timestamp or recv_window param",
        )


def _crosses(side: str, market: Decimal | None, price: Decimal | None) -> bool:
    """A buy at ``price`` crosses a market at or below it, a sell one at or above it."""
    if market is None or price is None:
        return False
    return market <= price if side == "Buy" else market >= price


def _category(args: Mapping[str, Any]) -> str:
    category = args.get("category")
    if category in ("linear", "spot"):
        return str(category)
    if category in ("inverse", "option"):
        raise Reject(TradeRetCode.PARAMS_ERROR, f"PaperExchange trades linear and spot, not {category}")
    raise Reject(TradeRetCode.UNKNOWN_OP, f"unknown category: {category!r}")


def args_category(request: Mapping[str, Any]) -> str:
    """The ``category`` of a trade request frame's first args object (``""`` if it has none)."""
    args = request.get("args")
    if isinstance(args, list) and args and isinstance(args[0], Mapping):
        return str(args[0].get("category", ""))
    return ""
