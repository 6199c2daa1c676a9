"""``client.v5``'s order-entry methods (the v5 Trade API), built on one hook, ``_trade_submit``.

Every method validates its arguments (``ValueError`` / ``TypeError`` before anything is sent), builds the
op's ``args`` (:mod:`bybit_ws.dialects._trade`) and hands them to ``self._trade_submit(op, args)``, which the
class that mixes :class:`TradeMethods` in provides: it sends one request frame on the trade connection
and returns a ``concurrent.futures.Future`` of the raw reply frame. The reply becomes an
:class:`~bybit_ws.OrderAck` or a list of :class:`~bybit_ws.BatchOrderResult`, or the future fails with
:class:`~bybit_ws.OrderRejectedError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from decimal import Decimal
from typing import Any, TypeVar

from bybit_ws._errors import renamed
from bybit_ws.dialects import _trade
from bybit_ws.enums import (
    BboSideType,
    OrderFilter,
    OrderSide,
    OrderType,
    PositionMode,
    StopLossTakeProfitMode,
    TimeInForce,
    TriggerDirection,
    TriggerType,
)
from bybit_ws.models.trade import (
    AmendOrderRequest,
    BatchOrderResult,
    CancelOrderRequest,
    OrderAck,
    OrderRequest,
)
from bybit_ws.models.v5 import MarketUnit, SelfMatchPreventionType, SlippageToleranceType

__all__ = ["TradeMethods"]

T = TypeVar("T")
Number = Decimal | int | str


def _then(
    reply: Future[Mapping[str, Any]], convert: Callable[[Mapping[str, Any]], T], result: Future[T]
) -> Future[T]:
    """``result``, completed with ``convert(reply frame)`` or failing as ``reply`` fails. It is already
    running: a request on the wire cannot be called back, so ``cancel()`` returns False.

    The conversion runs where ``reply`` completes (the reader thread: blocking callers wake at once);
    ``result``'s own done callbacks run where it puts them (the engine's: on the worker pool)."""
    result.set_running_or_notify_cancel()

    def done(raw: Future[Mapping[str, Any]]) -> None:
        try:
            value = convert(raw.result())
        except BaseException as exc:  # the caller gets whatever the reply or the conversion raised
            result.set_exception(exc)
        else:
            result.set_result(value)

    reply.add_done_callback(done)
    return result


def _alone(request: object, method: str, arguments: Mapping[str, Any]) -> None:
    """A request object comes with nothing but the category: a field given twice would be ambiguous."""
    given = sorted(
        k for k, v in arguments.items() if k not in ("self", "category", "symbol") and v is not None
    )
    if given:
        raise TypeError(
            f"{method} takes a {type(request).__name__} or its fields as arguments, not both: "
            f"{', '.join(given)} given too"
        )


def _one(category: str, request: Any, kind: type[Any]) -> tuple[str, list[dict[str, Any]]]:
    """``(op, args)`` of a single-order request of ``kind`` (``TypeError`` / ``ValueError`` first)."""
    if not isinstance(request, kind):
        raise TypeError(f"expected a {kind.__name__}, not {request!r}")
    return _trade.op_of(request), _trade.single_args(category, request)


def _batch(
    category: str, requests: Sequence[Any], kind: type[Any]
) -> tuple[list[Any], str, list[dict[str, Any]]]:
    """``(requests, op, args)`` of a batch of ``kind`` (``TypeError`` / ``ValueError`` first)."""
    requests = list(requests)
    for request in requests:
        if not isinstance(request, kind):
            raise TypeError(f"expected {kind.__name__} items, not {request!r}")
    op, args = _trade.batch_args(category, requests)
    return requests, op, args


class TradeMethods:
    """Order entry over the v5 Trade API: blocking methods, and ``submit_*`` forms returning futures.

    The blocking methods (``place_order``, ``amend_order``, ``cancel_order``, ``place_orders``,
    ``amend_orders``, ``cancel_orders``) return when Bybit's reply arrives; the single-order ones take
    a request object (``place_order("linear", OrderRequest(...))``) or its fields flattened into
    arguments. Each has a future form with the same verb, ``submit_`` in front (``submit_order``,
    ``submit_amend_order``, ``submit_cancel_order``, ``submit_orders``, ``submit_amend_orders``,
    ``submit_cancel_orders``): it takes request objects, sends at once and returns a
    ``concurrent.futures.Future``, so a strategy can fire several requests and wait for all
    (``concurrent.futures.wait``). ``submit_amend``, ``submit_cancel``, ``submit_amends`` and
    ``submit_cancels`` (0.1) still work and warn (``DeprecationWarning``).

    Errors: ``ValueError`` (or ``TypeError``) before anything is sent for bad arguments;
    :class:`~bybit_ws.OrderRejectedError` for a non-zero ``retCode``; :class:`~bybit_ws.BybitTimeoutError`
    when no reply came in ``request_timeout`` seconds and :class:`~bybit_ws.OrderOutcomeUnknownError`
    when the connection died after the request was sent: in both cases the order may or may not exist,
    check the order stream. A request is never sent twice.
    """

    def _trade_submit(
        self, op: str, args: list[dict[str, Any]], *, blocking: bool = False
    ) -> Future[Mapping[str, Any]]:
        """Send one trade request; the future resolves to the raw reply frame (provided by the client).
        ``blocking``: a blocking method waits on the future (order pacing bounds its wait)."""
        raise NotImplementedError

    def _trade_future(self) -> Future[Any]:
        """A new future for a converted reply (the client's runs its done callbacks on the worker pool)."""
        return Future()

    # ----------------------------------------------------------------------------------------- futures
    def submit_order(self, category: str, request: OrderRequest) -> Future[OrderAck]:
        """Send ``order.create`` now; the future gives the :class:`~bybit_ws.OrderAck` (the future form of
        :meth:`place_order`)."""
        return self._submit_one(category, request, OrderRequest)

    def submit_amend_order(self, category: str, request: AmendOrderRequest) -> Future[OrderAck]:
        """Send ``order.amend`` now; the future gives the :class:`~bybit_ws.OrderAck` (the future form of
        :meth:`amend_order`)."""
        return self._submit_one(category, request, AmendOrderRequest)

    def submit_cancel_order(self, category: str, request: CancelOrderRequest) -> Future[OrderAck]:
        """Send ``order.cancel`` now; the future gives the :class:`~bybit_ws.OrderAck` (the future form of
        :meth:`cancel_order`)."""
        return self._submit_one(category, request, CancelOrderRequest)

    def submit_orders(
        self, category: str, requests: Sequence[OrderRequest]
    ) -> Future[list[BatchOrderResult]]:
        """Send ``order.create-batch`` now (at most 10 spot / 20 other orders); the future gives one
        :class:`~bybit_ws.BatchOrderResult` per order, in request order (the future form of
        :meth:`place_orders`)."""
        return self._submit_batch(category, requests, OrderRequest)

    def submit_amend_orders(
        self, category: str, requests: Sequence[AmendOrderRequest]
    ) -> Future[list[BatchOrderResult]]:
        """Send ``order.amend-batch`` now; the future gives one result per order, in request order (the
        future form of :meth:`amend_orders`)."""
        return self._submit_batch(category, requests, AmendOrderRequest)

    def submit_cancel_orders(
        self, category: str, requests: Sequence[CancelOrderRequest]
    ) -> Future[list[BatchOrderResult]]:
        """Send ``order.cancel-batch`` now; the future gives one result per order, in request order (the
        future form of :meth:`cancel_orders`)."""
        return self._submit_batch(category, requests, CancelOrderRequest)

    # the 0.1 spellings (README 0.1): the verbs now match the blocking methods'
    submit_amend = renamed(submit_amend_order, "submit_amend")
    submit_cancel = renamed(submit_cancel_order, "submit_cancel")
    submit_amends = renamed(submit_amend_orders, "submit_amends")
    submit_cancels = renamed(submit_cancel_orders, "submit_cancels")

    def _submit_one(self, category: str, request: Any, kind: type[Any]) -> Future[OrderAck]:
        op, args = _one(category, request, kind)
        result: Future[OrderAck] = self._trade_future()  # before sending: it may raise
        return _then(self._trade_submit(op, args), _trade.order_ack, result)

    def _submit_batch(
        self, category: str, requests: Sequence[Any], kind: type[Any]
    ) -> Future[list[BatchOrderResult]]:
        requests, op, args = _batch(category, requests, kind)
        result: Future[list[BatchOrderResult]] = self._trade_future()  # before sending: it may raise
        return _then(
            self._trade_submit(op, args), lambda frame: _trade.batch_results(frame, requests), result
        )

    def _call_one(self, category: str, request: Any, kind: type[Any]) -> OrderAck:
        """A blocking method's request: one future, the reader only sets it; the ack is made here, on
        the caller's thread, once it wakes (nothing runs on the reader for it, no callback anywhere)."""
        op, args = _one(category, request, kind)
        return _trade.order_ack(self._trade_submit(op, args, blocking=True).result())

    def _call_batch(self, category: str, requests: Sequence[Any], kind: type[Any]) -> list[BatchOrderResult]:
        requests, op, args = _batch(category, requests, kind)
        return _trade.batch_results(self._trade_submit(op, args, blocking=True).result(), requests)

    # ----------------------------------------------------------------------------------------- blocking
    def place_order(
        self,
        category: str,
        symbol: str | OrderRequest,
        side: OrderSide | str | None = None,
        order_type: OrderType | str | None = None,
        quantity: Number | None = None,
        *,
        price: Number | None = None,
        is_leverage: bool | None = None,
        trigger_direction: TriggerDirection | int | None = None,
        order_filter: OrderFilter | str | None = None,
        trigger_price: Number | None = None,
        trigger_by: TriggerType | str | None = None,
        order_iv: Number | None = None,
        time_in_force: TimeInForce | str | None = None,
        position_idx: PositionMode | int | None = None,
        client_order_id: str | None = None,
        take_profit_order_type: OrderType | str | None = None,
        take_profit: Number | None = None,
        take_profit_limit_price: Number | None = None,
        stop_loss_order_type: OrderType | str | None = None,
        stop_loss: Number | None = None,
        stop_loss_limit_price: Number | None = None,
        take_profit_trigger_by: TriggerType | str | None = None,
        stop_loss_trigger_by: TriggerType | str | None = None,
        reduce_only: bool | None = None,
        close_on_trigger: bool | None = None,
        market_maker_protection: bool | None = None,
        stop_loss_take_profit_mode: StopLossTakeProfitMode | str | None = None,
        self_match_prevention_type: SelfMatchPreventionType | str | None = None,
        market_unit: MarketUnit | str | None = None,
        slippage_tolerance_type: SlippageToleranceType | str | None = None,
        slippage_tolerance: Number | None = None,
        bbo_side_type: BboSideType | str | None = None,
        bbo_level: int | None = None,
        rpi_taker_access: bool | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> OrderAck:
        """Place an order (``order.create``) and return Bybit's :class:`~bybit_ws.OrderAck`.

        ``category``: ``"linear"``, ``"inverse"``, ``"spot"`` or ``"option"``. Then either one
        :class:`~bybit_ws.OrderRequest` and nothing else, or its arguments (``symbol``, ``side``,
        ``order_type`` and ``quantity`` required; wire names in its field metadata); ``extra`` passes
        fields Bybit adds later through verbatim. The ack means "accepted": the order's fate comes on
        the order stream. Raises as described in the class docstring.
        """
        if isinstance(symbol, OrderRequest):
            _alone(symbol, "place_order", locals())
            return self._call_one(category, symbol, OrderRequest)
        if side is None or order_type is None or quantity is None:
            raise TypeError("place_order needs symbol, side, order_type and quantity (or one OrderRequest)")
        request = OrderRequest(
            symbol, side, order_type, quantity,
            price=price,
            is_leverage=is_leverage,
            trigger_direction=trigger_direction,
            order_filter=order_filter,
            trigger_price=trigger_price,
            trigger_by=trigger_by,
            order_iv=order_iv,
            time_in_force=time_in_force,
            position_idx=position_idx,
            client_order_id=client_order_id,
            take_profit_order_type=take_profit_order_type,
            take_profit=take_profit,
            take_profit_limit_price=take_profit_limit_price,
            stop_loss_order_type=stop_loss_order_type,
            stop_loss=stop_loss,
            stop_loss_limit_price=stop_loss_limit_price,
            take_profit_trigger_by=take_profit_trigger_by,
            stop_loss_trigger_by=stop_loss_trigger_by,
            reduce_only=reduce_only,
            close_on_trigger=close_on_trigger,
            market_maker_protection=market_maker_protection,
            stop_loss_take_profit_mode=stop_loss_take_profit_mode,
            self_match_prevention_type=self_match_prevention_type,
            market_unit=market_unit,
            slippage_tolerance_type=slippage_tolerance_type,
            slippage_tolerance=slippage_tolerance,
            bbo_side_type=bbo_side_type,
            bbo_level=bbo_level,
            rpi_taker_access=rpi_taker_access,
            extra=extra,
        )  # fmt: skip
        return self._call_one(category, request, OrderRequest)

    def amend_order(
        self,
        category: str,
        symbol: str | AmendOrderRequest,
        *,
        order_id: str | None = None,
        client_order_id: str | None = None,
        quantity: Number | None = None,
        price: Number | None = None,
        trigger_price: Number | None = None,
        trigger_by: TriggerType | str | None = None,
        order_iv: Number | None = None,
        take_profit: Number | None = None,
        stop_loss: Number | None = None,
        take_profit_trigger_by: TriggerType | str | None = None,
        stop_loss_trigger_by: TriggerType | str | None = None,
        stop_loss_take_profit_mode: StopLossTakeProfitMode | str | None = None,
        take_profit_limit_price: Number | None = None,
        stop_loss_limit_price: Number | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> OrderAck:
        """Amend an open order (``order.amend``) found by ``order_id`` or ``client_order_id``.

        Arguments as :class:`~bybit_ws.AmendOrderRequest`, or one such request and nothing else; returns
        Bybit's :class:`~bybit_ws.OrderAck`. Raises as described in the class docstring.
        """
        if isinstance(symbol, AmendOrderRequest):
            _alone(symbol, "amend_order", locals())
            return self._call_one(category, symbol, AmendOrderRequest)
        request = AmendOrderRequest(
            symbol,
            order_id=order_id,
            client_order_id=client_order_id,
            quantity=quantity,
            price=price,
            trigger_price=trigger_price,
            trigger_by=trigger_by,
            order_iv=order_iv,
            take_profit=take_profit,
            stop_loss=stop_loss,
            take_profit_trigger_by=take_profit_trigger_by,
            stop_loss_trigger_by=stop_loss_trigger_by,
            stop_loss_take_profit_mode=stop_loss_take_profit_mode,
            take_profit_limit_price=take_profit_limit_price,
            stop_loss_limit_price=stop_loss_limit_price,
            extra=extra,
        )
        return self._call_one(category, request, AmendOrderRequest)

    def cancel_order(
        self,
        category: str,
        symbol: str | CancelOrderRequest,
        *,
        order_id: str | None = None,
        client_order_id: str | None = None,
        order_filter: OrderFilter | str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> OrderAck:
        """Cancel an open order (``order.cancel``) found by ``order_id`` or ``client_order_id``.

        Or one :class:`~bybit_ws.CancelOrderRequest` and nothing else. Returns Bybit's
        :class:`~bybit_ws.OrderAck`; raises as described in the class docstring.
        """
        if isinstance(symbol, CancelOrderRequest):
            _alone(symbol, "cancel_order", locals())
            return self._call_one(category, symbol, CancelOrderRequest)
        request = CancelOrderRequest(
            symbol,
            order_id=order_id,
            client_order_id=client_order_id,
            order_filter=order_filter,
            extra=extra,
        )
        return self._call_one(category, request, CancelOrderRequest)

    def place_orders(self, category: str, requests: Sequence[OrderRequest]) -> list[BatchOrderResult]:
        """Place up to 10 spot / 20 other orders in one request (``order.create-batch``).

        Returns one :class:`~bybit_ws.BatchOrderResult` per order, in request order; an order Bybit
        refused has ``ok`` False and its ``code``/``message``. Raises as described in the class
        docstring (``OrderRejectedError`` when the batch as a whole was refused).
        """
        return self._call_batch(category, requests, OrderRequest)

    def amend_orders(self, category: str, requests: Sequence[AmendOrderRequest]) -> list[BatchOrderResult]:
        """Amend up to 10 spot / 20 other orders in one request (``order.amend-batch``); as
        :meth:`place_orders`."""
        return self._call_batch(category, requests, AmendOrderRequest)

    def cancel_orders(self, category: str, requests: Sequence[CancelOrderRequest]) -> list[BatchOrderResult]:
        """Cancel up to 10 spot / 20 other orders in one request (``order.cancel-batch``); as
        :meth:`place_orders`."""
        return self._call_batch(category, requests, CancelOrderRequest)
