"""Stream one linear symbol's trades, order book (depth 50) and ticker from Bybit's v5 websocket.

Live Bybit (no credentials needed, these are public streams)::

    python examples/v5_stream.py
    python examples/v5_stream.py --symbol ETHUSDT --seconds 30

Any other v5 linear endpoint, e.g. the bundled fake exchange with the demo's simulated market::

    python -m bybit_ws demo --port 8765          # in another terminal
    python examples/v5_stream.py --url ws://127.0.0.1:8765/v5/public/linear --seconds 5

Prints one line per event and stops after ``--seconds``, or on Ctrl-C.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from _output import say  # whole lines from any thread; a quiet stop when stdout closes (| head)

from bybit_ws import BybitSocketClient, BybitWsError, DataEvent
from bybit_ws.models.v5 import OrderBookUpdate, Ticker, Trade


def format_trades(event: DataEvent[list[Trade]]) -> str:
    """``trade  BTCUSDT Buy 0.001 @ 16578.50`` (plus how many more trades the frame carried)."""
    last = event.data[-1]
    more = f" (+{len(event.data) - 1} more)" if len(event.data) > 1 else ""
    return f"trade  {last.symbol} {last.side.value} {last.quantity} @ {last.price}{more}"


def format_book(kind: str, event: DataEvent[OrderBookUpdate]) -> str:
    """``book   BTCUSDT snapshot 2 bids 2 asks u=18521288 best 16493.50/16611.00``.

    A delta lists changed levels (quantity 0 = removed), so only a snapshot shows the best prices.
    """
    book = event.data
    line = f"book   {book.symbol} {kind} {len(book.bids)} bids {len(book.asks)} asks u={book.update_id}"
    if kind == "snapshot" and book.bids and book.asks:
        line += f" best {book.bids[0].price}/{book.asks[0].price}"
    return line


def format_ticker(event: DataEvent[Ticker]) -> str:
    """``ticker BTCUSDT last 66666.60 bid 66666.60 ask 66666.70 mark 66666.60``."""
    t = event.data
    return (
        f"ticker {t.symbol} last {t.last_price} bid {t.best_bid_price} "
        f"ask {t.best_ask_price} mark {t.mark_price}"
    )


def main(
    url: str | None = None,
    symbol: str = "BTCUSDT",
    seconds: float | None = None,
    out: Callable[[str], object] | None = None,
) -> int:
    """Stream ``symbol`` until ``seconds`` have passed (``None``: until Ctrl-C); return an exit code.

    ``url`` is a v5 *linear* public endpoint; ``None`` means live Bybit. ``out`` receives each output
    line (default: print it).
    """
    write = out or say
    urls = {"v5.linear": url} if url else None
    try:
        with BybitSocketClient(urls=urls) as client:
            client.v5.subscribe_to_trade_updates("linear", symbol, lambda e: write(format_trades(e)))
            client.v5.subscribe_to_order_book_updates(
                "linear",
                symbol,
                50,
                snapshot_handler=lambda e: write(format_book("snapshot", e)),
                update_handler=lambda e: write(format_book("delta", e)),
            )
            client.v5.subscribe_to_ticker_updates("linear", symbol, lambda e: write(format_ticker(e)))
            client.wait(seconds)  # False when --seconds are up; raises if the client fails
    except KeyboardInterrupt:
        return 0
    except BybitWsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def cli(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", help="a v5 linear public endpoint (default: live Bybit)")
    parser.add_argument("--symbol", default="BTCUSDT", help="linear symbol (default: %(default)s)")
    parser.add_argument("--seconds", type=float, help="stop after this many seconds (default: Ctrl-C)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log the library's INFO messages")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return main(url=args.url, symbol=args.symbol, seconds=args.seconds)


if __name__ == "__main__":
    sys.exit(cli())
