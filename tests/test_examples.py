"""examples/ run against FakeBybit: imported (``main`` in a thread) and as scripts (subprocesses)."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import re
import runpy
import shlex
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest

from bybit_ws.testing import FakeBybit

from .support import API_KEY, API_SECRET, Collector, frame_text
from .test_cli import ROOT, STARTUP, Proc, child_env

EXAMPLES = ROOT / "examples"
TRADE_LINE = "BTCUSD Sell 328 @ 8098"
ORDER_LINE = "order     ETH-30DEC22-1400-C Sell 1 @ 72.5 Filled filled 1"
EXECUTION_LINE = "execution BTCUSDT Sell 0.5 @ 95900.1 fee 26.3725275 USDT"
SUBSCRIBED_LINE = "subscribed to order and execution updates; waiting for events"


def load(name: str) -> ModuleType:
    if str(EXAMPLES) not in sys.path:  # as when run as a script: their shared examples/_output.py
        sys.path.append(str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Runner:
    """Run ``fn`` in a thread; `join` waits with a deadline and returns its result (or raises its error)."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.result: list[Any] = []
        self.error: list[BaseException] = []

        def target() -> None:
            try:
                self.result.append(fn())
            except BaseException as exc:
                self.error.append(exc)

        self._thread = threading.Thread(target=target, name="test-example")
        self._thread.start()

    def join(self, timeout: float = 10.0) -> Any:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the example did not stop"
        if self.error:
            raise self.error[0]
        return self.result[0]


@pytest.fixture
def script() -> Iterator[Callable[..., Proc]]:
    started: list[Proc] = []

    def start(name: str, *args: str, env: dict[str, str] | None = None) -> Proc:
        proc = Proc([str(EXAMPLES / f"{name}.py"), *args], env)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.close()


# ==================================================================================== trades.py
def test_trades_main(fake: FakeBybit) -> None:
    lines = Collector()
    runner = Runner(lambda: load("trades").main(fake.urls["inverse"], ("BTCUSD",), seconds=2.0, out=lines))
    try:
        fake.wait_for_subscribers("trade.BTCUSD", timeout=5.0)
        assert fake.send_raw(frame_text("inverse_trade")) == 1
        assert lines.wait(1, timeout=5.0) == [TRADE_LINE]
    finally:
        assert runner.join() == 0
    fake.wait_for(lambda: fake.connection_count == 0, timeout=2)  # closed its connection on the way out


def test_trades_script(fake: FakeBybit, script: Callable[..., Proc]) -> None:
    proc = script("trades", "--url", fake.urls["inverse"], "--symbol", "BTCUSD", "--seconds", "2")
    fake.wait_for_subscribers("trade.BTCUSD", timeout=STARTUP)
    assert fake.send_raw(frame_text("inverse_trade")) == 1
    assert proc.finish(timeout=15.0) == 0, proc.stderr
    assert proc.stdout == [TRADE_LINE]


def test_trades_reports_an_unreachable_url(capsys: pytest.CaptureFixture[str]) -> None:
    with FakeBybit("inverse") as gone:
        url = gone.urls["inverse"]
    assert load("trades").main(url, seconds=0.1, out=Collector()) == 1
    assert "error: " in capsys.readouterr().err


# ==================================================================================== private_orders.py
@pytest.fixture
def v5_fake() -> Iterator[FakeBybit]:
    with FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET) as server:
        yield server


def _publish_order_and_execution(fake: FakeBybit, timeout: float) -> None:
    fake.wait_for_subscribers("order", timeout=timeout, path="v5.private")
    fake.wait_for_subscribers("execution", timeout=5.0, path="v5.private")
    assert fake.send_raw(frame_text("v5_order"), path="v5.private") == 1
    assert fake.send_raw(frame_text("v5_execution"), path="v5.private") == 1


def test_private_orders_main(v5_fake: FakeBybit) -> None:
    lines = Collector()
    example = load("private_orders")
    url = v5_fake.urls["v5.private"]
    runner = Runner(lambda: example.main(url, API_KEY, API_SECRET, seconds=2.0, out=lines))
    try:
        _publish_order_and_execution(v5_fake, timeout=5.0)
        got = lines.wait(3, timeout=5.0)
    finally:
        assert runner.join() == 0
    assert sorted(got) == sorted(
        [SUBSCRIBED_LINE, ORDER_LINE, EXECUTION_LINE]
    )  # two subscriptions, independent handlers
    assert v5_fake.received_frames("v5.private", op="auth")  # it authenticated


