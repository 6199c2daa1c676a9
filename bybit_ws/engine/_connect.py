"""Opening a websocket with public APIs only, under one deadline that ``close()`` can cut short.

DNS (``getaddrinfo`` on a daemon helper thread nobody waits for past the deadline), the TCP connect
(non-blocking, on a socket that is ours from its creation), the proxy (HTTP CONNECT written here; SOCKS
through python-socks, extra ``[socks]``, on that same socket), TLS (``SSLContext.wrap_socket`` with
``server_hostname``) and websocket-client's opening handshake (``WebSocket.connect(url, socket=...)``,
redirects off) share ONE deadline, ``connect_timeout``: a timer shuts the socket down when it passes, so
a server that trickles its answer a byte at a time fails then, not per step. :meth:`Connecting.abort`
(another thread's ``close()``) fails whichever step is under way at once.
"""

from __future__ import annotations

import base64
import errno
import ipaddress
import os
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import websocket

from bybit_ws.protocol.frames import DEFAULT_MAX_MESSAGE_SIZE

__all__ = [
    "DEFAULT_NO_PROXY",
    "Connecting",
    "ProxyError",
    "TransportOptions",
    "abort_socket",
    "open_socket",
    "proxy_from_environment",
]

#: connect_ex results of a non-blocking connect under way (Windows: WSAEWOULDBLOCK)
_IN_PROGRESS = frozenset({0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, 10035})
_SOCKET_OPTIONS = ((socket.SOL_TCP, socket.TCP_NODELAY, 1),)
_PROXY_SCHEMES = ("http", "socks4", "socks4a", "socks5", "socks5h")
_SSLOPT_KEYS = frozenset(
    {"cert_reqs", "ca_certs", "ca_cert_path", "certfile", "keyfile", "password", "ciphers", "check_hostname"}
)


class HandshakeRefusedError(ConnectionError):
    """The server answered the websocket handshake with an HTTP error (a wrong path, an endpoint of
    another API, a proxy refusing): one line with the status, not websocket-client's header dump."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(status, reason)
        self.status = status
        self.reason = reason

    def __str__(self) -> str:
        hint = (
            " (no websocket endpoint at this path: is it the right URL for this API?)"
            if self.status == 404
            else ""
        )
        return f"the server answered HTTP {self.status} {self.reason} instead of a websocket handshake{hint}"

    @classmethod
    def of(cls, exc: websocket.WebSocketBadStatusException) -> HandshakeRefusedError:
        """From websocket-client's exception."""
        status = int(exc.status_code)
        reason = str(getattr(exc, "status_message", None) or "").strip()
        return cls(status, reason or "error")


class ProxyError(ConnectionError):
    """The proxy refused the tunnel or answered with something else than HTTP."""


class Proxy:
    """Where to tunnel through: ``scheme`` is http, socks4, socks4a, socks5 or socks5h (the proxy
    resolves names). The password never appears in the repr."""

    __slots__ = ("host", "no_proxy", "password", "port", "scheme", "username")

    def __init__(self, proxy: Mapping[str, Any] | str) -> None:
        if isinstance(proxy, str):
            parts = urlsplit(proxy if "//" in proxy else f"http://{proxy}")
            scheme, host, port = parts.scheme or "http", parts.hostname, parts.port
            username = unquote(parts.username) if parts.username else None
            password = unquote(parts.password or "") if parts.username else None
            no_proxy: tuple[str, ...] = ()
        else:
            scheme = str(proxy.get("proxy_type") or "http")
            host, port = proxy.get("http_proxy_host"), proxy.get("http_proxy_port")
            auth = proxy.get("http_proxy_auth")
            username, password = (str(auth[0]), str(auth[1])) if auth else (None, None)
            no_proxy = tuple(proxy.get("http_no_proxy") or ())
        if scheme not in _PROXY_SCHEMES:
            raise ValueError(f"unknown proxy type {scheme!r}; one of {', '.join(_PROXY_SCHEMES)}")
        if not host:
            raise ValueError("a proxy needs a host")
        self.scheme = scheme
        self.host = str(host)
        self.port = int(port) if port else (8080 if scheme == "http" else 1080)
        self.username = username
        self.password = password
        self.no_proxy = no_proxy

    def __repr__(self) -> str:
        user = f"{self.username}:***@" if self.username is not None else ""
        return f"Proxy({self.scheme}://{user}{self.host}:{self.port})"


#: the hosts an environment proxy skips while ``no_proxy`` / ``NO_PROXY`` is unset or empty
DEFAULT_NO_PROXY = ("localhost", "127.0.0.1", "::1")


