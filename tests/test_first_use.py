"""Day-one papercuts seen on a fresh clone (#18.4): each one as a user first meets it."""

from __future__ import annotations

import configparser
import pickle
import pydoc
import re
import socket
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from bybit_ws import BybitConnectionError, BybitSocketClient, KlineInterval
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


def test_symbols_of_the_wrong_type_raise_a_clear_type_error(v5_fake: FakeBybit) -> None:
    with clients_for(v5_fake) as make:
        client = make()
        with pytest.raises(TypeError, match=r"string .* or an iterable of strings, not int: 123"):
            client.v5.subscribe_to_trade_updates("linear", 123)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="each symbol must be a string, not int: 5"):
            client.v5.subscribe_to_ticker_updates("linear", ["BTCUSDT", 5])  # type: ignore[list-item]
        with pytest.raises(TypeError, match="not NoneType"):
            client.v5.subscribe_to_liquidation_updates("linear", None)  # type: ignore[arg-type]
    assert v5_fake.received == []


def test_an_unknown_kline_interval_lists_the_valid_ones(v5_fake: FakeBybit) -> None:
    with clients_for(v5_fake) as make:
        client = make()
        with pytest.raises(ValueError, match="not a kline interval: '2'") as caught:
            client.v5.subscribe_to_kline_updates("linear", "BTCUSDT", "2")
        message = str(caught.value)
        for interval in KlineInterval:
            assert f"{interval.value!r} ({interval.name})" in message
        sub = client.v5.subscribe_to_kline_updates("linear", "BTCUSDT", 60)  # type: ignore[arg-type]
        assert sub.topics == ("kline.60.BTCUSDT",)


@pytest.mark.parametrize(("connect_timeout", "request_timeout"), [(0.2, 5.0), (5.0, 0.2), (0.2, 0.2)])
def test_a_server_that_never_answers_raises_connection_error_whatever_the_timeouts(
    connect_timeout: float, request_timeout: float
) -> None:
    """The kernel completes the TCP handshake (listen backlog) but nobody ever answers the upgrade."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"ws://127.0.0.1:{silent.getsockname()[1]}"
        client = BybitSocketClient(
            urls={"inverse": url}, connect_timeout=connect_timeout, request_timeout=request_timeout
        )
        with client, pytest.raises(BybitConnectionError, match="cannot connect to"):
            client.inverse.subscribe_to_trade_updates("BTCUSD")


def test_exceptions_show_under_the_public_module() -> None:
    import bybit_ws

    for name in (
        "BybitWsError",
        "BybitConnectionError",
        "BybitTimeoutError",
        "SubscriptionError",
        "AuthenticationError",
        "ClientClosedError",
        "FrameError",
    ):
        error = getattr(bybit_ws, name)
        assert f"{error.__module__}.{error.__qualname__}" == f"bybit_ws.{name}"
        assert pickle.loads(pickle.dumps(error)) is error
    try:
        raise bybit_ws.BybitConnectionError("cannot connect")
    except bybit_ws.BybitConnectionError:
        shown = traceback.format_exc()
    assert shown.rstrip().endswith("bybit_ws.BybitConnectionError: cannot connect")


def test_help_shows_the_three_api_families() -> None:
    text = pydoc.plain(pydoc.render_doc(BybitSocketClient))
    assert re.search(r"\|  v5\n \|      v5 streams: the API live Bybit serves today", text)
    assert re.search(r"\|  inverse\n \|      Inverse Perpetual v2 streams", text)
    assert re.search(r"\|  contract\n \|      Derivatives v3 contract private streams", text)


def test_the_distribution_name_is_ours_everywhere_a_pip_install_is_written() -> None:
    """``bybit-ws`` on PyPI is an unrelated project: ours installs as ``bybit-ws-sync``."""
    root = Path(__file__).resolve().parents[1]
    config = configparser.ConfigParser()
    config.read(root / "setup.cfg")
    assert config["metadata"]["name"] == "bybit-ws-sync"
    files = [
        root / "README.md",
        *root.glob("docs/**/*.md"),
        *root.glob("bybit_ws/**/*.py"),
        *root.glob("examples/*.py"),
    ]
    installs = [
        (path.name, line.strip())
        for path in files
        for line in path.read_text().splitlines()
        if "pip install" in line
    ]
    assert any("bybit-ws-sync" in line for _, line in installs)
    for name, line in installs:
        for target in re.findall(r"pip install ([^\s`]+)", line):
            assert target.strip("'\"").startswith(("-e", "bybit-ws-sync")), (name, line)
