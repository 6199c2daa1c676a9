"""A plain-socket websocket server that replays prebuilt Bybit frames (inverse v2, v5), in its own process.

Not the library's fake exchange: this one is built to never be the bottleneck. Each workload is
built once into a single ``bytes`` blob of complete server frames (unmasked text frames, headers
included) and sent with ``sendall`` over memoryview slices of about 1 MiB cut at frame boundaries.

A client picks what it gets with the query string of its URL (any path is accepted)::

    ws://127.0.0.1:PORT/realtime?workload=trades&frames=100000
        &rate=5000          # paced, each frame stamped with its send time (trades only; 0 = flat out)
        &drop_every=10000   # close the TCP connection after this many frames while frames remain;
        &session=abc        #   the next connection of the same session goes on where the last stopped
    ws://127.0.0.1:PORT/v5/public/linear?workload=market&symbols=500&rate=20000&seconds=5&session=s
                            # the whole linear market over several connections: see _market.py

The server answers the control requests (subscribe, unsubscribe, ping, auth; with v2 replies, or v5
replies that echo ``req_id`` on a ``/v5/`` path) and starts streaming once every topic of the workload
has been subscribed. After the last frame it keeps the connection
open (or, with ``drop_every``, shuts it down) until the client goes.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import hashlib
import json
import multiprocessing
import os
import socket
import struct
import threading
import time
from collections.abc import Iterable
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import _frames
import _market

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_CHUNK = 1 << 20
_START_DELAY = 0.05  # after the last subscribe: pybit registers its callback only after sending it
_CONN_ID = "bench-0000-0000"
MAX_EXACT = 200_000
"""Runs of up to this many frames get exactly that many distinct frames."""
POOL = 50_000
"""Longer trade and ticker runs replay a pool of this many frames in a loop (a book must not loop)."""

OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA


def frame_header(length: int, opcode: int = OP_TEXT) -> bytes:
    """Header of an unmasked, final server frame."""
    first = 0x80 | opcode
    if length < 126:
        return struct.pack("!BB", first, length)
    if length < 1 << 16:
        return struct.pack("!BBH", first, 126, length)
    return struct.pack("!BBQ", first, 127, length)


def unmask(payload: bytes, mask: bytes) -> bytes:
    """XOR a client payload with its 4-byte mask (RFC 6455 §5.3)."""
    if not payload:
        return payload
    n = len(payload)
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


class FrameSet:
    """Complete server frames back to back in one blob, with the offset of each frame."""

    def __init__(self, payloads: Iterable[bytes]) -> None:
        parts: list[bytes] = []
        offsets = [0]
        for payload in payloads:
            parts.append(frame_header(len(payload)))
            parts.append(payload)
            offsets.append(offsets[-1] + len(parts[-2]) + len(payload))
        self.blob = b"".join(parts)
        self.offsets = offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def slices(self, start: int, count: int) -> Iterable[memoryview]:
        """Frames ``start`` .. ``start + count`` (wrapping around) as ~1 MiB views cut at frame edges."""
        view = memoryview(self.blob)
        size = len(self)
        while count > 0:
            first = start % size
            last = min(first + count, size)
            begin, end = self.offsets[first], self.offsets[last]
            while begin < end:
                cut = bisect.bisect_left(self.offsets, begin + _CHUNK)
                stop = end if cut >= len(self.offsets) else min(end, self.offsets[cut])
                yield view[begin:stop]
                begin = stop
            count -= last - first
            start += last - first


class _Session:
    def __init__(self) -> None:
        self.sent = 0
        self.connections = 0
        self.drops = 0
        self.topics = 0  # market: topics subscribed over all the session's connections
        self.lag = 0  # market, paced: the most frames ever due at once on one connection


class _Server:
    def __init__(self, control: Connection, prebuild: list[tuple[str, int]], lifetime: float) -> None:
        self.control = control
        self.lifetime = lifetime
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.framesets: dict[tuple[str, int], FrameSet] = {}
        self.templates: list[tuple[bytes, bytes]] | None = None
        self.market: _market.Templates | None = None
        self.sessions: dict[str, _Session] = {}
        for workload, frames in prebuild:
            if workload == "market":
                self.market_templates()
            else:
                self.frameset(workload, frames)

    def frameset(self, workload: str, frames: int) -> FrameSet:
        size = frames if frames <= MAX_EXACT or workload in _frames.STATEFUL_WORKLOADS else POOL
        key = (workload, size)
        with self.lock:
            if key not in self.framesets:
                self.framesets[key] = FrameSet(_frames.build_payloads(workload, size))
            return self.framesets[key]

    def stamp_templates(self) -> list[tuple[bytes, bytes]]:
        with self.lock:
            if self.templates is None:
                self.templates = _frames.build_stamp_templates(10_000)
            return self.templates

    def market_templates(self) -> _market.Templates:
        with self.lock:
            if self.market is None:
                self.market = _market.Templates()
            return self.market

    def session(self, name: str) -> _Session:
        with self.lock:
            return self.sessions.setdefault(name, _Session())

    def serve(self) -> None:
        listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        listener.settimeout(0.2)
        parent = os.getppid()
        with self.lock:
            info = {f"{w}:{n}": (len(fs), len(fs.blob)) for (w, n), fs in self.framesets.items()}
        self.control.send(("port", listener.getsockname()[1], info))
        threading.Thread(target=self._control_loop, name="replay-control", daemon=True).start()
        deadline = time.monotonic() + self.lifetime
        with listener:
            while not self.stop.is_set() and time.monotonic() < deadline and os.getppid() == parent:
                try:
                    sock, _ = listener.accept()
                except TimeoutError:
                    continue
                sock.settimeout(None)
                threading.Thread(target=_ClientConnection(self, sock).run, daemon=True).start()

    def _control_loop(self) -> None:
        while not self.stop.is_set():
            try:
                command = self.control.recv()
            except (EOFError, OSError):
                self.stop.set()
                return
            if command == "stop":
                self.stop.set()
            elif command == "stats":
                with self.lock:
                    stats = {k: vars(v).copy() for k, v in self.sessions.items()}
                self.control.send(("stats", stats))


class _ClientConnection:
    def __init__(self, server: _Server, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        self.send_lock = threading.Lock()
        self.subscribed: set[str] = set()
        self.streaming = False
        self.closed = threading.Event()
        self.params: dict[str, str] = {}
        self.v5 = False  # the upgrade path starts /v5/: v5 reply shapes

    # -- plumbing ---------------------------------------------------------------------------------
    def send(self, data: bytes | memoryview) -> None:
        with self.send_lock:
            self.sock.sendall(data)

    def send_frame(self, payload: bytes, opcode: int = OP_TEXT) -> None:
        self.send(frame_header(len(payload), opcode) + payload)

    def reply(self, op: str, args: Any, success: bool = True, ret_msg: str = "", req_id: Any = None) -> None:
        message: dict[str, Any] = {"success": success, "ret_msg": ret_msg, "conn_id": _CONN_ID}
        if self.v5:
            message.update(req_id=req_id or "", op=op)
        else:
            message["request"] = {"op": op, "args": args}
        self.send_frame(json.dumps(message, separators=(",", ":")).encode())

    def run(self) -> None:
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            rest = self.handshake()
            self.read_loop(rest)
        except (OSError, ValueError):
            pass
        finally:
            self.closed.set()
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)  # wakes a stream thread blocked in sendall
            with contextlib.suppress(OSError):
                self.sock.close()

    def handshake(self) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            if not chunk or len(data) > 65536:
                raise ValueError("no websocket upgrade")
            data += chunk
        head, rest = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        target = lines[0].split(" ")[1]
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        key = headers.get("sec-websocket-key", "").encode()
        accept = base64.b64encode(hashlib.sha1(key + _GUID).digest()).decode()
        self.params = {k: v[-1] for k, v in parse_qs(urlsplit(target).query).items()}
        self.v5 = urlsplit(target).path.startswith("/v5/")
        self.send(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        return rest

    def read_loop(self, buffer: bytes) -> None:
        message = b""
        while True:
            while True:  # parse every complete frame in the buffer
                if len(buffer) < 2:
                    break
                b0, b1 = buffer[0], buffer[1]
                length, pos = b1 & 0x7F, 2
                if length == 126:
                    if len(buffer) < 4:
                        break
                    length, pos = struct.unpack_from("!H", buffer, 2)[0], 4
                elif length == 127:
                    if len(buffer) < 10:
                        break
                    length, pos = struct.unpack_from("!Q", buffer, 2)[0], 10
                masked = b1 & 0x80
                end = pos + (4 if masked else 0) + length
                if len(buffer) < end:
                    break
                payload = buffer[end - length : end]
                if masked:
                    payload = unmask(payload, buffer[pos : pos + 4])
                buffer = buffer[end:]
                opcode, fin = b0 & 0x0F, b0 & 0x80
                if opcode == OP_CLOSE:
                    # The stream thread may hold the lock in a sendall the client no longer reads.
                    if self.send_lock.acquire(timeout=0.2):
                        try:
                            self.sock.sendall(frame_header(len(payload[:2]), OP_CLOSE) + payload[:2])
                        finally:
                            self.send_lock.release()
                    return
                if opcode == OP_PING:
                    self.send_frame(payload, OP_PONG)
                elif opcode in (0x0, 0x1, 0x2):
                    message += payload
                    if fin:
                        self.on_message(message)
                        message = b""
            chunk = self.sock.recv(65536)
            if not chunk:
                return
            buffer += chunk

    # -- Bybit v2 and v5 ----------------------------------------------------------------------------
    def on_message(self, raw: bytes) -> None:
        try:
            request = json.loads(raw)
            op = request.get("op")
        except (ValueError, AttributeError):
            self.reply("", None, success=False, ret_msg="error:invalid op")
            return
        args = request.get("args")
        req_id = request.get("req_id")
        if op == "ping":
            self.reply("ping", None, ret_msg="pong", req_id=req_id)
        elif op == "auth":
            self.reply("auth", [str(a) for a in args or []], req_id=req_id)
        elif op in ("subscribe", "unsubscribe"):
            self.reply(op, args, req_id=req_id)
            topics = set(args or [])
            if op == "unsubscribe":
                self.subscribed -= topics
                return
            self.subscribed |= topics
            workload = self.params.get("workload", "trades")
            if workload == "market":
                session = self.server.session(self.params.get("session", ""))
                with self.server.lock:
                    session.topics += len(topics)
                if not self.streaming:
                    self.streaming = True
                    threading.Thread(target=self.stream_market, daemon=True).start()
                return
            if not self.streaming and set(_frames.WORKLOADS[workload]) <= self.subscribed:
                self.streaming = True
                threading.Thread(target=self.stream, daemon=True).start()
        else:
            self.reply(str(op), args, success=False, ret_msg="error:invalid op", req_id=req_id)

    def stream(self) -> None:
        p = self.params
        workload = p.get("workload", "trades")
        frames = int(p.get("frames", "100000"))
        rate = float(p.get("rate", "0"))
        drop_every = int(p.get("drop_every", "0"))
        time.sleep(_START_DELAY)
        try:
            if rate > 0:
                self.stream_paced(frames, rate)
                return
            start, count = 0, frames
            session = self.server.session(p.get("session", "")) if drop_every else None
            if session is not None:
                with self.server.lock:
                    start = session.sent
                    count = max(0, min(drop_every, frames - session.sent))
                    session.sent += count
                    session.connections += 1
            for piece in self.server.frameset(workload, frames).slices(start, count):
                self.send(piece)
            if session is not None and start + count < frames:
                with self.server.lock:
                    session.drops += 1
                self.sock.shutdown(socket.SHUT_WR)  # a drop without a close frame; the reader sees EOF
        except OSError:
            pass

    def stream_market(self) -> None:
        """The whole market (``workload=market``): see ``_market.py``."""
        p = self.params
        n_symbols = int(p.get("symbols", "500"))
        session = self.server.session(p.get("session", ""))
        templates = self.server.market_templates()
        deadline = time.monotonic() + 60
        while session.topics < len(_market.KINDS) * n_symbols:  # every connection of the session
            if time.monotonic() > deadline or self.closed.is_set():
                return
            time.sleep(0.01)
        time.sleep(_START_DELAY)
        with self.server.lock:
            session.connections += 1

        def report(sent: int, lag: int) -> None:
            with self.server.lock:
                session.sent += sent
                session.lag = max(session.lag, lag)

        with contextlib.suppress(OSError):
            _market.stream(
                sorted(self.subscribed),
                n_symbols,
                float(p.get("rate", "0")),
                float(p.get("seconds", "5")),
                int(p.get("frames", "300000")),
                templates,
                self.send,
                self.closed,
                report,
                frame_header,
            )

    def stream_paced(self, frames: int, rate: float) -> None:
        """Send ``frames`` trade frames at ``rate``/s, each stamped with ``time.monotonic_ns()``.

        Frames that fall due together (the sleep overshot) go out in one write, all stamped at that
        moment: the stamp is always the real send time.
        """
        templates = self.server.stamp_templates()
        begin = time.monotonic()
        sent = 0
        while sent < frames and not self.closed.is_set():
            due = min(frames, int((time.monotonic() - begin) * rate) + 1)
            if due <= sent:
                time.sleep(max(0.0, begin + sent / rate - time.monotonic()))
                continue
            stamp = str(time.monotonic_ns()).encode()
            parts = []
            for i in range(sent, due):
                head, tail = templates[i % len(templates)]
                payload = head + stamp + tail
                parts.append(frame_header(len(payload)))
                parts.append(payload)
            self.send(b"".join(parts))
            sent = due


def _server_main(control: Connection, prebuild: list[tuple[str, int]], lifetime: float) -> None:
    _Server(control, prebuild, lifetime).serve()


class ReplayServer:
    """Handle on the replay server process: ``with ReplayServer([("trades", 100_000)]) as server: ...``.

    ``prebuild`` lists (workload, frames) pairs to build before the port is reported, so the first
    run does not wait for them; ``lifetime`` bounds the process even if the parent is killed.
    """

    def __init__(self, prebuild: Iterable[tuple[str, int]] = (), lifetime: float = 900.0) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._control, child = ctx.Pipe()
        self._process = ctx.Process(
            target=_server_main, args=(child, list(prebuild), lifetime), name="replay-server", daemon=True
        )
        self._process.start()
        child.close()
        if not self._control.poll(120):
            self._process.kill()
            raise RuntimeError("replay server did not start within 120 s")
        kind, port, info = self._control.recv()
        assert kind == "port"
        self.port: int = port
        self._info: dict[str, tuple[int, int]] = info

    def stream_bytes(self, workload: str, frames: int) -> int:
        """Bytes on the wire for ``frames`` frames of a prebuilt ``workload`` (frames only, no replies)."""
        pool, size = next(v for k, v in self._info.items() if k.startswith(f"{workload}:"))
        return size if frames == pool else frames * size // pool

    def url(
        self, workload: str, frames: int, *, rate: float = 0, drop_every: int = 0, session: str = ""
    ) -> str:
        query: dict[str, object] = {"workload": workload, "frames": frames}
        if rate:
            query["rate"] = rate
        if drop_every:
            query["drop_every"] = drop_every
            query["session"] = session
        path = "/v5/public/linear" if _frames.is_v5(workload) else "/realtime"
        return f"ws://127.0.0.1:{self.port}{path}?{urlencode(query)}"

    def stats(self) -> dict[str, dict[str, int]]:
        """Per drop session: frames sent, connections, drops."""
        self._control.send("stats")
        kind, stats = self._control.recv()
        assert kind == "stats"
        return stats  # type: ignore[no-any-return]

    def close(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self._control.send("stop")
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._control.close()

    def __enter__(self) -> ReplayServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
