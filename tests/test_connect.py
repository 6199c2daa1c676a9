"""The wire seen from real servers: the close handshake, the size limit and protocol errors on a live
connection, SOCKS5 and HTTP CONNECT proxies (pproxy, a real proxy in a subprocess), a proxy that never
answers, a handshake trickled a byte at a time (one deadline for the whole connect), ``ssl_context``."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from bybit_ws import Backoff, BybitConnectionError, BybitSocketClient, ClientClosedError
from bybit_ws.engine._connect import Connecting, open_socket, proxy_from_environment
from bybit_ws.engine._transport import TransportOptions
from bybit_ws.protocol.frames import TEXT, ClientProtocol
from bybit_ws.testing import FakeBybit

from .support import Collector, server_frame, wait_until
from .test_faults import trade
from .test_hostile import Background, RawServer

GOOD = b'{"topic":"trade.BTCUSD","data":[]}'
#: pproxy's main without uvloop (with uvloop installed, pproxy 2.7 fails to start on Python 3.11)
PPROXY = (
    "import sys; sys.modules['uvloop'] = None; sys.argv = ['pproxy', '-v', '-l', sys.argv[1]]; "
    "from pproxy.server import main; main()"
)


@pytest.fixture
def raw() -> Iterator[RawServer]:
    server = RawServer("inverse", "/realtime")
    try:
        yield server
    finally:
        server.close()


def subscribes(server: RawServer) -> int:
    return len([r for r in server.requests if r.get("op") == "subscribe"])


# ------------------------------------------------------------------------------------- close handshake
def test_close_sends_one_close_with_1000(raw: RawServer) -> None:
    client = BybitSocketClient(urls={"inverse": raw.url})
    client.inverse.subscribe_to_trade_updates("BTCUSD", Collector())
    client.close()
    raw.wait(lambda: raw.closes == [(1000).to_bytes(2, "big")], "the client's Close")
    raw.close()  # joins the server's reader: it saw the end of the stream, so nothing more can come
    assert raw.closes == [(1000).to_bytes(2, "big")]


def test_a_server_close_is_echoed_once_and_the_client_reconnects(raw: RawServer) -> None:
    with BybitSocketClient(urls={"inverse": raw.url}, backoff=Backoff(initial=0.05, jitter=0.0)) as client:
        client.inverse.subscribe_to_trade_updates("BTCUSD", Collector())
        payload = (1001).to_bytes(2, "big") + b"restarting"
        raw.send_close(payload)
        raw.wait(lambda: subscribes(raw) == 2, "the resubscribe on a new connection")
        assert raw.closes == [payload]  # the echo, with the server's code, once


# ---------------------------------------------------------------------------------- limits and errors
def test_a_frame_announcing_2_to_the_40_bytes_replaces_the_connection_with_memory_flat(
    raw: RawServer,
) -> None:
    got = Collector()
    with BybitSocketClient(urls={"inverse": raw.url}, backoff=Backoff(initial=0.05, jitter=0.0)) as client:
        client.inverse.subscribe_to_trade_updates("BTCUSD", got)
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            raw.send(server_frame(b"", TEXT, length=2**40))
            chunk = b"\0" * 65536
            try:
                for _ in range(512):  # 32 MiB of the announced payload, unless the client hangs up
                    raw.send(chunk)
            except OSError:
                pass
            raw.wait(lambda: subscribes(raw) == 2, "the resubscribe on a new connection")
            grown = tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()
        assert raw.closes[0][:2] == (1009).to_bytes(2, "big")
        assert grown < 8 * 2**20
        raw.send(server_frame(GOOD))
        got.wait(1)


def test_a_masked_server_frame_closes_with_1002_and_reconnects(raw: RawServer) -> None:
    with BybitSocketClient(urls={"inverse": raw.url}, backoff=Backoff(initial=0.05, jitter=0.0)) as client:
        client.inverse.subscribe_to_trade_updates("BTCUSD", Collector())
        raw.send(server_frame(GOOD, mask=b"\x01\x02\x03\x04"))
        raw.wait(lambda: subscribes(raw) == 2, "the resubscribe on a new connection")
        assert raw.closes[0][:2] == (1002).to_bytes(2, "big")


# ------------------------------------------------------------------------------------------- proxies
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def pproxy(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Start ``pproxy -v -l SCHEME://127.0.0.1:PORT[#user:pass]``; returns the proxy URL for the client.
    Its log (one line per tunnel) is ``tmp_path / "pproxy.log"``."""
    started: list[subprocess.Popen[bytes]] = []
    log = (tmp_path / "pproxy.log").open("wb")

    def start(listen: str) -> str:
        scheme, _, auth = listen.partition("#")
        port = free_port()
        listen_uri = f"{scheme}://127.0.0.1:{port}" + (f"#{auth}" if auth else "")
        command = [sys.executable, "-u", "-c", PPROXY, listen_uri]
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        started.append(process)

        def listening() -> bool:
            assert process.poll() is None, "pproxy exited"
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", port)) == 0

        wait_until(listening, timeout=20.0, message="pproxy listening")
        return f"{scheme}://{auth + '@' if auth else ''}127.0.0.1:{port}"

    try:
        yield start
    finally:
        for process in started:
            process.terminate()
            process.wait(10)
        log.close()


