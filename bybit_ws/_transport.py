"""One websocket connection and its reader thread. Moves text frames; knows nothing of Bybit.

websocket-client does the handshake and the framing; this module opens the TCP socket itself (so
another thread can cancel a connect that hangs), feeds websocket-client's frame parser from large
buffered socket reads (plain ``recv`` makes about three small reads per frame, each handing the GIL
over), reassembles fragmented messages and runs the reader loop on a named thread.
"""

from __future__ import annotations

import errno
import logging
import os
import selectors
import socket
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

import websocket
from websocket import _http
from websocket._abnf import ABNF, frame_buffer
from websocket._socket import DEFAULT_SOCKET_OPTION
from websocket._url import parse_url

_log = logging.getLogger(__name__)

__all__ = ["Connecting", "HandshakeRefusedError", "Transport", "TransportOptions", "abort_socket"]

_READ_SIZE = 256 * 1024
#: the largest fragmented message reassembled; a server sending more is cut off (a protocol error)
MAX_MESSAGE = 64 * 1024 * 1024
_CLOSE_GRACE = 1.0
#: connect_ex results of a non-blocking connect under way (Windows: WSAEWOULDBLOCK)
_IN_PROGRESS = frozenset({0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, 10035})
_now = datetime.now
_utc = timezone.utc

#: ``on_frame(data, received)``: a frame's bytes and the time its last byte was read.
OnFrame = Callable[[bytes, datetime], None]


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


