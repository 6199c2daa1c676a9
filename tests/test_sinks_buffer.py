"""The bounded buffer every sink shares (:class:`bybit_ws.sinks.BufferedSink`), without sockets: a sink
of your own that hands frames to a list, failing when told to. Whatever the buffer size, batch size and
failures, what arrives is what was written, in order, minus the drops counted; nothing is left pending."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bybit_ws.sinks import BufferedSink, Sink, SinkStats

RECEIVED = datetime(2024, 5, 1, tzinfo=timezone.utc)


class ListSink(BufferedSink):
    """Frames to a list; ``failures``: whether each successive attempt fails."""

    def __init__(self, failures: Iterator[bool] | None = None, **options: Any) -> None:
        self.got: list[bytes] = []
        self.attempts = 0
        self._failures_left = iter(()) if failures is None else failures
        super().__init__("list", **{"buffer": 100, "batch": 10, "close_timeout": 5.0, **options})

    def _prepare(self, data: bytes, received: datetime, endpoint: str) -> Any:
        return None if data == b"control" else data

    def _deliver(self, items: list[Any]) -> int:
        self.attempts += 1
        if next(self._failures_left, False):
            raise OSError("the target is down")
        self.got.extend(items)
        return len(items)


@settings(max_examples=30, deadline=None)
@given(
    frames=st.integers(0, 120),
    buffer=st.integers(1, 40),
    batch=st.integers(1, 15),
    failures=st.lists(st.booleans(), max_size=6).filter(lambda f: sum(f) <= 2),
)
def test_what_arrives_is_what_was_written_in_order_minus_the_drops(
    frames: int, buffer: int, batch: int, failures: list[bool]
) -> None:
    sent = [b"%d" % n for n in range(frames)]
    with ListSink(iter(failures), buffer=buffer, batch=batch) as sink:
        sink.write(b"control", RECEIVED, "v5.linear")  # first: the buffer has room for it
        for data in sent:
            sink.write(data, RECEIVED, "v5.linear")
        assert sink.flush(30)
        stats = sink.stats
    assert stats.written == len(sink.got) and stats.pending == 0 and stats.skipped == 1
    assert stats.written + stats.dropped == frames
    assert stats.dropped <= max(0, frames + 1 - buffer)  # only what found the buffer full
    positions = [int(data) for data in sink.got]
    assert positions == sorted(set(positions))  # in order, none twice
    assert stats.failures == sum(failures[: sink.attempts])


def test_close_flushes_and_later_writes_are_counted_drops() -> None:
    sink = ListSink()
    for n in range(25):
        sink.write(b"%d" % n, RECEIVED, "v5.linear")
    sink.close()
    assert sink.got == [b"%d" % n for n in range(25)] and sink.stats == SinkStats(25, 0, 0, 0, 0)
    sink.write(b"late", RECEIVED, "v5.linear")
    sink.close()  # idempotent
    assert sink.stats.dropped == 1 and isinstance(sink, Sink)


def test_close_gives_up_after_its_timeout(caplog: pytest.LogCaptureFixture) -> None:
    forever = iter(lambda: True, False)  # every attempt fails
    with caplog.at_level(logging.WARNING, logger="bybit_ws.sinks"):
        sink = ListSink(forever, close_timeout=0.1)
        for n in range(5):
            sink.write(b"%d" % n, RECEIVED, "v5.linear")
        assert sink.flush(0.05) is False
        sink.close()
    assert sink.stats.dropped == 5 and sink.stats.pending == 0 and sink.got == []
    messages = [r.getMessage() for r in caplog.records]
    assert sum("cannot hand frames on (the target is down)" in m for m in messages) == 1
    assert any("closed; 0 frames written, 5 dropped" in m for m in messages)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="buffer"):
        ListSink(buffer=0)
    with pytest.raises(ValueError, match="close_timeout"):
        ListSink(close_timeout=-1)
