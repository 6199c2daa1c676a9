"""Fault tolerance: reconnects, retry limits, stale feeds, slow handlers, prompt shutdown, TLS, proxies."""

from __future__ import annotations

import gc
import logging
import os
import select
import signal
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from bybit_ws import (
    AuthenticationError,
    Backoff,
    BybitConnectionError,
    BybitSocketClient,
    BybitWsError,
    ClientClosedError,
    DataEvent,
)
from bybit_ws.testing import FakeBybit

from .support import API_KEY, API_SECRET, ClientFactory, Collector, wait_until

FAST = Backoff(initial=0.02, maximum=0.1, factor=2.0, jitter=0.1)
REPO = Path(__file__).resolve().parents[1]


def trade(seq: int) -> dict[str, Any]:
    return {
        "symbol": "BTCUSD",
        "side": "Buy",
        "size": 1,
        "price": "100",
        "trade_id": f"t{seq}",
        "cross_seq": seq,
    }


def _client_threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("bybit-ws")}


# ------------------------------------------------------------------------------------ reconnects
def test_refused_reconnects_back_off_then_recover(fake: FakeBybit, make_client: ClientFactory) -> None:
    client = make_client(backoff=FAST)
    got = Collector()
    restored = threading.Event()
    sub = client.inverse.subscribe_to_trade_updates("BTCUSD", got)
    sub.on_connection_restored(lambda downtime: restored.set())
    fake.refuse_connections(0.3)
    fake.drop_connections()
    fake.wait_for(lambda: fake.refused_total >= 2, timeout=5, message="refused reconnect attempts")
    assert restored.wait(5)
    fake.wait_for_subscribers("trade.BTCUSD", 1, timeout=3)
    fake.publish("trade.BTCUSD", [trade(1)])
    assert got.wait(1)[0].data[0].cross_sequence == 1


