"""Who reads a socket whose replies callers wait for: its reader thread, or one of the callers.

Leader/follower reading (used by the trade connection only): a caller that has sent its request and
waits for the reply takes over the *read role* while it waits, so the kernel wakes that caller itself
when the reply arrives, instead of waking the reader thread, which then wakes the caller (one thread
hand-off per reply saved). Whoever holds the role reads the socket and handles every frame it reads as
the reader thread would (replies to other requests complete them, pongs reach the heartbeat), so no
frame is lost or handled twice, and a frame is handled in the order it was read.

One holder at a time: the reader thread, a caller, or nobody. A caller that finds the role free takes it
at once; one that finds it held queues up and is handed it by the holder (the reader thread, woken out
of its socket wait by a byte on :attr:`ReadRole.waker`, hands it over while the request is still on the
wire, off the reply's path). A caller gives the role to the next caller in the queue when its own reply
is in; with nobody queued it leaves the role free, and the reader thread takes it back after
``_LINGER`` (orders placed one after another never wake the reader thread), or at once when it is
wanted (replies that no caller waits for are expected, the connection is closing).
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque

__all__ = ["READER", "ReadRole"]

#: how long the role stays free before the reader thread takes it back (frames that no caller waits for,
#: pongs for instance, wait at most this long in the socket's buffer)
_LINGER = 0.005
#: the reader thread's mark as holder
READER = object()


class ReadRole:
    """The read role of one socket (see the module docstring). Callers name themselves by an Event, set
    when the role is handed to them (and by whatever else wakes them)."""

    def __init__(self, linger: float = _LINGER) -> None:
        self._linger = linger
        self._lock = threading.Lock()
        self._reader = threading.Condition(self._lock)  # the reader thread waits on it for the role
        self._holder: object | None = READER
        self._queue: deque[threading.Event] = deque()
        self._free_since = 0.0
        self._wanted = False  # the reader thread should read now, not after the linger
        self._poked = False  # a byte is on the waker, not yet drained
        self._ended = False  # no one reads any more: the connection is done, or ending
        #: why the connection ended, when a caller's read ended it (the reader thread reports it)
        self.end_error: BaseException | None = None
        self.waker, self._poker = socket.socketpair()
        self.waker.setblocking(False)
        self._poker.setblocking(False)

    # ------------------------------------------------------------------------------ the reader thread
    def reader_take(self) -> bool:
        """Wait until the reader thread may read (True) or no one reads any more (False)."""
        linger = self._linger
        with self._lock:
            while not self._ended:
                holder = self._holder
                if holder is READER:
                    return True
                if holder is None and not self._queue:
                    idle = time.monotonic() - self._free_since
                    if self._wanted or idle >= linger:
                        self._holder = READER
                        self._wanted = False
                        return True
                    self._reader.wait(linger - idle)
                else:
                    self._reader.wait(linger)  # not notified on each release: see the module docstring
            return False

    def reader_yield(self) -> bool:
        """After a read or a wake-up: hand the role to the first caller queued (True), or keep it."""
        with self._lock:
            self._drain()
            if self._queue and not self._ended:
                self._hand_over()
                return True
            return False

    def finish(self) -> None:
        """The reader thread ends: no one reads from now on."""
        with self._lock:
            self._ended = True
            self._holder = None
            queue, self._queue = self._queue, deque()
            self.waker.close()
            self._poker.close()
        for waiting in queue:
            waiting.set()  # (they find the role ended and wait for their replies' fate)

    # ------------------------------------------------------------------------------ callers
    def join(self, me: threading.Event) -> bool:
        """Take the role if it is free (True), else queue up for it (False; the reader thread, if it
        holds it, is woken to hand it over). Once the connection ended: False, and nothing queued."""
        with self._lock:
            if self._ended:
                return False
            if self._holder is None and not self._queue:
                self._holder = me
                return True
            self._queue.append(me)
            if self._holder is READER:
                self._poke()
            return False

    def holds(self, me: threading.Event) -> bool:
        """``me`` holds the role."""
        return self._holder is me

    def leave(self, me: threading.Event, wanted: bool) -> None:
        """``me`` stops waiting for the role or reading (its reply is in, or its time is up): the role
        goes to the next caller queued, else it is free (``wanted``: the reader thread takes it now)."""
        with self._lock:
            if self._holder is not me:
                if me in self._queue:
                    self._queue.remove(me)
                return
            if self._queue and not self._ended:
                self._hand_over()
                return
            self._holder = None
            self._free_since = time.monotonic()
            if wanted:
                self._wanted = True
                self._reader.notify()

    def end(self, error: BaseException | None) -> None:
        """A caller's read ended the connection (``error``: why; None for the echo of our Close): the
        reader thread ends with it, no one reads any more."""
        with self._lock:
            if not self._ended:
                self.end_error = error
            self._ended = True
            self._holder = None
            self._reader.notify()

    # ------------------------------------------------------------------------------ anyone
    def want(self) -> None:
        """Replies are expected that no caller may be waiting for: the reader thread reads from now on
        when the role is free (instead of after the linger)."""
        with self._lock:
            if self._holder is None:
                self._wanted = True
                self._reader.notify()

    def wake(self) -> None:
        """Wake whoever reads (the connection is closing): a caller stops, the reader thread reads."""
        with self._lock:
            if self._ended:
                return
            self._wanted = True
            self._reader.notify()
            self._poke()

    def drain(self) -> None:
        """Take the wake-up bytes off :attr:`waker`."""
        with self._lock:
            self._drain()

    # ------------------------------------------------------------------------------ (lock held)
    def _hand_over(self) -> None:
        nxt = self._queue.popleft()
        self._holder = nxt
        nxt.set()

    def _poke(self) -> None:
        if not self._poked:
            self._poked = True
            try:
                self._poker.send(b"\0")
            except OSError:  # full (cannot be: one byte at a time) or closed
                pass

    def _drain(self) -> None:
        if self._poked:
            self._poked = False
            try:
                while self.waker.recv(64):
                    pass
            except OSError:  # BlockingIOError: drained
                pass
