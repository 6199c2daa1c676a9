"""The whole linear market for the replay server: N symbols x (orderbook.50, publicTrade, tickers).

A client subscribes to ``market_topics(symbols(N))`` over as many connections as it likes, all with
the same ``session`` in the URL::

    ws://127.0.0.1:PORT/v5/public/linear?workload=market&symbols=500&rate=20000&seconds=5&session=s1
        (rate=0: unpaced, ``frames`` frames as fast as the sockets take them)

Every connection waits until the whole session has subscribed to all ``3 x N`` topics, then sends a
book and a ticker snapshot for each of its book and ticker topics, then deltas and trades for its own
topics: 55 % of the aggregate rate is book deltas, 30 % trades, 15 % ticker deltas, spread evenly over
the symbols, so a connection's rate is the aggregate times its topics' share whatever the split.
Every frame carries ``time.monotonic_ns()`` at its send time in its sequence field (a book's
``data.seq``, the first trade's ``seq``, a ticker's ``cs``), read back as ``sequence`` /
``cross_sequence`` by bybit_ws and by a regular expression in the raw reference.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import _frames

KINDS = ("orderbook.50", "publicTrade", "tickers")
SHARES = {"orderbook.50": 0.55, "publicTrade": 0.30, "tickers": 0.15}
"""Aggregate share of each topic family, as the v5-mix workload."""
STAMP = re.compile(rb'"(?:seq|cs)":(\d+)')
"""The send stamp of a market frame: the first ``seq`` (book, trades) or ``cs`` (ticker)."""
_PLACEHOLDER = str(_frames.STAMP_PLACEHOLDER).encode()
_SYMBOL = _frames.V5_SYMBOL.encode()
_POOL = 2_000


def symbols(count: int, seed: int = 3) -> list[str]:
    """``count`` distinct linear symbol names as long as Bybit's (2-9 letter base + ``USDT``, some
    ``1000`` prefixes): ~9.6 characters on average, like the live list."""
    rng = random.Random(seed)
    names: list[str] = ["BTCUSDT", "ETHUSDT"][:count]
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    while len(names) < count:
        base = "".join(rng.choice(letters) for _ in range(rng.choice((2, 3, 3, 4, 4, 4, 5, 6, 7, 9))))
        name = ("1000" if rng.random() < 0.05 else "") + base + "USDT"
        if name not in names:
            names.append(name)
    return names


def market_topics(names: list[str]) -> list[str]:
    """Every book topic, then every trade topic, then every ticker topic (the subscribe order)."""
    return [f"{kind}.{name}" for kind in KINDS for name in names]


def split_by_chars(topics: list[str], limit: int = 21_000) -> list[list[str]]:
    """Topics in order onto connections of at most ``limit`` topic characters (Bybit's v5 public rule,
    as bybit_ws applies it): for the raw reference, which has no pool of its own."""
    groups: list[list[str]] = [[]]
    room = limit
    for topic in topics:
        if len(topic) > room and groups[-1]:
            groups.append([])
            room = limit
        groups[-1].append(topic)
        room -= len(topic)
    return groups


def _stamped(message: dict[str, Any]) -> bytes:
    topic = str(message["topic"])
    data = message["data"]
    if topic.startswith("orderbook"):
        data["seq"] = _frames.STAMP_PLACEHOLDER
    elif topic.startswith("publicTrade"):
        data[0]["seq"] = _frames.STAMP_PLACEHOLDER
    else:
        message["cs"] = _frames.STAMP_PLACEHOLDER
    return _frames._dumps(message)


class Templates:
    """Prebuilt v5-mix frames for ``BTCUSDT`` with a stamp placeholder; a symbol is put in at send time."""

    def __init__(self) -> None:
        messages = _frames.iter_messages("v5-mix", seed=5)
        self.book_snapshot = _stamped(next(messages))
        self.ticker_snapshot = _stamped(next(messages))
        pools: dict[str, list[bytes]] = {kind: [] for kind in KINDS}
        while min(len(p) for p in pools.values()) < _POOL:
            message = next(messages)
            kind = str(message["topic"]).rsplit(".", 1)[0]
            if len(pools[kind]) < _POOL:
                pools[kind].append(_stamped(message))
        self.pools = pools


def stream(
    topics: list[str],
    n_symbols: int,
    rate: float,
    seconds: float,
    frames: int,
    templates: Templates,
    send: Callable[[bytes], None],
    closed: threading.Event,
    report: Callable[[int, int], None],
    header: Callable[[int], bytes],
) -> None:
    """Send this connection's share: snapshots, then paced (``rate`` > 0, for ``seconds``) or unpaced
    (``frames`` x this connection's share) frames. ``report(sent, lag)`` gets the frames sent and,
    paced, the most frames that were ever due at once (the server's lag behind the schedule)."""
    rng = random.Random(hash(tuple(topics)) & 0xFFFF)
    targets: list[tuple[list[bytes], bytes]] = []
    weights: list[float] = []  # each topic's share of the aggregate: its family's over the symbols
    snapshots: list[bytes] = []
    stamp = str(time.monotonic_ns()).encode()
    for topic in topics:
        kind, _, name = topic.rpartition(".")
        symbol = name.encode()
        targets.append((templates.pools[kind], symbol))
        weights.append(SHARES[kind] / n_symbols)
        if kind == "orderbook.50":
            snapshots.append(templates.book_snapshot.replace(_SYMBOL, symbol))
        elif kind == "tickers":
            snapshots.append(templates.ticker_snapshot.replace(_SYMBOL, symbol))
    share = sum(weights)
    parts = [p.replace(_PLACEHOLDER, stamp) for p in snapshots]
    send(b"".join(header(len(p)) + p for p in parts))
    sent, lag = len(snapshots), 0
    cumulative = _cumulative(weights)
    indices = range(len(targets))
    n = 0

    def batch(count: int) -> bytes:
        nonlocal n
        stamp = str(time.monotonic_ns()).encode()
        out = []
        for i in rng.choices(indices, cum_weights=cumulative, k=count):
            pool, symbol = targets[i]
            n += 1
            payload = pool[n % len(pool)].replace(_SYMBOL, symbol).replace(_PLACEHOLDER, stamp)
            out.append(header(len(payload)))
            out.append(payload)
        return b"".join(out)

    if rate <= 0:
        todo = round(frames * share)
        while todo > 0 and not closed.is_set():
            count = min(todo, 256)
            send(batch(count))
            todo -= count
            sent += count
        report(sent, 0)
        return
    my_rate = rate * share
    total_frames = round(my_rate * seconds)
    begin = time.monotonic()
    done = 0
    while done < total_frames and not closed.is_set():
        due = min(total_frames, int((time.monotonic() - begin) * my_rate) + 1)
        if due <= done:
            time.sleep(max(0.0, begin + done / my_rate - time.monotonic()))
            continue
        lag = max(lag, due - done)
        send(batch(due - done))
        done = due
    report(sent + done, lag)


def _cumulative(weights: list[float]) -> list[float]:
    out, running = [], 0.0
    for w in weights:
        running += w
        out.append(running)
    return out
