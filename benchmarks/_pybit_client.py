"""pybit 2.4.1 (the last release that speaks the inverse v2 protocol) on the replay server.

Runs in ``benchmarks/.venv-pybit`` (made by ``_clients.ensure_pybit``), never in the project's venv:

    .venv-pybit/bin/python _pybit_client.py URL WORKLOAD FRAMES MAX_SECONDS [--skip-utf8-validation]

Prints one JSON line: ``{"frames": n, "seconds": s}`` (first to last callback) or ``{"error": ...}``.
pybit's own callbacks as users wire them: ``orderbook_25_stream``, ``trade_stream``,
``instrument_info_stream``. pybit takes no URL argument, so ``pybit.inverse_perpetual.WSS`` is set
before the ``WebSocket`` is made; its constructor sleeps 1 s while connecting, which the timing
(first callback to last) leaves out.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any

from _utf8_flag import force_skip_utf8_validation
from pybit import inverse_perpetual

SYMBOL = "BTCUSD"


def main(argv: list[str]) -> dict[str, object]:
    url, workload, frames, max_seconds = argv[0], argv[1], int(argv[2]), float(argv[3])
    if "--skip-utf8-validation" in argv:
        force_skip_utf8_validation()
    inverse_perpetual.WSS = url

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

    ws = inverse_perpetual.WebSocket(test=False, ping_interval=20, ping_timeout=10)
    if workload in ("book", "mix"):
        ws.orderbook_25_stream(callback, SYMBOL)
    if workload in ("trades", "mix"):
        ws.trade_stream(callback, SYMBOL)
    if workload in ("ticker", "mix"):
        ws.instrument_info_stream(callback, SYMBOL)
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
    os._exit(0)  # pybit's exit() spins until its thread ends; the process just goes
