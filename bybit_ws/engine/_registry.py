"""The registry of one connection: topics <-> subscriptions, each topic's subscribe status, and the
routes the reader looks frames up in.

The registry is the source of truth: a reconnect replays it. Its methods run with the connection's lock
held, except :meth:`Registry.route` (reader thread), which reads the immutable snapshot of topics and
subscriptions and fills caches only: the snapshot's route caches (written by that one reader thread
alone) and the per-topic parse specs and parser state (an entry, once made, is never replaced).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from bybit_ws._convert import time_ms
from bybit_ws._errors import SubscriptionError
from bybit_ws.dialects._base import Dialect, Parser, Reply, TopicSpec, TypedParser

if TYPE_CHECKING:
    from ._subscriptions import Sink, SubscriptionSink

__all__ = ["LEAVING", "MAX_UNROUTED", "OK", "PENDING", "Registry", "Route", "Routes"]

#: subscribe status of a topic (else absent: never sent, or a SubscriptionError: rejected)
OK = "ok"
PENDING = "pending"
LEAVING = "leaving"
#: topics nobody listens to whose (empty) routes a snapshot caches: a server that sends frames of ever
#: new topics nobody subscribed to costs a lookup per frame past this many, never memory
MAX_UNROUTED = 256


class Route:
    """What the reader needs for one frame topic, looked up once per topic and registry version."""

    __slots__ = ("parked", "parse", "retry_in", "sinks", "stamp", "state", "subs", "time", "topic", "typed")

    def __init__(
        self,
        topic: str,
        subs: tuple[SubscriptionSink, ...],
        spec: TopicSpec | None,
        state: dict[str, Any],
    ) -> None:
        self.topic = topic
        self.subs = subs
        # no spec (nobody listens, or no parser for the topic): the frame is skipped
        self.parse: Parser | None = spec.parse if spec is not None else None
        self.typed: TypedParser | None = spec.typed if spec is not None else None
        #: the typed parser while a frame it could not take sends this topic the dict way (see
        #: FramePath), and the dict-path frames left before the typed path is tried again
        self.parked: TypedParser | None = None
        self.retry_in = 0
        # the frame key of the exchange's time, and what makes a datetime of it (see TopicSpec)
        self.stamp = spec.stamp if spec is not None else "ts"
        self.time = spec.time if spec is not None else time_ms
        self.state = state
        self.sinks: dict[str, tuple[Sink, ...]] = {}  # per event kind, filled as kinds arrive

    def sinks_of(self, kind: str) -> tuple[Sink, ...]:
        """Where this topic's events of ``kind`` go, one sink per subscription that takes them."""
        sinks = tuple(sink for sink in (sub.sink_of(kind) for sub in self.subs) if sink is not None)
        self.sinks[kind] = sinks
        return sinks


class Routes:
    """An immutable snapshot of the registry plus a cache of resolved frame topics (reader side)."""

    __slots__ = ("by_topic", "cache", "raw", "unrouted")

    def __init__(self, by_topic: dict[str, tuple[SubscriptionSink, ...]]) -> None:
        self.by_topic = by_topic
        self.cache: dict[str, Route] = {}
        self.raw: dict[bytes, Route] = {}  # routes with a typed parser, by the topic's UTF-8 bytes
        self.unrouted = 0  # cached routes of topics nobody listens to (at most MAX_UNROUTED)

    def subscriptions(self) -> tuple[SubscriptionSink, ...]:
        """Every subscription in this snapshot, once each."""
        return tuple(dict.fromkeys(sub for subs in self.by_topic.values() for sub in subs))

    def resolve(self, topic: str) -> tuple[SubscriptionSink, ...]:
        """Subscriptions for a frame topic: exact arg, plus ``prefix.*`` wildcard args (BYBITNET §1.3)."""
        found = self.by_topic.get(topic, ())
        head, dot, _last = topic.rpartition(".")
        if dot:
            wild = self.by_topic.get(head + ".*")
            if wild:
                found = tuple(dict.fromkeys(found + wild))
        return found


