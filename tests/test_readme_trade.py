"""The README's "Placing orders" code block, run as written against FakeBybit's paper exchange (only the
client's credentials and testnet endpoints are swapped for the fake's)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from bybit_ws.testing import FakeBybit, PaperExchange

from .support import API_KEY, API_SECRET
from .test_readme import blocks

_CLIENT = 'BybitSocketClient(api_key="...", api_secret="...", testnet=True)'


def readme_block(heading: str) -> str:
    """The first ```python block under the ``## heading`` section (README or a docs page)."""
    return blocks(heading)[0]


def run_block(fake: FakeBybit, heading: str = "Placing orders") -> dict[str, Any]:
    code = readme_block(heading)
    assert code.count(_CLIENT) == 1, "the block's client line changed: update this test"
    code = code.replace(_CLIENT, "BybitSocketClient(api_key=API_KEY, api_secret=API_SECRET, urls=URLS)")
    namespace: dict[str, Any] = {"API_KEY": API_KEY, "API_SECRET": API_SECRET, "URLS": fake.urls}
    exec(compile(code, f"docs: {heading}", "exec"), namespace)
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


def test_the_readme_front_page_order_places_and_cancels(fake: FakeBybit) -> None:
    """README's one order example (its section "Placing an order"), run as written against the paper
    exchange: a resting limit buy, then its cancel."""
    namespace = run_block(fake, "Placing an order")
    assert namespace["client"].is_closed
    assert [f["op"] for f in fake.trade_requests()] == ["order.create", "order.cancel"]
    assert namespace["ack"].order_id and fake.paper.open_orders() == []
