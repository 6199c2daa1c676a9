"""Notebook use (#18.3): a dropped client closes itself at once, and unclosed clients warn."""

from __future__ import annotations

import gc
import threading
import warnings
import weakref
from collections.abc import Iterator

import pytest

from bybit_ws import BybitSocketClient
from bybit_ws.testing import FakeBybit

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