def proxy_from_environment(host: str, secure: bool, environ: Mapping[str, str]) -> Proxy | None:
    """The proxy the environment names for ``host``, as websocket-client (and so pybit) reads it: for
    ``wss://`` ``https_proxy`` / ``HTTPS_PROXY``, for ``ws://`` ``http_proxy`` / ``HTTP_PROXY`` (its scheme:
    http unless it names a SOCKS one); ``None`` when neither is set or ``no_proxy`` / ``NO_PROXY`` covers
    ``host`` (comma-separated: ``*``, a host, a domain and its subdomains (``example.com`` or
    ``.example.com``), an IP network ``10.0.0.0/8``). With no ``no_proxy``, local hosts are skipped
    (:data:`DEFAULT_NO_PROXY`), so the bundled fake exchange is reached directly."""
    key = "https_proxy" if secure else "http_proxy"
    value = (environ.get(key) or environ.get(key.upper()) or "").strip()
    if not value:
        return None
    skip = (environ.get("no_proxy") or environ.get("NO_PROXY") or "").replace(" ", "")
    entries = [entry for entry in skip.split(",") if entry] or list(DEFAULT_NO_PROXY)
    if _skips(host, entries):
        return None
    scheme, sep, rest = value.partition("://")
    return Proxy(f"http://{rest}" if sep and scheme.lower() == "https" else value)  # as websocket-client


def _skips(host: str, entries: list[str]) -> bool:
    """Whether a ``no_proxy`` list covers ``host``."""
    host = host.lower().strip("[]")
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for given in entries:
        entry = given.lower().strip("[]")
        if entry in ("*", host):
            return True
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
        elif host.endswith("." + entry.lstrip(".")):
            return True
    return False


class TransportOptions:
    """Connection options: ``connect_timeout`` (the one deadline of a connect), ``send_timeout``,
    ``sslopt`` (websocket-client's TLS option names) or ``ssl_context``, ``proxy``, ``max_message_size``."""

    __slots__ = (
        "_context",
        "connect_timeout",
        "max_message_size",
        "proxy",
        "send_timeout",
        "ssl_context",
        "sslopt",
    )

    def __init__(
        self,
        *,
        connect_timeout: float = 10.0,
        send_timeout: float = 10.0,
        sslopt: Mapping[str, Any] | None = None,
        proxy: Mapping[str, Any] | str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
    ) -> None:
        if sslopt and ssl_context is not None:
            raise ValueError("give sslopt or ssl_context, not both")
        unknown = set(sslopt or ()) - _SSLOPT_KEYS
        if unknown:
            raise ValueError(
                f"unknown sslopt keys {sorted(unknown)}; known: {', '.join(sorted(_SSLOPT_KEYS))}"
            )
        if not (isinstance(max_message_size, int) and max_message_size > 0):
            raise ValueError(f"max_message_size must be a positive number of bytes, not {max_message_size!r}")
        self.connect_timeout = connect_timeout
        self.send_timeout = send_timeout
        self.sslopt = dict(sslopt) if sslopt else None
        self.ssl_context = ssl_context
        self.proxy = Proxy(proxy) if proxy is not None else None
        self.max_message_size = max_message_size
        self._context: ssl.SSLContext | None = ssl_context

    def tls_context(self) -> ssl.SSLContext:
        """The TLS context: ``ssl_context``, or one made once from ``sslopt`` (verification on unless
        ``cert_reqs`` turns it off, as websocket-client does it)."""
        context = self._context
        if context is None:
            context = self._context = _context_from_sslopt(self.sslopt or {})
        return context


def _context_from_sslopt(sslopt: Mapping[str, Any]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if sslopt.get("ca_certs") or sslopt.get("ca_cert_path"):
        context.load_verify_locations(cafile=sslopt.get("ca_certs"), capath=sslopt.get("ca_cert_path"))
    else:
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)
    cert_reqs = sslopt.get("cert_reqs", ssl.CERT_REQUIRED)
    context.check_hostname = bool(sslopt.get("check_hostname", cert_reqs != ssl.CERT_NONE))
    context.verify_mode = cert_reqs
    if sslopt.get("certfile"):
        context.load_cert_chain(sslopt["certfile"], sslopt.get("keyfile"), sslopt.get("password"))
    if sslopt.get("ciphers"):
        context.set_ciphers(sslopt["ciphers"])
    return context


