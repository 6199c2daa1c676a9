"""One websocket connection and its reader thread. Moves text frames; knows nothing of Bybit.

The socket comes from :mod:`._connect` (dialled here, opening handshake by websocket-client on it); the
framing, the protocol checks and the close handshake are the sans-I/O core's
(:class:`bybit_ws.protocol.frames.ClientProtocol`). The reader thread makes large socket reads (one
256 KiB ``recv`` yields many frames, instead of about three small reads per frame, each handing the GIL
over), feeds them to the core and acts on its events; every write goes through the core's serializer.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timezone

from bybit_ws.protocol.frames import BINARY, DEFAULT_MAX_MESSAGE_SIZE, ClientProtocol, Frame

from ._connect import (
    Connecting,
    HandshakeRefusedError,
    ProxyError,
    TransportOptions,
    abort_socket,
    open_socket,
    shutdown,
)

_log = logging.getLogger(__name__)

__all__ = [
    "NotWritten",
    "Connecting",
    "HandshakeRefusedError",
    "ProxyError",
    "Transport",
    "TransportOptions",
    "abort_socket",
]

_READ_SIZE = 256 * 1024
#: how long close() waits for the server's Close echo before it cuts the TCP connection
_CLOSE_GRACE = 1.0
_now = datetime.now
_utc = timezone.utc

#: ``on_frame(data, received)``: a message's bytes and the time its last byte was read.
OnFrame = Callable[[bytes, datetime], None]


class NotWritten(ConnectionError):
    """Nothing of a frame was written: the connection was closing (safe to send it elsewhere)."""


class Transport:
    """A connected websocket plus the thread that reads it.

    ``on_frame(data, received)`` is called on the reader thread with the bytes of each text (or binary)
    message and the UTC time of the socket read that completed it; ``on_closed(error)`` exactly once
    when the reader ends (``error`` is ``None`` after a local ``close()``; a protocol violation by the
    server is a :class:`~bybit_ws.protocol.frames.ProtocolError` with the close code sent for it).
    """

    def __init__(
        self,
        sock: socket.socket,
        name: str,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        send_timeout: float | None = None,
    ) -> None:
        self._name = name
        self._sock = sock
        if send_timeout is not None:
            sock.settimeout(send_timeout)
        self._core = ClientProtocol(max_message_size)
        self._state_lock = threading.Lock()  # the core's state (it is not thread-safe)
        self._send_lock = threading.Lock()  # socket writes, whole frames in the core's order
        self._closing = threading.Event()  # close() was called, or the reader ended
        self._released = False
        self._thread: threading.Thread | None = None

    @classmethod
    def open(cls, connecting: Connecting, url: str, options: TransportOptions, name: str) -> Transport:
        """Connect to ``url`` within ``options.connect_timeout`` (DNS, TCP, proxy, TLS and handshake
        together); raises ``TimeoutError``, ``ConnectionAbortedError`` (:func:`abort_socket`),
        websocket-client's handshake errors or other ``OSError``."""
        sock = open_socket(connecting, url, options, name)
        return cls(sock, name, options.max_message_size, options.send_timeout)

    # ------------------------------------------------------------------------------ reading
    def start(
        self,
        on_frame: OnFrame,
        on_closed: Callable[[BaseException | None], None],
        on_read: Callable[[], None] | None = None,
    ) -> None:
        """Start the reader thread; ``on_read()``, if given, is called after the frames of each socket
        read went to ``on_frame`` (the reader hands their events over together)."""
        thread = threading.Thread(
            target=self._read_loop,
            args=(on_frame, on_closed, on_read),
            name=f"bybit-ws-reader-{self._name}",
            daemon=True,
        )
        self._thread = thread
        thread.start()

    def _read_loop(
        self,
        on_frame: OnFrame,
        on_closed: Callable[[BaseException | None], None],
        on_read: Callable[[], None] | None,
    ) -> None:
        error: BaseException | None = None
        core = self._core
        recv = self._sock.recv
        feed = core.receive_data
        take = core.events_received
        state_lock = self._state_lock
        closing = self._closing
        try:
            while True:
                try:
                    data = recv(_READ_SIZE)
                except TimeoutError:
                    if closing.is_set():
                        break  # no Close echo within the grace (close() from this thread)
                    continue
                if not data:
                    core.receive_eof()
                    if not closing.is_set():
                        error = ConnectionResetError("the server closed the connection without a Close frame")
                    break
                # one clock reading per read: every message completed by these bytes arrived at this moment
                received = _now(_utc)
                with state_lock:
                    feed(data)
                    events = take()
                    answer = core.has_data_to_send
                for event in events:
                    if type(event) is bytes:  # a text message: the hot path
                        try:
                            on_frame(event, received)
                        except Exception:
                            _log.exception("%s: on_frame failed; reading on", self._name)
                    else:
                        self._control(event, on_frame, received)  # type: ignore[arg-type]
                if on_read is not None and events:
                    try:
                        on_read()
                    except Exception:
                        _log.exception("%s: handing a read's events over failed; reading on", self._name)
                if answer:
                    self._flush()  # a pong, a Close echo, or the Close of a protocol error
                if core.done:
                    error = self._why_done()
                    break
        except Exception as exc:
            if not closing.is_set():
                error = exc
        finally:
            closing.set()
            try:
                on_closed(error)
            except Exception:
                _log.exception("on_closed callback failed")

    def _control(self, frame: Frame, on_frame: OnFrame, received: datetime) -> None:
        if frame.opcode == BINARY:  # Bybit sends text; a binary message is passed on as its bytes
            try:
                on_frame(frame.data, received)
            except Exception:
                _log.exception("%s: on_frame failed; reading on", self._name)
        # pings are answered by the core (the pong is flushed after this read's events); pongs to
        # websocket pings are not used (the heartbeat is Bybit's {"op":"ping"})

    def _why_done(self) -> BaseException | None:
        core = self._core
        if core.failure is not None:
            _log.warning("%s: the server broke the websocket protocol: %s", self._name, core.failure)
            return core.failure
        frame = core.close_rcvd
        if frame is None or self._closing.is_set():
            return None  # the echo of our own Close
        code = frame.close_code
        reason = (
            f"code {code}{': ' + frame.close_reason if frame.close_reason else ''}" if code else "no status"
        )
        return ConnectionResetError(f"the server closed the connection ({reason})")

    # ------------------------------------------------------------------------------ writing
    def send(self, text: str | bytes) -> None:
        """Send one text frame (thread-safe): a ``str``, or its UTF-8 ``bytes``.

        Raises:
            NotWritten: the connection is closing; nothing of the frame was written.
            OSError: the write failed, maybe part way (e.g. ``send_timeout``): the connection is cut at
                once, since a frame cut short would swallow whatever followed it.
        """
        payload = text.encode() if isinstance(text, str) else text
        with self._send_lock:
            with self._state_lock:
                if self._core.close_sent:
                    raise NotWritten("the connection is closing")
                self._core.send_text(payload)
                out = self._core.data_to_send()
            try:
                self._sock.sendall(out[0] if len(out) == 1 else b"".join(out))
            except OSError:
                self.abort()
                raise

    def _flush(self, timeout: float | None = None) -> bool:
        """Write what the core has queued; False when the send lock was not free within ``timeout``."""
        if not self._send_lock.acquire(timeout=-1 if timeout is None else timeout):
            return False
        try:
            with self._state_lock:
                out = self._core.data_to_send()
            if out:
                self._sock.sendall(b"".join(out))
        except OSError as exc:
            _log.debug("%s: write failed: %s", self._name, exc)
        finally:
            self._send_lock.release()
        return True

    @property
    def is_open(self) -> bool:
        """True until the reader has ended or ``close()`` was called."""
        return not self._closing.is_set()

    def on_reader_thread(self) -> bool:
        """True when called from this transport's reader thread (e.g. from a callback it runs)."""
        return self._thread is threading.current_thread()

    def begin_close(self, timeout: float | None = None) -> None:
        """Send the one Close frame (code 1000) unless one went by already; the reader then ends when
        the server's echo arrives. Does not wait (``timeout``: for a write under way to finish)."""
        grace = _CLOSE_GRACE if timeout is None else timeout
        self._closing.set()
        with self._state_lock:
            sent = self._core.send_close(1000)
        if sent:
            if self.on_reader_thread():
                self._sock.settimeout(grace)  # the reader waits this long for the echo, then ends
            if not self._flush(grace):
                self.abort()  # a write stuck on a full socket: no Close, cut the connection

    def close(self, timeout: float | None = None) -> None:
        """Close handshake then TCP: send one Close, wait up to ``timeout`` (``_CLOSE_GRACE`` by default)
        for the server's echo, cut the connection, join the reader (unless called from it). Idempotent."""
        grace = _CLOSE_GRACE if timeout is None else timeout
        self.begin_close(grace)
        thread = self._thread
        if self.on_reader_thread():
            return  # the reader ends on the echo (or after the grace); the supervisor closes again
        if thread is not None:
            thread.join(grace)
            if thread.is_alive():
                self.abort()
                thread.join(grace)
        self._release()

    def abort(self) -> None:
        """Unblock the reader at once (socket shutdown); the reader then ends with an error."""
        shutdown(self._sock)

    def _release(self) -> None:
        with self._state_lock:
            if self._released:
                return
            self._released = True
        shutdown(self._sock)
        self._sock.close()