def test_private_orders_script_reads_credentials_from_the_environment(
    v5_fake: FakeBybit, script: Callable[..., Proc]
) -> None:
    env = child_env(BYBIT_API_KEY=API_KEY, BYBIT_API_SECRET=API_SECRET)
    proc = script("private_orders", "--url", v5_fake.urls["v5.private"], "--seconds", "2", env=env)
    _publish_order_and_execution(v5_fake, timeout=STARTUP)
    assert proc.finish(timeout=15.0) == 0, proc.stderr
    assert sorted(proc.stdout) == sorted([SUBSCRIBED_LINE, ORDER_LINE, EXECUTION_LINE])
    assert not any(API_SECRET in line for line in proc.stdout + proc.stderr)


def test_private_orders_without_credentials(
    v5_fake: FakeBybit, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("BYBIT_API_KEY", raising=False)
    monkeypatch.delenv("BYBIT_API_SECRET", raising=False)
    assert load("private_orders").main(v5_fake.urls["v5.private"], seconds=0.1, out=Collector()) == 1
    assert "error: private topics need API credentials" in capsys.readouterr().err
    assert v5_fake.connections_total == 0  # refused before connecting


# ==================================================================================== trade_ws.py
@pytest.fixture
def trading_fake() -> Iterator[FakeBybit]:
    """A v5 fake whose simulated market gives the ticker's last price and the paper exchange's price."""
    from bybit_ws.testing import SimulatedMarket

    with (
        FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET) as server,
        SimulatedMarket(server, "BTCUSDT", seed=4, rate=20.0),
    ):
        yield server


def _trade_ws(fake: FakeBybit) -> tuple[int, list[str]]:
    lines = Collector()
    example = load("trade_ws")
    runner = Runner(lambda: example.main(fake.url, API_KEY, API_SECRET, out=lines))
    code = runner.join(20)
    return code, [re.sub(r"trade-ws-\d+", "LINK", line) for line in lines.events]


def test_trade_ws_places_amends_and_cancels_one_order(trading_fake: FakeBybit) -> None:
    code, lines = _trade_ws(trading_fake)
    assert code == 0, lines
    create, amend, cancel = trading_fake.trade_requests()
    assert [create["op"], amend["op"], cancel["op"]] == ["order.create", "order.amend", "order.cancel"]
    last = Decimal(lines[0].split("last price ")[1].split(";")[0])
    placed, amended = Decimal(create["args"][0]["price"]), Decimal(amend["args"][0]["price"])
    assert placed == example_rounded(last * Decimal("0.95")) and amended == example_rounded(
        last * Decimal("0.94")
    )
    assert create["args"][0]["timeInForce"] == "PostOnly" and create["args"][0]["qty"] == "0.001"
    assert lines[0] == f"BTCUSDT last price {last}; placing a post-only limit buy 0.001 @ {placed}"
    order_id = cancel["args"][0]["orderId"]
    assert sorted(lines[1:-1]) == sorted(
        [
            f"placed    LINK order {order_id}",
            f"order     BTCUSDT LINK Buy 0.001 @ {placed} New",
            f"amended   LINK price {amended}",
            f"order     BTCUSDT LINK Buy 0.001 @ {amended} New",
            f"cancelled LINK order {order_id}",
            f"order     BTCUSDT LINK Buy 0.001 @ {amended} Cancelled",
        ]
    ), lines  # an ack and its order update may come in either order
    assert lines[-1] == "done: LINK is Cancelled"
    assert trading_fake.paper.open_orders() == []


def example_rounded(price: Decimal) -> Decimal:
    return Decimal(str(load("trade_ws").five_digits(price)))


def test_trade_ws_reports_a_rejection(trading_fake: FakeBybit, capsys: pytest.CaptureFixture[str]) -> None:
    trading_fake.reject_next_order(110007, "ab not enough for new order")
    code, lines = _trade_ws(trading_fake)
    assert code == 1 and not any(line.startswith("placed") for line in lines), lines
    assert "rejected: ab not enough for new order (retCode 110007)" in capsys.readouterr().err
    assert trading_fake.paper.open_orders() == []


