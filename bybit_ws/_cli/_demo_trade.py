"""``demo --trade``: paper trading on the bundled fake exchange, its private updates printed.

The demo's `FakeBybit` accepts the demo credentials; a `SimulatedMarket` prices its paper exchange. A
client with those credentials subscribes to its order, execution, position and wallet streams and
then, in the main thread, places a resting limit buy, amends it to just under the market, buys at
market (filled at once), rests a limit sell far above the market (the future form), waits for the
market to trade down through the buy (amending it after the market now and then, so it fills within
seconds), and cancels what is left (a batch). Every ack and every private update is one line.
"""

from __future__ import annotations

import argparse
import contextlib
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING

from bybit_ws._cli._console import Printer, status, usage, wait_until_done
from bybit_ws._cli._demo_urls import DEMO_API_KEY, DEMO_API_SECRET, LATENCY, peer_recipes
from bybit_ws._errors import BybitWsError, OrderRejectedError
from bybit_ws.api._client import BybitSocketClient
from bybit_ws.api._v5 import V5Streams
from bybit_ws.enums import OrderStatus
from bybit_ws.models._common import DataEvent
from bybit_ws.models.trade import CancelOrderRequest, OrderAck, OrderRequest
from bybit_ws.models.v5 import Balance, Order, Position, UserTrade

if TYPE_CHECKING:
    from bybit_ws.testing import FakeBybit, SimulatedMarket

__all__ = ["run_trade_demo"]

_CATEGORY = "linear"
_OPEN = (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, OrderStatus.UNTRIGGERED, OrderStatus.CREATED)
_FILL_WAIT = 8.0  # longest wait for the market to trade through the resting buy
_CHASE_EVERY = 1.0  # unfilled this long: amend the buy to just under the market again
_UPDATE_WAIT = 3.0  # longest wait for an order update the demo expects


def _clock(stamp: datetime | None = None) -> str:
    stamp = stamp or datetime.now(timezone.utc)
    return f"{stamp:%H:%M:%S}.{stamp.microsecond // 1000:03d}"


def _v(value: object) -> str:
    return "-" if value is None else str(getattr(value, "value", value))


def _n(value: Decimal | None) -> str:
    """A number as sent, or rounded to 4 places when it has more than 8 (an average entry price)."""
    if value is None:
        return "-"
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -8:
        return f"{value.quantize(Decimal('0.0001')):f}"
    return f"{value:f}"


class _Desk:
    """The demo trader's view: prints the private streams and remembers each order's last state."""

    def __init__(self, client: BybitSocketClient, out: Printer) -> None:
        self._client = client
        self._out = out
        self._cond = threading.Condition()
        self._orders: dict[str, Order] = {}  # client order id -> its latest update

    def say(self, text: str, stamp: datetime | None = None) -> None:
        self._out(f"{_clock(stamp)} {text}")

    def subscribe(self) -> None:
        v5 = self._client.v5
        v5.subscribe_to_order_updates(self._on_orders)
        v5.subscribe_to_user_trade_updates(self._on_executions)
        v5.subscribe_to_position_updates(self._on_positions)
        v5.subscribe_to_balance_updates(self._on_wallet)

    # ----------------------------------------------------------------------------------- the streams
    def _on_orders(self, event: DataEvent[list[Order]]) -> None:
        for o in event.data:
            key = o.client_order_id or o.order_id[:8]
            line = f"order     {key} {_v(o.side)} {_v(o.order_type)} {o.quantity} @ {o.price} {_v(o.status)}"
            if o.quantity_filled:
                line += f", filled {o.quantity_filled} avg {o.average_price}"
            if o.cancel_type is not None and o.status is OrderStatus.CANCELED:
                line += f" ({_v(o.cancel_type)})"
            self.say(line, event.timestamp)
            with self._cond:
                self._orders[o.client_order_id or o.order_id] = o
                self._cond.notify_all()

    def _on_executions(self, event: DataEvent[list[UserTrade]]) -> None:
        for t in event.data:
            role = "maker" if t.is_maker else "taker"
            self.say(
                f"execution {t.client_order_id or t.order_id[:8]} {_v(t.side)} {t.quantity} @ {t.price} "
                f"{role}, fee {t.fee} {t.fee_asset or ''}".rstrip(),
                event.timestamp,
            )

    def _on_positions(self, event: DataEvent[list[Position]]) -> None:
        for p in event.data:
            self.say(
                f"position  {p.symbol} {_v(p.side)} {p.quantity} entry {_n(p.average_price)} "
                f"unrealised {_n(p.unrealized_pnl)} realised {_n(p.realized_pnl)}",
                event.timestamp,
            )

    def _on_wallet(self, event: DataEvent[list[Balance]]) -> None:
        for account in event.data:
            for coin in account.assets:
                self.say(
                    f"wallet    {coin.asset} {coin.wallet_balance} (available {coin.available_to_withdraw})",
                    event.timestamp,
                )

    # ----------------------------------------------------------------------------------- order state
    def open_orders(self) -> list[str]:
        """Client order ids of the orders the stream last showed open."""
        with self._cond:
            return [key for key, o in self._orders.items() if o.status in _OPEN]

    def wait_for(self, key: str, check: Callable[[Order], bool], timeout: float) -> bool:
        """Wait until the order stream's latest update of ``key`` passes ``check``."""

        def seen() -> bool:
            order = self._orders.get(key)
            return order is not None and check(order)

        with self._cond:
            return self._cond.wait_for(seen, max(0.0, timeout))

    def price_of(self, key: str) -> Decimal | None:
        with self._cond:
            order = self._orders.get(key)
            return order.price if order is not None else None

    def status_of(self, key: str) -> OrderStatus | None:
        with self._cond:
            order = self._orders.get(key)
            return order.status if order is not None else None


