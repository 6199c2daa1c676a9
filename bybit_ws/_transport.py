"""One websocket connection and its reader thread. Moves text frames; knows nothing of Bybit.

websocket-client does the handshake and the framing; this module only feeds its frame parser from
large buffered socket reads (plain ``recv`` makes about three small reads per frame, each handing the
GIL over) and runs the reader loop on a named thread.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

import websocket
from websocket._abnf import ABNF, frame_buffer

_log = logging.getLogger(__name__)

__all__ = ["Transport", "TransportOptions", "abort_socket"]

_READ_SIZE = 256 * 1024
_CLOSE_GRACE = 1.0
_now = datetime.now
_utc = timezone.utc

#: ``on_frame(data, received)``: a frame's bytes and the time its last byte was read.
OnFrame = Callable[[bytes, datetime], None]


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
    def new_socket(options: TransportOptions) -> websocket.WebSocket:
        """An unconnected websocket; pass it to :meth:`open` (and to :func:`abort_socket` to cancel)."""
        return websocket.WebSocket(sslopt=options.sslopt, skip_utf8_validation=True, enable_multithread=True)

    @classmethod
    def open(cls, ws: websocket.WebSocket, url: str, options: TransportOptions, name: str) -> Transport:
        """Connect ``ws`` to ``url`` with the handshake; raises websocket-client's or socket errors."""
        ws.connect(url, timeout=options.connect_timeout, **options.connect_kwargs())  # type: ignore[no-untyped-call]
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
        messages = ws.cont_frame  # and its reassembly of fragmented messages
        data_ops = (ABNF.OPCODE_TEXT, ABNF.OPCODE_BINARY)
        try:
            while True:
                frame = read_frame()
                opcode = frame.opcode
                if frame.fin and opcode in data_ops and not messages.recving_frames:
                    # the common case, one whole text frame; the frame parser always yields bytes
                    on_frame(frame.data, frames.received)  # type: ignore[arg-type]
                    continue
                if opcode in (*data_ops, ABNF.OPCODE_CONT):
                    messages.validate(frame)
                    messages.add(frame)
                    if messages.is_fire(frame):
                        _opcode, data = messages.extract(frame)
                        on_frame(data if type(data) is bytes else bytes(data), frames.received)
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

    def close(self, timeout: float = _CLOSE_GRACE) -> None:
        """Close the websocket and join the reader (unless called from it). Idempotent."""
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


def abort_socket(ws: websocket.WebSocket) -> None:
    """Cancel a connect in progress from another thread (the handshake read fails at once)."""
    sock = ws.sock
    if sock is not None:
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
