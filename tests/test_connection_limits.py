"""Bybit's connection limits (#17 item 5, V5_MORE.md §1): an option connection holds at most 2,000
topics; a subscription that would need more connections than Bybit allows an IP (1,000 per category,
500 new ones in 5 minutes) fails with a ValueError naming the limit, before anything connects."""

from __future__ import annotations

import itertools
import string
from collections.abc import Iterator

import pytest

from bybit_ws import BybitSocketClient
from bybit_ws.testing import FakeBybit

from .support import clients_for


@pytest.fixture
def fake() -> Iterator[FakeBybit]:
    with FakeBybit("v5", check_topics=False) as server:  # made-up symbols, option klines
        yield server


@pytest.fixture
def client(fake: FakeBybit) -> Iterator[BybitSocketClient]:
    with clients_for(fake, request_timeout=10.0) as make:
        yield make()


def short_symbols(count: int) -> list[str]:
    """``count`` distinct symbols of two characters, then three: 2,001 kline topics in 20,715 characters,
    under the 21,000 a public connection takes, so only a topic-count limit splits them."""
    alphabet = string.ascii_uppercase + string.digits
    two = ("".join(p) for p in itertools.product(alphabet, repeat=2))
    three = ("".join(p) for p in itertools.product(alphabet, repeat=3))
    return list(itertools.islice(itertools.chain(two, three), count))


def topic_counts(client: BybitSocketClient, key: str) -> list[int]:
    return [len(connection.registry.subs) for connection in client._engine.connections[key]]


def test_an_option_connection_holds_at_most_2000_topics(fake: FakeBybit, client: BybitSocketClient) -> None:
    symbols = short_symbols(2001)
    assert sum(len(f"kline.1.{s}") for s in symbols[:2000]) <= 21_000
    client.v5.subscribe_to_kline_updates("option", symbols, "1")
    assert topic_counts(client, "v5.option") == [2000, 1]
    assert len(fake.subscriptions("v5.option")) == 2001
    client.v5.subscribe_to_kline_updates("option", ["ZZZ9", "ZZZ8"], "1")  # the second one has room
    assert topic_counts(client, "v5.option") == [2000, 3]


def test_other_categories_have_no_topic_limit(client: BybitSocketClient) -> None:
    client.v5.subscribe_to_kline_updates("linear", short_symbols(2001), "1")
    assert topic_counts(client, "v5.linear") == [2001]


def long_symbols(count: int) -> list[str]:
    """Symbols so long that no two of their topics fit the 21,000 characters of one connection."""
    return [f"{'X' * 10_500}{i:04d}" for i in range(count)]


def test_more_connections_than_bybit_allows_an_ip_fail_before_connecting(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    with pytest.raises(ValueError, match=r"1,000 connections per IP") as caught:
        client.v5.subscribe_to_kline_updates("linear", long_symbols(1001), "1")
    assert "needs 1001 more connection(s)" in str(caught.value)
    assert fake.connections_total == 0
    assert client._engine.connections.get("v5.linear", []) == []


def test_more_new_connections_than_bybit_allows_in_5_minutes_fail_before_connecting(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    client.v5.subscribe_to_trade_updates("spot", "BTCUSDT")  # one connection opened on the domain
    with pytest.raises(ValueError, match=r"limit of 500 new connections per IP per 5 minutes") as caught:
        client.v5.subscribe_to_kline_updates("linear", long_symbols(500), "1")
    assert "needs 500 new connection(s) and 1 were opened" in str(caught.value)
    assert fake.connections_total == 1
    client.v5.subscribe_to_kline_updates("linear", long_symbols(2), "1")  # within the limits: fine
    assert fake.connections_total == 3