class TransportOptions:
    """Connection options passed through to websocket-client."""

    __slots__ = ("connect_timeout", "proxy", "send_timeout", "sslopt")

    def __init__(
        self,
        *,
        connect_timeout: float = 10.0,
        send_timeout: float = 10.0,
        sslopt: Mapping[str, Any] | None = None,
        proxy: Mapping[str, Any] | str | None = None,
    ) -> None:
        self.connect_timeout = connect_timeout
        self.send_timeout = send_timeout
        self.sslopt = dict(sslopt) if sslopt else None
        self.proxy = proxy

    def connect_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``WebSocket.connect``: proxy settings."""
        proxy = self.proxy
        if proxy is None:
            return {}
        if isinstance(proxy, str):
            return _parse_proxy_url(proxy)
        return dict(proxy)


def _parse_proxy_url(url: str) -> dict[str, Any]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"not a proxy URL: {url!r}")
    scheme = parts.scheme or "http"
    kwargs: dict[str, Any] = {
        "http_proxy_host": parts.hostname,
        "http_proxy_port": parts.port or (1080 if scheme.startswith("socks") else 8080),
        "proxy_type": scheme,
    }
    if parts.username:
        kwargs["http_proxy_auth"] = (parts.username, parts.password or "")
    return kwargs


class Transport:
    """A connected websocket plus the thread that reads it.

    ``on_frame(data, received)`` is called on the reader thread with the bytes of each text (or binary)
    frame and the UTC time of the socket read that completed it; ``on_read(nbytes)``, if given, after
    each socket read, before its frames; ``on_closed(error)`` exactly once when the reader ends
    (``error`` is ``None`` after a clean close or a local ``close()``).
    """

    def __init__(self, ws: websocket.WebSocket, name: str) -> None:
        self._ws = ws
        self._name = name
        sock = ws.sock
        if sock is None:
            raise ConnectionError("the websocket is not connected")
        self._sock: socket.socket = sock
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._on_read: Callable[[int], None] | None = None
        self._frames = _BufferedFrames(self._read_chunk)
        ws.frame_buffer = self._frames

    @staticmethod
    def new_socket(options: TransportOptions) -> Connecting:
        """An unconnected websocket; pass it to :meth:`open` (and to :func:`abort_socket` to cancel)."""
        ws = websocket.WebSocket(sslopt=options.sslopt, skip_utf8_validation=True, enable_multithread=True)
        return Connecting(ws)

    @classmethod
    def open(cls, connecting: Connecting, url: str, options: TransportOptions, name: str) -> Transport:
        """Connect to ``url`` with the handshake; raises websocket-client's or socket errors
        (``ConnectionAbortedError`` once :func:`abort_socket` cancelled it)."""
        ws = connecting.ws
        timeout = options.connect_timeout
        kwargs = options.connect_kwargs()
        proxy = _http.proxy_info(**kwargs)  # type: ignore[no-untyped-call]
        try:
            if proxy.proxy_host and proxy.proxy_protocol != "http":
                # a SOCKS proxy: python-socks opens the socket inside websocket-client; only the
                # handshake that follows can be cancelled
                ws.connect(url, timeout=timeout, **kwargs)  # type: ignore[no-untyped-call]
            else:
                # The TCP socket is ours from its creation, so abort_socket can shut it down while
                # connect() hangs; then the proxy tunnel and TLS as websocket-client does them.
                host, port, _resource, secure = parse_url(url)
                addresses, tunnel, auth = _http._get_addrinfo_list(host, port, secure, proxy)
                sock = connecting.dial(addresses, timeout)
                try:
                    if tunnel:
                        sock = _http._tunnel(sock, host, port, auth)
                    if secure:  # verification on unless sslopt turns it off, as websocket-client does it
                        sock = _http._ssl_socket(sock, options.sslopt or {}, host)
                except BaseException:
                    sock.close()
                    raise
                ws.connect(url, timeout=timeout, socket=sock, **kwargs)  # type: ignore[no-untyped-call]
            connecting.check()
        except websocket.WebSocketBadStatusException as exc:
            raise HandshakeRefusedError.of(exc) from None
        except BaseException:
            if connecting.aborted:
                ws.shutdown()  # type: ignore[no-untyped-call]
                raise ConnectionAbortedError("connect cancelled") from None
            raise
        finally:
            connecting.release()
        ws.settimeout(options.send_timeout)
        return cls(ws, name)

    # ------------------------------------------------------------------------------ reading
    def _read_chunk(self) -> bytes:
        """One large socket read (reader thread only); raises when the connection is closed."""
        while True:
            try:
                data = self._sock.recv(_READ_SIZE)
            except TimeoutError:
                if self._closing.is_set():
                    raise websocket.WebSocketConnectionClosedException("closed locally") from None
                continue
            if not data:
                raise websocket.WebSocketConnectionClosedException("the server closed the connection")
            # one clock reading per read: every frame completed by these bytes arrived at this moment
            self._frames.received = _now(_utc)
            on_read = self._on_read
            if on_read is not None:
                try:
                    on_read(len(data))
                except Exception:
                    _log.exception("on_read callback failed")
            return data

    def start(
        self,
        on_frame: OnFrame,
        on_closed: Callable[[BaseException | None], None],
        on_read: Callable[[int], None] | None = None,
    ) -> None:
        """Start the reader thread."""
        self._on_read = on_read
        thread = threading.Thread(
            target=self._read_loop,
            args=(on_frame, on_closed),
            name=f"bybit-ws-reader-{self._name}",
            daemon=True,
        )
        self._thread = thread
        thread.start()

    def _read_loop(self, on_frame: OnFrame, on_closed: Callable[[BaseException | None], None]) -> None:
        error: BaseException | None = None
        ws = self._ws
        frames = self._frames
        read_frame = frames.recv_frame  # websocket-client's frame parser, on our buffered reads
        data_ops = (ABNF.OPCODE_TEXT, ABNF.OPCODE_BINARY)
        parts: list[bytes] | None = None  # the fragments of a message being reassembled (RFC 6455 5.4)
        size = 0  # their bytes
        try:
            while True:
                frame = read_frame()
                opcode = frame.opcode
                if frame.fin and opcode in data_ops and parts is None:
                    # the common case, one whole text frame; the frame parser always yields bytes
                    try:
                        on_frame(frame.data, frames.received)  # type: ignore[arg-type]
                    except Exception:
                        _log.exception("%s: on_frame failed; reading on", self._name)
                    continue
                if opcode in data_ops:  # the first fragment of a message
                    if parts is not None:
                        raise websocket.WebSocketProtocolException("a message began inside another one")
                    parts = [frame.data]  # type: ignore[list-item]
                    size = len(frame.data)
                elif opcode == ABNF.OPCODE_CONT:
                    if parts is None:
                        raise websocket.WebSocketProtocolException("a continuation frame without a message")
                    parts.append(frame.data)  # type: ignore[arg-type]
                    size += len(frame.data)
                    if size > MAX_MESSAGE:
                        raise websocket.WebSocketProtocolException(
                            f"a fragmented message over {MAX_MESSAGE} bytes"
                        )
                    if frame.fin:
                        data = b"".join(parts)
                        parts = None
                        try:
                            on_frame(data, frames.received)
                        except Exception:
                            _log.exception("%s: on_frame failed; reading on", self._name)
                # control frames may come between the fragments of a message
                elif opcode == ABNF.OPCODE_PING:
                    if len(frame.data) >= 126:
                        raise websocket.WebSocketProtocolException("ping payload too long")
                    ws.pong(frame.data)
                elif opcode == ABNF.OPCODE_CLOSE:
                    try:
                        ws.send_close()
                    except Exception:
                        pass
                    if not self._closing.is_set():
                        error = ConnectionResetError(
                            f"the server closed the connection ({_close_reason(frame)})"
                        )
                    break
        except Exception as exc:
            if not self._closing.is_set():
                error = exc
        finally:
            self._closing.set()
            try:
                on_closed(error)
            except Exception:
                _log.exception("on_closed callback failed")

    # ------------------------------------------------------------------------------ writing
    def send(self, text: str) -> None:
        """Send one text frame (thread-safe). Raises on a dead socket."""
        self._ws.send(text)

    @property
    def is_open(self) -> bool:
        """True until the reader has ended or ``close()`` was called."""
        return not self._closing.is_set()

    def on_reader_thread(self) -> bool:
        """True when called from this transport's reader thread (e.g. from a callback it runs)."""
        return self._thread is threading.current_thread()

    def close(self, timeout: float | None = None) -> None:
        """Close the websocket and join the reader (unless called from it; ``timeout``: the close
        grace, ``_CLOSE_GRACE`` by default). Idempotent."""
        if timeout is None:
            timeout = _CLOSE_GRACE
        already = self._closing.is_set()
        self._closing.set()
        thread = self._thread
        if not already:
            try:
                self._ws.send_close()
            except Exception:
                pass
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                self.abort()
                thread.join(timeout)
        self._ws.shutdown()  # type: ignore[no-untyped-call]

    def abort(self) -> None:
        """Unblock the reader at once (socket shutdown); the reader then ends with an error."""
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _BufferedFrames(frame_buffer):
    """websocket-client's frame parser (header, length, mask, validation), fed from large reads.

    Only ``recv_strict``, its byte-supply layer, is replaced: it slices the bytes a frame needs out of
    one buffer filled by 256 KiB socket reads, instead of a list joined on every call, so the common
    frame costs two slices and no system call.
    """

    def __init__(self, read_chunk: Callable[[], bytes]) -> None:
        super().__init__(_no_recv, True)
        self._read_chunk = read_chunk
        self._data = b""
        self._pos = 0
        #: when the latest chunk was read (set by the read function)
        self.received = _now(_utc)

    def recv_strict(self, bufsize: int) -> bytes:
        pos = self._pos
        end = pos + bufsize
        data = self._data
        if end <= len(data):
            self._pos = end
            return data[pos:end]
        parts = [data[pos:]]
        have = len(data) - pos
        while have < bufsize:
            chunk = self._read_chunk()
            parts.append(chunk)
            have += len(chunk)
        data = b"".join(parts)
        self._data = data
        self._pos = bufsize
        return data[:bufsize]


