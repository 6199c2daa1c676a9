"""``demo --trade``: paper trading on the bundled fake exchange, as a subprocess (output, exit code,
Ctrl-C) and in process (no thread left behind)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Sequence

import pytest

from bybit_ws._cli import main

from .test_cli import STARTUP, Proc, events, run  # noqa: F401  (run: the fixture)


def _check_the_trading(lines: Sequence[str]) -> None:
    """Placed, amended, filled (market and, or else cancelled, maker), cancelled: each update one line."""

    def has(prefix: str, *parts: str) -> bool:
        return any(line.startswith(prefix) and all(p in line for p in parts) for line in lines)

    assert has("subscribed to order, execution, position and wallet updates"), lines
    assert has("placed    demo-1 BTCUSDT Buy Limit 0.010 @ ", ", order "), lines
    assert has("order     demo-1 Buy Limit 0.01 @ ", " New"), lines
    assert has("amended   demo-1 price ", ", order "), lines
    assert has("placed    demo-2 BTCUSDT Buy Market 0.005, order "), lines
    assert has("order     demo-2 Buy Market 0.005 @ ", " Filled, filled 0.005 avg "), lines
    assert has("execution demo-2 Buy 0.005 @ ", " taker, fee ", " USDT"), lines
    assert has("position  BTCUSDT Buy ", " entry ", " realised "), lines
    assert has("wallet    USDT ", "(available "), lines
    assert has("placed    demo-3 BTCUSDT Sell Limit 0.005 @ ", ", order "), lines
    assert has("cancelled demo-3 order "), lines
    assert has("order     demo-3 Sell Limit 0.005 @ ", " Cancelled (CancelByUser)"), lines
    # the resting buy: filled as the market traded through it, or else cancelled with demo-3
    last = [line for line in lines if line.startswith("order     demo-1 ")][-1]
    assert " Filled, filled 0.01 avg " in last or last.endswith(" Cancelled (CancelByUser)"), lines
    if " Filled" in last:
        assert has("execution demo-1 Buy 0.01 @ ", " maker, fee "), lines
    assert has("--- done: position "), lines


def test_demo_trade_places_amends_fills_and_cancels(run: Callable[..., Proc]) -> None:  # noqa: F811
    proc = run("-m", "bybit_ws", "demo", "--trade", "--seconds", "4", "--seed", "5")
    banner = proc.next_line(lambda line: True, timeout=STARTUP)
    assert banner.startswith("bybit_ws demo --trade: paper trading BTCUSDT offline")
    assert proc.finish(timeout=30.0) == 0, proc.stderr
    assert any("Ctrl-C" in line for line in proc.stdout[:8])  # the banner says how to stop
    assert any("--url ws://127.0.0.1:" in line for line in proc.stdout[:8])  # and where to connect
    _check_the_trading(events(proc.stdout))
    assert proc.stderr == [], proc.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX")
def test_demo_trade_exits_0_without_traceback_on_ctrl_c(run: Callable[..., Proc]) -> None:  # noqa: F811
    proc = run("-m", "bybit_ws", "demo", "--trade", sigint=True)
    proc.next_line(lambda line: "--- 5. wait" in line, timeout=STARTUP)  # waiting for the market
    proc.popen.send_signal(signal.SIGINT)
    assert proc.finish(timeout=15.0) == 0
    assert not any("Traceback" in line for line in proc.stderr), proc.stderr


def test_demo_trade_in_process_leaves_no_thread(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--trade", "--seconds", "3", "--rate", "20", "--seed", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    _check_the_trading(events(out))
    # the autouse fixture checks that the client, the market and the fake exchange joined their threads