class Connecting:
    """A connect under way: :meth:`abort` (any thread) fails it at once, at any step; :meth:`expire`
    (the deadline timer) fails it with ``TimeoutError``."""

    __slots__ = ("_done", "_handle", "_lock", "_wake", "aborted", "timed_out")

    def __init__(self) -> None:
        self.aborted = False
        self.timed_out = False
        self._done = False  # finish() ran: a late abort() or expire() leaves the connection alone
        self._lock = threading.Lock()
        self._wake = threading.Event()  # set by abort() and by the DNS helper when it has an answer
        #: a duplicate of the socket being connected: shut down by abort(); TLS wrapping detaches
        #: the original socket object, the duplicate still reaches the connection
        self._handle: socket.socket | None = None

    def resolve(self, host: str, port: int, deadline: float) -> list[Any]:
        """``getaddrinfo`` that gives up at ``deadline`` or on :meth:`abort` (the lookup goes on in its
        daemon thread, unwaited for); an IP address needs no lookup."""
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
        answer: list[Any] = []
        wake = self._wake

        def lookup() -> None:
            try:
                answer.append(socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM))
            except OSError as exc:
                answer.append(exc)
            wake.set()

        threading.Thread(target=lookup, name=f"bybit-ws-dns-{host}", daemon=True).start()
        while not answer:
            self.check()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no DNS answer for {host} in time")
            wake.wait(remaining)
            wake.clear()
        self.check()
        result = answer[0]
        if isinstance(result, OSError):
            raise result
        return list(result)

    def dial(self, addresses: list[Any], deadline: float) -> socket.socket:
        """A TCP socket connected to the first address that answers, cancellable from the moment its
        connect starts; blocking, with the time left as its timeout."""
        error: OSError | None = None
        for family, kind, proto, _name, address in addresses:
            sock = socket.socket(family, kind, proto)
            try:
                for option in _SOCKET_OPTIONS:
                    sock.setsockopt(*option)
                sock.setblocking(False)
                code = sock.connect_ex(address)  # the connect is under way once this returns
                self._own(sock)
                if code not in _IN_PROGRESS:
                    raise OSError(code, os.strerror(code))
                with selectors.DefaultSelector() as selector:
                    selector.register(sock, selectors.EVENT_WRITE)
                    if not selector.select(max(0.0, deadline - time.monotonic())):
                        raise TimeoutError("timed out")
                self.check()
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code:
                    raise OSError(code, os.strerror(code))
                sock.settimeout(max(0.001, deadline - time.monotonic()))
                return sock
            except OSError as exc:
                sock.close()
                self.release()
                self.check()
                error = exc
        raise error if error is not None else OSError(f"no address to connect to: {addresses}")

    def _own(self, sock: socket.socket) -> None:
        with self._lock:
            self.check()
            self._handle = sock.dup()

    def check(self) -> None:
        """Raise if the connect was cancelled (``ConnectionAbortedError``) or ran out of time."""
        if self.timed_out:
            raise TimeoutError("connect timed out")
        if self.aborted:
            raise ConnectionAbortedError("connect cancelled")

    def finish(self) -> None:
        """The handshake is done: from now on :meth:`abort` and :meth:`expire` do nothing, so a deadline
        timer firing late (``Timer.cancel`` cannot stop one already running) never shuts down the socket
        of a connection that is up. Raises as :meth:`check` if either came first."""
        with self._lock:
            self.check()
            self._done = True
        self.release()

    def release(self) -> None:
        """The connect is over (done or failed): drop the duplicate socket."""
        with self._lock:
            handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()

    def abort(self) -> None:
        """Cancel: any blocking step (DNS, TCP connect, proxy, TLS, handshake) fails at once."""
        self._stop(timed_out=False)

    def expire(self) -> None:
        """The deadline passed: the step under way fails with ``TimeoutError``."""
        self._stop(timed_out=True)

    def _stop(self, timed_out: bool) -> None:
        with self._lock:
            if self.aborted or self.timed_out or self._done:
                return
            if timed_out:
                self.timed_out = True
            else:
                self.aborted = True
            handle = self._handle
            if handle is not None:
                shutdown(handle)
        self._wake.set()


def abort_socket(connecting: Connecting) -> None:
    """Cancel a connect in progress from another thread (the connect or handshake fails at once)."""
    connecting.abort()