def test_retry_limit_gives_up_visibly(
    fake: FakeBybit, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(backoff=FAST, max_retries=2)
    closed = threading.Event()
    sub = client.inverse.subscribe_to_trade_updates("BTCUSD")
    sub.on_connection_closed(closed.set)
    fake.refuse_connections(60)
    fake.drop_connections()
    assert closed.wait(5)
    assert not sub.is_active
    assert list(sub) == []  # an iterating consumer's loop ends
    with pytest.raises(BybitConnectionError, match="gave up after 2 retries"):
        client.wait(timeout=5)
    assert any(r.levelno == logging.ERROR and "given up" in r.getMessage() for r in caplog.records)


def test_backoff_grows_and_is_capped() -> None:
    backoff = Backoff(initial=1.0, maximum=8.0, factor=2.0, jitter=0.0)
    assert [backoff.delay(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    jittered = Backoff(initial=1.0, maximum=8.0, factor=2.0, jitter=0.25)
    assert all(0.75 <= jittered.delay(1) <= 1.25 for _ in range(100))


def test_subscription_closed_during_an_outage_is_not_resubscribed(
    fake: FakeBybit, make_client: ClientFactory
) -> None:
    client = make_client(backoff=FAST)
    keep = client.inverse.subscribe_to_trade_updates("BTCUSD")
    gone = client.inverse.subscribe_to_trade_updates("ETHUSD")
    lost = threading.Event()
    restored = threading.Event()
    keep.on_connection_lost(lost.set)
    keep.on_connection_restored(lambda downtime: restored.set())
    fake.refuse_connections(0.3)
    fake.drop_connections()
    assert lost.wait(3)
    gone.close()  # during the outage: returns at once, nothing to send
    assert restored.wait(5)
    fake.wait_for_subscribers("trade.BTCUSD", 1, timeout=3)
    assert fake.subscriptions() == {"trade.BTCUSD": 1}
    assert keep.is_active and not gone.is_active


def test_rejected_reauthentication_gives_up(fake: FakeBybit, make_client: ClientFactory) -> None:
    client = make_client(api_key=API_KEY, api_secret=API_SECRET, backoff=FAST)
    closed = threading.Event()
    errors: list[BaseException] = []
    sub = client.inverse.subscribe_to_order_updates(Collector())
    sub.on_connection_closed(closed.set)
    sub.on_exception(errors.append)
    fake.reject_next("auth", "error:api key expired")
    fake.drop_connections()
    assert closed.wait(5)
    with pytest.raises(BybitConnectionError, match="api key expired"):
        client.wait(timeout=3)
    wait_until(lambda: len(errors) == 1, message="the rejection reported to the subscription")
    assert isinstance(errors[0], AuthenticationError)


def test_stale_feed_triggers_a_reconnect(fake: FakeBybit, make_client: ClientFactory) -> None:
    client = make_client(stale_timeout=0.3, ping_interval=0.05, backoff=FAST)
    restored = threading.Event()
    book = client.inverse.subscribe_to_order_book_updates("BTCUSD", 25, Collector(), Collector())
    book.on_connection_restored(lambda downtime: restored.set())
    fake.pause_data()  # pings are still answered: only the watchdog can notice
    assert restored.wait(5)
    fake.wait_for_subscribers("orderBookL2_25.BTCUSD", 1, timeout=3)
    assert fake.connections_total >= 2


def _wait_for_more_pings(fake: FakeBybit, more: int) -> None:
    def pings() -> int:
        return sum(f == {"op": "ping"} for f in fake.received)

    target = pings() + more
    fake.wait_for(lambda: pings() >= target, timeout=5)


def test_a_live_feed_never_trips_the_stale_watchdog(fake: FakeBybit, make_client: ClientFactory) -> None:
    # The reader only flags data; the watchdog must see the flag. Data comes every ~0.1 s (two pings)
    # for over five stale periods: the connection must stay the first one.
    client = make_client(stale_timeout=0.3, ping_interval=0.05)
    deltas = Collector()
    client.inverse.subscribe_to_order_book_updates("BTCUSD", 25, None, deltas)
    entry = {"price": "100.5", "symbol": "BTCUSD", "id": 1005000, "side": "Buy", "size": 7}
    for count in range(1, 17):
        fake.publish("orderBookL2_25.BTCUSD", {"delete": [], "update": [entry], "insert": []}, type="delta")
        deltas.wait(count)
        _wait_for_more_pings(fake, 2)
    assert fake.connections_total == 1
    assert len(deltas.events) == 16


def test_quiet_topics_do_not_trip_the_stale_watchdog(fake: FakeBybit, make_client: ClientFactory) -> None:
    client = make_client(stale_timeout=0.1, ping_interval=0.05)
    client.inverse.subscribe_to_trade_updates("BTCUSD")
    client.inverse.subscribe_to_liquidation_updates("BTCUSD")
    # several pings answered and many stale periods passed, still the first connection
    fake.wait_for(lambda: sum(f == {"op": "ping"} for f in fake.received) >= 10, timeout=5)
    assert fake.connections_total == 1


def test_a_slow_handler_never_delays_pongs(fake: FakeBybit, make_client: ClientFactory) -> None:
    client = make_client(ping_interval=0.05, pong_timeout=0.3, max_backlog=50)
    release = threading.Event()

    def slow(event: DataEvent[Any]) -> None:
        release.wait(2)

    sub = client.inverse.subscribe_to_trade_updates("BTCUSD", slow)
    for seq in range(200):
        fake.publish("trade.BTCUSD", [trade(seq)])
    fake.wait_for(lambda: sum(f == {"op": "ping"} for f in fake.received) >= 12, timeout=5)
    assert fake.connections_total == 1  # no pong was missed while the handler sat on its backlog
    assert sub.stats.backlog <= 50
    release.set()


# ------------------------------------------------------------------------------------ shutdown
def _in_thread(fn: Any) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_close_while_backing_off(fake: FakeBybit) -> None:
    client = BybitSocketClient(urls=fake.urls, backoff=Backoff(initial=30.0, maximum=30.0, jitter=0.0))
    sub = client.inverse.subscribe_to_trade_updates("BTCUSD")
    lost = threading.Event()
    sub.on_connection_lost(lost.set)
    fake.refuse_connections(60)
    fake.drop_connections()
    assert lost.wait(3)
    closer, _errors = _in_thread(client.close)
    closer.join(5)
    assert not closer.is_alive(), "close() blocked during a 30 s backoff"
    assert _client_threads() == set()


def test_close_while_the_handshake_hangs() -> None:
    with socket.socket() as silent:  # accepts TCP, never answers the HTTP upgrade
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"ws://127.0.0.1:{silent.getsockname()[1]}/realtime"
        client = BybitSocketClient(urls={"inverse": url}, connect_timeout=60, request_timeout=60)
        subscriber, errors = _in_thread(lambda: client.inverse.subscribe_to_trade_updates("BTCUSD"))
        wait_until(lambda: bool(select.select([silent], [], [], 0)[0]), message="the client to connect")
        wait_until(
            lambda: any(n.startswith("bybit-ws-supervisor") for n in _client_threads()), message="connecting"
        )
        closer, _ = _in_thread(client.close)
        closer.join(5)
        subscriber.join(5)
        assert not closer.is_alive() and not subscriber.is_alive()
        assert len(errors) == 1 and isinstance(errors[0], BybitWsError)
        assert _client_threads() == set()


def test_close_while_a_subscribe_waits_for_its_reply(fake: FakeBybit) -> None:
    client = BybitSocketClient(urls=fake.urls, request_timeout=60)
    client.inverse.subscribe_to_trade_updates("ETHUSD")
    fake.ignore_next("subscribe")
    subscriber, errors = _in_thread(lambda: client.inverse.subscribe_to_trade_updates("BTCUSD"))
    fake.wait_for(lambda: {"op": "subscribe", "args": ["trade.BTCUSD"]} in fake.received, timeout=3)
    client.close()
    subscriber.join(5)
    assert not subscriber.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], (ClientClosedError, BybitConnectionError))
    assert _client_threads() == set()


def _make_and_drop_client(url: str) -> None:
    client = BybitSocketClient(urls={"inverse": url})
    client.inverse.subscribe_to_trade_updates("BTCUSD")
    assert _client_threads()


def test_a_collected_client_stops_its_threads(fake: FakeBybit) -> None:
    """Re-running a notebook cell rebinds the name: the old client must not keep its connections."""
    with pytest.warns(ResourceWarning, match="unclosed BybitSocketClient"):
        _make_and_drop_client(fake.urls["inverse"])
        gc.collect()
    wait_until(lambda: _client_threads() == set(), message="the collected client's threads to end")
    fake.wait_for(lambda: fake.connection_count == 0, timeout=3)


CTRL_C_SCRIPT = """
import sys
from bybit_ws import BybitSocketClient
from bybit_ws.testing import FakeBybit
with FakeBybit("inverse") as fake:
    client = BybitSocketClient(urls=fake.urls)
    client.inverse.subscribe_to_trade_updates("BTCUSD", lambda event: None)
    try:
        print("ready", flush=True)
        client.wait()
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(3)
"""


def test_ctrl_c_gets_through_wait_at_once() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CTRL_C_SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # a child of a background job may inherit "ignore SIGINT": give it the default handler
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 3, err
    assert "interrupted" in out
    assert "Traceback" not in err and "Exception in thread" not in err


# ------------------------------------------------------------------------------------ TLS, proxy
@pytest.fixture(scope="module")
def tls() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_fake(tls: trustme.CA) -> Iterator[FakeBybit]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    with FakeBybit("inverse", ssl_context=context) as server:
        yield server


def test_tls_with_a_ca_bundle_and_large_frames(tls_fake: FakeBybit, tls: trustme.CA, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    tls.cert_pem.write_to_path(str(ca))
    assert tls_fake.urls["inverse"].startswith("wss://")
    with BybitSocketClient(urls=tls_fake.urls, sslopt={"ca_certs": str(ca)}, request_timeout=3) as client:
        got = Collector()
        client.inverse.subscribe_to_trade_updates("BTCUSD", got)
        big = [trade(seq) for seq in range(600)]  # ~50 KiB frames: several TLS records each
        for _ in range(5):
            tls_fake.publish("trade.BTCUSD", big)
        events = got.wait(5)
        assert all([t.cross_sequence for t in e.data] == list(range(600)) for e in events)


def test_tls_verification_is_on_by_default(tls_fake: FakeBybit) -> None:
    client = BybitSocketClient(urls=tls_fake.urls, request_timeout=3, reconnect=False)
    with client, pytest.raises(BybitConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        client.inverse.subscribe_to_trade_updates("BTCUSD")


class _ConnectProxy:
    """A minimal HTTP CONNECT proxy on 127.0.0.1 that counts the tunnels it opened."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.tunnels: list[str] = []
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._accept = threading.Thread(target=self._run, name="test-proxy", daemon=True)
        self._accept.start()

    def _run(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            thread = threading.Thread(
                target=self._tunnel, args=(client,), name="test-proxy-tunnel", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _tunnel(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                client.close()
                return
            head += chunk
        target = head.split(b" ")[1].decode()
        self.tunnels.append(target)
        host, port = target.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        self._sockets += [client, upstream]
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        pair = {client: upstream, upstream: client}
        try:
            while True:
                readable, _, _ = select.select(list(pair), [], [])
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    pair[sock].sendall(data)
        except OSError:
            return
        finally:
            client.close()
            upstream.close()

    def close(self) -> None:
        try:
            self.server.shutdown(socket.SHUT_RDWR)  # close() alone does not wake accept() on Linux
        except OSError:
            pass
        self.server.close()
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._accept.join(5)
        for thread in self._threads:
            thread.join(5)


def test_http_proxy_is_used(fake: FakeBybit) -> None:
    proxy = _ConnectProxy()
    try:
        client = BybitSocketClient(urls=fake.urls, proxy=f"http://127.0.0.1:{proxy.port}", request_timeout=3)
        with client:
            got = Collector()
            client.inverse.subscribe_to_trade_updates("BTCUSD", got)
            fake.publish("trade.BTCUSD", [trade(1)])
            got.wait(1)
        assert proxy.tunnels == [fake.url.split("//")[1]]
    finally:
        proxy.close()