class Registry:
    """Topics and the subscriptions on them, for one connection of one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.subs: dict[str, list[SubscriptionSink]] = {}
        #: confirmed on this connection: a new socket resubscribes these
        self.live: set[SubscriptionSink] = set()
        #: topic -> OK / PENDING / LEAVING / the SubscriptionError that rejected it
        self.status: dict[str, Any] = {}
        #: characters of all topic args (for per-connection limits)
        self.chars = 0
        #: True while some topic streams all the time (the stale-feed watchdog watches it)
        self.continuous = False
        self.routes = Routes({})
        self._specs: dict[str, TopicSpec | None] = {}
        self._topic_state: dict[str, dict[str, Any]] = {}

    def add(self, sub: SubscriptionSink, topics: Iterable[str]) -> None:
        """Register ``sub`` under ``topics``."""
        for topic in topics:
            subs = self.subs.setdefault(topic, [])
            subs.append(sub)
            if len(subs) == 1:
                self.chars += len(topic)
        self._changed()

    def remove(self, sub: SubscriptionSink, topics: Iterable[str]) -> list[str]:
        """Remove ``sub`` from ``topics``; return the confirmed topics nobody uses now (now LEAVING)."""
        leaving: list[str] = []
        self.live.discard(sub)
        for topic in topics:
            subs = self.subs.get(topic)
            if not subs or sub not in subs:
                continue
            subs.remove(sub)
            if subs:
                continue
            del self.subs[topic]
            self.chars -= len(topic)
            self._topic_state.pop(topic, None)
            status = self.status.pop(topic, None)
            if status == OK:
                self.status[topic] = LEAVING
                leaving.append(topic)
        self._changed()
        return leaving

    def left(self, topics: Iterable[str]) -> None:
        """The unsubscribe of ``topics`` is over (confirmed or not)."""
        for topic in topics:
            if self.status.get(topic) == LEAVING:
                del self.status[topic]

    def renew(self) -> list[str]:
        """A new socket: forget every status and per-topic state; return the topics to subscribe again
        (those of confirmed subscriptions, now PENDING). A subscription still in its subscribe call
        sends its own request once the connection is ready."""
        self.status.clear()
        self._topic_state.clear()
        self.routes = Routes(self.routes.by_topic)  # routes hold the old state dicts
        topics = [t for t, subs in self.subs.items() if not self.live.isdisjoint(subs)]
        for topic in topics:
            self.status[topic] = PENDING
        return topics

    # ------------------------------------------------------------------ subscribe status
    def to_send(self, topics: Sequence[str]) -> list[str]:
        """Those of ``topics`` with no request under way nor confirmed, now marked PENDING."""
        fresh = [t for t in topics if t not in self.status]
        for topic in fresh:
            self.status[topic] = PENDING
        return fresh

    def outcome(self, topics: Sequence[str]) -> bool | None:
        """Where the subscription of ``topics`` stands: True, all confirmed; False, still pending;
        ``None``, one of them is no longer asked for (an unsubscribe just ended it): send again.

        Raises:
            SubscriptionError: the error one of them was rejected with.
        """
        states = [self.status.get(t) for t in topics]
        for state in states:
            if isinstance(state, BaseException):
                raise state
        if all(s == OK for s in states):
            return True
        return None if None in states else False

    def unsent(self, topics: Iterable[str]) -> None:
        """The subscribe request of ``topics`` failed before a reply: they are no longer pending."""
        for topic in topics:
            if self.status.get(topic) == PENDING:
                del self.status[topic]

    def answered(self, batch: Sequence[str], reply: Reply) -> list[str]:
        """Record the server's reply to the subscribe request of ``batch``; return the rejected topics
        (their status is the :class:`SubscriptionError` to raise)."""
        failed = set(reply.failed_args) if reply.failed_args else (set() if reply.success else set(batch))
        rejected = [t for t in batch if t in failed]
        for topic in batch:
            if topic not in failed:
                if self.status.get(topic) == PENDING:
                    self.status[topic] = OK
                continue
            message = reply.ret_msg or "subscription rejected"
            self.status[topic] = SubscriptionError(
                f"subscribe {topic} rejected: {message}",
                op="subscribe",
                ret_msg=reply.ret_msg,
                req_id=reply.req_id,
            )
        return rejected

    def subscriptions(self) -> list[SubscriptionSink]:
        """Every registered subscription, once each."""
        return list(dict.fromkeys(sub for subs in self.subs.values() for sub in subs))

    def on_topics(self, topics: Sequence[str], live_only: bool = False) -> list[SubscriptionSink]:
        """The subscriptions registered on any of ``topics`` (only confirmed ones if ``live_only``)."""
        found = (sub for t in topics for sub in self.subs.get(t, ()))
        return list(dict.fromkeys(s for s in found if not live_only or s in self.live))

    def is_private(self, topic: str) -> bool:
        """Whether ``topic`` needs an authenticated socket."""
        spec = self.spec(topic)
        return spec is not None and spec.private

    def spec(self, topic: str) -> TopicSpec | None:
        """How frames of ``topic`` are parsed (cached per topic)."""
        try:
            return self._specs[topic]
        except KeyError:
            return self._specs.setdefault(topic, self.dialect.topic_spec(topic))

    def route(self, topic: str) -> Route:
        """Resolve what the reader needs for a frame topic (reader thread, without the lock).

        It changes no subscription state; it writes caches: the current snapshot's ``cache``, ``raw``
        and ``unrouted`` (only the reader writes them; a registry change replaces the snapshot), the
        topic's parser state and its spec (made once per topic, never replaced: ``setdefault``)."""
        routes = self.routes
        subs = routes.resolve(topic)
        if not subs:  # nobody listens: no state, and cached only up to a bound
            route = Route(topic, subs, None, {})
            if routes.unrouted < MAX_UNROUTED:
                routes.unrouted += 1
                routes.cache[topic] = route
            return route
        state = self._topic_state.get(topic)
        if state is None:
            state = self._topic_state.setdefault(topic, {})
        route = Route(topic, subs, self.spec(topic), state)
        routes.cache[topic] = route
        if route.typed is not None:
            routes.raw[topic.encode()] = route
        return route

    def _changed(self) -> None:
        self.routes = Routes({topic: tuple(subs) for topic, subs in self.subs.items()})
        specs = [self.spec(topic) for topic in self.subs]
        self.continuous = any(spec is not None and spec.continuous for spec in specs)
