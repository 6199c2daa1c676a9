"""Keep a local v5 order book in sync and print its top and a fill estimate once a second.

Live Bybit (public data, no credentials)::

    python examples/order_book.py --symbol BTCUSDT --seconds 30

Any v5 linear endpoint, e.g. the bundled fake exchange with its simulated market, which the demo runs::

    python -m bybit_ws demo --port 8765          # in another terminal
    python examples/order_book.py --url ws://127.0.0.1:8765/v5/public/linear --seconds 5
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable

from _output import say  # whole lines from any thread; a quiet stop when stdout closes (| head)

from bybit_ws import BybitSocketClient, BybitWsError, OrderBook


def describe(book: OrderBook, size: str) -> str:
    """``BTCUSDT bid 30000.10 x 1.2 | ask 30000.20 x 0.4 | buy 1 avg 30000.35 (seq 123)``."""
    view = book.snapshot()  # one consistent copy: bids and asks from the same update
    if not view.bids or not view.asks:
        return f"{book.symbol} {book.status.value}"
    bid, ask = view.bids[0], view.asks[0]
    try:
        fill = f"buy {size} avg {book.calculate_average_fill_price(size, 'Buy'):.2f}"
    except (ValueError, BybitWsError):
        fill = f"buy {size}: book too thin"
    top = f"bid {bid.price} x {bid.quantity} | ask {ask.price} x {ask.quantity}"
    return f"{book.symbol} {top} | {fill} (seq {view.sequence})"


def main(
    url: str | None = None,
    symbol: str = "BTCUSDT",
    seconds: float | None = None,
    size: str = "1",
    out: Callable[[str], object] = say,
) -> int:
    """Follow the book until ``seconds`` pass (``None``: until Ctrl-C); return an exit code."""
    stop = threading.Event()
    end = None if seconds is None else time.monotonic() + seconds
    try:
        with BybitSocketClient(urls={"v5.linear": url} if url else None) as client:
            book = client.v5.order_book("linear", symbol, depth=50)
            book.wait_synced(timeout=10)
            while not stop.wait(1.0 if end is None else max(0.0, min(1.0, end - time.monotonic()))):
                out(describe(book, size))
                if end is not None and time.monotonic() >= end:
                    break
            out(f"{symbol}: {book.resyncs} resync(s); closing")
            book.close()
    except KeyboardInterrupt:
        pass
    except BybitWsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Follow a local v5 order book.")
    parser.add_argument("--url", help="a v5 linear endpoint (default: live Bybit)")
    parser.add_argument("--symbol", default="BTCUSDT")
    parser.add_argument("--size", default="1", help="quantity for the average-fill estimate (default 1)")
    parser.add_argument("--seconds", type=float, help="stop after this many seconds (default: Ctrl-C)")
    args = parser.parse_args()
    sys.exit(main(args.url, args.symbol, args.seconds, args.size))
