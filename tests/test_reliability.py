"""Reliability defects of issue 23: pickled exceptions, unrouted topics, forked children, raising and
never-returning handlers, and an order book whose first snapshot cannot be used."""

from __future__ import annotations

import json
import pickle
from datetime import datetime, timezone
from typing import Any

import pytest

import bybit_ws
from bybit_ws import _errors
from bybit_ws._framepath import FramePath
from bybit_ws._registry import MAX_UNROUTED, Registry
from bybit_ws._requests import ConnectionLost, NotSent
from bybit_ws._stream_connection import Retired
from bybit_ws._v5 import V5Dialect
from bybit_ws.models.trade import RateLimitStatus

from .support import API_KEY, API_SECRET

# ------------------------------------------------------------------------------- 6: pickled errors
_NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)
#: every exception class the library raises, built with the arguments the library builds it with
_ERRORS: list[Exception] = [
    _errors.BybitWsError("the client is closed"),
    _errors.BybitConnectionError("could not connect to wss://stream.bybit.com/v5/public/linear"),
    _errors.BybitTimeoutError("no reply to subscribe within 10.0 s"),
    _errors.SubscriptionError("subscribe rejected: bad topic", op="subscribe", ret_msg="bad topic", req_id="7"),
    _errors.AuthenticationError("authentication rejected: invalid sign", op="auth", ret_msg="invalid sign"),
    _errors.ClientClosedError("the client is closed"),
    _errors.FrameError("cannot parse frame of tickers.X: bad", topic="tickers.X", text='{"topic":"tickers.X"}'),
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
        if isinstance(error, _errors.OrderRejectedError):
            assert copy.is_rate_limited == error.is_rate_limited and copy.ret_msg == error.ret_msg
    print(f"{len(_ERRORS)} exceptions of {len(classes)} classes round-trip")


def test_a_rejected_login_pickles_without_the_secret() -> None:
    from bybit_ws.testing import FakeBybit

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
