"""pybit 5.17 (what live Bybit users run: ``pybit.unified_trading``) on the replay server's v5 frames.

Runs in ``benchmarks/.venv-pybit5`` (made by ``_clients.ensure_pybit("5")``), never in the project's venv:

    .venv-pybit5/bin/python _pybit5_client.py URL WORKLOAD FRAMES MAX_SECONDS [--skip-utf8-validation]

Prints one JSON line: ``{"frames": n, "seconds": s}`` (first to last callback) or ``{"error": ...}``.
pybit's own streams as users wire them: ``unified_trading.WebSocket("linear")`` with
``orderbook_stream(50, ...)``, ``trade_stream`` and ``ticker_stream``. pybit builds its URL from the
module global ``PUBLIC_WSS`` (``wss://{SUBDOMAIN}.{DOMAIN}.com/v5/public/{CHANNEL_TYPE}``) when the
``WebSocket`` is made, so that global is pointed at the replay server first (keeping
``{CHANNEL_TYPE}``: pybit fills in ``linear``). Its order book and ticker streams keep a local copy
and deep-copy it into every callback, as shipped.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from _utf8_flag import force_skip_utf8_validation
from pybit import unified_trading

SYMBOL = "BTCUSDT"


def point_at(url: str) -> None:
    """Make ``unified_trading.WebSocket("linear")`` connect to ``url`` (a ``/v5/public/linear`` URL)."""
    parts = urlsplit(url)
    path = parts.path.replace("/linear", "/{CHANNEL_TYPE}")
    unified_trading.PUBLIC_WSS = f"{parts.scheme}://{parts.netloc}{path}?{parts.query}"


def main(argv: list[str]) -> dict[str, object]:
    url, workload, frames, max_seconds = argv[0], argv[1], int(argv[2]), float(argv[3])
    if "--skip-utf8-validation" in argv:
        force_skip_utf8_validation()
    point_at(url)

    count = 0  # the calls counted at the latest clock reading ("last")
    calls = 0
    first = last = 0.0
    done = threading.Event()

    def callback(_message: dict[str, Any]) -> None:  # pybit calls it on its one reader thread
        # as the other clients count: the clock is read at the first call, every 1024th and the last
        nonlocal calls, count, first, last
        calls += 1
        if calls & 1023 and 1 < calls < frames:
            return
        last = time.perf_counter()
        count = calls
        if calls == 1:
            first = last
        if calls == frames:
            done.set()

    ws = unified_trading.WebSocket("linear", testnet=False, ping_interval=20, ping_timeout=10)
    kind = workload.removeprefix("v5-")
    if kind in ("book", "mix"):
        ws.orderbook_stream(50, SYMBOL, callback)
    if kind in ("trades", "mix"):
        ws.trade_stream(SYMBOL, callback)
    if kind in ("ticker", "mix"):
        ws.ticker_stream(SYMBOL, callback)
    start = time.perf_counter()
    while not done.wait(0.02):
        now = time.perf_counter()
        if count == 0 and now - start > 30:
            return {"error": "pybit: no frame within 30 s"}
        if count and now - first > max_seconds:
            break
    return {"frames": count, "seconds": last - first}


if __name__ == "__main__":
    try:
        result = main(sys.argv[1:])
    except Exception as exc:
        result = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result), flush=True)
    os._exit(0)  # the process just goes; pybit's threads are daemons