def shutdown(sock: socket.socket) -> None:
    """Shut a socket down both ways (unblocks a thread reading it); errors ignored."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def open_socket(connecting: Connecting, url: str, options: TransportOptions, name: str) -> socket.socket:
    """The socket of a websocket connection to ``url``, after its opening handshake.

    Raises ``TimeoutError`` when ``options.connect_timeout`` ran out (at whichever step),
    ``ConnectionAbortedError`` once :meth:`Connecting.abort` cancelled it, :class:`ProxyError`,
    ``ssl.SSLError``, websocket-client's handshake errors or other ``OSError``.
    """
    timeout = options.connect_timeout
    deadline = time.monotonic() + timeout
    timer = threading.Timer(timeout, connecting.expire)
    timer.name = f"bybit-ws-connect-deadline-{name}"
    timer.daemon = True
    timer.start()
    try:
        parts = urlsplit(url)
        secure = parts.scheme == "wss"
        host = parts.hostname or ""
        port = parts.port or (443 if secure else 80)
        proxy = options.proxy
        if proxy is None:
            proxy = proxy_from_environment(host, secure, os.environ)
        elif host in proxy.no_proxy:
            proxy = None
        hop = (proxy.host, proxy.port) if proxy is not None else (host, port)
        sock = connecting.dial(connecting.resolve(*hop, deadline), deadline)
        try:
            if proxy is not None and proxy.scheme == "http":
                _http_tunnel(sock, host, port, proxy)
            elif proxy is not None:
                if proxy.scheme == "socks4":  # no names over SOCKS4: resolved here, within the deadline
                    found = connecting.resolve(host, port, deadline)
                    host_ip = next((a[4][0] for a in found if a[0] == socket.AF_INET), found[0][4][0])
                    sock = _socks_tunnel(sock, host_ip, port, proxy, deadline)
                else:
                    sock = _socks_tunnel(sock, host, port, proxy, deadline)
            if secure:
                sock = options.tls_context().wrap_socket(sock, server_hostname=host)
            connecting.check()
            ws = websocket.WebSocket(skip_utf8_validation=True)
            remaining = max(0.001, deadline - time.monotonic())
            ws.connect(url, socket=sock, timeout=remaining, redirect_limit=0)  # type: ignore[no-untyped-call]
            connecting.finish()
        except BaseException:
            sock.close()
            raise
    except websocket.WebSocketBadStatusException as exc:
        raise HandshakeRefusedError.of(exc) from None
    except Exception as exc:
        if connecting.timed_out or (isinstance(exc, TimeoutError) and time.monotonic() >= deadline):
            raise TimeoutError(f"no connection to {url} within connect_timeout ({timeout} s)") from exc
        if connecting.aborted:
            raise ConnectionAbortedError("connect cancelled") from None
        raise
    finally:
        timer.cancel()
        connecting.release()
    return sock


def _http_tunnel(sock: socket.socket, host: str, port: int, proxy: Proxy) -> None:
    """An HTTP CONNECT tunnel to ``host:port`` through the proxy ``sock`` is connected to."""
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    request = f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n"
    if proxy.username is not None:
        token = base64.b64encode(f"{proxy.username}:{proxy.password or ''}".encode()).decode()
        request += f"Proxy-Authorization: Basic {token}\r\n"
    sock.sendall(f"{request}\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        # peek, then take exactly the proxy's answer: what follows it belongs to the tunnel
        peeked = sock.recv(4096, socket.MSG_PEEK)
        if not peeked:
            raise ProxyError(f"the proxy {proxy.host}:{proxy.port} closed the connection")
        end = (head + peeked).find(b"\r\n\r\n")
        take = len(peeked) if end < 0 else end + 4 - len(head)
        head += sock.recv(take)
        if len(head) > 65536:
            raise ProxyError(f"the proxy {proxy.host}:{proxy.port} sent an endless answer")
    status = head.split(b"\r\n", 1)[0].decode("latin-1")
    fields = status.split(" ", 2)
    if len(fields) < 2 or not fields[0].startswith("HTTP/") or fields[1] != "200":
        raise ProxyError(f"the proxy {proxy.host}:{proxy.port} refused the tunnel to {target}: {status!r}")


def _socks_tunnel(sock: socket.socket, host: str, port: int, proxy: Proxy, deadline: float) -> socket.socket:
    """A SOCKS tunnel through python-socks on our socket (so :meth:`Connecting.abort` reaches it)."""
    try:
        from python_socks import ProxyType
        from python_socks.sync import Proxy as SocksProxy
    except ImportError:
        raise ImportError("SOCKS proxies need python-socks: pip install 'bybit-ws-sync[socks]'") from None
    kind = ProxyType.SOCKS5 if proxy.scheme.startswith("socks5") else ProxyType.SOCKS4
    rdns = True if proxy.scheme in ("socks5h", "socks4a") else None  # socks5: the proxy resolves too
    socks = SocksProxy(kind, proxy.host, proxy.port, proxy.username, proxy.password, rdns=rdns)
    remaining = max(0.001, deadline - time.monotonic())
    return socks.connect(host, port, timeout=remaining, _socket=sock)
