"""The command line: ``python -m bybit_ws`` (or ``bybit-ws``) ``stream``, ``record``, ``demo``, ``replay``.

* ``stream TOPIC...``: subscribe to raw wire topics (``trade.BTCUSD``, ``publicTrade.BTCUSDT``, ...) on
  live Bybit, its testnet or any ``--url``, and print one compact line per event; ``--record DIR``
  also records every frame with its receive time, as ``record`` does (:mod:`bybit_ws.recording` files).
* ``record TOPIC... --out DIR``: unattended collection to rotating compressed files, with a status line.
* ``demo``: the bundled fake exchange with a simulated market, streamed to the terminal. Offline.
  ``demo --trade``: paper trading on it instead, every ack and private update printed.
* ``replay PATH``: serve a recording (a ``record``/``--record`` directory or file, or an older
  ``stream --record`` JSON-lines file) through the fake exchange, so a live session can be rerun
  offline against your own code.

Output: events on stdout, status and errors on stderr (the demo prints its banner on stdout).
Exit codes: 0 done (``--seconds`` elapsed, replay finished, or Ctrl-C: stopping a stream is its
normal end), 1 a connection or subscription failed, 2 a usage error (unknown topic, bad option).
This package is the only part of bybit_ws that prints.
"""

from bybit_ws._cli._format import describe, format_event
from bybit_ws._cli._main import main

__all__ = ["describe", "format_event", "main"]
