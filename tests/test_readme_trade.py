"""The README's "Placing orders" code block, run as written against FakeBybit's paper exchange (only the
client's credentials and testnet endpoints are swapped for the fake's)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from bybit_ws.testing import FakeBybit, PaperExchange

from .support import API_KEY, API_SECRET
from .test_cli import ROOT

_CLIENT = 'BybitSocketClient(api_key="...", api_secret="...", testnet=True)'


def readme_block(heading: str) -> str:
    """The first ```python block under the README's ``## heading``."""
    text = (ROOT / "README.md").read_text()
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, f"no python block under ## {heading}"
    return match.group(1)


def run_block(fake: FakeBybit) -> dict[str, Any]:
    code = readme_block("Placing orders")
    assert code.count(_CLIENT) == 1, "the block's client line changed: update this test"
    code = code.replace(_CLIENT, "BybitSocketClient(api_key=API_KEY, api_secret=API_SECRET, urls=URLS)")
    namespace: dict[str, Any] = {"API_KEY": API_KEY, "API_SECRET": API_SECRET, "URLS": fake.urls}
    exec(compile(code, "README.md: Placing orders", "exec"), namespace)
    return namespace


@pytest.fixture
def paper() -> PaperExchange:
    return PaperExchange(prices={"BTCUSDT": "30000"})


@pytest.fixture
def fake(paper: PaperExchange) -> Iterator[FakeBybit]:
    with FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET, paper=paper) as server:
        yield server


def test_the_readme_block_places_amends_cancels_and_batches(
    fake: FakeBybit, capsys: pytest.CaptureFixture[str]
) -> None:
    namespace = run_block(fake)
    assert namespace["client"].is_closed
    assert [f["op"] for f in fake.trade_requests()] == [
        "order.create",  # my-1
        "order.amend",
        "order.cancel",
        "order.create",  # the two futures
        "order.create",
        "order.cancel-batch",
        "order.create",  # the market sell: filled
    ]
    assert fake.trade_requests()[1]["args"][0]["price"] == "25100"
    assert fake.paper.open_orders() == []
    assert fake.paper.position_size("BTCUSDT") == Decimal("-0.001")
    assert [r.ok for r in namespace["results"]] == [True, True]
    assert "[(True, 0, 'OK'), (True, 0, 'OK')]" in capsys.readouterr().out


def test_the_readme_block_catches_a_rejection(capsys: pytest.CaptureFixture[str]) -> None:
    paper = PaperExchange()  # no BTCUSDT price: limit orders rest, a market order is refused
    with FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET, paper=paper) as fake:
        run_block(fake)
    assert "10001 no market price for BTCUSDT: set one first" in capsys.readouterr().out
    assert fake.paper.open_orders() == [] and fake.paper.position_size("BTCUSDT") == 0
