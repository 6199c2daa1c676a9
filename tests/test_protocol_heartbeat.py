"""The heartbeat core (bybit_ws.protocol.heartbeat) on an injected clock, and the supervisor's pong race.

The race (issue 22): 81ccaf0's supervisor sent the ping and only then recorded the pong deadline, while
the reader's pong cleared the deadline unconditionally; a pong handled in between left the deadline
armed and a healthy connection was torn down ``pong_timeout`` later. The core arms the deadline in
:meth:`Heartbeat.ping`, before the send, and a pong clears only the deadline of a ping already armed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest

from bybit_ws.engine._config import ConnectionConfig
from bybit_ws.engine._requests import Pending, RequestTracker
from bybit_ws.engine._supervisor import Supervisor
from bybit_ws.protocol.heartbeat import Due, Heartbeat
from bybit_ws.testing import FakeBybit


def test_a_pong_handled_before_the_sender_runs_again_clears_its_ping() -> None:
    timers = Heartbeat(ping_interval=20, pong_timeout=10, stale_timeout=None, now=0)
    assert timers.next_deadline(0, continuous=False) == 20
    assert timers.due(19.9, continuous=False) is Due.NOTHING
    assert timers.due(20, continuous=False) is Due.PING
    timers.ping(20)  # armed before the send
    assert timers.pong_due == 30
    # the ping is sent; the reader handles its pong before the supervisor runs again
    assert timers.pong()
    assert timers.due(35, continuous=False) is Due.NOTHING  # no false pong timeout
    assert timers.next_deadline(35, continuous=False) == 40


def test_the_old_ordering_send_pong_then_arm_is_a_false_timeout() -> None:
    """81ccaf0's ordering, expressed on the core: the pong handled before the deadline is armed finds no
    ping outstanding and clears nothing; the deadline armed after it then fires on a healthy socket.
    This is why the supervisor must call ``ping()`` before sending (the thread test below checks it)."""
    timers = Heartbeat(ping_interval=20, pong_timeout=10, stale_timeout=None, now=0)
    assert not timers.pong()  # the pong came first: nothing to clear
    timers.ping(20)  # the old code armed here, after the send and the pong
    assert timers.due(30, continuous=False) is Due.PONG_TIMEOUT


def test_an_unanswered_ping_keeps_its_deadline_and_a_stray_pong_clears_nothing() -> None:
    timers = Heartbeat(ping_interval=4, pong_timeout=10, stale_timeout=None, now=0)
    timers.ping(4)
    timers.ping(8)  # the first is still unanswered: its deadline stays
    assert timers.pong_due == 14
    assert timers.next_deadline(8, continuous=False) == 12
    assert timers.due(14, continuous=False) is Due.PONG_TIMEOUT
    assert timers.pong() and not timers.pong()  # one pong clears one outstanding deadline


def test_one_next_deadline_covers_ping_pong_stale_and_requests() -> None:
    timers = Heartbeat(ping_interval=20, pong_timeout=10, stale_timeout=60, now=0)
    # quiet topics: the watchdog is off
    assert timers.next_deadline(0, continuous=False) == 20
    # a continuous feed is checked at least every stale / 4
    assert timers.next_deadline(0, continuous=True) == 15
    assert timers.next_deadline(0, continuous=True, request_due=3) == 3
    timers.ping(20)
    assert timers.next_deadline(20, continuous=False) == 30
    assert timers.pong()
    timers.data_seen(50)
    assert timers.due(109, continuous=True) is Due.PING
    timers.ping(109)
    assert timers.pong()
    assert timers.next_deadline(109, continuous=True) == 110  # last data 50 + stale 60
    assert timers.due(110, continuous=True) is Due.STALE
    assert timers.due(110, continuous=False) is Due.NOTHING


# --------------------------------------------------------------------------------- the supervisor's order
class _FramePath:
    fed = False

    def on_frame(self, data: bytes, received: datetime) -> None:
        """Every frame is a pong (the fake's are switched off; see below)."""


class _PongAtOnce:
    """A Supervised whose pong is handled before the supervisor runs again after the ping: while the
    supervisor builds the ping frame, the pong is already counted (the fastest a reader can be)."""

    continuous = False

    def __init__(self) -> None:
        self.supervisor: Supervisor | None = None

    def ping(self, req_id: str | None) -> Mapping[str, Any]:
        assert self.supervisor is not None
        self.supervisor.pong()
        return {"op": "ping"}

    def on_attached(self, gen: int) -> Callable[[], None]:
        return lambda: None

    def timeout_error(self, pending: Pending) -> BaseException:
        return TimeoutError(pending.op)

    def on_lost(self) -> None:
        """(nothing to tell)"""

    def on_restored(self, downtime: timedelta) -> None:
        """(nothing to tell)"""

    def on_finished(self, error: BaseException | None, closed: bool) -> None:
        """(nothing to tell)"""


@pytest.fixture
def v5() -> Iterator[FakeBybit]:
    with FakeBybit("v5") as server:
        yield server


def test_the_supervisor_arms_the_pong_deadline_before_sending_the_ping(v5: FakeBybit) -> None:
    """Failed on 81ccaf0: with the pong handled before the deadline was set, the deadline (50 ms, under
    the 100 ms ping interval) always fired before the next ping and the socket was replaced."""
    v5.stop_answering_pings()  # only the pong counted in ping() exists
    url = v5.urls["v5.linear"]
    config = ConnectionConfig(ping_interval=0.1, pong_timeout=0.05, stale_timeout=None)
    requests = RequestTracker(
        url, threading.Condition(threading.RLock()), lambda op, a, r: {"op": op}, uses_req_id=False
    )
    owner = _PongAtOnce()
    supervisor = Supervisor("race", url, config, requests, _FramePath(), owner, uses_req_id=False)
    owner.supervisor = supervisor
    try:
        with requests.cond:
            supervisor.start()
        v5.wait_for(lambda: len(v5.received_frames(op="ping")) >= 5, timeout=10)
        assert v5.connections_total == 1 and supervisor.ready
    finally:
        supervisor.close()
