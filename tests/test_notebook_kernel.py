"""A real IPython kernel (through nbclient): a client shown as a cell's output, and so kept in IPython's
``Out``, still stops on ``close()``; events, subscriptions and order books show as HTML (#18.3).

Skipped when nbclient, nbformat or ipykernel are not installed (they are in the ``test`` extra).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]

CELLS = [
    f"import sys, threading\nsys.path.insert(0, {str(ROOT)!r})",
    "from bybit_ws import BybitSocketClient\nfrom bybit_ws.testing import FakeBybit\n"
    'fake = FakeBybit("inverse").start()',
    "client = BybitSocketClient(urls=fake.urls)\n"
    'sub = client.inverse.subscribe_to_trade_updates("BTCUSD")\n'
    "client",  # shown: IPython keeps it in Out (and _)
    "sub",
    'fake.publish("trade.BTCUSD", [{"symbol": "BTCUSD", "side": "Buy", "size": 3, "price": "8098.5", '
    '"trade_time_ms": 1700000000000, "timestamp": "2023-11-14T22:13:20.000Z", "tick_direction": "PlusTick", '
    '"trade_id": "t-1", "cross_seq": 1}])\n'
    "sub.get(timeout=10)",
    """
assert Out[3] is client
client.close()
tick = threading.Event()
for _ in range(500):
    names = [t.name for t in threading.enumerate() if t.name.startswith("bybit-ws")]
    if not names:
        break
    tick.wait(0.01)
print(names, client.is_closed, not sub.is_active)
""".strip(),
    "fake.close()",
]


def _html(output: dict[str, Any]) -> str:
    return str(output.get("data", {}).get("text/html", ""))


def test_a_client_kept_in_ipythons_out_stops_on_close() -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # jupyter's own, about its paths and zmq
        nbclient.NotebookClient(notebook, timeout=60, kernel_name="python3").execute()
    outputs = [cell.outputs for cell in notebook.cells]
    assert outputs[2][0]["data"]["text/plain"].startswith("<BybitSocketClient open")
    assert "<caption>Subscription 1</caption>" in _html(outputs[3][0])
    event_html = _html(outputs[4][0])
    assert event_html.startswith("<div><b>trade.BTCUSD</b> received ")
    assert "<td>8098.5</td>" in event_html
    assert outputs[5][0]["text"] == "[] True True\n", json.dumps(outputs[5])
