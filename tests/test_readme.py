"""The README's code, run as written: the ```python blocks of a section, in order, in one namespace, and
the ``record`` command of its ```sh block, so the documentation cannot drift from the library.

The convention: README blocks connect as a reader would (``BybitSocketClient()``, ``testnet=True``, keys
from ``BYBIT_API_KEY`` / ``BYBIT_API_SECRET``). The test points the client's default endpoints
(``bybit_ws.api._client.MAINNET_URLS`` and ``TESTNET_URLS``) at a local FakeBybit running a SimulatedMarket,
sets the key variables to the fake's, and runs in a temporary directory. A block whose last line is an
expression is a notebook cell: that value must render as an HTML table (``_repr_html_``). In the sh
block, the fake stands in for ``demo --port 8765`` and its URL for ``ws://127.0.0.1:8765``.
"""

from __future__ import annotations

import ast
import logging
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bybit_ws.api import _client
from bybit_ws.testing import FakeBybit, SimulatedMarket

from .support import API_KEY, API_SECRET
from .test_cli import ROOT, child_env

#: README and every docs page: the guides' sections are run here as README's were
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
README = "\n".join(path.read_text() for path in DOC_FILES)
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks(section: str, language: str = "python") -> list[str]:
    """The ``language`` code blocks of the section (README or a docs page) whose ``## `` heading starts
    with ``section``; exactly one section may match."""
    bodies = [
        part
        for path in DOC_FILES
        for part in re.split(r"^## ", path.read_text(), flags=re.MULTILINE)[1:]
        if part.startswith(section)
    ]
    (body,) = bodies
    found = [code for lang, code in _BLOCK.findall(body) if lang == language]
    assert found, f"no {language} block in section {section!r}"
    return found


def run_cell(code: str, namespace: dict[str, Any]) -> Any:
    """Execute a block as a notebook cell: the value of its last line when that is an expression."""
    tree = ast.parse(code)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "README.md", "exec"), namespace)
    assert last is None or isinstance(last, ast.Expr)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), "README.md", "eval"), namespace)


def run_section(section: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "readme"}
    for code in blocks(section):
        shown = run_cell(code, namespace)
        if shown is not None:
            assert "<table" in shown._repr_html_(), code
    return namespace


@pytest.fixture
def market(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeBybit]:
    """A v5 FakeBybit with a simulated BTCUSDT market, standing in for mainnet and testnet."""
    with (
        FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET) as fake,
        SimulatedMarket(fake, seed=7, rate=20),
    ):
        monkeypatch.setattr(_client, "MAINNET_URLS", {**_client.MAINNET_URLS, **fake.urls})
        monkeypatch.setattr(_client, "TESTNET_URLS", {**_client.TESTNET_URLS, **fake.urls})
        monkeypatch.setenv("BYBIT_API_KEY", API_KEY)
        monkeypatch.setenv("BYBIT_API_SECRET", API_SECRET)
        monkeypatch.chdir(tmp_path)
        yield fake


def test_testnet(market: FakeBybit, capsys: pytest.CaptureFixture[str]) -> None:
    namespace = run_section("Testnet")
    url, price = capsys.readouterr().out.splitlines()
    assert url == market.urls["v5.private"]
    assert Decimal(price) > 0
    assert not namespace["wallet"].is_active  # the with block closed the client


def test_logging(market: FakeBybit, caplog: pytest.LogCaptureFixture) -> None:
    package = logging.getLogger("bybit_ws")
    assert package.handlers == [] and package.level == logging.NOTSET  # the library configures nothing
    root = logging.getLogger()
    saved = root.level, root.handlers[:], logging.getLogger("bybit_ws.testing").level
    try:
        run_section("Logging")
        with _client.BybitSocketClient() as client:
            client.v5.subscribe_to_trade_updates("linear", "BTCUSDT")
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        logging.getLogger("bybit_ws.testing").setLevel(saved[2])
        package.setLevel(logging.NOTSET)
    infos = [r for r in caplog.records if r.levelno == logging.INFO and r.name.startswith("bybit_ws.")]
    assert any(f"connected to {market.urls['v5.linear']}" in r.getMessage() for r in infos), caplog.records
    assert not any(r.name == "bybit_ws.testing" and r.levelno < logging.WARNING for r in caplog.records)


def test_in_a_notebook(market: FakeBybit, capsys: pytest.CaptureFixture[str]) -> None:
    namespace = run_section("In a notebook")
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) >= 6, printed  # five events' trades, then the book's line
    assert isinstance(namespace["df"], pd.DataFrame) and len(namespace["df"]) >= 1
    assert namespace["client"].wait(0)  # closed
    assert not namespace["trades"].is_active  # closed with the client


def test_pandas(market: FakeBybit, capsys: pytest.CaptureFixture[str]) -> None:
    namespace = run_section("pandas")
    df = namespace["df"]
    assert len(df) >= 5 and str(df["price"].dtype) == "float64"
    assert isinstance(namespace["exact"]["price"].iloc[0], Decimal)
    assert '"topic": "publicTrade.BTCUSDT"' in capsys.readouterr().out


def test_recording(market: FakeBybit, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The done-when flow: ``record`` from the (fake) demo for some seconds, then read it back."""
    (demo, record) = [line for line in blocks("Recording", "sh")[0].splitlines() if line.strip()]
    assert shlex.split(demo, comments=True)[:6] == ["python", "-m", "bybit_ws", "demo", "--port", "8765"]
    argv = shlex.split(record.replace("ws://127.0.0.1:8765", market.url), comments=True)
    assert argv[:4] == ["python", "-m", "bybit_ws", "record"]
    seconds = argv.index("--seconds") + 1
    argv[seconds] = "2"  # 5 in the README: shorter here, the same otherwise
    done = subprocess.run(
        [sys.executable, *argv[1:]],
        check=False,
        cwd=tmp_path,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "recorded " in done.stderr.splitlines()[-1], done.stderr
    namespace = run_section("Recording")
    trades = namespace["trades"]
    assert len(trades) >= 1 and set(trades["symbol"]) == {"BTCUSDT"}
    assert namespace["files"] and all(Path(f).suffix == ".parquet" for f in namespace["files"])
    assert pd.read_parquet(tmp_path / "parquet" / "v5_trade")["price"].notna().all()
    recorder = namespace["recorder"]
    assert recorder.frames >= 1 and recorder.bytes_written > 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"{recorder.frames} frames,")


def test_order_book(market: FakeBybit, capsys: pytest.CaptureFixture[str]) -> None:
    namespace = run_section("Order book")
    ordered, fill = capsys.readouterr().out.splitlines()
    assert ordered == "True True"
    assert fill.startswith("fill 0.5 BTC: ") and Decimal(fill.split(": ")[1]) > 0
    assert namespace["client"].wait(0)  # the with block closed the client, and the book with it


def test_offline_fake_exchange(capsys: pytest.CaptureFixture[str]) -> None:
    run_section("Offline")
    assert "Trade(" in capsys.readouterr().out
