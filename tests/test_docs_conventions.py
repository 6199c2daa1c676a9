"""docs/guides/api-conventions.md, run as written: its ```python blocks, in order, in one namespace, against
a v5 FakeBybit (with a paper exchange) and an inverse one standing in for Bybit; the handlers the page
names (``on_trade``, ``on_book`` ...) are given as no-ops, ``client`` as a client of the two fakes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from bybit_ws import BybitSocketClient, OrderAck
from bybit_ws.testing import FakeBybit, PaperExchange

from .support import API_KEY, API_SECRET
from .test_cli import ROOT

PAGE = ROOT / "docs" / "guides" / "api-conventions.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@pytest.fixture
def fakes() -> Iterator[tuple[FakeBybit, FakeBybit]]:
    paper = PaperExchange(prices={"BTCUSDT": "30000"})
    with (
        FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET, paper=paper) as v5,
        FakeBybit("inverse", api_key=API_KEY, api_secret=API_SECRET) as inverse,
    ):
        yield v5, inverse


def test_every_block_of_the_api_conventions_page_runs(fakes: tuple[FakeBybit, FakeBybit]) -> None:
    v5, inverse = fakes
    client = BybitSocketClient(API_KEY, API_SECRET, urls={**v5.urls, **inverse.urls})
    try:
        namespace = _run_page(client)
        assert isinstance(namespace["request"].quantity, Decimal)
        assert isinstance(namespace["future"].result(timeout=10), OrderAck)
        assert namespace["handler"] is namespace["on_trade"]
        # what the page subscribed, as the fakes saw it
        assert {"publicTrade.BTCUSDT", "kline.1.ETHUSDT", "orderbook.50.BTCUSDT", "order.linear"} <= set(
            v5.subscriptions()
        )
        assert "orderBookL2_25.BTCUSD" in inverse.subscriptions()
        assert [f["op"] for f in v5.trade_requests()].count("order.create") == 3
    finally:
        client.close()


def _run_page(client: BybitSocketClient) -> dict[str, Any]:
    blocks = _BLOCK.findall(PAGE.read_text())
    assert len(blocks) >= 5, "the page's code blocks moved: update this test"
    handlers = ("on_trade", "on_candle", "on_book", "on_snapshot", "on_delta", "on_order")
    namespace: dict[str, Any] = {"client": client, **{name: (lambda event: None) for name in handlers}}
    for code in blocks:
        exec(compile(code, str(PAGE), "exec"), namespace)
    return namespace