def test_trade_ws_never_resends_a_lost_order_and_finds_it_on_the_stream(trading_fake: FakeBybit) -> None:
    trading_fake.drop_before_next_trade_reply(executed=True)  # the order exists; its reply is lost
    code, lines = _trade_ws(trading_fake)
    assert code == 1
    (unknown,) = [line for line in lines if line.startswith("outcome unknown (")]
    assert "may or may not exist" in unknown and unknown.endswith("looking for LINK on the order stream")
    assert "cancelled LINK: it did exist" in lines
    assert any(line.startswith("order     BTCUSDT LINK Buy 0.001 @ ") for line in lines), lines
    assert [f["op"] for f in trading_fake.trade_requests()] == ["order.create", "order.cancel"]  # sent once
    assert trading_fake.paper.open_orders() == []


# ==================================================================================== notebook_iterator.py
NOTEBOOK = EXAMPLES / "notebook_iterator.py"


def _publish_trades(fake: FakeBybit, timeout: float, count: int = 4) -> list[str]:
    """Once the notebook subscribed, send the four trade frames it reads.

    Never more: after the fourth the notebook closes its client, so a fifth frame could find no one.
    """
    fake.wait_for_subscribers("publicTrade.BTCUSDT", timeout=timeout, path="v5.linear")
    prices = [f"{16578 + n}.50" for n in range(count)]
    for price in prices:
        frame = json.loads(frame_text("v5_public_trade"))
        frame["data"][0]["p"] = price
        assert fake.send_raw(json.dumps(frame), path="v5.linear") == 1
    return prices


def _check_notebook_output(out: str, prices: list[str]) -> None:
    lines = out.splitlines()
    assert [line.split(" ", 1)[1] for line in lines[:3]] == [f"Buy 0.001 @ {p}" for p in prices[:3]], out
    assert lines[3] == f"one more: ['0.001 @ {prices[3]}']", out
    assert lines[4].startswith("stats: SubscriptionStats(received="), out
    assert lines[5] == "closed: True True", out


def test_notebook_runs_top_to_bottom_in_process(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeBybit("v5") as fake:
        monkeypatch.setattr(sys, "argv", [str(NOTEBOOK), "--url", fake.urls["v5.linear"]])
        monkeypatch.syspath_prepend(str(EXAMPLES))  # as when run as a script: examples/_output.py
        runner = Runner(lambda: runpy.run_path(str(NOTEBOOK), run_name="__main__"))
        try:
            prices = _publish_trades(fake, timeout=5.0)
        finally:
            namespace = runner.join()
        assert namespace["client"].is_closed and not namespace["sub"].is_active
    _check_notebook_output(capsys.readouterr().out, prices)


def test_notebook_script_reads_the_url_from_the_environment(script: Callable[..., Proc]) -> None:
    with FakeBybit("v5") as fake:
        proc = script("notebook_iterator", env=child_env(BYBIT_WS_URL=fake.urls["v5.linear"]))
        prices = _publish_trades(fake, timeout=STARTUP)
        assert proc.finish(timeout=15.0) == 0, proc.stderr
    _check_notebook_output("\n".join(proc.stdout), prices)


# ==================================================================================== order_book.py
def test_order_book_main_follows_the_simulated_market() -> None:
    from bybit_ws.testing import SimulatedMarket

    example = load("order_book")
    lines = Collector()
    with FakeBybit("v5") as fake:
        market = SimulatedMarket(fake, "BTCUSDT", seed=3, rate=20.0)
        market.start()
        try:
            runner = Runner(lambda: example.main(fake.urls["v5.linear"], "BTCUSDT", seconds=2.5, out=lines))
            assert runner.join(15) == 0
        finally:
            market.close()
    top = [line for line in lines.events if " bid " in line]
    assert len(top) >= 2, lines.events
    for line in top:  # the best bid is below the best ask, and the fill estimate is sane
        bid = float(line.split(" bid ")[1].split(" x ")[0])
        ask = float(line.split(" ask ")[1].split(" x ")[0])
        assert bid < ask, line
        assert "buy 1 avg" in line, line
    assert lines.events[-1].endswith("0 resync(s); closing"), lines.events


def test_order_book_script_reports_an_unreachable_url(script: Callable[..., Proc]) -> None:
    with FakeBybit("v5") as fake:
        url = fake.urls["v5.linear"]
    proc = script("order_book", "--url", url, "--seconds", "1")
    assert proc.finish(timeout=15.0) == 1
    assert "error: cannot connect" in "\n".join(proc.stderr)


# ==================================================================================== documented commands
DOCUMENTED_PORT = "8765"


def _documented_commands(name: str) -> list[list[str]]:
    """The ``python ...`` command lines an example's docstring (or header comment) gives, split into words,
    with ``VAR=value`` prefixes and ``\\`` continuations joined and ``# comments`` dropped."""
    text = (EXAMPLES / f"{name}.py").read_text()
    text = re.sub(r"\\\n\s*", " ", text)
    commands = []
    for line in text.splitlines():
        line = line.lstrip("# ").split("  #", 1)[0].strip()
        if "python " in line and DOCUMENTED_PORT in line:
            commands.append(shlex.split(line))
    return commands


def test_every_example_documents_its_offline_command_with_the_demo_port() -> None:
    for name in ("v5_stream", "order_book", "private_orders", "notebook_iterator", "trades", "trade_ws"):
        assert any(f"ws://127.0.0.1:{DOCUMENTED_PORT}" in " ".join(c) for c in _documented_commands(name)), (
            name
        )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("v5_stream", "trade  BTCUSDT"),
        ("order_book", "BTCUSDT bid "),
        ("private_orders", SUBSCRIBED_LINE),
        ("trade_ws", "done: trade-ws-"),  # against demo --trade, whose own orders trade alongside
    ],
)
def test_the_documented_offline_commands_work_against_the_demo(
    name: str, expected: str, script: Callable[..., Proc]
) -> None:
    """Run ``python -m bybit_ws demo --port 8765`` and the example exactly as its docstring writes them,
    on a free port instead of 8765 (other test runs may hold that one)."""
    port = str(_free_port())
    commands = [[word.replace(DOCUMENTED_PORT, port) for word in c] for c in _documented_commands(name)]
    demo_args = next(c for c in commands if c[1:4] == ["-m", "bybit_ws", "demo"])
    command = next(c for c in commands if f"examples/{name}.py" in c)
    env = dict(w.split("=", 1) for w in command[: command.index("python")])
    args = command[command.index("python") + 2 :]
    demo = Proc(demo_args[1:])
    try:
        demo.next_line(lambda line: f"127.0.0.1:{port}" in line, timeout=STARTUP)
        proc = script(name, *args, env=child_env(**env))
        proc.next_line(lambda line: expected in line, timeout=STARTUP)
        assert proc.finish(timeout=30.0) == 0, proc.stderr
    finally:
        demo.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_readme_lists_every_example() -> None:
    readme = "\n".join(p.read_text() for p in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))])
    for path in sorted(EXAMPLES.glob("*.py")):
        assert f"`{path.name}`" in readme, path.name


