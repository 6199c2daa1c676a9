"""Redis Streams: the sink that XADDs raw frames per topic stream, and the reader that turns the entries
back into the live client's typed events (through the recording's :class:`FrameParser`).

An entry is ``{"t": <receive time, epoch seconds>, "key": <endpoint key>, "frame": <the frame's bytes>}``
with the ID ``<receive time in ms>-<n>`` (kept increasing per stream by the sink): when a pipeline broke
half way and is sent again, Redis refuses the entries it already has (their IDs are not above the
stream's top), so a reconnect neither loses nor repeats a frame.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import Any

from bybit_ws.models._common import DataEvent
from bybit_ws.recording._reader import FrameParser
from bybit_ws.recording._writer import topic_of

from ._buffered import BufferedSink

__all__ = ["RedisStreamSink", "read_redis"]

_log = logging.getLogger(__name__)

_STALE = "equal or smaller than the target stream top item"
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


class RedisStreamSink(BufferedSink):
    """Appends every raw frame, with its receive time, to a Redis stream per topic (``XADD`` with an
    approximate ``MAXLEN``, pipelined in batches by a background thread).

    Give it to ``client.record(sink)`` (every topic) or ``subscription.record(sink)`` (one
    subscription's); read the streams elsewhere with :func:`read_redis`. The reader threads only
    append to a bounded buffer; while Redis is unreachable the frames stay buffered (up to ``buffer``
    of them; more are dropped and counted in :attr:`stats`) and the same batch is sent again on
    reconnect, without repeats. One sink per stream: the entry IDs come from the receive times.

    Args:
        url: ``redis://[[user]:password@]host:port/db`` (``rediss://`` for TLS, ``unix://``).
        stream: the stream name, ``{topic}`` replaced by each frame's topic.
        maxlen: keep about this many entries per stream (Redis trims whole nodes: ``MAXLEN ~``);
            ``None``: no trimming.
        batch: frames per pipeline at most.
        buffer: frames buffered at most while Redis is slow or down.
        close_timeout: seconds :meth:`close` keeps trying to hand the buffer on.
        socket_timeout: seconds for Redis to answer a pipeline before it counts as down.

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

        self._client = redis.Redis.from_url(  # no retries of its own: a pipeline sent twice is ours to judge
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            retry=Retry(NoBackoff(), 0),
        )
        self._errors = (redis.ConnectionError, redis.TimeoutError)
        self._response_error = redis.ResponseError
        self._template = stream
        self._maxlen = maxlen
        self._url = _safe_url(url)
        self._streams: dict[str, str] = {}  # topic -> stream name
        self._top: dict[str, tuple[int, int]] = {}  # stream -> the last ID given out
        super().__init__(f"redis-sink({self._url})", buffer=buffer, batch=batch, close_timeout=close_timeout)

    def __repr__(self) -> str:
        return f"RedisStreamSink({self._url!r}, stream={self._template!r}, stats={self.stats})"

    # ------------------------------------------------------------------------------ the flusher
    def _prepare(self, data: bytes, received: datetime, endpoint: str) -> Any:
        topic = topic_of(data)
        if topic is None:
            return None
        name = self._streams.get(topic)
        if name is None:
            name = self._streams[topic] = _stream_name(self._template, topic)
        t = received.timestamp()
        ms = int(t * 1000)
        last = self._top.get(name)
        seq = 0
        if last is not None and ms <= last[0]:
            ms, seq = last[0], last[1] + 1
        self._top[name] = (ms, seq)
        # [stream, id, fields, sent before]
        return [name, f"{ms}-{seq}", {"t": repr(t), "key": endpoint, "frame": data}, False]

    def _deliver(self, items: list[Any]) -> int:
        pipe = self._client.pipeline(transaction=False)
        maxlen, approximate = self._maxlen, self._maxlen is not None
        for name, entry_id, fields, _sent in items:
            pipe.xadd(name, fields, id=entry_id, maxlen=maxlen, approximate=approximate)
        try:
            replies = pipe.execute(raise_on_error=False)
        except self._errors:
            for item in items:
                item[3] = True  # some may have arrived: a refusal next time means "already there"
            raise
        written = 0
        retry: list[Any] = []
        for item, reply in zip(items, replies, strict=True):
            if not isinstance(reply, self._response_error):
                written += 1
            elif _STALE in str(reply) and item[3]:
                written += 1  # sent before the connection broke, and it did arrive
            elif _STALE in str(reply):
                retry.append(item)  # the stream is ahead of our clock (another writer, a clock step)
            else:
                raise reply
        if retry:
            self._renumber(retry)
            items[:] = retry
            raise RuntimeError(f"{len(retry)} entries behind their stream's top; renumbered")
        return written

    def _renumber(self, items: list[Any]) -> None:
        for name in {item[0] for item in items}:
            top = self._client.xinfo_stream(name)["last-generated-id"]
            top = top.decode() if isinstance(top, bytes) else top
            ms, _, seq = top.partition("-")
            self._top[name] = (int(ms), int(seq))
        for item in items:
            ms, seq = self._top[item[0]]
            self._top[item[0]] = (ms, seq + 1)
            item[1] = f"{ms}-{seq + 1}"

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
        last_id: read entries after this ID: ``"$"`` only new ones, ``"0"`` everything kept. With a
            group, where a group created here starts.
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
                _log.debug("read_redis: %s; retrying", exc)
                if left is not None and left <= 0:
                    raise
                time.sleep(0.1 if left is None else min(0.1, left))
                continue
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
