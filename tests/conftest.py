"""Shared fixtures: the fake exchange, clients that are always closed, and a thread-leak guard."""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bybit_ws import BybitSocketClient
from bybit_ws.testing import FakeBybit

from .services import RedisServer, free_port, redis_binary, wait_for_port
from .support import API_KEY, API_SECRET, ClientFactory, clients_for


def _library_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith(("bybit-ws", "bybit-fake"))}


@pytest.fixture(autouse=True)
def no_thread_left_behind() -> Iterator[None]:
    """Every test must end with no library or fake-exchange thread alive."""
    before = _library_threads()
    yield
    deadline = time.monotonic() + 5.0
    tick = threading.Event()
    while _library_threads() - before and time.monotonic() < deadline:
        tick.wait(0.01)
    left = sorted(t.name for t in _library_threads() - before)
    assert not left, f"threads left behind: {left}"


@pytest.fixture
def fake() -> Iterator[FakeBybit]:
    with FakeBybit("inverse", api_key=API_KEY, api_secret=API_SECRET) as server:
        yield server


@pytest.fixture
def make_client(fake: FakeBybit) -> Iterator[ClientFactory]:
    """Make clients pointed at ``fake`` with short test intervals; all are closed at teardown."""
    with clients_for(fake) as make:
        yield make


@pytest.fixture
def client(make_client: ClientFactory) -> BybitSocketClient:
    return make_client()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A fresh redis-server for one test (skipped with the reason where redis-server is missing)."""
    binary = redis_binary()
    if binary is None:
        pytest.skip("redis-server is not installed (Debian package redis-server; .ci/run installs it)")
    server = RedisServer(binary, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_server() -> Iterator[str]:
    """moto's standalone S3 server on 127.0.0.1 (a real HTTP server on a thread of this process): its
    endpoint URL. Any key and secret are accepted."""
    server_module = pytest.importorskip("moto.server", reason="moto[server] is not installed")
    port = free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, None, "moto server")
        yield endpoint
    finally:
        # moto keeps its buckets in the process, not in the server: empty them for the next test
        reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(reset, timeout=10):
            pass
        server.stop()
