"""Place, amend and cancel one v5 order over the websocket Trade API, printing its order stream.

The order is a post-only limit buy 5 % under the last price, amended to 6 % under, then cancelled:
it never fills. Credentials come from ``--api-key``/``--api-secret`` or the environment
(``BYBIT_API_KEY``, ``BYBIT_API_SECRET``); the secret is never printed or logged. Bybit's testnet (keys
from testnet.bybit.com; the default here, so no real money moves)::

    BYBIT_API_KEY=... BYBIT_API_SECRET=... python examples/trade_ws.py

Offline, against the paper exchange of the demo, which accepts the key ``demo-key`` with the secret
``demo-secret`` (``--url`` is a base URL: the client adds ``/v5/public/linear`` for the price,
``/v5/private`` for the order stream and ``/v5/trade`` for the orders)::

    python -m bybit_ws demo --trade --port 8765          # in another terminal
    BYBIT_API_KEY=demo-key BYBIT_API_SECRET=demo-secret \
        python examples/trade_ws.py --url ws://127.0.0.1:8765

Only this order's updates are printed (the demo trades on the same account). At most once: a request
whose reply was lost is never resent; the example then looks for its order on the order stream.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from decimal import Decimal

from _output import say_and_finish  # whole lines from any thread; quiet when stdout closes (| head)

from bybit_ws import (
    AmendOrderRequest,
    BybitSocketClient,
    BybitTimeoutError,
    BybitWsError,
    DataEvent,
    OrderOutcomeUnknownError,
    OrderRejectedError,
)
from bybit_ws.enums import OrderStatus
from bybit_ws.models.v5 import Order

OPEN = (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, OrderStatus.UNTRIGGERED, OrderStatus.CREATED)


def five_digits(price: Decimal) -> Decimal:
    """``price`` rounded to 5 significant digits (28500.37 -> 28500): a multiple of the usual tick size."""
    return price.quantize(Decimal(1).scaleb(price.adjusted() - 4))


class OrderStream:
    """The order-update handler: prints the updates of one client order id, remembers the latest."""

    def __init__(self, client_order_id: str, out: Callable[[str], object]) -> None:
        self.client_order_id = client_order_id
        self.latest: Order | None = None
        self._out = out
        self._cond = threading.Condition()

    def __call__(self, event: DataEvent[list[Order]]) -> None:
        for o in event.data:
            if o.client_order_id != self.client_order_id:
                continue  # another order of the account
            status = o.status.value if o.status else "-"
            self._out(f"order     {o.symbol} {o.client_order_id} Buy {o.quantity} @ {o.price} {status}")
            with self._cond:
                self.latest = o
                self._cond.notify_all()

    def wait(self, check: Callable[[Order], bool], timeout: float = 10.0) -> Order | None:
        """The latest update once it passes ``check``; ``None`` if none did within ``timeout`` s."""
        with self._cond:
            self._cond.wait_for(lambda: self.latest is not None and check(self.latest), timeout)
            latest = self.latest
        return latest if latest is not None and check(latest) else None


def main(
    url: str | None = None,
    api_key: str | None = None,
    api_secret: str | None = None,
    symbol: str = "BTCUSDT",
    quantity: Decimal = Decimal("0.001"),
    out: Callable[[str], object] = say_and_finish,
) -> int:
    """Place, amend and cancel one order on ``url`` (``None``: Bybit's testnet); return an exit code."""
    link = f"trade-ws-{time.time_ns() // 1_000_000}"  # a fresh client order id per run
    urls = {"v5.linear": url, "v5.private": url, "v5.trade": url} if url else None
    try:
        with BybitSocketClient(api_key, api_secret, testnet=url is None, urls=urls) as client:
            orders = OrderStream(link, out)
            client.v5.subscribe_to_order_updates(orders, category="linear")
            with client.v5.subscribe_to_ticker_updates("linear", symbol) as ticker:  # no handler: get()
                last = ticker.get(timeout=10).data.last_price
            if last is None:
                out(f"error: no last price for {symbol}")
                return 1
            price = five_digits(last * Decimal("0.95"))
            out(f"{symbol} last price {last}; placing a post-only limit buy {quantity} @ {price}")
            try:
                ack = client.v5.place_order(
                    "linear", symbol, "Buy", "Limit", quantity, price=price,
                    time_in_force="PostOnly", client_order_id=link,
                )  # fmt: skip
            except (OrderOutcomeUnknownError, BybitTimeoutError) as exc:
                out(f"outcome unknown ({exc}); looking for {link} on the order stream")
                found = orders.wait(lambda o: True, timeout=5)
                if found is not None and found.status in OPEN:
                    client.v5.cancel_order("linear", symbol, client_order_id=link)
                    out(f"cancelled {link}: it did exist")
                return 1
            out(f"placed    {link} order {ack.order_id}")
            orders.wait(lambda o: o.status is not OrderStatus.CREATED)

            price = five_digits(last * Decimal("0.94"))
            future = client.v5.submit_amend_order(
                "linear", AmendOrderRequest(symbol, client_order_id=link, price=price)
            )
            ack = future.result(timeout=30)  # the future form: fire several requests, then wait for all
            out(f"amended   {link} price {price}")
            orders.wait(lambda o: o.price == price or o.status not in OPEN)

            ack = client.v5.cancel_order("linear", symbol, order_id=ack.order_id)
            out(f"cancelled {link} order {ack.order_id}")
            final = orders.wait(lambda o: o.status not in OPEN)
            out(f"done: {link} is {final.status.value if final and final.status else 'unknown'}")
    except KeyboardInterrupt:
        pass
    except OrderRejectedError as exc:  # Bybit refused the request: nothing was done
        print(f"rejected: {exc.ret_msg} (retCode {exc.ret_code})", file=sys.stderr)
        return 1
    except (BybitWsError, ValueError) as exc:  # ValueError: only one of key and secret given
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Place, amend and cancel one v5 order; print its updates.")
    parser.add_argument("--url", help="a base URL, e.g. ws://127.0.0.1:8765 (default: Bybit's testnet)")
    parser.add_argument("--api-key", help="default: $BYBIT_API_KEY")
    parser.add_argument("--api-secret", help="default: $BYBIT_API_SECRET")
    parser.add_argument("--symbol", default="BTCUSDT", help="a linear symbol (default: %(default)s)")
    parser.add_argument("--quantity", type=Decimal, default=Decimal("0.001"), help="default: %(default)s")
    args = parser.parse_args()
    sys.exit(main(args.url, args.api_key, args.api_secret, args.symbol, args.quantity))
