"""Regional hosts (``region=``, V5_2026.md §3) and the warm trade socket (``connect_trade``)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from bybit_ws import AuthenticationError, BybitConnectionError, BybitSocketClient, BybitWsError
from bybit_ws.api._client import MAINNET_URLS
from bybit_ws.testing import FakeBybit

from .support import API_KEY, API_SECRET, clients_for, paper_fake

# ------------------------------------------------------------------------------------ regions
REGIONS = [
    ("tr", "stream.bybit.tr"),
    ("kz", "stream.bybit.kz"),
    ("id", "stream.bybit.id"),
    ("ge", "stream.bybitgeorgia.ge"),
    ("jp", "stream.manepa.jp"),
]


@pytest.mark.parametrize(("region", "host"), REGIONS)
def test_a_region_moves_every_mainnet_endpoint_to_its_host(region: str, host: str) -> None:
    with BybitSocketClient(region=region) as client:
        urls = client.urls
    assert set(urls) == set(MAINNET_URLS)
    for key, url in urls.items():
        assert url == MAINNET_URLS[key].replace("stream.bybit.com", host), key
    assert urls["v5.trade"] == f"wss://{host}/v5/trade"
    assert urls["v5.linear"] == f"wss://{host}/v5/public/linear"


def test_eu_moves_only_the_socket_bybit_documents() -> None:
    with BybitSocketClient(region="eu") as client:
        urls = client.urls
    assert urls["v5.status"] == "wss://stream.bybit.eu/v5/public/misc/status"
    assert {k: v for k, v in urls.items() if k != "v5.status"} == {
        k: v for k, v in MAINNET_URLS.items() if k != "v5.status"
    }


def test_urls_still_override_a_regional_key() -> None:
    with BybitSocketClient(region="kz", urls={"v5.trade": "ws://127.0.0.1:9/v5/trade"}) as client:
        assert client.urls["v5.trade"] == "ws://127.0.0.1:9/v5/trade"
        assert client.urls["v5.private"] == "wss://stream.bybit.kz/v5/private"


@pytest.mark.parametrize("bad", ["TR", "nl", "", "stream.bybit.tr"])
def test_an_unknown_region_lists_the_valid_ones(bad: str) -> None:
    with pytest.raises(ValueError, match="valid regions: eu, ge, id, jp, kz, tr"):
        BybitSocketClient(region=bad)


def test_a_region_excludes_testnet_and_demo() -> None:
    for options in ({"testnet": True}, {"demo": True}):
        with pytest.raises(ValueError, match="excludes testnet and demo"):
            BybitSocketClient(region="tr", **options)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------ warm trade socket
@pytest.fixture
def fake() -> Iterator[FakeBybit]:
    with paper_fake() as server:
        yield server


def _order(client: BybitSocketClient) -> str:
    return client.v5.place_order(
        "linear", "BTCUSDT", "Buy", "Limit", Decimal("0.01"), price=Decimal("29000")
    ).order_id


def test_connect_trade_opens_and_authenticates_before_the_first_order(fake: FakeBybit) -> None:
    with clients_for(fake, api_key=API_KEY, api_secret=API_SECRET) as make:
        client = make()
        assert fake.connections_total == 0
        client.v5.connect_trade()
        assert fake.connections_total == 1
        assert [f["op"] for f in fake.received_frames("v5.trade")][-1] == "auth"
        client.v5.connect_trade()  # ready already: returns at once, nothing new
        assert _order(client)
        assert fake.connections_total == 1  # the first order made no connect
        assert [f["op"] for f in fake.received_frames("v5.trade", "auth")] == ["auth"]


def test_the_connect_trade_option_warms_up_in_the_constructor(fake: FakeBybit) -> None:
    with clients_for(fake, api_key=API_KEY, api_secret=API_SECRET) as make:
        client = make(connect_trade=True)
        assert fake.connections_total == 1 and fake.received_frames("v5.trade", "auth")
        assert _order(client)
        assert fake.connections_total == 1


def test_connect_trade_raises_on_rejected_auth_and_an_unreachable_host(fake: FakeBybit) -> None:
    with clients_for(fake, api_key=API_KEY, api_secret="wrong") as make:
        with pytest.raises(AuthenticationError, match="Invalid sign"):
            make().v5.connect_trade()
        with pytest.raises(AuthenticationError):
            make(connect_trade=True)  # the constructor raises (and closed what it started)
        urls = {**fake.urls, "v5.trade": "ws://127.0.0.1:9/v5/trade"}
        with pytest.raises(BybitConnectionError):
            make(api_secret=API_SECRET, urls=urls).v5.connect_trade(timeout=5.0)


def test_connect_trade_needs_credentials_and_a_trade_api() -> None:
    with pytest.raises(ValueError, match="connect_trade needs api_key"):
        BybitSocketClient(connect_trade=True)
    with BybitSocketClient() as client, pytest.raises(AuthenticationError):
        client.v5.connect_trade()
    with (
        BybitSocketClient(API_KEY, API_SECRET, demo=True) as client,
        pytest.raises(BybitWsError, match="demo"),
    ):
        client.v5.connect_trade()