def streams_through_the_proxy(fake: FakeBybit, tmp_path: Path, **options: Any) -> None:
    """A subscription's event arrives, and pproxy's log shows the tunnel to the fake."""
    with BybitSocketClient(urls=fake.urls, request_timeout=5.0, connect_timeout=5.0, **options) as client:
        got = Collector()
        client.inverse.subscribe_to_trade_updates("BTCUSD", got)
        fake.publish("trade.BTCUSD", [trade(1)])
        assert got.wait(1)[0].data[0].cross_sequence == 1
    tunnel = f"-> {fake.url.split('//')[1]}"
    wait_until(lambda: tunnel in (tmp_path / "pproxy.log").read_text(), message="the tunnel in pproxy's log")


@pytest.mark.parametrize("listen", ["socks5", "socks5#trader:s3cret", "http", "http#trader:s3cret"])
def test_a_subscription_through_a_real_proxy(
    pproxy: Callable[[str], str], fake: FakeBybit, listen: str, tmp_path: Path
) -> None:
    proxy = pproxy(listen)
    streams_through_the_proxy(fake, tmp_path, proxy=proxy)


@pytest.mark.parametrize("scheme", ["socks5", "http"])
def test_a_wrong_proxy_password_is_refused(
    pproxy: Callable[[str], str], fake: FakeBybit, scheme: str
) -> None:
    proxy = pproxy(f"{scheme}#trader:s3cret").replace("s3cret", "wrong")
    client = BybitSocketClient(urls=fake.urls, proxy=proxy, connect_timeout=5.0, reconnect=False)
    with client, pytest.raises(BybitConnectionError):
        client.inverse.subscribe_to_trade_updates("BTCUSD")
    assert fake.connections_total == 0


def fails_at_the_deadline(url: str, connect_timeout: float, **options: Any) -> None:
    """A subscribe on a client of ``url`` fails with the connect deadline's error, long before 10 s."""
    client = BybitSocketClient(
        urls={"inverse": url},
        connect_timeout=connect_timeout,
        request_timeout=30.0,
        reconnect=False,
        **options,
    )
    started = time.monotonic()
    with client, pytest.raises(BybitConnectionError, match="connect_timeout"):
        client.inverse.subscribe_to_trade_updates("BTCUSD")
    assert time.monotonic() - started < 10.0


