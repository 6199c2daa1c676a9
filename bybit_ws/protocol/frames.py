"""A websocket client's framing and close handshake (RFC 6455), without a socket or a thread.

In the manner of the ``websockets`` library's ``protocol.py``: bytes read from the socket go in with
:meth:`ClientProtocol.receive_data` (any chunking: a frame may be split anywhere, many frames may come in
one piece), what they mean comes out of :meth:`ClientProtocol.events_received`, and the bytes to write
come out of :meth:`ClientProtocol.data_to_send`. The caller owns the socket, the threads and the locks.

Events: a whole text message is its payload as ``bytes`` (the hot path: no wrapper object); anything
else is a :class:`Frame` (``BINARY`` messages, ``PING``, ``PONG``, ``CLOSE``). Bybit sends text only; a
binary message is passed on as a :class:`Frame` with its bytes, unvalidated, and the caller decides.

The server's frames are checked from their header, before any payload is buffered: a frame or a
fragmented message announcing more than ``max_message_size`` bytes fails the connection with close code
1009; a masked frame, reserved bits, an unknown opcode, a control frame that is fragmented or over 125
bytes, a continuation without a message or a message inside another one: 1002; a text message that is
not UTF-8: 1007 (checked only when it is not plain ASCII, so JSON text costs one ``isascii`` call).
A failure sends one Close with that code and ignores everything after it (:attr:`failure`).

Close handshake: :meth:`send_close` sends one Close (later calls do nothing); a Close from the server is
echoed exactly once, unless one was sent already. :attr:`state` is ``CLOSED`` once both went by.
"""

from __future__ import annotations

import enum
import os
import struct
from collections.abc import Callable

__all__ = [
    "BINARY",
    "CLOSE",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "PING",
    "PONG",
    "TEXT",
    "ClientProtocol",
    "Frame",
    "ProtocolError",
    "State",
    "encode_frame",
]

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0, 1, 2, 8, 9, 10
DEFAULT_MAX_MESSAGE_SIZE = 64 * 2**20
#: close codes a peer may send (RFC 6455 7.4.1 and the IANA registry); 3000-4999 are for applications
_VALID_CLOSE_CODES = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014})
_unpack_q = struct.Struct("!Q").unpack_from
_pack_short = struct.Struct("!BBH").pack
_pack_long = struct.Struct("!BBQ").pack


class State(enum.Enum):
    """Where the close handshake is."""

    OPEN = "open"
    CLOSING = "closing"  #: one side's Close went by, the other's not yet
    CLOSED = "closed"  #: both went by, or the stream ended: close the TCP connection


class ProtocolError(Exception):
    """The server broke the protocol; ``code`` is the close code sent for it (1002, 1007 or 1009)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{reason} (close code {code})")
        self.code = code
        self.reason = reason


class Frame:
    """A frame other than a whole text message: ``opcode`` and ``data`` (its payload)."""

    __slots__ = ("data", "opcode")

    def __init__(self, opcode: int, data: bytes) -> None:
        self.opcode = opcode
        self.data = data

    @property
    def close_code(self) -> int | None:
        """A Close frame's status code (``None``: none given, 1005 in RFC terms)."""
        return int.from_bytes(self.data[:2], "big") if len(self.data) >= 2 else None

    @property
    def close_reason(self) -> str:
        """A Close frame's reason text."""
        return self.data[2:].decode("utf-8", "replace")

    def __repr__(self) -> str:
        return f"Frame(opcode={self.opcode}, data={self.data[:40]!r}{'...' if len(self.data) > 40 else ''})"