def _acked(desk: _Desk, verb: str, key: str, detail: str, ack: OrderAck) -> None:
    desk.say(f"{verb:<9} {key} {detail}, order {ack.order_id[:8]}")


def _scenario(
    client: BybitSocketClient,
    desk: _Desk,
    fake: FakeBybit,
    market: SimulatedMarket,
    deadline: float | None,
) -> None:
    """Place, amend, fill and cancel, printing each step; the market's thread does the crossing."""
    v5, symbol, tick = client.v5, market.symbol, market.tick
    size = Decimal("0.010")

    def last() -> Decimal:
        return fake.paper.price(symbol) or market.best_bid

    def under_the_market() -> Decimal:
        """At the best bid, but never at or above the last price (a buy there would fill at once)."""
        return min(market.best_bid, last() - tick)

    def amended_to(price: Decimal) -> Callable[[Order], bool]:
        return lambda o: o.price == price or o.status not in _OPEN

    buy = f"{symbol} Buy Limit {size}"
    desk.say(f"--- 1. a limit buy well under the market (last {last()}) rests on the book")
    price = market.best_bid - 200 * tick
    ack = v5.place_order(_CATEGORY, symbol, "Buy", "Limit", size, price=price, client_order_id="demo-1")
    _acked(desk, "placed", "demo-1", f"{buy} @ {price}", ack)
    desk.wait_for("demo-1", lambda o: True, _UPDATE_WAIT)

    price = under_the_market()
    desk.say(f"--- 2. amend it to {price}, just under the market: the market will trade through it")
    ack = v5.amend_order(_CATEGORY, symbol, client_order_id="demo-1", price=price)
    _acked(desk, "amended", "demo-1", f"price {price}", ack)
    desk.wait_for("demo-1", amended_to(price), _UPDATE_WAIT)

    desk.say("--- 3. a market buy fills at once, at the market's price")
    ack = v5.place_order(_CATEGORY, symbol, "Buy", "Market", size / 2, client_order_id="demo-2")
    _acked(desk, "placed", "demo-2", f"{symbol} Buy Market {size / 2}", ack)
    desk.wait_for("demo-2", lambda o: o.status not in _OPEN, _UPDATE_WAIT)

    price = market.best_bid + 200 * tick
    desk.say("--- 4. a limit sell well over the market, sent with submit_order (a Future)")
    request = OrderRequest(symbol, "Sell", "Limit", size / 2, price=price, client_order_id="demo-3")
    ack = v5.submit_order(_CATEGORY, request).result(timeout=10)
    _acked(desk, "placed", "demo-3", f"{symbol} Sell Limit {size / 2} @ {price}", ack)
    desk.wait_for("demo-3", lambda o: True, _UPDATE_WAIT)

    wait = _FILL_WAIT if deadline is None else min(_FILL_WAIT, deadline - time.monotonic() - 0.5)
    if wait > 0:
        desk.say(f"--- 5. wait (up to {wait:.0f} s) for the market to trade down through demo-1")
        _await_fill(v5, desk, symbol, under_the_market, time.monotonic() + wait)

    left = desk.open_orders()
    desk.say(f"--- 6. cancel what is left: {', '.join(left) or 'nothing'}")
    if left:
        results = v5.cancel_orders(_CATEGORY, [CancelOrderRequest(symbol, client_order_id=k) for k in left])
        for key, result in zip(left, results, strict=True):
            if result.ok:
                desk.say(f"cancelled {key} order {(result.order_id or '')[:8]}")
            else:
                desk.say(f"cancel    {key} refused: {result.message} ({result.code})")
        for key in left:
            desk.wait_for(key, lambda o: o.status not in _OPEN, _UPDATE_WAIT)
    position = fake.paper.position_size(symbol)
    desk.say(f"--- done: position {position} {symbol}; the market goes on (Ctrl-C to stop)")


