"""Redis Streams: the sink that XADDs raw frames per topic stream, and the reader that turns the entries
back into the live client's typed events (through the recording's :class:`FrameParser`).

An entry is ``{"t": <receive time, epoch seconds>, "key": <endpoint key>, "frame": <the frame's bytes>}``
under an ID Redis gives (``*``). The sink writes a batch of frames in one atomic script call that also
stores the batch's number, so a batch sent again after a broken connection is not written twice: a
reconnect neither loses nor repeats a frame.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import Any

from bybit_ws.models._common import DataEvent
from bybit_ws.recording._reader import FrameParser
from bybit_ws.recording._writer import topic_of

from ._buffered import BufferedSink

_TOPIC_FIRST = b'{"topic":"'
_TOPIC_AT = len(_TOPIC_FIRST)

__all__ = ["RedisStreamSink", "read_redis"]

_log = logging.getLogger(__name__)

_fromtimestamp = datetime.fromtimestamp
_utc = timezone.utc


def _redis() -> Any:
    try:
        import redis
    except ImportError as exc:
        message = "Redis sinks need redis-py: pip install 'bybit-ws-sync[redis]'"
        raise ImportError(message, name=exc.name) from exc
    return redis


def _stream_name(template: str, topic: str) -> str:
    return template.replace("{topic}", topic)


#: XADDs a batch of frames, each to its stream, in one atomic call; a batch number not above the last
#: one this sink had applied (a resend after the reply was lost) is not applied again
_SCRIPT = b"""
local last = tonumber(redis.call('GET', KEYS[1]) or '-1')
if last >= tonumber(ARGV[1]) then return {-1, 0} end
local maxlen, n, failed = ARGV[2], 0, 0
for i = 3, #ARGV, 4 do
  local r
  if maxlen == '' then
    r = redis.pcall('XADD', ARGV[i], '*', 't', ARGV[i+1], 'key', ARGV[i+2], 'frame', ARGV[i+3])
  else
    r = redis.pcall('XADD', ARGV[i], 'MAXLEN', '~', maxlen, '*', 't', ARGV[i+1], 'key', ARGV[i+2],
                    'frame', ARGV[i+3])
  end
  if type(r) == 'table' and r.err then failed = failed + 1 else n = n + 1 end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', 86400)
