"""Day-one papercuts seen on a fresh clone (#18.4): each one as a user first meets it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bybit_ws import BybitSocketClient
from bybit_ws.testing import FakeBybit

from .support import clients_for


@pytest.fixture
def v5_fake() -> Iterator[FakeBybit]:
    with FakeBybit("v5") as server:
        yield server


def test_an_endpoint_url_without_a_path_gets_the_usual_path_of_its_key(v5_fake: FakeBybit) -> None:
    with clients_for(v5_fake) as make:
        client = make(urls={"v5.linear": v5_fake.url, "v5.spot": v5_fake.url + "/"})
        assert client.urls["v5.linear"] == v5_fake.url + "/v5/public/linear"
        assert client.urls["v5.spot"] == v5_fake.url + "/v5/public/spot"
        sub = client.v5.subscribe_to_trade_updates("linear", "BTCUSDT")
        assert sub.is_active
        assert v5_fake.subscriber_count("publicTrade.BTCUSDT", path="v5.linear") == 1
    # a URL with a path is taken as written
    explicit = BybitSocketClient(urls={"inverse": "ws://127.0.0.1:1/custom/path?x=1"})
    assert explicit.urls["inverse"] == "ws://127.0.0.1:1/custom/path?x=1"
    explicit.close()
