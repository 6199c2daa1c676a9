"""The heartbeat and its timers as a pure object driven by an injected ``now``.

One connection has four things that come due: the next ping, the pong deadline of a ping sent, the
stale-feed check and the earliest request deadline. :meth:`Heartbeat.next_deadline` computes when the
first of them comes due; the supervisor sleeps until then and asks :meth:`Heartbeat.due` what to do.

The pong race: the pong deadline is armed by :meth:`Heartbeat.ping` *before* the ping is sent, so a
pong handled at once (before the sender runs again) finds its ping and clears it; a pong with no ping
outstanding (unsolicited, or late for a ping already answered) clears nothing.
"""

from __future__ import annotations

import enum

__all__ = ["Due", "Heartbeat"]


class Due(enum.Enum):
    """What :meth:`Heartbeat.due` says to do now."""

    NOTHING = "nothing"
    PING = "ping"
    PONG_TIMEOUT = "pong timeout"
    STALE = "stale feed"


class Heartbeat:
    """Ping, pong and stale-feed timers of one socket (times in seconds on the caller's clock).

    Not thread-safe: the caller serializes calls (the supervisor holds a lock around them).
    """

    __slots__ = ("_last_data", "_next_ping", "_pong_due", "ping_interval", "pong_timeout", "stale_timeout")

    def __init__(
        self, ping_interval: float, pong_timeout: float, stale_timeout: float | None, now: float
    ) -> None:
        self.ping_interval = ping_interval
        self.pong_timeout = pong_timeout
        self.stale_timeout = stale_timeout or None
        self._next_ping = now + ping_interval
        self._pong_due: float | None = None  # set while a ping is outstanding
        self._last_data = now

    @property
    def pong_due(self) -> float | None:
        """The deadline of the outstanding ping's pong (None: no ping outstanding)."""
        return self._pong_due

    @property
    def last_data(self) -> float:
        """When data was last seen (the stale-feed watchdog counts from here)."""
        return self._last_data

    def data_seen(self, now: float) -> None:
        """The feed is alive as of ``now``."""
        self._last_data = now

    def ping(self, now: float) -> None:
        """A ping is about to be sent (call *before* sending): arm its pong deadline, schedule the next.

        An unanswered earlier ping keeps its deadline: a later ping does not extend it.
        """
        if self._pong_due is None:
            self._pong_due = now + self.pong_timeout
        self._next_ping = now + self.ping_interval

    def pong(self) -> bool:
        """A pong arrived: clear the outstanding ping's deadline; False if no ping was outstanding."""
        if self._pong_due is None:
            return False
        self._pong_due = None
        return True

    def _stale_check(self, continuous: bool) -> float | None:
        stale = self.stale_timeout
        return self._last_data + stale if stale and continuous else None

    def next_deadline(self, now: float, *, continuous: bool, request_due: float | None = None) -> float:
        """When something next comes due: a ping, a pong deadline, a stale-feed check or ``request_due``.

        With the watchdog on (``continuous``), checks come at least every stale_timeout / 4: the feed is
        counted alive at a check that finds data arrived, so a silent feed is caught between
        stale_timeout and 1.25 x stale_timeout after its last frame, never before.
        """
        due = self._next_ping
        if self._pong_due is not None:
            due = min(due, self._pong_due)
        stale_due = self._stale_check(continuous)
        if stale_due is not None:
            assert self.stale_timeout is not None
            due = min(due, stale_due, now + self.stale_timeout / 4)
        if request_due is not None:
            due = min(due, request_due)
        return due

    def due(self, now: float, *, continuous: bool) -> Due:
        """What to do at ``now``: the socket is dead (no pong, stale feed), a ping is due, or nothing."""
        if self._pong_due is not None and now >= self._pong_due:
            return Due.PONG_TIMEOUT
        stale_due = self._stale_check(continuous)
        if stale_due is not None and now >= stale_due:
            return Due.STALE
        if now >= self._next_ping:
            return Due.PING
        return Due.NOTHING
