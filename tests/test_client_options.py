"""ClientOptions: the client's options checked in one place, before anything connects."""

from __future__ import annotations

from typing import Any

import pytest

from bybit_ws import BybitSocketClient
from bybit_ws.engine._config import Backoff, ClientOptions

BAD: list[tuple[dict[str, Any], str]] = [
    ({"workers": 0}, "workers must be at least 1"),
    ({"max_backlog": 0}, "max_backlog must be at least 1"),
    ({"ping_interval": 0}, "ping_interval must be positive"),
    ({"pong_timeout": -1.0}, "pong_timeout must be positive"),
    ({"request_timeout": float("nan")}, "request_timeout must be positive"),
    ({"connect_timeout": 0.0}, "connect_timeout must be positive"),
    ({"demo": True, "testnet": True}, "demo and testnet exclude each other"),
    ({"recv_window": 0}, "recv_window must be a positive number"),
    ({"recv_window": 5000.5}, "recv_window must be a positive number"),
    ({"max_active_time": 29}, "max_active_time must be whole seconds from 30 to 600"),
    ({"max_active_time": 60.5}, "max_active_time must be whole seconds from 30 to 600"),
    ({"region": "tr", "testnet": True}, "region picks a local site's mainnet host"),
    ({"region": "tr", "demo": True}, "region picks a local site's mainnet host"),
    ({"order_rate_limit": "fast"}, "order_rate_limit"),
]


@pytest.mark.parametrize(("options", "message"), BAD)
def test_a_bad_option_is_a_value_error_from_the_options_and_from_the_client(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        ClientOptions(**options)
    with pytest.raises(ValueError, match=message):
        BybitSocketClient(**options)


def test_the_connection_config_carries_the_options() -> None:
    backoff = Backoff(initial=1.0)
    options = ClientOptions(
        ping_interval=5.0,
        pong_timeout=2.0,
        request_timeout=3.0,
        connect_timeout=4.0,
        stale_timeout=0,
        reconnect=False,
        max_retries=2,
        backoff=backoff,
        keep_original_data=True,
        max_backlog=7,
        max_message_size=1024,
        proxy="http://user:pw@proxy:3128",
        max_active_time=60,
        order_rate_limit=True,
    )
    config = options.connection_config()
    assert (config.ping_interval, config.pong_timeout, config.request_timeout) == (5.0, 2.0, 3.0)
    assert config.stale_timeout is None  # 0 turns the watchdog off
    assert (config.reconnect, config.max_retries, config.backoff) == (False, 2, backoff)
    assert (config.keep_original_data, config.max_backlog) == (True, 7)
    transport = config.transport
    assert (transport.connect_timeout, transport.send_timeout, transport.max_message_size) == (4.0, 3.0, 1024)
    assert options.active_time == "60s"
    assert options.order_rate_limit is not None and set(options.order_rate_limit) >= {"linear", "spot"}
    assert "pw" not in repr(options)  # a proxy URL may hold a password
    assert ClientOptions().connection_config().backoff == Backoff()