return {n, failed}
"""


def _bulk(value: bytes) -> bytes:
    """One RESP bulk string."""
    return b"$%d\r\n%b\r\n" % (len(value), value)


class RedisStreamSink(BufferedSink):
    """Appends every raw frame, with its receive time, to a Redis stream per topic (``XADD`` with an
    approximate ``MAXLEN``), in batches, from a background thread.

    Give it to ``client.record(sink)`` (every topic) or ``subscription.record(sink)`` (one
    subscription's); read the streams elsewhere with :func:`read_redis`. The reader threads only
    append to a bounded buffer; while Redis is unreachable the frames stay buffered (up to ``buffer``
    of them; more are dropped and counted in :attr:`stats`) and go on reconnect. A batch is one
    atomic Lua call (``EVAL``) that also records the batch's number under a key of its own
    (``bybit-ws:sink:<uuid>``, expiring after a day), so a batch sent again after its reply was lost
    is not written twice. Entry IDs are Redis's own (``*``), increasing per stream; the receive time
    is the entry's ``t`` field. Several sinks may write to one stream. Not for Redis Cluster (a batch
    spans streams).

    Args:
        url: ``redis://[[user]:password@]host:port/db`` (``rediss://`` for TLS, ``unix://``).
        stream: the stream name, ``{topic}`` replaced by each frame's topic.
        maxlen: keep about this many entries per stream (Redis trims whole nodes: ``MAXLEN ~``);
            ``None``: no trimming.
        batch: frames per call at most.
        buffer: frames buffered at most while Redis is slow or down.
        close_timeout: seconds :meth:`close` keeps trying to hand the buffer on.
        socket_timeout: seconds for Redis to answer before it counts as down.

    Raises:
        ImportError: redis-py is missing (extra ``[redis]``).
        ValueError: a bad argument or URL.
    """

    def __init__(
        self,
        url: str,
        stream: str = "bybit:{topic}",
        *,
        maxlen: int | None = 1_000_000,
        batch: int = 500,
        buffer: int = 200_000,
        close_timeout: float = 5.0,
        socket_timeout: float = 5.0,
    ) -> None:
        redis = _redis()
        if "{topic}" not in stream:
            raise ValueError(f"stream must contain '{{topic}}', not {stream!r}")
        if maxlen is not None and maxlen < 1:
            raise ValueError("maxlen must be at least 1 (or None)")
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self._client = redis.Redis.from_url(  # no retries of its own: a batch sent twice is ours to judge
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            retry=Retry(NoBackoff(), 0),
        )
        self._response_error = redis.ResponseError
        self._template = stream
        self._url = _safe_url(url)
        self._marker = f"bybit-ws:sink:{uuid.uuid4().hex}"
        self._head = _bulk(b"EVAL") + _bulk(_SCRIPT) + _bulk(b"1") + _bulk(self._marker.encode())
        self._maxlen = _bulk(b"" if maxlen is None else str(maxlen).encode())
        self._streams: dict[bytes, bytes] = {}  # a topic as it starts frames -> its stream name, packed
        self._endpoints: dict[str, bytes] = {}  # endpoint key -> packed
        self.failed = 0  # frames Redis refused (e.g. the stream's key holds another type): dropped
        super().__init__(f"redis-sink({self._url})", buffer=buffer, batch=batch, close_timeout=close_timeout)

    def __repr__(self) -> str:
        return f"RedisStreamSink({self._url!r}, stream={self._template!r}, stats={self.stats})"

    # ------------------------------------------------------------------------------ the flusher
    def _prepare(self, data: bytes, received: datetime, endpoint: str) -> bytes | None:
        """The frame's four script arguments (stream, receive time, endpoint, frame), packed."""
        name = None
        if data.startswith(_TOPIC_FIRST):  # the common shape: the topic's bytes name the stream
            name = self._streams.get(data[_TOPIC_AT : data.find(b'"', _TOPIC_AT)])
        if name is None:
            topic = topic_of(data)
            if topic is None:
                return None
            name = _bulk(_stream_name(self._template, topic).encode())
            if data.startswith(b'{"topic":"%b"' % topic.encode()):
                self._streams[topic.encode()] = name
        key = self._endpoints.get(endpoint)
        if key is None:
            key = self._endpoints[endpoint] = _bulk(endpoint.encode())
        t = b"%.6f" % received.timestamp()
        return b"%b$%d\r\n%b\r\n%b$%d\r\n%b\r\n" % (name, len(t), t, key, len(data), data)

    def _deliver(self, items: list[Any]) -> int:
        number = str(self._batches).encode()
        packed = b"".join(
            (b"*%d\r\n" % (6 + 4 * len(items)), self._head, _bulk(number), self._maxlen, *items)
        )
        pool = self._client.connection_pool
        connection = pool.get_connection()
        try:
            connection.send_packed_command([packed], check_health=False)  # one sendall
            reply = connection.read_response()
        except self._response_error:
            raise
        except BaseException:
            connection.disconnect()  # the reply may still come: never read it as the next one's
            raise
        finally:
            pool.release(connection)
        if isinstance(reply, self._response_error):
            raise reply
        written, failed = int(reply[0]), int(reply[1])
        if written < 0:  # applied before: the reply to the first attempt was lost
            return len(items)
        if failed:
            self.failed += failed
            with self._lock:
                self._dropped += failed
            _log.warning("%s: Redis refused %d frames (see its log); dropped", self.name, failed)
        return written

    def _release(self) -> None:
        self._client.close()