def _no_recv(size: int) -> bytes:  # pragma: no cover - _BufferedFrames never calls it
    raise AssertionError("unused")


class Connecting:
    """A websocket being opened (see :meth:`Transport.new_socket`): :func:`abort_socket` cancels it
    from another thread at any step, the TCP connect included."""

    __slots__ = ("_handle", "_lock", "aborted", "ws")

    def __init__(self, ws: websocket.WebSocket) -> None:
        self.ws = ws
        self.aborted = False
        self._lock = threading.Lock()
        #: a duplicate of the socket being connected: shut down by abort(); TLS wrapping detaches
        #: the original socket object, the duplicate still reaches the connection
        self._handle: socket.socket | None = None

    def dial(self, addresses: list[Any], timeout: float | None) -> socket.socket:
        """A TCP socket connected to the first address that answers (websocket-client's order and
        socket options), cancellable from the moment its connect starts."""
        error: OSError | None = None
        for family, kind, proto, _name, address in addresses:
            sock = socket.socket(family, kind, proto)
            try:
                for option in DEFAULT_SOCKET_OPTION:
                    sock.setsockopt(*option)
                sock.setblocking(False)
                code = sock.connect_ex(address)  # the connect is under way once this returns
                self._own(sock)
                if code not in _IN_PROGRESS:
                    raise OSError(code, os.strerror(code))
                with selectors.DefaultSelector() as selector:
                    selector.register(sock, selectors.EVENT_WRITE)
                    if not selector.select(timeout):
                        raise TimeoutError("timed out")
                self.check()
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code:
                    raise OSError(code, os.strerror(code))
                sock.settimeout(timeout)
                return sock
            except OSError as exc:
                sock.close()
                self.release()
                if self.aborted:
                    raise ConnectionAbortedError("connect cancelled") from None
                error = exc
        raise error if error is not None else OSError(f"no address to connect to: {addresses}")

    def _own(self, sock: socket.socket) -> None:
        with self._lock:
            if self.aborted:
                raise ConnectionAbortedError("connect cancelled")
            self._handle = sock.dup()

    def check(self) -> None:
        """Raise ``ConnectionAbortedError`` if the connect was cancelled."""
        if self.aborted:
            raise ConnectionAbortedError("connect cancelled")

    def release(self) -> None:
        """The connect is over (done or failed): drop the duplicate socket."""
        with self._lock:
            handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()

    def abort(self) -> None:
        """Cancel: any blocking step (TCP connect, proxy tunnel, TLS, handshake) fails at once."""
        with self._lock:
            self.aborted = True
            handle = self._handle
            if handle is not None:
                _shutdown(handle)
        sock = self.ws.sock
        if sock is not None:
            _shutdown(sock)


def abort_socket(connecting: Connecting) -> None:
    """Cancel a connect in progress from another thread (the connect or handshake fails at once)."""
    connecting.abort()


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _close_reason(frame: Any) -> str:
    data = getattr(frame, "data", b"") or b""
    if len(data) >= 2:
        code = int.from_bytes(data[:2], "big")
        reason = data[2:].decode("utf-8", "replace")
        return f"code {code}{': ' + reason if reason else ''}"
    return "no status"
