"""examples/v5_stream.py runs against FakeBybit: imported (its ``main``) and as a script."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol, cast

import pytest

from bybit_ws.testing import FakeBybit

from .support import Collector, frame_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "v5_stream.py"
TOPICS = ("publicTrade.BTCUSDT", "orderbook.50.BTCUSDT", "tickers.BTCUSDT")
FRAMES = ("v5_public_trade", "v5_orderbook_snapshot", "v5_ticker_linear_snapshot")
EXPECTED = [
    "trade  BTCUSDT Buy 0.001 @ 16578.50",
    "book   BTCUSDT snapshot 2 bids 2 asks u=18521288 best 16493.50/16611.00",
    "ticker BTCUSDT last 66666.60 bid 66666.60 ask 66666.70 mark 66666.60",
]


class _Example(Protocol):
    def main(
        self,
        url: str | None = None,
        symbol: str = "BTCUSDT",
        seconds: float | None = None,
        out: Callable[[str], object] | None = None,
    ) -> int: ...


def _load_example() -> _Example:
    from .test_examples import load  # one loader: it makes the examples' shared _output.py importable

    return cast(_Example, load("v5_stream"))


@pytest.fixture
def fake() -> Iterator[FakeBybit]:
    with FakeBybit("v5") as server:
        yield server


def _publish_when_subscribed(fake: FakeBybit, timeout: float) -> None:
    """Wait until the example has all three topics, then send one documented frame of each."""
    for topic in TOPICS:
        fake.wait_for_subscribers(topic, timeout=timeout, path="v5.linear")
    for name in FRAMES:
        assert fake.send_raw(frame_text(name), path="v5.linear") == 1


def test_example_main_streams_from_the_fake(fake: FakeBybit) -> None:
    example = _load_example()
    lines = Collector()
    result: list[int] = []
    runner = threading.Thread(
        target=lambda: result.append(example.main(url=fake.urls["v5.linear"], seconds=1.0, out=lines)),
        name="test-example-main",
    )
    runner.start()
    try:
        _publish_when_subscribed(fake, timeout=3.0)
        got = lines.wait(3, timeout=3.0)
    finally:
        runner.join(10.0)
    assert not runner.is_alive(), "main() did not stop after --seconds"
    assert result == [0]
    assert sorted(got) == sorted(EXPECTED)  # three subscriptions: their handlers run independently
    assert fake.connections_total == 1  # one linear connection for all three streams
    fake.wait_for(lambda: fake.connection_count == 0, timeout=2)  # closed cleanly on the way out


def test_example_main_reports_an_unreachable_url(capsys: pytest.CaptureFixture[str]) -> None:
    with FakeBybit("v5") as gone:
        url = gone.urls["v5.linear"]
    example = _load_example()
    assert example.main(url=url, seconds=0.1, out=Collector()) == 1
    assert "error: cannot connect" in capsys.readouterr().err


def test_example_script_streams_from_the_fake(fake: FakeBybit) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, str(EXAMPLE), "--url", fake.urls["v5.linear"], "--seconds", "1"]
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            _publish_when_subscribed(fake, timeout=15.0)  # allow for the interpreter's start-up
            out, err = process.communicate(timeout=20.0)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 0, err
    assert sorted(out.splitlines()) == sorted(EXPECTED), (out, err)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_example_script_stops_cleanly_on_ctrl_c(fake: FakeBybit) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    # -X faulthandler: a child still running after the Ctrl-C is sent SIGABRT, so the failure shows where
    # each of its threads was
    command = [sys.executable, "-X", "faulthandler", str(EXAMPLE), "--url", fake.urls["v5.linear"]]
    with subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as at a terminal: a test run started as a background job (`.ci/run &`) has SIGINT
        # ignored, its children inherit that, and the example then rightly never sees the Ctrl-C
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    ) as process:
        try:
            _publish_when_subscribed(fake, timeout=15.0)
            fake.wait_for(lambda: len(fake.received_frames("v5.linear", op="subscribe")) == 3, timeout=5)
            process.send_signal(signal.SIGINT)
            try:
                out, err = process.communicate(timeout=20.0)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGABRT)  # faulthandler writes every thread's stack
                out, err = process.communicate(timeout=10.0)
                pytest.fail(f"the example still ran 20 s after Ctrl-C; its threads:\n{err[-8000:]}")
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert set(out.splitlines()) <= set(EXPECTED)  # whatever got printed before Ctrl-C is whole
    fake.wait_for(lambda: fake.connection_count == 0, timeout=2)  # the client closed its connection
