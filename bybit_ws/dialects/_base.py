"""What an API family ("dialect") supplies to the one engine: request shapes, reply classification,
and per-topic parsers. A dialect holds no connection state and starts no threads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import msgspec

from bybit_ws._convert import structurer, time_ms, wire_schema

__all__ = [
    "PONG",
    "Dialect",
    "Parsed",
    "Reply",
    "TopicSpec",
    "TypedParser",
    "classify_op_reply",
    "envelope",
    "list_topic",
]

#: ``(kind, data)``: ``kind`` picks the subscription's handler ("data", "snapshot" or "delta").
Parsed = tuple[str, Any]
#: ``parse(frame, topic, state)``: ``state`` is a dict kept per topic and connection (reset on reconnect).
Parser = Callable[[Mapping[str, Any], str, dict[str, Any]], Parsed | None]


@attrs.frozen
class Reply:
    """A control reply from the server, normalised across dialects."""

    op: str | None
    success: bool
    ret_msg: str = ""
    req_id: str | None = None
    args: tuple[str, ...] | None = None
    failed_args: tuple[str, ...] = ()
    #: the reply frame itself, for request kinds whose reply carries data (the Trade API's)
    frame: Mapping[str, Any] | None = attrs.field(default=None, eq=False, repr=False)


class _Pong:
    def __repr__(self) -> str:
        return "PONG"


#: Returned by :meth:`Dialect.classify` for a heartbeat reply.
PONG: Any = _Pong()


@attrs.frozen
class TypedParser:
    """The fast path of a topic family: msgspec decodes a whole frame into typed structs, then
    ``parse(frame, state)`` builds what the dict parser builds from the same frame.

    ``decode(data)`` raises ``ValueError`` when the frame does not fit the schema (the engine then
    takes the dict path); the result has ``topic``, ``ts`` (the frame's exchange time as sent, or
    ``None``) and ``type`` (a string or ``None``) attributes: see :func:`envelope`.
    """

    decode: Callable[[bytes], Any]
    parse: Callable[[Any, dict[str, Any]], Parsed | None]
    #: the envelope structs ``decode`` tries, in order
    envelopes: tuple[type[Any], ...] = ()

    @classmethod
    def of(
        cls,
        envelope: type[Any],
        parse: Callable[[Any, dict[str, Any]], Parsed | None],
        lenient: type[Any] | None = None,
    ) -> TypedParser:
        """A parser for frames shaped as the msgspec struct ``envelope`` (JSON floats as Decimal).

        ``lenient``: a second envelope for the frames ``envelope`` rejects as the wrong shape (an exact
        schema's, see :func:`~bybit_ws._convert.wire_schema`): ``decode`` tries ``envelope`` and then
        ``lenient``, so such a frame still takes the typed path; ``parse`` tells the two apart by type.
        """
        for struct in (envelope, lenient) if lenient else (envelope,):
            missing = {"topic", "ts", "type"}.difference(struct.__struct_fields__)
            if missing:
                raise TypeError(f"{struct.__name__} lacks the envelope fields {sorted(missing)}")
        exact = msgspec.json.Decoder(envelope, float_hook=Decimal).decode
        if lenient is None:
            return cls(exact, parse, (envelope,))
        decode_lenient = msgspec.json.Decoder(lenient, float_hook=Decimal).decode
        mismatch = msgspec.ValidationError

        def decode(data: bytes) -> Any:
            try:
                return exact(data)
            except mismatch:
                return decode_lenient(data)

        return cls(decode, parse, (envelope, lenient))


def envelope(
    name: str,
    fields: Sequence[tuple[str, Any] | tuple[str, Any, Any]],
    *,
    stamp: str = "ts",
    kw_only: bool = False,
) -> type[Any]:
    """A typed frame struct: ``topic`` and ``fields``, plus the metadata every event carries: ``ts``,
    read from the wire key ``stamp`` (``"creationTime"`` on private streams, ``"timestamp_e6"`` on
    inverse v2), and ``type``, unless ``fields`` declares them itself."""
    names = {field[0] for field in fields}
    extra: list[tuple[str, Any, Any]] = [(key, kind, None) for key, kind in _META if key not in names]
    return msgspec.defstruct(
        name,
        [("topic", str), *fields, *extra],
        rename=None if stamp == "ts" else {"ts": stamp},
        gc=False,
        kw_only=kw_only,
    )


#: the envelope fields of the event metadata, and their types
_META: tuple[tuple[str, Any], ...] = (("ts", Any), ("type", str | None))


@attrs.frozen
class TopicSpec:
    """How to handle the frames of one topic family.

    Attributes:
        parse: frame -> ``(kind, data)``, or ``None`` to skip the frame.
        continuous: the topic streams all the time (order books, tickers): silence means a stale feed.
        private: needs an authenticated connection.
        typed: an optional faster path for the same frames (see :class:`TypedParser`); the engine
            falls back to ``parse`` for any frame it cannot take.
        stamp: the frame key of the exchange's time of a frame (an event's ``exchange_timestamp``).
        time: makes a datetime of that key's value (e.g. ``time_ms``, ``time_us``).
    """

    parse: Parser
    continuous: bool = False
    private: bool = False
    typed: TypedParser | None = None
    stamp: str = "ts"
    time: Callable[[Any], Any] = time_ms


def list_topic(
    model: type[Any],
    *,
    private: bool = False,
    order: Sequence[str] = (),
    stamp: str = "ts",
    time: Callable[[Any], Any] = time_ms,
) -> TopicSpec:
    """The spec of a topic whose frames carry ``data``: a list of ``model``, with its typed path
    (``order``: the wire keys of an item as the exchange sends them, see :func:`wire_schema`;
    ``stamp`` and ``time``: the frame's exchange time, see :class:`TopicSpec`)."""
    exact = wire_schema(model, order=order, exact=True)
    build_all = exact.build_all
    lenient_schema = wire_schema(model, order=order)
    build_all_lenient = lenient_schema.build_all
    frame_struct = _list_envelope(f"{model.__name__}ExactFrame", exact.struct, stamp)

    def parse(frame: Any, state: dict[str, Any]) -> Parsed:
        if type(frame) is frame_struct:
            return "data", build_all(frame.data)
        return "data", build_all_lenient(frame.data)

    lenient = _list_envelope(f"{model.__name__}Frame", lenient_schema.struct, stamp)
    typed = TypedParser.of(frame_struct, parse, lenient)
    return TopicSpec(_list_parser(structurer(model)), private=private, typed=typed, stamp=stamp, time=time)


def _list_envelope(name: str, item: type[Any], stamp: str) -> type[Any]:
    items: Any = list.__class_getitem__(item)  # list[item], built at run time
    return envelope(name, [("data", items)], stamp=stamp)


def _list_parser(structure: Callable[[Mapping[str, Any]], Any]) -> Parser:
    """A parser for frames whose ``data`` is a list of one model."""

    def parse(frame: Mapping[str, Any], topic: str, state: dict[str, Any]) -> Parsed:
        return "data", [structure(item) for item in frame["data"]]

    return parse


def classify_op_reply(frame: Mapping[str, Any]) -> Reply | Any | None:
    """v3/v5 replies: ``{"success", "ret_msg", "conn_id", "req_id"?, "op"}``; pongs in either shape."""
    op = frame.get("op")
    if op in ("pong", "ping") or frame.get("ret_msg") == "pong":
        return PONG
    if "success" not in frame:
        return None
    req_id = frame.get("req_id")
    return Reply(
        op=str(op) if op else None,
        success=frame.get("success") is True,
        ret_msg=str(frame.get("ret_msg") or ""),
        req_id=str(req_id) if req_id else None,
    )


class Dialect:
    """Base class of the three API families. Subclasses set the class attributes and override the hooks."""

    #: Family name, also the ``urls`` key prefix.
    name: str = ""
    #: Whether requests carry a ``req_id`` (v3, v5).
    uses_req_id: bool = False
    #: Most topics one subscribe request may carry (None: no limit).
    max_args_per_request: int | None = None
    #: Most characters of topic args one connection may carry (None: no limit).
    max_chars_per_connection: int | None = None
    #: Most topics one connection may carry (None: no limit).
    max_topics_per_connection: int | None = None
    #: Most connections to this endpoint Bybit allows one IP (None: no limit the library knows).
    max_connections: int | None = None
    #: ``(count, seconds)``: most new connections Bybit allows one IP per domain in any ``seconds``.
    max_new_connections: tuple[int, float] | None = None
    #: Whether this endpoint's pong carries the server's time (v5 private, option and spread ``args[0]``).
    pong_has_time: bool = False

    def connection_limit_error(self, open_now: int, new: int, opened_recently: int) -> str | None:
        """Why opening ``new`` more connections to this endpoint would break Bybit's per-IP limits, with
        ``open_now`` open to it and ``opened_recently`` opened to its domain in the window (else None)."""
        if self.max_connections is not None and open_now + new > self.max_connections:
            return (
                f"{self.name}: this subscription needs {new} more connection(s) besides the {open_now} open, "
                f"over Bybit's limit of {self.max_connections:,} connections per IP to this endpoint"
            )
        if self.max_new_connections is not None:
            count, seconds = self.max_new_connections
            if opened_recently + new > count:
                return (
                    f"{self.name}: this subscription needs {new} new connection(s) and {opened_recently} "
                    f"were opened in the last {seconds / 60:g} minutes, over Bybit's limit of {count:,} "
                    f"new connections per IP per {seconds / 60:g} minutes"
                )
        return None

    def batches(self, topics: Sequence[str]) -> list[list[str]]:
        """Split topics into subscribe/unsubscribe requests (``max_args_per_request`` each)."""
        size = self.max_args_per_request or 100
        return [list(topics[i : i + size]) for i in range(0, len(topics), size)]

    def request(self, op: str, args: Iterable[Any], req_id: str | None) -> dict[str, Any]:
        """A subscribe/unsubscribe/auth request frame."""
        frame: dict[str, Any] = {"op": op, "args": list(args)}
        if req_id is not None and self.uses_req_id:
            frame["req_id"] = req_id
        return frame

    def ping(self, req_id: str | None) -> dict[str, Any]:
        """The heartbeat request frame."""
        frame: dict[str, Any] = {"op": "ping"}
        if req_id is not None and self.uses_req_id:
            frame["req_id"] = req_id
        return frame

    def classify(self, frame: Mapping[str, Any]) -> Reply | Any | None:
        """A non-data frame: a :class:`Reply`, :data:`PONG`, or ``None`` if it is not a control frame."""
        raise NotImplementedError

    def topic_spec(self, topic: str) -> TopicSpec | None:
        """How to parse frames of ``topic`` (None: unknown topic, frames are ignored)."""
        raise NotImplementedError
