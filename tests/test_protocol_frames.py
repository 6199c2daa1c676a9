"""The sans-I/O websocket core (bybit_ws.protocol.frames), without sockets: framing, the rules a server's
frames must follow, and the close handshake."""

from __future__ import annotations

import itertools
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bybit_ws.protocol.frames import (
    BINARY,
    CLOSE,
    PING,
    PONG,
    TEXT,
    ClientProtocol,
    Frame,
    ProtocolError,
    State,
    encode_frame,
)

from .support import ClientFrames, server_frame

CONT = 0


def sent(core: ClientProtocol) -> list[tuple[int, bool, bytes]]:
    """The frames the core wants written, unmasked."""
    data = b"".join(core.data_to_send())
    frames = ClientFrames(None, data)
    out = []
    while frames.has_data():
        out.append(frames.next_frame())
    return out


def summary(events: list[bytes | Frame]) -> list[tuple[int, bytes]]:
    return [(TEXT, e) if isinstance(e, bytes) else (e.opcode, e.data) for e in events]


def closed_with(core: ClientProtocol, code: int) -> None:
    assert core.failure is not None and core.failure.code == code
    assert core.done and core.state is State.CLOSING
    assert sent(core) == [(CLOSE, True, code.to_bytes(2, "big") + core.failure.reason.encode()[:123])]


# --------------------------------------------------------------------------- any chunking, same messages
@st.composite
def streams(draw: st.DrawFn) -> tuple[bytes, list[tuple[int, bytes]]]:
    """A server's byte stream of whole and fragmented messages with control frames between fragments,
    and the events it must give."""
    stream: list[bytes] = []
    expected: list[tuple[int, bytes]] = []
    text = st.text(max_size=300).map(str.encode)
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from([TEXT, TEXT, BINARY, PING]))
        payload = draw(st.binary(max_size=70_000 if kind == BINARY else 125) if kind != TEXT else text)
        if kind == TEXT and draw(st.booleans()):
            payload = payload * draw(st.integers(1, 300))  # past 125 and 65535 bytes: longer headers
        pieces = 1 if kind == PING else draw(st.integers(1, 4))
        cut = sorted(draw(st.lists(st.integers(0, len(payload)), min_size=pieces - 1, max_size=pieces - 1)))
        parts = [payload[a:b] for a, b in itertools.pairwise([0, *cut, len(payload)])]
        for index, part in enumerate(parts):
            opcode = kind if index == 0 else CONT
            stream.append(server_frame(part, opcode, fin=index == len(parts) - 1))
            if index < len(parts) - 1 and draw(st.booleans()):
                ping = draw(st.binary(max_size=125))
                stream.append(server_frame(ping, PING))
                expected.append((PING, ping))
        expected.append((kind, payload))
    return b"".join(stream), expected


@settings(max_examples=150, deadline=None)
@given(streams(), st.lists(st.integers(1, 70_000), max_size=40))
def test_any_chunking_gives_the_same_messages(
    case: tuple[bytes, list[tuple[int, bytes]]], sizes: list[int]
) -> None:
    data, expected = case
    core = ClientProtocol()
    events: list[bytes | Frame] = []
    pos = 0
    for size in sizes:
        core.receive_data(data[pos : pos + size])
        events += core.events_received()
        pos += size
    core.receive_data(data[pos:])
    events += core.events_received()
    assert summary(events) == expected
    assert core.failure is None and core.state is State.OPEN
    pings = [payload for kind, payload in expected if kind == PING]
    assert sent(core) == [(PONG, True, p) for p in pings]  # each ping answered once, in order


@settings(max_examples=100, deadline=None)
@given(
    st.binary(max_size=70_000),
    st.sampled_from([TEXT, BINARY, PING, CLOSE]),
    st.binary(min_size=4, max_size=4),
)
def test_client_frames_are_masked_and_carry_their_payload(payload: bytes, opcode: int, mask: bytes) -> None:
    frame = encode_frame(opcode, payload, mask)
    assert frame[1] & 0x80  # the mask bit (RFC 6455 5.3: every client frame)
    assert ClientFrames(None, frame).next_frame() == (opcode, True, payload)


def test_a_whole_text_frame_one_byte_at_a_time() -> None:
    core = ClientProtocol()
    for byte in server_frame(b'{"a":1}' * 30):
        core.receive_data(bytes([byte]))
    assert core.events_received() == [b'{"a":1}' * 30]


# --------------------------------------------------------------------------------------- the size limit
def test_a_frame_announcing_2_to_the_40_bytes_fails_from_its_header_and_buffers_nothing() -> None:
    core = ClientProtocol()
    tracemalloc.start()
    try:
        core.receive_data(server_frame(b"", TEXT, length=2**40))  # the header alone
        closed_with(core, 1009)
        before = tracemalloc.get_traced_memory()[0]
        chunk = b"x" * 65536
        for _ in range(200):  # 12.5 MiB of the announced payload: all ignored
            core.receive_data(chunk)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 1_000_000
    assert core.events_received() == [] and core.data_to_send() == []


def test_the_limit_is_the_option() -> None:
    core = ClientProtocol(max_message_size=100)
    core.receive_data(server_frame(b"x" * 100))
    assert core.events_received() == [b"x" * 100]
    core.receive_data(server_frame(b"x" * 101)[:4])  # the header only: fails before the payload
    closed_with(core, 1009)


