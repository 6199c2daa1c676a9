# %% [markdown]
# # Iterating a subscription (notebook style)
#
# Subscribe without a handler and the subscription buffers its events: iterate over it, or take
# one with `sub.get(timeout=...)`. Runs top to bottom as a script too:
#
#     python examples/notebook_iterator.py                      # live Bybit, v5 linear BTCUSDT
#     python examples/notebook_iterator.py --url ws://127.0.0.1:8765/v5/public/linear
#
# (the second with `python -m bybit_ws demo --port 8765` running; or set `BYBIT_WS_URL`). Offline also:
# `python -m bybit_ws replay FILE`, or a `bybit_ws.testing.FakeBybit("v5")` with a
# `bybit_ws.testing.SimulatedMarket` in another cell.

# %%
import argparse
import os

from _output import say  # as print, and a quiet stop when stdout closes (| head); in a notebook: print

from bybit_ws import BybitSocketClient

parser = argparse.ArgumentParser()
parser.add_argument("--url", default=os.environ.get("BYBIT_WS_URL"), help="a v5 linear public endpoint")
URL = parser.parse_known_args()[0].url  # parse_known_args: a notebook kernel passes its own args

client = BybitSocketClient(urls={"v5.linear": URL} if URL else None)

# %% No handler: the subscription keeps its events for us.
sub = client.v5.subscribe_to_trade_updates("linear", "BTCUSDT")

# %% Iterate (this blocks until events come; break when you have enough).
for count, event in enumerate(sub, 1):
    for trade in event.data:
        say(f"{event.timestamp:%H:%M:%S} {trade.side.value} {trade.quantity} @ {trade.price}")
    if count == 3:
        break

# %% Or take one event, waiting at most 10 s (raises BybitTimeoutError if none comes).
event = sub.get(timeout=10)
say(f"one more: {[f'{t.quantity} @ {t.price}' for t in event.data]}")

# %% Interrupted a loop (Ctrl-C, or the kernel's stop button)? Events kept arriving meanwhile. Skip that
# backlog before the next loop: `sub.drain()` returns (and removes) everything buffered without waiting;
# `sub.latest(timeout)` returns only the newest event (waiting for one if none is buffered).
stale = sub.drain()
say(f"stats: {sub.stats}")  # in a notebook, `sub` (or an `event`) as a cell's last line shows a table

# %% Close the subscription (iteration ends), then the client (joins its threads).
sub.close()
client.close()
say(f"closed: {not sub.is_active} {client.is_closed}")
