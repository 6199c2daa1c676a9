"""Reliability defects of issue 23: pickled exceptions, unrouted topics, forked children, raising and
never-returning handlers, and an order book whose first snapshot cannot be used."""

from __future__ import annotations

import json
import logging
import os
import pickle
import subprocess
import sys
import threading
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import bybit_ws
from bybit_ws import BybitSocketClient, _errors
from bybit_ws.dialects._v5 import V5Dialect
from bybit_ws.engine import _dispatch
from bybit_ws.engine._buffer import FailureLog
from bybit_ws.engine._framepath import FramePath
from bybit_ws.engine._registry import MAX_UNROUTED, Registry
from bybit_ws.engine._requests import ConnectionLost, NotSent
from bybit_ws.engine._stream_connection import Retired
from bybit_ws.models.trade import RateLimitStatus
from bybit_ws.testing import FakeBybit

from .support import API_KEY, API_SECRET, Collector

# ------------------------------------------------------------------------------- 6: pickled errors
_NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)
#: every exception class the library raises, built with the arguments the library builds it with
_ERRORS: list[Exception] = [
    _errors.BybitWsError("the client is closed"),
    _errors.BybitConnectionError("could not connect to wss://stream.bybit.com/v5/public/linear"),
    _errors.BybitTimeoutError("no reply to subscribe within 10.0 s"),
    _errors.SubscriptionError(
        "subscribe rejected: bad topic", op="subscribe", ret_msg="bad topic", req_id="7"
    ),
    _errors.AuthenticationError("authentication rejected: invalid sign", op="auth", ret_msg="invalid sign"),
    _errors.ClientClosedError("the client is closed"),
    _errors.FrameError(
        "cannot parse frame of tickers.X: bad", topic="tickers.X", text='{"topic":"tickers.X"}'
    ),
    _errors.OrderRejectedError(
        _errors.TradeRetCode.INSUFFICIENT_BALANCE,
        "ab not enough for new order",
        op="order.create",
        req_id="r-1",
        rate_limit=RateLimitStatus(10, 9, _NOW),
    ),
    _errors.OrderRejectedError(_errors.TradeRetCode.NO_CODE, "not a trade reply"),
    _errors.OrderOutcomeUnknownError("sending order.create failed: broken pipe: check the order stream"),
    ConnectionLost("the socket closed"),
    NotSent("no socket"),
    Retired("retired"),
]


def test_every_library_exception_round_trips_through_pickle() -> None:
    classes = {type(error) for error in _ERRORS}
    public = {
        obj for obj in vars(_errors).values() if isinstance(obj, type) and issubclass(obj, BaseException)
    }
    assert public <= classes, f"not covered: {public - classes}"
    for error in _ERRORS:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error) and copy.args == error.args
        assert vars(copy) == vars(error)
        if isinstance(error, _errors.OrderRejectedError) and isinstance(copy, _errors.OrderRejectedError):
            assert copy.is_rate_limited == error.is_rate_limited and copy.ret_msg == error.ret_msg
    print(f"{len(_ERRORS)} exceptions of {len(classes)} classes round-trip")


def test_a_rejected_login_pickles_without_the_secret() -> None:
    with (
        FakeBybit("v5", api_key=API_KEY, api_secret="another-secret") as fake,
        bybit_ws.BybitSocketClient(urls=fake.urls, api_key=API_KEY, api_secret=API_SECRET) as client,
        pytest.raises(_errors.AuthenticationError) as caught,
    ):
        client.v5.subscribe_to_position_updates(lambda event: None)
    data = pickle.dumps(caught.value)
    assert API_SECRET.encode() not in data
    assert pickle.loads(data).op == "auth"


# ------------------------------------------------------------------------ 4: topics nobody asked for
def test_frames_of_ever_new_unsubscribed_topics_keep_the_routes_bounded() -> None:
    registry = Registry(V5Dialect("linear"))
    path = FramePath(
        "test", registry.dialect, registry, keep_original_data=False, on_reply=print, on_pong=lambda: None
    )
    received = datetime.now(timezone.utc)
    for n in range(150_000):
        frame = {"topic": f"tickers.X{n}", "ts": 1, "type": "snapshot", "data": {"symbol": f"X{n}"}}
        path.on_frame(json.dumps(frame).encode(), received)
    routes = registry.routes
    sizes = (len(routes.cache), len(routes.raw), len(registry._topic_state), len(registry._specs))
    print("cache, raw, topic state, specs after 150,000 topics:", sizes)
    assert sizes == (MAX_UNROUTED, 0, 0, 0)


# ------------------------------------------------------------------- 11: a handler that always raises
def _publish_trades(fake: FakeBybit, count: int) -> None:
    for n in range(count):
        trade = {"T": 1, "s": "BTCUSDT", "S": "Buy", "v": "1", "p": str(100 + n), "i": f"t{n}", "BT": False}
        fake.publish("publicTrade.BTCUSDT", [trade], path="v5.linear")


def test_a_raising_handler_logs_its_first_traceback_then_a_summary_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    calls: list[int] = []

    def handler(event: Any) -> None:
        now[0] = len(calls) * 0.25  # the injected clock: event n is handled at n/4 s
        calls.append(1)
        raise KeyError(f"handler bug {len(calls)}")

    seen = Collector()
    caplog.set_level(logging.ERROR, logger="bybit_ws")
    with FakeBybit("v5") as fake, BybitSocketClient(urls=fake.urls, request_timeout=2) as client:
        sub = client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", handler)
        sub._failures = FailureLog(clock=lambda: now[0])
        sub.on_exception(seen)
        _publish_trades(fake, 100)
        seen.wait(100)
    lines = [r for r in caplog.records if "handler of subscription" in r.getMessage()]
    for record in lines:
        print(record.getMessage())
    assert len(seen.events) == 100  # on_exception got every one
    assert len(lines) == 5  # at 0, 5, 10, 15 and 20 s of the injected clock
    assert lines[0].exc_info is not None and all(r.exc_info is None for r in lines[1:])
    assert "raised 20 more time(s) (21 in all)" in lines[1].getMessage()
    assert "handler bug 81" in lines[4].getMessage()


