"""The ``replay`` command: serve a recording (``record``, ``stream --record``) through the fake exchange
at its pace."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from bybit_ws._cli._console import Printer, status, subscribe_all, usage
from bybit_ws._cli._recording import Frame, load_recording
from bybit_ws._cli._topics import UsageError, plan_topics
from bybit_ws._errors import BybitWsError
from bybit_ws.api._client import BybitSocketClient
from bybit_ws.models._common import DataEvent

if TYPE_CHECKING:
    from bybit_ws.testing import FakeBybit

__all__ = ["run_replay"]

_REPLAY_KEY = "bybit-ws-replay-key"
_REPLAY_SECRET = "bybit-ws-replay-secret"


def run_replay(args: argparse.Namespace) -> int:
    try:
        header, frames = load_recording(args.file)
        topics = header.get("topics") or sorted({f.topic for f in frames})
        plans = plan_topics(topics, header["api"], header.get("category") or "linear")
    except UsageError as exc:
        return usage("replay", exc)
    if not args.speed > 0 or args.wait_subscribers < 0:
        return usage("replay", "--speed must be positive and --wait-subscribers at least 0")
    try:
        from bybit_ws.testing import FakeBybit
    except ImportError as exc:
        status(f"bybit-ws replay: the fake exchange needs the 'websockets' package ({exc});")
        status("  pip install 'bybit-ws-sync[testing]'")
        return 1
    speed = math.inf if args.as_fast_as_possible else args.speed
    own = os.environ.get("BYBIT_API_KEY"), os.environ.get("BYBIT_API_SECRET")
    key, secret = own if own[0] and own[1] else (_REPLAY_KEY, _REPLAY_SECRET)
    out = Printer()
    wanted = sorted({(f.key, f.topic) for f in frames} | {(p.key, p.topic) for p in plans})
    with contextlib.ExitStack() as stack:
        try:
            fake = stack.enter_context(
                FakeBybit(header["api"], api_key=key, api_secret=secret, port=args.port)
            )
            urls = {k: fake.urls[k] for k in sorted({k for k, _ in wanted})}
            span = frames[-1].t - frames[0].t if frames else 0.0
            pace = "as fast as possible" if speed == math.inf else f"at {speed:g}x"
            status(f"replaying {args.file}: {len(frames)} frames over {span:.1f} s, {pace}")
            status(f"  connect with: BybitSocketClient(urls={json.dumps(urls)})")
            if any(p.private for p in plans):
                shown = "BYBIT_API_KEY/BYBIT_API_SECRET" if key != _REPLAY_KEY else f"{key!r}/{secret!r}"
                status(f"  private topics: authenticate with api_key/api_secret {shown}")
            if args.print:
                client = stack.enter_context(
                    BybitSocketClient(api_key=key, api_secret=secret, urls=urls, keep_original_data=True)
                )
                subscribe_all(client, plans, out, stamp=_recorded_times(frames))
                status("  --print: each event shows its recorded time (UTC)")
            status(
                f"  waiting for {args.wait_subscribers} subscriber(s) to the recorded topics (Ctrl-C stops)"
            )
            _await_audience(fake, wanted, args.wait_subscribers)
            while True:
                printed = out.count
                sent = _send(fake, frames, speed)
                if args.print:
                    out.wait_for(printed + sent, timeout=3.0)  # let the last events come through
                status(f"replay done: {sent} of {len(frames)} frames had a subscriber")
                if not args.loop or not frames:
                    break
        except KeyboardInterrupt:
            pass
        except (BybitWsError, OSError) as exc:
            status(f"bybit-ws replay: error: {exc}")
            return 1
    return 0


def _recorded_times(frames: Sequence[Frame]) -> Callable[[DataEvent[Any]], datetime | None]:
    """The recorded receive time of an event, found by its frame text (sent byte for byte)."""
    times = {frame.text: datetime.fromtimestamp(frame.t, timezone.utc) for frame in frames}

    def stamp(event: DataEvent[Any]) -> datetime | None:
        return times.get(event.original_data or "")

    return stamp


def _await_audience(fake: FakeBybit, wanted: Sequence[tuple[str, str]], count: int) -> None:
    """Wait until ``count`` connections hold one of the recorded topics, then until every topic has
    them or the subscribed set has not changed for 1 s (a client subscribing to a few only)."""
    tick = threading.Event()
    stable_since = time.monotonic()
    last: set[tuple[str, str]] = set()
    while True:
        held = {(k, t) for k, t in wanted if fake.subscriber_count(t, path=k) >= count}
        if held != last:
            last, stable_since = held, time.monotonic()
        if held and (len(held) == len(wanted) or time.monotonic() - stable_since >= 1.0):
            return
        tick.wait(0.02)


def _send(fake: FakeBybit, frames: Sequence[Frame], speed: float) -> int:
    """Send the frames at their recorded pace divided by ``speed``; return how many had a subscriber.

    A frame goes (as recorded, byte for byte) to every connection on its endpoint, when at least one
    of them holds its topic: FakeBybit has no public call to send raw text to the subscribers only.
    """
    sent = 0
    start = time.monotonic()
    first = frames[0].t if frames else 0.0
    for frame in frames:
        if speed != math.inf:
            delay = start + (frame.t - first) / speed - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        if fake.subscriber_count(frame.topic, path=frame.key) and fake.send_raw(frame.text, path=frame.key):
            sent += 1
    return sent
