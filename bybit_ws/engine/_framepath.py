"""The frame path, run by a connection's reader thread: decode -> parse (dialect) -> route -> mailboxes.

This is the hot path. A data frame of a topic with a typed parser is decoded by msgspec straight into
structs and built into models; anything else is decoded to dicts and parsed by the dialect. Control
frames (replies, pongs) go to the request layer and the heartbeat. A frame that cannot be decoded or
parsed is that frame's problem only: it is reported as a :class:`FrameError` and the reader goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import msgspec

from bybit_ws._convert import required_twin
from bybit_ws._errors import FrameError
from bybit_ws.dialects._base import PONG, Dialect, Parsed, Reply
from bybit_ws.enums import UpdateType
from bybit_ws.models._common import DataEvent

from ._registry import Registry, Route

_log = logging.getLogger(__name__)

__all__ = [
    "TYPED_RETRY",
    "FramePath",
    "FrameRecorder",
    "FrameTap",
    "decode_frame",
    "frame_meta",
    "new_event",
]

#: Decode one frame (every connection's: streams and trade); JSON floats become exact ``Decimal``
#: values (msgspec hands every float's text to Decimal, in C: no double in between), integers stay
#: ``int``. Raises ValueError (msgspec's DecodeError, UnicodeDecodeError) for bytes that are not JSON,
#: and RecursionError for JSON nested deeper than the decoder goes.
decode_frame: Callable[[bytes], Any] = msgspec.json.Decoder(float_hook=Decimal).decode
_decode = decode_frame


#: frames of one socket read whose events are handed over together at most (a 256 KiB read of small
#: frames holds ~1,000: the first ones' events then wait ~1 ms, not the whole read)
_HAND_OVER = 128

#: dict-path frames a topic's frames take after one its typed schema did not fit, before the typed path
#: is tried again (a feed that never fits costs one failed typed decode per this many frames)
TYPED_RETRY = 256

_TOPIC_FIRST = b'{"topic":"'
_TOPIC_AT = len(_TOPIC_FIRST)

_event_twin = required_twin(DataEvent)  # events are built as the generated model builders build models
#: an event's update type by its parsed kind ("snapshot", "delta"), or for kind "data" by the frame's type
_UPDATE_TYPES: dict[Any, UpdateType] = {"snapshot": UpdateType.SNAPSHOT, "delta": UpdateType.DELTA}


def new_event(
    kind: str,
    payload: Any,
    topic: str,
    received: datetime,
    original: str | None,
    stamp: Any,
    frame_type: str | None,
    time: Callable[[Any], datetime | None],
) -> DataEvent[Any]:
    """The event of one parsed frame: what :meth:`FramePath.on_frame` and :func:`bybit_ws.recording.read`
    hand on.

    ``kind`` and ``payload``: what the topic's parser gave; ``stamp``: the frame's exchange time as sent
    (``None``: none), made a datetime by ``time``; ``frame_type``: the frame's ``type`` string. The
    update type is the parsed kind where the parser told snapshots from deltas (a v5 book delta with
    ``u == 1`` is a snapshot), else the frame's own type.
    """
    event: Any = _event_twin()  # DataEvent(...) without attrs' __init__ and its frozen slot stores
    event.data = payload
    event.topic = topic
    event.timestamp = received
    event.original_data = original
    # made a datetime when first read (see models._common._ExchangeTime)
    event.exchange_timestamp = None if stamp is None else (stamp, time)
    event.update_type = _UPDATE_TYPES.get(frame_type if kind == "data" else kind)
    event.__class__ = DataEvent
    return event  # type: ignore[no-any-return]


def frame_meta(frame: dict[str, Any], stamp_key: str) -> tuple[Any, str | None]:
    """A decoded frame's exchange time as sent (at ``stamp_key``) and its ``type`` (a string or None)."""
    frame_type = frame.get("type")
    return frame.get(stamp_key), frame_type if type(frame_type) is str else None


class FrameRecorder(Protocol):
    """Anything that records raw frames, e.g. :class:`bybit_ws.recording.Recorder`. One that also has
    ``write_many(frames, received, endpoint, json)`` gets a socket read's frames in one call (``json``:
    the reader decoded every frame as JSON)."""

    def write(self, data: bytes, received: datetime, endpoint: str) -> None:
        """Record one frame's bytes, its receive time and its endpoint's ``urls`` key (thread-safe)."""


