"""Print the trades of one or more Inverse Perpetual (v2) symbols as they happen.

Bybit retired the v2 API in 2023, so point ``--url`` at a server that still speaks it, such as the
bundled fake exchange (``FakeBybit("inverse").urls["inverse"]``) or a replay::

    python -m bybit_ws replay session/ --port 8765    # an inverse recording: stream --record DIR
    python examples/trades.py --url ws://127.0.0.1:8765/realtime --symbol BTCUSD --seconds 30
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from _output import say  # whole lines from any thread; a quiet stop when stdout closes (| head)

from bybit_ws import BybitSocketClient, BybitWsError, DataEvent
from bybit_ws.models.inverse import TradeUpdate


def main(
    url: str | None = None,
    symbols: Sequence[str] = ("BTCUSD",),
    seconds: float | None = None,
    out: Callable[[str], object] = say,
) -> int:
    """Stream trades until ``seconds`` pass (``None``: until Ctrl-C); return an exit code."""

    def on_trades(event: DataEvent[list[TradeUpdate]]) -> None:
        for trade in event.data:  # one frame may carry several trades
            out(f"{trade.symbol} {trade.side.value} {trade.quantity} @ {trade.price}")

    try:
        with BybitSocketClient(urls={"inverse": url} if url else None) as client:
            client.inverse.subscribe_to_trade_updates(list(symbols), on_trades)
            client.wait(seconds)  # False once the seconds are up; Ctrl-C gets through at once
    except KeyboardInterrupt:
        pass
    except BybitWsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Print Inverse Perpetual (v2) trades.")
    parser.add_argument("--url", help="an inverse v2 endpoint, e.g. the fake exchange's")
    parser.add_argument("--symbol", action="append", help="symbol (repeat for more; default BTCUSD)")
    parser.add_argument("--seconds", type=float, help="stop after this many seconds (default: Ctrl-C)")
    args = parser.parse_args()
    sys.exit(main(args.url, args.symbol or ("BTCUSD",), args.seconds))