class Listener:
    """A TCP listener on 127.0.0.1 whose ``_run`` (its thread) serves what a test needs."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-listener", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.stop.set()
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        self._thread.join(5)
        for sock in self.accepted:
            sock.close()


class Silent(Listener):
    """Accepts and never says a word (a hung proxy or server)."""

    def _run(self) -> None:
        while True:
            try:
                self.accepted.append(self.listener.accept()[0])
            except OSError:
                return


@pytest.fixture
def silent() -> Iterator[Silent]:
    server = Silent()
    try:
        yield server
    finally:
        server.close()


@pytest.mark.parametrize("scheme", ["socks5", "http"])
def test_a_proxy_that_never_answers_fails_within_connect_timeout(silent: Silent, scheme: str) -> None:
    # 1 s deadline; python-socks alone would wait 60 s
    fails_at_the_deadline("ws://127.0.0.1:9/realtime", 1.0, proxy=f"{scheme}://127.0.0.1:{silent.port}")


@pytest.mark.parametrize("scheme", ["socks5", "http"])
def test_close_while_a_proxy_never_answers_is_prompt(silent: Silent, scheme: str) -> None:
    proxy = f"{scheme}://127.0.0.1:{silent.port}"
    client = BybitSocketClient(
        urls={"inverse": "ws://127.0.0.1:9/realtime"}, proxy=proxy, connect_timeout=60.0, request_timeout=60.0
    )
    try:
        call = Background(lambda: client.inverse.subscribe_to_trade_updates("BTCUSD"))
        wait_until(lambda: bool(silent.accepted), message="the client at the proxy")
        started = time.monotonic()
        client.close()
        assert time.monotonic() - started < 10.0, "close() waited for the hanging proxy"
        with pytest.raises(ClientClosedError):
            call.result()
    finally:
        client.close()


# ---------------------------------------------------------------------------------- the one deadline
class Trickle(Listener):
    """Accepts, reads the upgrade request, then answers one byte every 0.5 s (a 101 that never ends)."""

    sent = 0

    def _run(self) -> None:
        try:
            sock = self.listener.accept()[0]
        except OSError:
            return
        self.accepted.append(sock)
        answer = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" + b"X-Pad: " + b"." * 200
        try:
            sock.recv(4096)
            for byte in answer:
                sock.sendall(bytes([byte]))
                self.sent += 1
                if self.stop.wait(0.5):  # the server's pace, not the test's synchronization
                    return
        except OSError:
            return


def test_a_trickled_handshake_fails_at_the_one_deadline() -> None:
    trickle = Trickle()
    try:
        # each byte comes well within any per-read timeout: only the one deadline stops it
        fails_at_the_deadline(f"ws://127.0.0.1:{trickle.port}/realtime", 2.0)
        assert trickle.sent >= 2
    finally:
        trickle.close()


# ---------------------------------------------------------------------------------------------- TLS
def test_ssl_context_is_used() -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with FakeBybit("inverse", ssl_context=server_context) as fake:
        with BybitSocketClient(urls=fake.urls, ssl_context=client_context, request_timeout=3) as client:
            client.inverse.subscribe_to_trade_updates("BTCUSD", Collector())
        assert fake.connections_total == 1


def test_bad_connection_options_are_refused_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match="sslopt"):
        BybitSocketClient(sslopt={"ca_cert": "typo.pem"})
    with pytest.raises(ValueError, match="proxy type"):
        BybitSocketClient(proxy="ftp://127.0.0.1:21")
    with pytest.raises(ValueError, match="max_message_size"):
        BybitSocketClient(max_message_size=0)
    with pytest.raises(ValueError, match="not both"):
        BybitSocketClient(sslopt={"ca_certs": "a.pem"}, ssl_context=ssl.create_default_context())


def test_a_host_name_is_resolved_and_each_address_tried(fake: FakeBybit) -> None:
    """``localhost`` goes through the DNS helper (and may give ::1 first, where nobody listens)."""
    url = fake.url.replace("127.0.0.1", "localhost")
    with BybitSocketClient(urls={"inverse": url}, request_timeout=5.0) as client:
        client.inverse.subscribe_to_trade_updates("BTCUSD", Collector())
    assert fake.connections_total == 1


def test_a_proxy_password_is_never_shown() -> None:
    options = TransportOptions(proxy="socks5://trader:s3cret@127.0.0.1:1080")
    mapping = TransportOptions(
        proxy={"proxy_type": "http", "http_proxy_host": "h", "http_proxy_auth": ("trader", "s3cret")}
    )
    assert options.proxy is not None and mapping.proxy is not None
    assert (options.proxy.scheme, options.proxy.username, options.proxy.password) == (
        "socks5",
        "trader",
        "s3cret",
    )
    assert "s3cret" not in repr(options.proxy) + repr(mapping.proxy)


class _TimerFiresLate(Connecting):
    """The deadline timer firing in the last instant, after the handshake and before the connect lets go
    of its socket (``Timer.cancel`` cannot stop a timer already running): the window the old code had."""

    __slots__ = ()

    def release(self) -> None:
        self.expire()
        super().release()


def test_a_deadline_timer_firing_after_the_handshake_leaves_the_connection_up(fake: FakeBybit) -> None:
    connecting = _TimerFiresLate()
    sock = open_socket(connecting, fake.urls["inverse"], TransportOptions(connect_timeout=5.0), "late-timer")
    try:
        assert not connecting.timed_out
        core = ClientProtocol()
        core.send_text(b'{"op":"ping"}')
        sock.settimeout(5.0)
        for data in core.data_to_send():
            sock.sendall(data)
        events: list[Any] = []
        while not events:  # a shut-down socket reads b"" at once: the old code failed here
            data = sock.recv(65536)
            assert data, "the socket of a finished handshake was shut down by the late deadline timer"
            core.receive_data(data)
            events = core.events_received()
        assert b"pong" in events[0]
    finally:
        sock.close()


# ------------------------------------------------------------------------------- proxies from the env
@pytest.mark.parametrize(
    ("environ", "host", "secure", "expected"),
    [
        ({}, "stream.bybit.com", True, None),
        ({"https_proxy": "http://p:3128"}, "stream.bybit.com", True, "Proxy(http://p:3128)"),
        ({"HTTPS_PROXY": "socks5://u:pw@p:1080"}, "stream.bybit.com", True, "Proxy(socks5://u:***@p:1080)"),
        ({"https_proxy": "https://p:3128"}, "stream.bybit.com", True, "Proxy(http://p:3128)"),
        ({"https_proxy": "p:3128"}, "stream.bybit.com", True, "Proxy(http://p:3128)"),
        ({"https_proxy": "http://p:3128"}, "stream.bybit.com", False, None),  # ws:// reads http_proxy
        ({"http_proxy": "http://p:3128"}, "stream.bybit.com", False, "Proxy(http://p:3128)"),
        ({"https_proxy": "http://p:3128"}, "localhost", True, None),  # no no_proxy: local hosts direct
        ({"https_proxy": "http://p:3128"}, "127.0.0.1", True, None),
        ({"https_proxy": "http://p:3128", "no_proxy": "bybit.com"}, "stream.bybit.com", True, None),
        ({"https_proxy": "http://p:3128", "no_proxy": ".bybit.com"}, "stream.bybit.com", True, None),
        ({"https_proxy": "http://p:3128", "NO_PROXY": "*"}, "stream.bybit.com", True, None),
        ({"https_proxy": "http://p:3128", "no_proxy": "10.0.0.0/8"}, "10.1.2.3", True, None),
        (
            {"https_proxy": "http://p:3128", "no_proxy": "10.0.0.0/8"},
            "11.1.2.3",
            True,
            "Proxy(http://p:3128)",
        ),
        (
            {"https_proxy": "http://p:3128", "no_proxy": "ybit.com"},
            "stream.bybit.com",
            True,
            "Proxy(http://p:3128)",
        ),
        (
            {"https_proxy": "http://p:3128", "no_proxy": "other.com"},
            "127.0.0.1",
            True,
            "Proxy(http://p:3128)",
        ),
    ],
)
def test_the_proxy_the_environment_names(
    environ: dict[str, str], host: str, secure: bool, expected: str | None
) -> None:
    proxy = proxy_from_environment(host, secure, environ)
    assert (None if proxy is None else repr(proxy)) == expected


def test_a_subscription_through_the_environments_proxy(
    pproxy: Callable[[str], str], fake: FakeBybit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("http_proxy", pproxy("http"))
    monkeypatch.setenv("no_proxy", "example.com")  # not 127.0.0.1: the fake is reached through the proxy
    streams_through_the_proxy(fake, tmp_path)


def test_the_environments_proxy_is_not_used_for_the_local_fake(
    pproxy: Callable[[str], str], fake: FakeBybit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("http_proxy", pproxy("http"))
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    with BybitSocketClient(urls=fake.urls, request_timeout=5.0, connect_timeout=5.0) as client:
        client.inverse.subscribe_to_trade_updates("BTCUSD", Collector())
    assert fake.connections_total == 1
    assert "->" not in (tmp_path / "pproxy.log").read_text()


# ------------------------------------------------------------------------------ a DNS that never answers
_SLOW_DNS_CHILD = """
import json, socket, sys, threading, time
from bybit_ws import BybitConnectionError, BybitSocketClient

dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # the name server resolv.conf names: it swallows
dns.bind(("127.0.0.1", 53))
queries = []
asked = threading.Condition()
def swallow():
    while True:
        query = dns.recvfrom(4096)
        with asked:
            queries.append(query)
            asked.notify_all()
threading.Thread(target=swallow, daemon=True).start()
url = {"v5.linear": "ws://stream.slow-dns.example:9/v5/public/linear"}
result = {}

started = time.monotonic()
client = BybitSocketClient(urls=url, connect_timeout=1.0, request_timeout=30.0, reconnect=False)
try:
    client.v5.subscribe_to_trade_updates("linear", "BTCUSDT")
except BybitConnectionError as exc:
    result["error"] = str(exc)
result["failed_after"] = time.monotonic() - started
client.close()

before = len(queries)
client = BybitSocketClient(urls=url, connect_timeout=60.0, request_timeout=60.0)
def subscribe():
    client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", lambda e: None)
waiter = threading.Thread(target=subscribe, daemon=True)
waiter.start()
with asked:  # the second client's lookup is under way: its first query reached the server
    asked.wait_for(lambda: len(queries) > before, timeout=10)
started = time.monotonic()
client.close()
result["close_took"] = time.monotonic() - started
waiter.join(10)
result["subscribe_returned"] = not waiter.is_alive()
result["queries"] = len(queries)
print(json.dumps(result))
"""


def test_a_dns_lookup_that_never_answers_fails_at_the_deadline_and_close_is_prompt(tmp_path: Path) -> None:
    """In a mount namespace whose resolv.conf names a server on 127.0.0.1 that swallows every query (a
    real resolver lookup that hangs, no mock): the connect fails at ``connect_timeout``, and ``close()``
    during the lookup returns at once, while the lookup itself would wait the resolver's 30 s."""
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"no mount namespace here (unshare: {probe.stderr.decode(errors='replace').strip()})")
    conf = tmp_path / "resolv.conf"
    conf.write_text("nameserver 127.0.0.1\noptions timeout:30 attempts:1\n")
    command = f'mount --bind {conf} /etc/resolv.conf && exec {sys.executable} -c "$0"'
    done = subprocess.run(
        ["unshare", "--mount", "sh", "-c", command, _SLOW_DNS_CHILD],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "connect_timeout" in result["error"]
    assert result["queries"] >= 1  # the lookups reached the swallowing server: they were really pending
    assert result["failed_after"] < 10  # the 1 s deadline, not the resolver's 30 s
    assert result["close_took"] < 10
    assert result["subscribe_returned"]