class FrameTap:
    """Hands a connection's frames (all, or those of ``topics``: exact or ``prefix.*``) to a recorder."""

    __slots__ = ("endpoint", "recorder", "topics", "write", "write_many")

    def __init__(self, recorder: FrameRecorder, endpoint: str, topics: frozenset[str] | None = None) -> None:
        self.recorder = recorder
        self.endpoint = endpoint
        self.topics = topics
        self.write = recorder.write  # bound once
        #: the recorder's ``write_many`` for a tap of every topic: a socket read's frames in one call
        self.write_many: Callable[[list[bytes], datetime, str, bool], None] | None = (
            getattr(recorder, "write_many", None) if topics is None else None
        )

    def __call__(self, data: bytes, received: datetime) -> None:
        topics = self.topics
        if topics is not None:
            topic = _topic_of(data) or _decoded_topic(data)
            if topic is None or (topic not in topics and topic.rpartition(".")[0] + ".*" not in topics):
                return
        self.write(data, received, self.endpoint)


class FramePath:
    """What one connection's reader does with each frame.

    Args:
        registry: where frame topics are routed (its ``routes`` snapshot is read once a frame).
        on_reply: a control reply (the request layer matches it to its request).
        on_pong: a heartbeat reply.
        on_pong_frame: also gets the heartbeat reply's frame (it may tell the server's time).
    """

    def __init__(
        self,
        name: str,
        dialect: Dialect,
        registry: Registry,
        *,
        keep_original_data: bool,
        on_reply: Callable[[Reply], object],
        on_pong: Callable[[], None],
        on_pong_frame: Callable[[Mapping[str, Any]], None] | None = None,
    ) -> None:
        self.name = name
        self.dialect = dialect
        self.registry = registry
        self.keep_original_data = keep_original_data
        self._on_reply = on_reply
        self._on_pong = on_pong
        self._on_pong_frame = on_pong_frame
        #: set on every data frame, cleared by the stale-feed watchdog
        self.fed = False
        #: recorders of this connection's raw frames (replaced, never changed in place)
        self.taps: tuple[FrameTap, ...] = ()
        #: the events of this socket read not yet handed over, per target (see Sink), in order
        self._staged: dict[Any, list[Any]] = {}
        self._frames = 0  # frames taken since the last hand-over
        #: the frames taken for the taps since the last hand-over (one socket read's), their receive
        #: time, and whether one failed to decode (every frame the reader takes is decoded as JSON,
        #: typed or dict, or reported by _bad_frame: the others are vouched for as JSON)
        self._tapped: list[bytes] = []
        self._tapped_at: datetime | None = None
        self._tapped_bad = False

    def on_frame(self, data: bytes, received: datetime) -> None:
        """One whole frame, read at ``received``: its events are handed over at once."""
        self.take(data, received)
        self.end_read()

    def end_read(self) -> None:
        """Hand over the events taken since the last call: one ``put_items`` per subscription (the
        reader calls it after each socket read's frames)."""
        if self._tapped:
            self._record()
        staged = self._staged
        self._frames = 0
        if staged:
            self._staged = {}
            for target, items in staged.items():
                target.put_items(items)

    def take(self, data: bytes, received: datetime) -> None:
        """One whole frame of a socket read, read at ``received``: its events wait for
        :meth:`end_read` (every ``_HAND_OVER`` frames at the latest)."""
        if self.taps:  # the frame is recorded with its read's frames (end_read)
            if received is not self._tapped_at:
                if self._tapped:
                    self._record()
                self._tapped_at = received
            self._tapped.append(data)
        route: Route | None = None
        parsed: Parsed | None = None
        typed_done = False
        if data.startswith(_TOPIC_FIRST):
            # The common shape, {"topic":"...",...}: a topic with a typed parser takes the fast path,
            # msgspec decoding the whole frame into structs. Anything it cannot take goes the dict way.
            route = self.registry.routes.raw.get(data[_TOPIC_AT : data.find(b'"', _TOPIC_AT)])
            if route is not None and route.typed is not None:
                typed = route.typed
                try:
                    envelope = typed.decode(data)
                    if envelope.topic != route.topic:
                        raise ValueError("another topic")
                    parsed = typed.parse(envelope, route.state)
                except Exception:
                    pass
                else:
                    typed_done = self.fed = True
                    stamp = envelope.ts
                    frame_type = envelope.type
        if not typed_done:
            found = self._parse_dict(data, route)
            if found is None:
                return
            route, parsed, stamp, frame_type = found
        if parsed is None or route is None:  # (a route is always set here; the test is for mypy)
            return
        kind, payload = parsed
        original = data.decode("utf-8", "replace") if self.keep_original_data else None
        event = new_event(kind, payload, route.topic, received, original, stamp, frame_type, route.time)
        sinks = route.sinks.get(kind)
        if sinks is None:
            sinks = route.sinks_of(kind)
        staged = self._staged
        for target, callback in sinks:
            item = event if callback is None else (callback, event, True)
            items = staged.get(target)
            if items is None:
                staged[target] = [item]
            else:
                items.append(item)
        self._frames += 1
        if self._frames >= _HAND_OVER:
            self.end_read()

    def _record(self) -> None:
        """Hand the frames taken for the taps over: in one call to a recorder with ``write_many``."""
        frames, self._tapped = self._tapped, []
        received: Any = self._tapped_at
        json, self._tapped_bad = not self._tapped_bad, False
        for tap in self.taps:
            write_many = tap.write_many
            if write_many is not None:
                try:
                    write_many(frames, received, tap.endpoint, json)
                except Exception:
                    _log.exception("%s: recording a socket read's frames failed", self.name)
                continue
            for data in frames:
                try:
                    tap(data, received)
                except Exception:
                    _log.exception("%s: recording a frame failed", self.name)

    def _parse_dict(
        self, data: bytes, missed: Route | None
    ) -> tuple[Route, Parsed | None, Any, str | None] | None:
        """The dict path: decode, route and parse a frame the typed path did not take (``missed``: the
        typed route that tried), with the frame's metadata (see :func:`frame_meta`). ``None``: nothing
        to deliver (a control frame, a bad or unrouted one)."""
        try:
            frame = _decode(data)
        except Exception as exc:  # not JSON, bad UTF-8, nested deeper than the decoder goes
            self._bad_frame(data, _topic_of(data), exc)
            return None
        if type(frame) is not dict:
            self._bad_frame(data, None, ValueError("not a JSON object"))
            return None
        topic = frame.get("topic")
        if type(topic) is not str:
            self._on_control(frame, data)
            return None
        registry = self.registry
        route = registry.routes.cache.get(topic)
        if route is None:
            route = registry.route(topic)
        parse = route.parse
        if parse is None:
            return None
        self.fed = True
        try:
            parsed = parse(frame, topic, route.state)
        except Exception as exc:
            self._bad_frame(data, topic, exc)
            return None
        if missed is route and route.typed is not None:
            # the dict path took a frame the typed one could not: the next frames of this topic take the
            # dict path too, then the typed one is tried again (one odd frame does not turn it off)
            _log.debug(
                "%s: a %s frame did not fit its typed schema; the dict path takes the next %d",
                self.name,
                topic,
                TYPED_RETRY,
            )
            route.parked, route.typed, route.retry_in = route.typed, None, TYPED_RETRY
        elif route.parked is not None:
            route.retry_in -= 1
            if route.retry_in <= 0:
                route.typed, route.parked = route.parked, None
        return (route, parsed, *frame_meta(frame, route.stamp))

    def _on_control(self, frame: dict[str, Any], data: bytes) -> None:
        try:
            result = self.dialect.classify(frame)
        except Exception as exc:
            self._bad_frame(data, None, exc)
            return
        if result is PONG:
            self._on_pong()
            if self._on_pong_frame is not None:
                self._on_pong_frame(frame)
        elif isinstance(result, Reply):
            self._on_reply(result)
        else:
            _log.debug("%s: ignored frame %.200r", self.name, data)

    def _bad_frame(self, data: bytes, topic: str | None, exc: BaseException) -> None:
        """Report a frame that cannot be decoded or parsed to the subscriptions of its topic (to every
        subscription when its topic cannot be told), and go on with the next frame."""
        text = data.decode("utf-8", "replace")
        error = FrameError(
            f"cannot parse frame{' of ' + topic if topic else ''}: {exc}", topic=topic, text=text
        )
        error.__cause__ = exc
        _log.warning("%s: %s; frame starts %.200r", self.name, error, text)
        if self._tapped:  # not vouched for as JSON (it may be, e.g. a parser's error: then checked)
            self._tapped_bad = True
        self.end_read()  # the events of the frames before it go first
        routes = self.registry.routes
        subs = routes.resolve(topic) if topic is not None else routes.subscriptions()
        for sub in subs:
            sub.report(error)


def _topic_of(data: bytes) -> str | None:
    """The topic of a frame that starts ``{"topic":"...`` (for frames that cannot be decoded)."""
    if not data.startswith(_TOPIC_FIRST):
        return None
    end = data.find(b'"', _TOPIC_AT)
    return data[_TOPIC_AT:end].decode("utf-8", "replace") if end > 0 else None


def _decoded_topic(data: bytes) -> str | None:
    """The topic of a frame whose topic is not its first key (the recording path only)."""
    try:
        frame = _decode(data)
    except Exception:
        return None
    topic = frame.get("topic") if type(frame) is dict else None
    return topic if type(topic) is str else None