def _safe_url(url: str) -> str:
    """``url`` without its password (for logs and reprs)."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return f"{scheme}{sep}{rest}"


def read_redis(
    url: str,
    topics: Sequence[str],
    last_id: str = "$",
    block: float | None = None,
    group: str | None = None,
    consumer: str | None = None,
    *,
    stream: str = "bybit:{topic}",
    count: int = 500,
    keep_original_data: bool = False,
) -> Iterator[DataEvent[Any]]:
    """The typed events of the frames a :class:`RedisStreamSink` wrote, as the live client delivers
    them: each frame goes through its endpoint's parser (:class:`bybit_ws.recording.FrameParser`, the
    engine :func:`bybit_ws.recording.read` uses), in order per topic. ``event.timestamp`` is the
    frame's receive time at the recorder.

    Args:
        url: the Redis URL the sink writes to.
        topics: the wire topics to read (``"publicTrade.BTCUSDT"``, ...).
        last_id: read entries after this ID: ``"$"`` those added from the first ``next()`` on, ``"0"``
            everything kept, ``"<ms>-0"`` those added from that Redis time on. With a group, where a
            group created here starts.
        block: seconds to wait for new entries before the iterator ends (``None``: forever; ``0``:
            end as soon as nothing is waiting). While Redis is unreachable the reader retries; after
            ``block`` seconds down it raises.
        group, consumer: read through this consumer group (created when missing) as this consumer:
            the group's consumers share the entries, each gets its own; what was yielded is
            acknowledged (``XACK``) when the next event is asked for, or when the iterator is closed.
            Entries delivered to this consumer before but never acknowledged come first.
        stream: the sink's stream name template.
        count: entries fetched per call at most.
        keep_original_data: fill ``event.original_data`` with the frame text.

    Raises:
        ImportError: redis-py is missing (extra ``[redis]``).
        ValueError: bad arguments.
        redis.ConnectionError: Redis unreachable for longer than ``block``.
    """
    redis = _redis()
    if not topics:
        raise ValueError("read_redis needs at least one topic")
    if (group is None) != (consumer is None):
        raise ValueError("group and consumer go together")
    if block is not None and block < 0:
        raise ValueError("block must be 0 or more (or None)")
    if count < 1:
        raise ValueError("count must be at least 1")
    names = {_stream_name(stream, t): t for t in topics}
    reader = _Reader(redis, names, last_id, block, group, consumer, count, keep_original_data)
    return _read(redis, url, reader)


def _read(redis: Any, url: str, reader: _Reader) -> Iterator[DataEvent[Any]]:
    reader.client = client = redis.Redis.from_url(url)
    try:
        yield from reader
    finally:
        client.close()


class _Reader:
    """The loop behind :func:`read_redis` (a class for its state: positions, acknowledgements)."""

    def __init__(
        self,
        redis: Any,
        names: dict[str, str],
        last_id: str,
        block: float | None,
        group: str | None,
        consumer: str | None,
        count: int,
        keep: bool,
    ) -> None:
        self.client: Any = None
        self.redis, self.names = redis, names
        self.group, self.consumer, self.count, self.keep = group, consumer, count, keep
        self.block = block
        self.last_id = last_id
        self.positions = dict.fromkeys(names, "0" if group is not None else last_id)
        self.unacked: dict[str, list[str]] = {}
        self.errors = (redis.ConnectionError, redis.TimeoutError)
        self.down = False  # Redis unreachable (logged once)

    def __iter__(self) -> Iterator[DataEvent[Any]]:
        event_of = FrameParser().event
        try:
            if self.group is not None:
                self._create_groups(self.last_id)
            elif self.last_id == "$":
                self._pin_positions()
            waited_from = time.monotonic()
            while True:
                batch = self._fetch(waited_from)
                if batch is None:
                    return
                if not batch:
                    continue
                waited_from = time.monotonic()
                for name, entries in batch:
                    topic = self.names[name]
                    for raw_id, fields in entries:
                        entry_id = self._decode(raw_id)
                        if self.group is None:
                            self.positions[name] = entry_id
                        else:
                            self.unacked.setdefault(name, []).append(entry_id)
                        if not fields:  # a pending entry trimmed from the stream since
                            continue
                        data = fields[b"frame"]
                        event = event_of(
                            fields[b"key"].decode(),
                            topic,
                            data,
                            _fromtimestamp(float(fields[b"t"]), _utc),
                            data.decode("utf-8", "replace") if self.keep else None,
                        )
                        if event is not None:
                            yield event
        finally:
            self._ack(quiet=True)

    def _fetch(self, waited_from: float) -> list[Any] | None:
        """The next entries ([] when none yet, None when the iterator ends)."""
        block = self.block
        while True:
            left = None if block is None else block - (time.monotonic() - waited_from)
            if block != 0 and left is not None and left < 0:
                return None
            wait_ms = 1000 if left is None else max(1, int(min(left, 1.0) * 1000))
            try:
                self._ack()
                if self.group is None:
                    wait = None if block == 0 else wait_ms
                    got = self.client.xread(self.positions, count=self.count, block=wait)
                else:
                    got = self._read_group(0 if block == 0 else wait_ms)
            except self.errors as exc:
                if not self.down:
                    _log.warning("read_redis: %s; retrying", exc)  # once an outage
                self.down = True
                if left is not None and left <= 0:
                    raise
                time.sleep(0.1 if left is None else min(0.1, left))
                continue
            if self.down:
                _log.warning("read_redis: reading again")
                self.down = False
            got = self._named(got)
            if got:
                return got
            if block == 0:
                return None
            return []

    def _read_group(self, wait_ms: int) -> list[tuple[str, Any]]:
        pending = {n: p for n, p in self.positions.items() if p != ">"}
        try:
            if pending:  # first this consumer's own entries delivered before and never acknowledged
                got = self._named(
                    self.client.xreadgroup(self.group, self.consumer, pending, count=self.count)
                )
                for name in pending:
                    entries = dict(got).get(name)
                    self.positions[name] = self._decode(entries[-1][0]) if entries else ">"
                got = [(n, e) for n, e in got if e]
                if got:
                    return got
            streams = dict.fromkeys(self.names, ">")
            got = self.client.xreadgroup(
                self.group, self.consumer, streams, count=self.count, block=wait_ms or None
            )
            return self._named(got)
        except self.redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self._create_groups("0")  # Redis restarted without its data: read the new streams from the start
            return []

    @classmethod
    def _named(cls, got: Any) -> list[tuple[str, Any]]:
        """XREAD's answer (RESP2: pairs; RESP3: a dict) as (stream name, entries) pairs."""
        if not got:
            return []
        pairs = got.items() if isinstance(got, dict) else got
        return [(cls._decode(n), e) for n, e in pairs]

    @staticmethod
    def _decode(value: Any) -> str:
        return value.decode() if isinstance(value, bytes) else str(value)

    def _pin_positions(self) -> None:
        """``"$"`` as each stream's last ID now: XREAD re-reads ``"$"`` on every call, so entries added
        between two calls would be missed."""
        for name in self.names:
            try:
                top = self.client.xinfo_stream(name)["last-generated-id"]
            except self.redis.ResponseError:  # no such stream yet: everything it will get is new
                top = "0-0"
            self.positions[name] = self._decode(top)

    def _create_groups(self, start: str) -> None:
        for name in self.names:
            try:
                self.client.xgroup_create(name, self.group, id=start, mkstream=True)
            except self.redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def _ack(self, quiet: bool = False) -> None:
        if not self.unacked:
            return
        try:
            for name, ids in self.unacked.items():
                self.client.xack(name, self.group, *ids)
        except self.redis.ResponseError as exc:  # NOGROUP: Redis restarted without its data
            left = sum(map(len, self.unacked.values()))
            _log.warning("read_redis: could not acknowledge %d entries: %s", left, exc)
        except self.errors:
            if not quiet:
                raise
            _log.warning("read_redis: could not acknowledge %d entries", sum(map(len, self.unacked.values())))
            return
        self.unacked.clear()
