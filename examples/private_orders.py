"""Print your v5 order updates and executions (private streams; needs API credentials).

Credentials come from ``--api-key``/``--api-secret`` or the environment (``BYBIT_API_KEY``,
``BYBIT_API_SECRET``); the secret is never printed or logged. Live Bybit::

    BYBIT_API_KEY=... BYBIT_API_SECRET=... python examples/private_orders.py

Offline, against the demo's fake exchange, which accepts the key ``demo-key`` with the secret
``demo-secret`` (its simulated market places no orders of yours: this shows the client authenticating and
subscribing, then waiting)::

    python -m bybit_ws demo --port 8765          # in another terminal
    BYBIT_API_KEY=demo-key BYBIT_API_SECRET=demo-secret \
        python examples/private_orders.py --url ws://127.0.0.1:8765/v5/private --seconds 10
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from _output import say  # whole lines from any thread; a quiet stop when stdout closes (| head)

from bybit_ws import BybitSocketClient, BybitWsError, DataEvent
from bybit_ws.models.v5 import Order, UserTrade


def main(
    url: str | None = None,
    api_key: str | None = None,
    api_secret: str | None = None,
    seconds: float | None = None,
    out: Callable[[str], object] = say,
) -> int:
    """Stream orders and executions until ``seconds`` pass (``None``: until Ctrl-C)."""

    def on_orders(event: DataEvent[list[Order]]) -> None:
        for o in event.data:
            side, status = o.side.value if o.side else "-", o.status.value if o.status else "-"
            out(f"order     {o.symbol} {side} {o.quantity} @ {o.price} {status} filled {o.quantity_filled}")

    def on_executions(event: DataEvent[list[UserTrade]]) -> None:
        for t in event.data:
            side = t.side.value if t.side else "-"
            out(f"execution {t.symbol} {side} {t.quantity} @ {t.price} fee {t.fee} {t.fee_asset or ''}")

    try:
        urls = {"v5.private": url} if url else None
        with BybitSocketClient(api_key, api_secret, urls=urls) as client:
            client.v5.subscribe_to_order_updates(on_orders)
            client.v5.subscribe_to_user_trade_updates(on_executions)
            out("subscribed to order and execution updates; waiting for events")
            client.wait(seconds)  # False: the seconds are up
    except KeyboardInterrupt:
        pass
    except (BybitWsError, ValueError) as exc:  # ValueError: only one of key and secret given
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Print your v5 orders and executions.")
    parser.add_argument("--url", help="a v5 private endpoint (default: live Bybit)")
    parser.add_argument("--api-key", help="default: $BYBIT_API_KEY")
    parser.add_argument("--api-secret", help="default: $BYBIT_API_SECRET")
    parser.add_argument("--seconds", type=float, help="stop after this many seconds (default: Ctrl-C)")
    args = parser.parse_args()
    sys.exit(main(args.url, args.api_key, args.api_secret, args.seconds))
