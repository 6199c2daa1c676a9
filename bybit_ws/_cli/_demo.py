"""The ``demo`` command: a simulated market on the bundled fake exchange, streamed to the terminal."""

from __future__ import annotations

import argparse
import contextlib
import itertools
import random
import threading
import time
from decimal import Decimal
from typing import Any

from bybit_ws._cli._console import Printer, status, subscribe_all, usage, wait_until_done
from bybit_ws._cli._demo_trade import run_trade_demo
from bybit_ws._cli._demo_urls import DEMO_API_KEY, DEMO_API_SECRET, LATENCY, peer_recipes
from bybit_ws._cli._topics import plan_topic
from bybit_ws._errors import BybitWsError
from bybit_ws.api._client import BybitSocketClient

__all__ = ["DEMO_API_KEY", "DEMO_API_SECRET", "run_demo"]


def run_demo(args: argparse.Namespace) -> int:
    if args.seconds is not None and not args.seconds > 0:
        return usage("demo", f"--seconds must be positive, not {args.seconds:g}")
    if not 0 <= args.port <= 65535:
        return usage("demo", f"--port must be 0 (any free port) to 65535, not {args.port}")
    try:
        from bybit_ws.testing import FakeBybit, SimulatedMarket
    except ImportError as exc:
        status(f"bybit-ws demo: the fake exchange needs the 'websockets' package ({exc});")
        status("  pip install 'bybit-ws-sync[testing]'")
        return 1
    out = Printer()
    if getattr(args, "api", "v5") == "inverse":
        if getattr(args, "trade", False):
            return usage("demo", "--trade is v5 only (the v5 Trade API)")
        return _run_inverse_demo(args, out, FakeBybit)
    symbol = args.symbol or "BTCUSDT"
    if getattr(args, "trade", False):
        args.symbol = symbol
        return run_trade_demo(args, out)
    with contextlib.ExitStack() as stack:
        try:
            fake = stack.enter_context(
                FakeBybit("v5", api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET, port=args.port)
            )
            fake.set_latency(LATENCY)
            market = stack.enter_context(SimulatedMarket(fake, symbol, seed=args.seed, rate=args.rate))
            client = stack.enter_context(BybitSocketClient(urls=fake.urls))
            # a digest of what the market serves (it serves every depth and kline interval)
            topics = [market.topics[k] for k in ("trade", "book", "ticker", "kline.1", "liquidation")]
            out(f"bybit_ws demo: a simulated {symbol} market, streamed offline (nothing leaves this machine)")
            out(f"  exchange: the bundled fake exchange, bybit_ws.testing.FakeBybit('v5'), at {fake.url}")
            out(f"  client:   BybitSocketClient(urls=fake.urls), subscribed to {', '.join(topics)}")
            out(
                f"  connect:  {fake.url}/v5/public/linear (public), {fake.url}/v5/private "
                f"(api_key {DEMO_API_KEY}, api_secret {DEMO_API_SECRET})"
            )
            stop = f"after {args.seconds:g} s, or press Ctrl-C" if args.seconds else "press Ctrl-C"
            out(f"  stop:     {stop}    (live data instead: python -m bybit_ws stream publicTrade.BTCUSDT)")
            for line in peer_recipes(fake.url, fake.rest_url):
                out(line)
            extras = ["system.status", f"priceLimit.{symbol}"]  # newer v5 streams, published once
            plans = [plan_topic(topic, "v5", "linear") for topic in [*topics, *extras]]
            subscribe_all(client, plans, out)
            _v5_extras(fake, market)
            wait_until_done(client, args.seconds, out)
        except KeyboardInterrupt:
            pass
        except ValueError as exc:  # e.g. --rate 0
            return usage("demo", exc)
        except (BybitWsError, OSError) as exc:
            status(f"bybit-ws demo: error: {exc}")
            return 1
    return 0


def _run_inverse_demo(args: argparse.Namespace, out: Printer, fake_class: Any) -> int:
    """``demo --api inverse``: the fake exchange speaking Inverse Perpetual v2 on ``/realtime``, with a
    random walk of ``trade.{symbol}`` frames, streamed here (and to any client, e.g. ``stream
    trade.BTCUSD --api inverse --url ws://127.0.0.1:PORT/realtime``)."""
    symbol = args.symbol or "BTCUSD"
    if args.rate <= 0:
        return usage("demo", f"--rate must be positive, not {args.rate:g}")
    stop = threading.Event()
    try:
        with fake_class("inverse", port=args.port) as fake, BybitSocketClient(urls=fake.urls) as client:
            publisher = threading.Thread(
                target=_inverse_trades, args=(fake, symbol, args, stop), name="bybit-ws-demo-inverse"
            )
            publisher.start()
            try:
                out(f"bybit_ws demo: simulated {symbol} trades on Inverse Perpetual v2, offline")
                out(f"  exchange: the bundled fake exchange, FakeBybit('inverse'), at {fake.url}")
                out(f"  connect:  {fake.urls['inverse']} (stream trade.{symbol} --api inverse --url ...)")
                subscribe_all(client, [plan_topic(f"trade.{symbol}", "inverse")], out)
                wait_until_done(client, args.seconds, out)
            finally:
                stop.set()
                publisher.join()
    except KeyboardInterrupt:
        pass
    except (BybitWsError, OSError) as exc:
        status(f"bybit-ws demo: error: {exc}")
        return 1
    return 0


def _inverse_trades(fake: Any, symbol: str, args: argparse.Namespace, stop: threading.Event) -> None:
    """Publish a trade of a random walk every ``1 / rate`` s until ``stop``."""
    rng = random.Random(args.seed)
    price, seq = Decimal("30000.0"), itertools.count(1)
    while not stop.wait(1 / args.rate):
        price = max(Decimal("1.0"), price + Decimal(rng.randint(-10, 10)) / 2)
        n, now = next(seq), time.time()
        trade = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now)),
            "trade_time_ms": int(now * 1000), "symbol": symbol, "side": rng.choice(("Buy", "Sell")),
            "size": rng.randint(1, 5000), "price": str(price), "tick_direction": "ZeroPlusTick",
            "trade_id": f"demo-{n}", "cross_seq": n,
        }  # fmt: skip
        fake.publish(f"trade.{symbol}", [trade])


def _v5_extras(fake: Any, market: Any) -> None:
    """Publish a few of the newer v5 streams once: a maintenance notice on ``system.status`` (its own
    endpoint) and the symbol's order price limits (``priceLimit``)."""
    symbol = market.symbol
    begin = int(time.time() * 1000) + 3_600_000
    notice: dict[str, Any] = {
        "id": "demo-1",
        "title": "demo maintenance",
        "state": "scheduled",
        "begin": str(begin),
    }
    notice |= {"end": str(begin + 1_800_000), "href": "", "serviceTypes": [5], "product": [1, 2]}
    notice |= {"uidSuffix": [], "maintainType": 1, "env": 1}
    fake.publish("system.status", [notice], path="v5.status", type=None)
    bid, ask = market.best_bid, market.best_ask
    limits = {
        "symbol": symbol,
        "buyLmt": str(round(ask * 105 / 100, 1)),
        "sellLmt": str(round(bid * 95 / 100, 1)),
    }
    fake.publish(f"priceLimit.{symbol}", limits, path=market.path, type=None)
