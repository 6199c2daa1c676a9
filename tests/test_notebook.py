"""Notebook use (#18.3): a dropped client closes itself at once, and unclosed clients warn."""

from __future__ import annotations

import gc
import threading
import warnings
import weakref
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

from bybit_ws import BybitSocketClient, BybitTimeoutError, Subscription
from bybit_ws.testing import FakeBybit, SimulatedMarket

from .support import wait_until


def _client_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("bybit-ws")]


@pytest.fixture
def no_gc() -> Iterator[None]:
    """No cyclic garbage collection during the test: what is freed is freed by reference counting."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def test_a_client_nobody_references_closes_itself_without_a_garbage_collection(
    fake: FakeBybit, no_gc: None
) -> None:
    client = BybitSocketClient(urls=fake.urls)
    sub = client.inverse.subscribe_to_trade_updates("BTCUSD")
    groups = (client.v5, client.inverse, client.contract)  # kept: they must not keep the client alive
    assert _client_threads()
    ref = weakref.ref(client)
    with pytest.warns(ResourceWarning, match=r"unclosed BybitSocketClient with 1 connection\(s\)"):
        del client
    assert ref() is None
    wait_until(lambda: not _client_threads(), message="the dropped client's threads to end")
    fake.wait_for(lambda: fake.connection_count == 0, timeout=5)
    assert not sub.is_active
    assert len(groups) == 3


def test_a_closed_client_is_dropped_without_a_warning(fake: FakeBybit, no_gc: None) -> None:
    client = BybitSocketClient(urls=fake.urls)
    client.inverse.subscribe_to_trade_updates("BTCUSD")
    client.close()
    ref = weakref.ref(client)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del client
    assert ref() is None
    assert [str(w.message) for w in caught] == []


# ----------------------------------------------------------------------------- resuming a loop
def _trade(seq: int) -> dict[str, Any]:
    return {
        "symbol": "BTCUSD",
        "side": "Buy",
        "size": 1,
        "price": f"{100 + seq}.5",
        "trade_time_ms": 1_700_000_000_000 + seq,
        "timestamp": "2023-11-14T22:13:20.000Z",
        "tick_direction": "PlusTick",
        "trade_id": f"t-{seq}",
        "cross_seq": seq,
    }


def _publish(fake: FakeBybit, sub: Subscription[Any], seqs: range) -> None:
    before = sub.stats.received
    for seq in seqs:
        assert fake.publish("trade.BTCUSD", [_trade(seq)]) == 1
    wait_until(lambda: sub.stats.received == before + len(seqs), message="the trades to be buffered")


def test_an_interrupted_loop_resumes_without_the_stale_backlog(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    sub = client.inverse.subscribe_to_trade_updates("BTCUSD")
    _publish(fake, sub, range(1, 3))
    for event in sub:  # a loop left early, as by Ctrl-C
        assert event.data[0].cross_sequence == 1
        break
    _publish(fake, sub, range(3, 6))  # events pile up while nobody iterates
    assert [e.data[0].cross_sequence for e in sub.drain()] == [2, 3, 4, 5]  # handed over, oldest first
    assert sub.drain() == []  # never waits
    _publish(fake, sub, range(6, 7))
    for event in sub:  # the next loop starts with fresh events only
        assert event.data[0].cross_sequence == 6
        break
    _publish(fake, sub, range(7, 10))
    assert sub.latest(timeout=1).data[0].cross_sequence == 9  # the newest; 7 and 8 skipped
    assert sub.stats.backlog == 0
    assert sub.stats.delivered == sub.stats.received == 9
    with pytest.raises(BybitTimeoutError):
        sub.latest(timeout=0.05)  # nothing buffered: waits like get()
    _publish(fake, sub, range(10, 11))
    assert sub.latest().data[0].cross_sequence == 10


def test_latest_and_drain_need_a_buffered_subscription(client: BybitSocketClient) -> None:
    sub = client.inverse.subscribe_to_trade_updates("BTCUSD", lambda event: None)
    with pytest.raises(RuntimeError, match="has a handler"):
        sub.drain()
    with pytest.raises(RuntimeError, match="has a handler"):
        sub.latest(0)


# ----------------------------------------------------------------------------- notebook display
def _html(shown: Any) -> str:
    """What IPython shows for ``shown`` as a cell's output."""
    return str(shown._repr_html_())


def test_events_models_and_subscriptions_show_as_html_tables(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    sub = client.inverse.subscribe_to_trade_updates("BTCUSD")
    html = sub._repr_html_()
    assert f"<caption>Subscription {sub.id}</caption>" in html
    for cell in ("active", "trade.BTCUSD", "buffered: iterate, get(), latest(), drain()", "received"):
        assert f"<td>{cell}</td>" in html, (cell, html)
    _publish(fake, sub, range(1, 3))
    event = sub.get(1)
    html = event._repr_html_()
    assert html.startswith("<div><b>trade.BTCUSD</b> received ")
    assert "<caption>1 x TradeUpdate</caption>" in html
    assert "<th>price</th>" in html and "<td>101.5</td>" in html  # a Decimal as its digits
    assert "<td>Buy</td>" in html  # an enum as its wire value
    assert "<td>2023-11-14 22:13:20.001 UTC</td>" in html  # a time, readable and in UTC
    model_html = _html(event.data[0])
    assert (
        "<caption>TradeUpdate</caption>" in model_html and "<td>cross_sequence</td><td>1</td>" in model_html
    )
    sub.close()
    assert "<td>closed</td>" in sub._repr_html_()


def test_every_model_has_an_html_view() -> None:
    from bybit_ws.models import contract, inverse, v5

    for module in (inverse, contract, v5):
        for name in module.__all__:
            cls = getattr(module, name)
            if isinstance(cls, type) and attrs.has(cls):
                assert "_repr_html_" in vars(cls), f"{module.__name__}.{name}"


def test_text_is_escaped_in_html(fake: FakeBybit, client: BybitSocketClient) -> None:
    sub = client.inverse.subscribe_to_trade_updates("BTCUSD")
    trade = {**_trade(1), "trade_id": "<script>alert(1)</script>"}
    assert fake.publish("trade.BTCUSD", [trade]) == 1
    html = sub.get(5)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_an_order_book_shows_its_top_levels() -> None:
    with (
        FakeBybit("v5") as fake,
        SimulatedMarket(fake, "BTCUSDT", seed=5, rate=50.0),
        BybitSocketClient(urls=fake.urls) as client,
    ):
        book = client.v5.order_book("linear", "BTCUSDT", depth=50)
        book.wait_synced(10)
        html = book._repr_html_()
        best_bid, best_ask = book.best_bid, book.best_ask
    assert html.startswith("<table><caption>OrderBook BTCUSDT: synced, sequence ")
    assert "(top 10 of 50 bids, 50 asks)" in html
    assert "<th>bid size</th><th>bid</th><th>ask</th><th>ask size</th>" in html
    assert best_bid is not None and best_ask is not None
    assert html.count("<tr><td>") == 10
    assert "<td>closed</td>" not in html