def _await_fill(
    v5: V5Streams, desk: _Desk, symbol: str, under_the_market: Callable[[], Decimal], until: float
) -> None:
    """Wait for demo-1 to fill; every `_CHASE_EVERY` s unfilled, amend it to just under the market."""
    filled = False
    while not filled and time.monotonic() < until:
        step = min(_CHASE_EVERY, until - time.monotonic())
        filled = desk.wait_for("demo-1", lambda o: o.status not in _OPEN, step)
        if filled or time.monotonic() >= until:
            break
        price = under_the_market()
        if desk.price_of("demo-1") == price:
            continue  # still just under the market
        try:
            ack = v5.amend_order(_CATEGORY, symbol, client_order_id="demo-1", price=price)
        except OrderRejectedError as exc:  # e.g. it filled meanwhile: "too late to replace"
            desk.say(f"amend     demo-1 refused: {exc.ret_msg} ({exc.ret_code})")
        else:
            _acked(desk, "amended", "demo-1", f"price {price} (the market moved away)", ack)
    if not filled and desk.status_of("demo-1") in _OPEN:
        desk.say("(the market did not come down in time; demo-1 is cancelled below)")


def run_trade_demo(args: argparse.Namespace, out: Printer) -> int:
    """``demo --trade``: the fake exchange, a simulated market, and a client trading on it."""
    from bybit_ws.testing import FakeBybit, SimulatedMarket

    symbol = args.symbol
    started = time.monotonic()
    deadline = None if args.seconds is None else started + args.seconds
    with contextlib.ExitStack() as stack:
        try:
            fake = stack.enter_context(
                FakeBybit("v5", api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET, port=args.port)
            )
            fake.set_latency(LATENCY)
            market = stack.enter_context(SimulatedMarket(fake, symbol, seed=args.seed, rate=args.rate))
            client = stack.enter_context(BybitSocketClient(DEMO_API_KEY, DEMO_API_SECRET, urls=fake.urls))
            out(f"bybit_ws demo --trade: paper trading {symbol} offline (nothing leaves this machine)")
            out(f"  exchange: bybit_ws.testing.FakeBybit('v5') at {fake.url}, its paper exchange priced")
            out("            by a simulated market (fills at the market's last trade price)")
            out(
                f"  client:   BybitSocketClient({DEMO_API_KEY!r}, {DEMO_API_SECRET!r}, urls=fake.urls): "
                "orders on /v5/trade, updates on /v5/private"
            )
            out(f"  connect:  --url {fake.url} (e.g. examples/trade_ws.py), the same credentials")
            stop = f"after {args.seconds:g} s, or press Ctrl-C" if args.seconds else "press Ctrl-C"
            out(f"  stop:     {stop}")
            for line in peer_recipes(fake.url, fake.rest_url):
                out(line)
            desk = _Desk(client, out)
            desk.subscribe()
            desk.say("subscribed to order, execution, position and wallet updates")
            _scenario(client, desk, fake, market, deadline)
            wait_until_done(client, None if deadline is None else deadline - time.monotonic(), out)
        except KeyboardInterrupt:
            pass
        except ValueError as exc:  # e.g. --rate 0
            return usage("demo", exc)
        except (BybitWsError, OSError) as exc:
            status(f"bybit-ws demo: error: {exc}")
            return 1
    return 0