# ==================================================================================== a closed stdout
def _reset_sigint() -> None:  # pragma: no cover - runs in the child before exec
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # as in a terminal's pipeline (a background job ignores it)


@pytest.mark.parametrize(
    ("name", "lines"),
    [("v5_stream", 5), ("order_book", 2), ("notebook_iterator", 2), ("trades", 5)],
)
def test_an_example_piped_into_head_stops_quietly(name: str, lines: int) -> None:
    """``python examples/NAME.py ... | head -5``: the reader closes the pipe after a few lines; the example
    stops cleanly, exit status 0, no traceback (it printed a BrokenPipeError traceback per event)."""
    from bybit_ws.testing import SimulatedMarket

    with FakeBybit("inverse" if name == "trades" else "v5") as fake, contextlib.ExitStack() as stack:
        url = fake.urls["inverse" if name == "trades" else "v5.linear"]
        args = {"notebook_iterator": ["--url", url]}.get(name, ["--url", url, "--seconds", "30"])
        if name == "trades":
            args += ["--symbol", "BTCUSD"]
        else:
            stack.enter_context(SimulatedMarket(fake, "BTCUSDT", seed=5, rate=200.0))
        proc = subprocess.Popen(
            [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
            cwd=ROOT,
            env=child_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_reset_sigint,  # noqa: PLW1509
        )
        stack.callback(proc.kill)  # a no-op once it has exited
        stop = threading.Event()
        if name == "trades":  # an inverse trade every few ms until the example exits

            def publish() -> None:
                fake.wait_for_subscribers("trade.BTCUSD", timeout=STARTUP)
                while proc.poll() is None and not stop.is_set():
                    fake.send_raw(frame_text("inverse_trade"))
                    stop.wait(0.005)

            publisher = threading.Thread(target=publish, name="test-publisher")
            publisher.start()
            stack.callback(publisher.join)
            stack.callback(stop.set)
        assert proc.stdout is not None and proc.stderr is not None
        head = [proc.stdout.readline() for _ in range(lines)]  # `head -N`: read N lines, then go away
        proc.stdout.close()
        _, stderr = proc.communicate(timeout=STARTUP + 15)
    assert all(head), head
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert proc.returncode == 0, stderr
