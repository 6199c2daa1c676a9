"""README "Testing your pybit or ccxt bot offline": its pybit and ccxt blocks, run as written against a
fake exchange standing in for ``demo --trade --port 8765`` (its URL replacing ``127.0.0.1:8765``)."""

from __future__ import annotations

import pytest

from bybit_ws.testing import FakeBybit, SimulatedMarket
from tests.test_readme import blocks

pytest.importorskip("pybit", reason="pybit is not installed (extra [test])")
pytest.importorskip("ccxt", reason="ccxt is not installed (extra [test])")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SECTION = "Testing your pybit or ccxt bot offline"


@pytest.mark.parametrize("index", [0, 1], ids=["pybit", "ccxt"])
def test_readme_recipe_runs_as_written(index: int, capsys: pytest.CaptureFixture[str]) -> None:
    import pybit._websocket_trading  # type: ignore[import-untyped]
    from pybit import unified_trading

    saved = unified_trading.PUBLIC_WSS, unified_trading.PRIVATE_WSS, pybit._websocket_trading.TRADE_WSS
    with (
        FakeBybit("v5", api_key="demo-key", api_secret="demo-secret") as fake,
        SimulatedMarket(fake, "BTCUSDT", seed=9, rate=20),
    ):
        fake.set_latency(0.02)  # pybit registers its callbacks after sending (README)
        host = fake.url.removeprefix("ws://")
        code = blocks(SECTION)[index].replace("127.0.0.1:8765", host)
        try:
            exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
        finally:
            unified_trading.PUBLIC_WSS, unified_trading.PRIVATE_WSS, pybit._websocket_trading.TRADE_WSS = (
                saved
            )
    out = capsys.readouterr().out
    assert ("'s': 'BTCUSDT'" if index == 0 else "BTC/USDT:USDT ") in out
