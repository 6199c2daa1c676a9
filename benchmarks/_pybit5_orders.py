"""pybit 5.17 ``WebSocketTrading.place_order`` round trips against FakeBybit's ``/v5/trade``.

Runs in ``benchmarks/.venv-pybit5``:

    .venv-pybit5/bin/python _pybit5_orders.py TRADE_URL API_KEY API_SECRET SENDERS ORDERS WARMUP

One ``WebSocketTrading`` shared by ``SENDERS`` threads, each placing its share of ``ORDERS`` IOC limit
buys below the market one after another: ``place_order`` with a callback that sets an event, the
round trip timed from the call to the callback (an order whose callback has not come
within 1 s is counted as lost and left out). pybit builds the URL from the module global
``TRADE_WSS``, which is pointed at the fake first. Prints ``{"ns": [...], "seconds": s}`` as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any

from pybit import _websocket_trading, unified_trading


def main(argv: list[str]) -> dict[str, object]:
    url, key, secret = argv[0], argv[1], argv[2]
    senders, orders, warmup = int(argv[3]), int(argv[4]), int(argv[5])
    _websocket_trading.TRADE_WSS = url
    ws = unified_trading.WebSocketTrading(testnet=False, api_key=key, api_secret=secret)
    deadline = time.monotonic() + 10
    while not ws.auth:  # pybit authenticates in the background; orders before that are refused
        if time.monotonic() > deadline:
            return {"error": "pybit: not authenticated within 10 s"}
        time.sleep(0.01)
    order = {
        "category": "linear",
        "symbol": "BTCUSDT",
        "side": "Buy",
        "orderType": "Limit",
        "qty": "0.01",
        "price": "29000",
        "timeInForce": "IOC",
    }

    lost = 0

    def one() -> int:
        """ns, or 0 when the callback never came: pybit registers it after sending the request, so a
        reply that is faster than that registration is dropped as "unregistered reqId"."""
        nonlocal lost
        done = threading.Event()
        began = time.perf_counter_ns()
        ws.place_order(lambda _reply: done.set(), lambda _reply: done.set(), **order)
        if not done.wait(1):
            lost += 1
            return 0
        return time.perf_counter_ns() - began

    for _ in range(warmup):
        one()
    samples: list[int] = []
    failures: list[str] = []

    def sender(count: int) -> None:
        try:
            for _ in range(count):
                took = one()
                if took:
                    samples.append(took)
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=sender, args=(orders // senders,)) for _ in range(senders)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    if failures:
        return {"error": failures[0]}
    return {"ns": samples, "seconds": seconds, "lost": lost}


if __name__ == "__main__":
    try:
        result: dict[str, Any] = main(sys.argv[1:])
    except Exception as exc:
        result = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result), flush=True)
    os._exit(0)
