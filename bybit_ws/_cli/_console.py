"""What every command shares: the line `Printer`, status and usage messages, subscribing and waiting."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bybit_ws._cli._format import format_event
from bybit_ws._cli._topics import Handler, TopicPlan
from bybit_ws.api._client import BybitSocketClient
from bybit_ws.models._common import DataEvent

__all__ = ["Printer", "status", "subscribe_all", "usage", "wait_until_done"]


class Printer:
    """Writes whole lines from any thread; counts them; survives a closed pipe (``| head``)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.count = 0
        self.broken = threading.Event()

    def __call__(self, line: str) -> None:
        with self._cond:
            if not self.broken.is_set():
                stream = sys.stdout
                try:
                    stream.write(line + "\n")
                    stream.flush()
                except BrokenPipeError:
                    self.broken.set()
                    with contextlib.suppress(OSError, ValueError):  # no error again at exit
                        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
            self.count += 1
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` lines were written (or dropped on a broken pipe)."""
        with self._cond:
            return self._cond.wait_for(lambda: self.count >= count, timeout)


def status(message: str) -> None:
    """One status or error line on stderr."""
    print(message, file=sys.stderr, flush=True)


def subscribe_all(
    client: BybitSocketClient,
    plans: Sequence[TopicPlan],
    out: Printer,
    stamp: Callable[[DataEvent[Any]], datetime | None] | None = None,
) -> None:
    """Subscribe to every planned topic, printing each event.

    ``stamp`` gives the time to print for an event (``None``: its receive time). A lost and a restored
    connection each get one status line on stderr, per endpoint.
    """
    urls = client.urls
    watched: set[str] = set()
    for plan in plans:

        def handler(kind: str) -> Handler:
            def on_event(event: DataEvent[Any]) -> None:
                out(format_event(event, kind, stamp(event) if stamp is not None else None))

            return on_event

        sub = plan.subscribe(client, handler)
        if plan.key not in watched:
            watched.add(plan.key)
            url = urls[plan.key]
            sub.on_connection_lost(lambda url=url: status(f"connection to {url} lost; reconnecting"))
            sub.on_connection_restored(
                lambda downtime, url=url: status(
                    f"connection to {url} restored after {downtime.total_seconds():.1f} s; resubscribed"
                )
            )


def wait_until_done(client: BybitSocketClient, seconds: float | None, out: Printer) -> None:
    """Until ``seconds`` pass (``None``: forever), the client fails, or stdout is closed."""
    deadline = None if seconds is None else time.monotonic() + seconds
    while not out.broken.is_set():
        step = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
        if step <= 0:
            return
        if client.wait(step):
            return


def usage(command: str, error: object) -> int:
    """Report a usage error of `command`; return its exit code, 2."""
    status(f"bybit-ws {command}: error: {error}")
    return 2