def test_a_fragmented_message_over_the_limit_fails_at_the_fragment_header() -> None:
    core = ClientProtocol(max_message_size=1000)
    core.receive_data(server_frame(b"x" * 600, TEXT, fin=False))
    core.receive_data(server_frame(b"", CONT, fin=True, length=401)[:4])
    closed_with(core, 1009)


# ------------------------------------------------------------------------------------- protocol errors
@pytest.mark.parametrize(
    "frame",
    [
        server_frame(b'{"a":1}', mask=b"abcd"),
        server_frame(b"", PING, fin=False),
        server_frame(b"x" * 126, PING),
        server_frame(b"x" * 126, CLOSE),
        server_frame(b"x", CLOSE),  # a 1-byte Close payload
        server_frame((999).to_bytes(2, "big"), CLOSE),  # an invalid close code
        server_frame(b"{}", 3),
        server_frame(b"", 11),
        server_frame(b"{}", TEXT, rsv=4),
        server_frame(b"{}", CONT),  # a continuation without a message
        server_frame(b"{", TEXT, fin=False) + server_frame(b"}", TEXT),  # a message inside another
    ],
    ids=[
        "masked",
        "fragmented-ping",
        "long-ping",
        "long-close",
        "1-byte-close",
        "close-code-999",
        "opcode-3",
        "opcode-11",
        "rsv1",
        "stray-continuation",
        "nested-message",
    ],
)
def test_protocol_violations_close_with_1002(frame: bytes) -> None:
    core = ClientProtocol()
    core.receive_data(server_frame(b'{"before":1}') + frame + server_frame(b'{"after":1}'))
    assert core.events_received() == [b'{"before":1}']  # what came before is kept, nothing after
    closed_with(core, 1002)
    with pytest.raises(ProtocolError):
        core.send_text(b"{}")  # nothing may follow the Close


def test_a_violation_is_caught_from_the_header_before_the_payload_arrives() -> None:
    core = ClientProtocol()
    core.receive_data(server_frame(b"x" * 1000, mask=b"abcd")[:8])
    closed_with(core, 1002)


def test_invalid_utf8_text_closes_with_1007_and_binary_is_passed_on_as_bytes() -> None:
    core = ClientProtocol()
    core.receive_data(server_frame(b"\xff\xfe", BINARY) + server_frame("é".encode()) + server_frame(b"\xc3"))
    events = core.events_received()
    assert summary(events) == [(BINARY, b"\xff\xfe"), (TEXT, "é".encode())]
    closed_with(core, 1007)


def test_invalid_utf8_across_fragments_is_checked_on_the_whole_message() -> None:
    core = ClientProtocol()
    encoded = "é".encode()
    core.receive_data(server_frame(encoded[:1], TEXT, fin=False) + server_frame(encoded[1:], CONT))
    assert core.events_received() == [encoded]  # a code point split across fragments is fine
    core.receive_data(server_frame(encoded[:1], TEXT, fin=False) + server_frame(b"x", CONT))
    closed_with(core, 1007)


# ------------------------------------------------------------------------------------- close handshake
def test_a_server_close_is_echoed_exactly_once() -> None:
    core = ClientProtocol()
    close = server_frame((1001).to_bytes(2, "big") + b"going away", CLOSE)
    core.receive_data(close + close + server_frame(b"{}"))
    (event,) = core.events_received()
    assert isinstance(event, Frame) and (event.close_code, event.close_reason) == (1001, "going away")
    assert sent(core) == [(CLOSE, True, (1001).to_bytes(2, "big") + b"going away")]
    assert core.state is State.CLOSED and core.failure is None
    assert core.send_close() is False and core.data_to_send() == []


def test_an_empty_server_close_is_echoed_empty() -> None:
    core = ClientProtocol()
    core.receive_data(server_frame(b"", CLOSE))
    assert sent(core) == [(CLOSE, True, b"")]


def test_the_client_close_is_sent_once_and_the_echo_ends_the_handshake() -> None:
    core = ClientProtocol()
    assert core.send_close() is True
    assert core.send_close(1001) is False
    assert sent(core) == [(CLOSE, True, (1000).to_bytes(2, "big"))]
    assert core.state is State.CLOSING
    core.receive_data(server_frame(b"{}") + server_frame(b"\x03\xe8", CLOSE))
    assert summary(core.events_received()) == [(TEXT, b"{}"), (CLOSE, b"\x03\xe8")]
    assert (core.state, core.data_to_send()) == (State.CLOSED, [])  # the echo is not answered


def test_pings_are_answered_until_a_close_was_sent() -> None:
    core = ClientProtocol()
    core.receive_data(server_frame(b"one", PING))
    core.send_close()
    core.receive_data(server_frame(b"two", PING))
    assert summary(core.events_received()) == [(PING, b"one"), (PING, b"two")]
    assert [f[0] for f in sent(core)] == [PONG, CLOSE]


def test_end_of_stream_closes() -> None:
    core = ClientProtocol()
    core.receive_data(server_frame(b"{}")[:3])
    core.receive_eof()
    core.receive_data(b"ignored")
    assert core.state is State.CLOSED and core.events_received() == []