# ------------------------------------------------------------- 12: close() and a handler that hangs
def test_close_waits_a_bounded_grace_for_a_hung_handler_which_then_runs_nothing_more(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_dispatch, "CLOSE_GRACE", 0.5, raising=False)
    entered, release = threading.Event(), threading.Event()
    calls: list[Any] = []

    def hangs(event: Any) -> None:
        calls.append(event)
        entered.set()
        release.wait(30)

    with FakeBybit("v5") as fake:
        client = BybitSocketClient(urls=fake.urls, request_timeout=2, workers=1)
        client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", hangs)
        _publish_trades(fake, 2)  # the second waits in the mailbox behind the hung first
        assert entered.wait(5)
        client.close()
        assert not release.is_set() and len(calls) == 1  # close() returned while the handler hangs
        worker = [t for t in threading.enumerate() if t.name.startswith("bybit-ws-worker")]
        assert [t.daemon for t in worker] == [True]
        release.set()
        worker[0].join(5)
        assert not worker[0].is_alive()
    assert len(calls) == 1  # the queued event never ran after close() returned
    warnings = [r.getMessage() for r in caplog.records if "grace" in r.getMessage()]
    print(warnings)
    assert len(warnings) == 1 and worker[0].name in warnings[0]


# ------------------------------------------------------- 3: an order book whose first snapshot is bad
_BOOK_TOPIC = "orderbook.50.BTCUSDT"


def _book_frame(fake: FakeBybit, kind: str, u: int, bids: list[list[str]]) -> None:
    data = {"s": "BTCUSDT", "b": bids, "a": [["10.5", "1"]], "u": u, "seq": 1000 + u}
    fake.publish(_BOOK_TOPIC, data, path="v5.linear", type=kind, cts=1)


def _subscribes(fake: FakeBybit) -> int:
    return sum(f.get("op") == "subscribe" and _BOOK_TOPIC in f.get("args", ()) for f in fake.received)


@pytest.mark.parametrize("price", ["abc", "NaN", "Infinity", "-1"])
def test_a_bad_first_snapshot_asks_for_a_new_one(price: str) -> None:
    with FakeBybit("v5") as fake, BybitSocketClient(urls=fake.urls, request_timeout=2) as client:
        book = client.v5.order_book("linear", "BTCUSDT", depth=50)
        _book_frame(fake, "snapshot", 1, [[price, "1"], ["9.5", "2"]])
        fake.wait_for(lambda: _subscribes(fake) == 2, timeout=5, message="a new subscribe")
        assert any(f.get("op") == "unsubscribe" for f in fake.received)
        _book_frame(fake, "delta", 2, [["9.6", "1"]])  # deltas before the new snapshot mean nothing
        _book_frame(fake, "snapshot", 7, [["10.0", "1"], ["9.5", "2"]])
        book.wait_synced(5)
        print(price, book.status, book.resyncs, book.best_bid)
        assert book.sequence == 7 and book.best_bid is not None and book.best_bid.price == Decimal("10.0")
        assert _subscribes(fake) == 2


# ------------------------------------------------------------------------------ 5: a forked child
_FORKING_SCRIPT = """
import json, os, sys, threading
from bybit_ws import BybitSocketClient, ClientClosedError

client = BybitSocketClient(urls=json.loads(sys.argv[1]), request_timeout=5)
got, cond, lost = [], threading.Condition(), threading.Event()

def handler(event):
    with cond:
        got.append(event)
        cond.notify_all()

sub = client.v5.subscribe_to_trade_updates("linear", "BTCUSDT", handler)
sub.on_connection_lost(lost.set)
pid = os.fork()
if pid == 0:  # the child: every use is a clear error at once; then a normal exit (atexit hooks run)
    for use in (lambda: client.v5.subscribe_to_ticker_updates("linear", "BTCUSDT"), sub.close):
        try:
            use()
        except ClientClosedError as exc:
            print("child:", exc, flush=True)
    sys.exit(0)
print("child exit status", os.waitpid(pid, 0)[1], flush=True)
print("ready", flush=True)
with cond:
    cond.wait_for(lambda: len(got) >= 3, 10)
print("parent received", len(got), "lost", lost.is_set(), flush=True)
client.close()
"""


def test_a_forked_child_that_exits_leaves_the_parents_connection_alone(tmp_path: Path) -> None:
    script = tmp_path / "forking.py"
    script.write_text(_FORKING_SCRIPT)
    root = Path(__file__).resolve().parent.parent
    with FakeBybit("v5") as fake:
        process = subprocess.Popen(
            [sys.executable, "-W", "ignore::DeprecationWarning", str(script), json.dumps(fake.urls)],
            env={**os.environ, "PYTHONPATH": str(root)},
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            lines = []
            for line in process.stdout:
                lines.append(line.rstrip())
                if line.startswith("ready"):
                    break
            _publish_trades(fake, 3)
            out, _ = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        lines += out.splitlines()
        print("\n".join(lines))
        assert process.returncode == 0
        assert fake.connections_total == 1  # never reconnected
    children = [line for line in lines if line.startswith("child:")]
    assert len(children) == 2 and all("forked child" in line for line in children)
    assert "child exit status 0" in lines
    assert "parent received 3 lost False" in lines