def encode_frame(opcode: int, payload: bytes, mask: bytes, fin: bool = True) -> bytes:
    """One frame as a client sends it: masked with the 4-byte ``mask`` (RFC 6455 5.3)."""
    size = len(payload)
    first = (0x80 if fin else 0) | opcode
    if size < 126:
        header = bytes((first, 0x80 | size))
    elif size < 65536:
        header = _pack_short(first, 0xFE, size)
    else:
        header = _pack_long(first, 0xFF, size)
    if size:
        keys = (mask * (size // 4 + 1))[:size]
        payload = (int.from_bytes(payload, "big") ^ int.from_bytes(keys, "big")).to_bytes(size, "big")
    return header + mask + payload


def close_payload(code: int | None, reason: str = "") -> bytes:
    """A Close frame's payload: nothing when ``code`` is None, else the code and the UTF-8 reason."""
    if code is None:
        return b""
    return code.to_bytes(2, "big") + reason.encode()[:123]


class ClientProtocol:
    """The client side of one websocket connection after the opening handshake (not thread-safe:
    the caller serializes calls)."""

    def __init__(
        self, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE, mask: Callable[[int], bytes] = os.urandom
    ) -> None:
        if max_message_size < 1:
            raise ValueError("max_message_size must be positive")
        self.max_message_size = max_message_size
        self._mask = mask
        self.state = State.OPEN
        self.close_sent = False
        #: the server's Close frame, once it came
        self.close_rcvd: Frame | None = None
        #: why the connection failed (then a Close with its code was sent), else None
        self.failure: ProtocolError | None = None
        self._events: list[bytes | Frame] = []
        self._out: list[bytes] = []
        self._chunks: list[bytes] = []  # the unparsed bytes: a frame's start and what came after
        self._have = 0  # their length
        self._need = 2  # bytes from the frame's start needed before parsing can go on
        self._parts: list[bytes] | None = None  # a fragmented message's payloads so far
        self._kind = TEXT  # its opcode
        self._size = 0  # its bytes so far
        self._done = False  # no more input is parsed (closed or failed)

    # ------------------------------------------------------------------------------ input
    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the socket; parsed events wait in :meth:`events_received`."""
        if self._done or not data:
            return
        chunks = self._chunks
        if chunks:
            chunks.append(data)
            self._have += len(data)
            if self._have < self._need:
                return  # a long frame still arriving: no join, no parse
            data = b"".join(chunks)
            self._chunks = []
        self._parse(data)

    def receive_eof(self) -> None:
        """The server closed the TCP connection."""
        self._done = True
        self.state = State.CLOSED

    def events_received(self) -> list[bytes | Frame]:
        """The events parsed since the last call: ``bytes`` for a text message, else a :class:`Frame`."""
        events, self._events = self._events, []
        return events

    def data_to_send(self) -> list[bytes]:
        """The bytes to write, in order, since the last call."""
        out, self._out = self._out, []
        return out

    @property
    def has_data_to_send(self) -> bool:
        """Whether :meth:`data_to_send` has something."""
        return bool(self._out)

    @property
    def done(self) -> bool:
        """No more input will be parsed: the handshake is over or the connection failed."""
        return self._done

    # ------------------------------------------------------------------------------ output
    def send_text(self, payload: bytes) -> None:
        """Queue a text frame; raises ``ProtocolError`` once a Close was sent (nothing may follow it)."""
        self._send(TEXT, payload)

    def send_close(self, code: int | None = 1000, reason: str = "") -> bool:
        """Queue the one Close of this connection (``code`` None: no status). Returns False (and
        queues nothing) when a Close was sent already."""
        if self.close_sent:
            return False
        self._out.append(encode_frame(CLOSE, close_payload(code, reason), self._mask(4)))
        self.close_sent = True
        self.state = State.CLOSED if self.close_rcvd is not None else State.CLOSING
        return True

    def _send(self, opcode: int, payload: bytes) -> None:
        if self.close_sent:
            raise ProtocolError(1000, "the connection is closing: nothing may follow a Close")
        self._out.append(encode_frame(opcode, payload, self._mask(4)))

    # ------------------------------------------------------------------------------ parsing
    def _parse(self, buf: bytes) -> None:
        """Parse every whole frame of ``buf``; keep the rest. The loop is the reader's hot path: a whole
        unmasked text frame costs a few index operations, one slice and one append."""
        events = self._events
        limit = self.max_message_size
        size = len(buf)
        pos = 0
        need = 2
        simple = self._parts is None  # no fragmented message under way
        while True:
            avail = size - pos
            if avail < 2:
                need = 2
                break
            first = buf[pos]
            length = buf[pos + 1]
            if length < 126:
                start = pos + 2
            elif length == 126:
                if avail < 4:
                    need = 4
                    break
                length = (buf[pos + 2] << 8) | buf[pos + 3]
                start = pos + 4
            elif length == 127:
                if avail < 10:
                    need = 10
                    break
                length = _unpack_q(buf, pos + 2)[0]
                start = pos + 10
            else:  # the mask bit is set
                self._fail(1002, "a masked frame from the server")
                return
            fast = first == 0x81 and simple  # a whole text frame, no fragmented message under way
            if not fast:
                self._check_header(first, length)  # fail before buffering the payload
                if self._done:
                    return
            if length > limit:
                self._fail(1009, f"a frame of {length} bytes, over max_message_size ({limit})")
                return
            end = start + length
            if end > size:
                need = end - pos
                break
            if fast:
                payload = buf[start:end]
                if not payload.isascii() and not _is_utf8(payload):
                    self._fail(1007, "a text message that is not UTF-8")
                    return
                events.append(payload)
            else:
                self._frame(first & 0x0F, first & 0x80, buf[start:end])
                if self._done:
                    return
                simple = self._parts is None
            pos = end
        if pos < size:
            rest = buf[pos:] if pos else buf
            self._chunks = [rest]
            self._have = len(rest)
        else:
            self._have = 0
        self._need = need

    def _check_header(self, first: int, length: int) -> None:
        """The rules a frame's first byte and length must follow (before its payload is read)."""
        opcode = first & 0x0F
        if first & 0x70:
            self._fail(1002, "reserved bits set in a frame (no extension was negotiated)")
        elif opcode >= 8:
            if opcode not in (CLOSE, PING, PONG):
                self._fail(1002, f"unknown control opcode {opcode}")
            elif not first & 0x80:
                self._fail(1002, "a fragmented control frame")
            elif length > 125:
                self._fail(1002, f"a control frame of {length} bytes (at most 125)")
        elif opcode == CONTINUATION:
            if self._parts is None:
                self._fail(1002, "a continuation frame without a message")
            elif self._size + length > self.max_message_size:
                limit = self.max_message_size
                self._fail(1009, f"a fragmented message over max_message_size ({limit} bytes)")
        elif opcode in (TEXT, BINARY):
            if self._parts is not None:
                self._fail(1002, "a message began inside a fragmented one")
        else:
            self._fail(1002, f"unknown data opcode {opcode}")

    def _frame(self, opcode: int, fin: int, payload: bytes) -> None:
        """A frame that passed :meth:`_check_header`, other than a simple whole text message."""
        if opcode in (TEXT, BINARY):
            if fin:
                self._message(opcode, payload)
            else:
                self._parts = [payload]
                self._kind = opcode
                self._size = len(payload)
        elif opcode == CONTINUATION:
            parts = self._parts
            assert parts is not None  # checked from the header
            parts.append(payload)
            self._size += len(payload)
            if fin:
                self._parts = None
                self._size = 0
                self._message(self._kind, b"".join(parts))
        elif opcode == PING:
            self._events.append(Frame(PING, payload))
            if not self.close_sent:
                self._out.append(encode_frame(PONG, payload, self._mask(4)))
        elif opcode == PONG:
            self._events.append(Frame(PONG, payload))
        else:
            self._close_frame(payload)

    def _message(self, opcode: int, payload: bytes) -> None:
        if opcode == BINARY:
            self._events.append(Frame(BINARY, payload))
        elif payload.isascii() or _is_utf8(payload):
            self._events.append(payload)
        else:
            self._fail(1007, "a text message that is not UTF-8")

    def _close_frame(self, payload: bytes) -> None:
        frame = Frame(CLOSE, payload)
        if len(payload) == 1:
            self._fail(1002, "a Close frame with a 1-byte payload")
            return
        code = frame.close_code
        if code is not None and code not in _VALID_CLOSE_CODES and not 3000 <= code < 5000:
            self._fail(1002, f"a Close frame with the invalid code {code}")
            return
        if not _is_utf8(payload[2:]):
            self._fail(1007, "a Close frame whose reason is not UTF-8")
            return
        self.close_rcvd = frame
        self._events.append(frame)
        self._done = True  # nothing after a Close counts
        if not self.send_close(code, frame.close_reason):
            self.state = State.CLOSED

    def _fail(self, code: int, reason: str) -> None:
        """The server broke the protocol: one Close with ``code``, and no more parsing."""
        self.failure = ProtocolError(code, reason)
        self._done = True
        self._chunks = []
        self._parts = None
        self.send_close(code, reason)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
