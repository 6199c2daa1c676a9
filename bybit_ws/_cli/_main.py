"""The argument parser and `main`, the entry point of ``python -m bybit_ws`` and ``bybit-ws``."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable

from bybit_ws._cli._demo import run_demo
from bybit_ws._cli._record import add_record_parser
from bybit_ws._cli._replay import run_replay
from bybit_ws._cli._stream import run_stream
from bybit_ws._cli._topics import add_topic_options

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(  # SUPPRESS: `bybit-ws -v demo` and `bybit-ws demo -v` both count
        "-v", "--verbose", action="count", default=argparse.SUPPRESS, help="log INFO (-v) or DEBUG (-vv)"
    )
    parser = argparse.ArgumentParser(
        prog="bybit-ws",
        description="Stream or record Bybit websocket topics, watch an offline demo, or replay a recording.",
        epilog="Start here: python -m bybit_ws demo",
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    stream = commands.add_parser(
        "stream",
        parents=[common],
        help="print live events of raw topics (e.g. publicTrade.BTCUSDT)",
        description="Subscribe to raw wire topics and print one line per event (times are UTC). "
        "Private topics read BYBIT_API_KEY and BYBIT_API_SECRET.",
    )
    add_topic_options(stream)
    stream.add_argument(
        "--record",
        metavar="DIR",
        help="also record every frame to compressed files in DIR (created), as the record command does",
    )
    stream.set_defaults(run=run_stream)
    add_record_parser(commands, common)

    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="an offline simulated market on the bundled fake exchange",
        description="Start the bundled fake exchange with a simulated market and stream it. "
        "No network needed.",
    )
    demo.add_argument("--seconds", type=float, help="stop after this many seconds (default: Ctrl-C)")
    demo.add_argument(
        "--port", type=int, default=0, help="port of the fake exchange, e.g. 8765 (default: any free one)"
    )
    demo.add_argument("--symbol", help="simulated symbol (default: BTCUSDT; BTCUSD with --api inverse)")
    demo.add_argument(
        "--api",
        choices=("v5", "inverse"),
        default="v5",
        help="the API the fake exchange speaks (inverse: Inverse Perpetual v2 trades on /realtime)",
    )
    demo.add_argument("--seed", type=int, help="random seed, for the same market every run")
    demo.add_argument(
        "--rate", type=float, default=4.0, help="market steps per second (default: %(default)s)"
    )
    demo.add_argument(
        "--trade",
        action="store_true",
        help="paper trading: place, amend, fill and cancel orders, print updates",
    )
    demo.set_defaults(run=run_demo)

    replay = commands.add_parser(
        "replay",
        parents=[common],
        help="serve a recording (record --out DIR, stream --record DIR) through the fake exchange",
        description="Serve a recording through the bundled fake exchange at its recorded pace, so your "
        "own code can rerun a live session offline. Prints the URLs to connect to on stderr.",
    )
    replay.add_argument(
        "file",
        metavar="PATH",
        help="a record --out or stream --record DIR (or one of its files), or an older stream --record FILE",
    )
    pace = replay.add_mutually_exclusive_group()
    pace.add_argument("--speed", type=float, default=1.0, help="replay this many times faster (default: 1)")
    pace.add_argument("--as-fast-as-possible", action="store_true", help="no pauses between frames")
    replay.add_argument("--port", type=int, default=0, help="port to listen on (default: any free one)")
    replay.add_argument(
        "--wait-subscribers", type=int, default=1, metavar="N", help="start once N connections subscribed"
    )
    replay.add_argument("--loop", action="store_true", help="start over at the end, until Ctrl-C")
    replay.add_argument("--print", action="store_true", help="connect a client here and print the events")
    replay.set_defaults(run=run_replay)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (argparse exits with 2 on a bad command line)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(getattr(args, "verbose", 0), 2)],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    run: Callable[[argparse.Namespace], int] = args.run
    return run(args)
