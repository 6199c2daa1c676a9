"""The CLI and the newer v5 streams: ``plan_topic`` knows every v5 topic the library serves, ``stream``
prints a readable line for each model, ``record`` and ``replay`` carry them (``system.status`` on its own
endpoint, ``v5.status``)."""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from bybit_ws import BybitSocketClient
from bybit_ws._cli import describe, format_event, main
from bybit_ws._cli._format import summary
from bybit_ws._cli._recording import load_recording
from bybit_ws._cli._topics import UsageError, plan_topic, plan_topics
from bybit_ws.models import v5
from bybit_ws.recording import FrameParser
from bybit_ws.testing import FakeBybit

from . import test_cli
from .support import API_KEY, API_SECRET, frame_text
from .test_cli import STARTUP, Proc, child_env, events, is_event

run = test_cli.run  # the fixture: python subprocesses, killed at teardown

posix = pytest.mark.skipif(sys.platform == "win32", reason="the streams stop on SIGINT (POSIX)")


# ==================================================================================== plan_topic
PLANNED = [  # topic, --category, endpoint key, private, the handler kinds the subscribe call takes
    ("system.status", "linear", "v5.status", False, ["data"]),
    ("insurance.USDT", "spot", "v5.linear", False, ["data"]),  # the coin picks the endpoint
    ("insurance.USDC", "linear", "v5.linear", False, ["data"]),
    ("insurance.inverse", "linear", "v5.inverse", False, ["data"]),
    ("adlAlert.USDT", "linear", "v5.linear", False, ["data"]),
    ("adlAlert.inverse", "spot", "v5.inverse", False, ["data"]),
    ("priceLimit.BTCUSDT", "linear", "v5.linear", False, ["data"]),
    ("priceLimit.ETHUSDT", "spot", "v5.spot", False, ["data"]),
    ("orderbook.rpi.BTCUSD", "inverse", "v5.inverse", False, ["data"]),  # one handler, both kinds
    ("execution.fast", "linear", "v5.private", True, ["data"]),
    ("execution.fast.spot", "linear", "v5.private", True, ["data"]),
    ("greeks", "linear", "v5.private", True, ["data"]),
    ("dcp.future", "linear", "v5.private", True, []),  # a keep-alive: no handler
    ("dcp.spot", "linear", "v5.private", True, []),
    ("dcp.option", "linear", "v5.private", True, []),
]


def test_plan_topic_maps_each_new_v5_topic() -> None:
    """Each plan's endpoint key and privacy, and its ``client.v5.subscribe_to_*`` call subscribes the raw
    topic itself on that endpoint of a FakeBybit (v5 guessed when no --api is given)."""
    with (
        FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET) as fake,
        BybitSocketClient(api_key=API_KEY, api_secret=API_SECRET, urls=fake.urls) as client,
    ):
        for topic, category, key, private, kinds in PLANNED:
            plan = plan_topic(topic, "v5", category)
            assert (plan.topic, plan.api, plan.key, plan.private) == (topic, "v5", key, private)
            (guessed,) = plan_topics([topic], None, category)
            assert guessed[:4] == plan[:4]
            asked: list[str] = []

            def handler(kind: str, asked: list[str] = asked) -> Callable[[Any], None]:
                asked.append(kind)
                return lambda event: None

            plan.subscribe(client, handler)
            fake.wait_for_subscribers(topic, timeout=5.0, path=key)
            assert asked == kinds, topic


@pytest.mark.parametrize(
    ("topic", "category", "message"),
    [
        ("insurance.BTC", "linear", "insurance coin must be one of USDT, USDC, inverse, not 'BTC'"),
        ("adlAlert.", "linear", "adlAlert coin must be one of USDT, USDC, inverse, not ''"),
        ("dcp.linear", "linear", "dcp product must be one of future, spot, option, not 'linear'"),
        (
            "execution.fast.x",
            "linear",
            "execution.fast category must be one of spot, linear, inverse, option",
        ),
        ("position.spot", "linear", "position category must be one of linear, inverse, option, not 'spot'"),
        ("priceLimit.BTC-26DEC25", "option", "served for spot, linear and inverse, not option"),
        ("orderbook.rpi.BTC", "option", "served for spot, linear and inverse, not option"),
        ("priceLimit.*", "linear", "bad symbol '*'"),
        ("orderbook.rpi.", "linear", "bad symbol ''"),
        ("system.foo", "linear", "unknown v5 topic 'system.foo'"),
        ("greeks.ETH", "linear", "unknown v5 topic 'greeks.ETH'"),
    ],
)
def test_a_bad_v5_topic_says_what_is_valid(topic: str, category: str, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        plan_topic(topic, "v5", category)
    assert message in str(raised.value)


def test_an_unknown_topic_lists_every_v5_form() -> None:
    with pytest.raises(UsageError) as raised:
        plan_topics(["nonsense.BTCUSDT"], None)
    v5_line = next(line for line in str(raised.value).splitlines() if line.strip().startswith("v5:"))
    for form in (
        "orderbook.rpi.SYMBOL", "priceLimit.SYMBOL", "insurance.{USDT,USDC,inverse}",
        "adlAlert.{USDT,USDC,inverse}", "system.status", "execution.fast[.CATEGORY]", "greeks",
        "dcp.{future,spot,option}",
    ):  # fmt: skip
        assert form in v5_line, form


def test_inverse_insurance_stays_inverse() -> None:
    """``insurance.BTC`` is no v5 pool: the inverse API's per-coin topic, as before."""
    (plan,) = plan_topics(["insurance.BTC"], None)
    assert (plan.api, plan.key) == ("inverse", "inverse")


# ==================================================================================== the lines
def _event(name: str) -> Any:
    """The event the client delivers for a fixture frame received at 03:04:05 UTC."""
    text = frame_text(name)
    event = FrameParser().event(
        ENDPOINTS[name],
        json.loads(text)["topic"],
        text.encode(),
        datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    )
    assert event is not None
    return event


ENDPOINTS = {
    "v5_execution_fast": "v5.private",
    "v5_greeks": "v5.private",
    "v5_system_status": "v5.status",
    "v5_insurance": "v5.linear",
    "v5_price_limit": "v5.linear",
    "v5_adl_alert": "v5.linear",
    "v5_orderbook_rpi_delta": "v5.linear",
}
LINES = {  # fixture frame -> the line stream prints (after the time)
    "v5_execution_fast": "fill   ICPUSDT Sell 3000 @ 12.015 taker (linear)",
    "v5_greeks": "greeks ETH delta 0.06999986 gamma -0.00000001 vega -0.00000024 theta 0.00001314",
    "v5_system_status": "system t06 completed 2025-07-04 02:41-02:43 UTC, planned, futures/spot: "
    "http_trading/websocket_trading/private_websocket/market_data",
    "v5_insurance": "pool   USDT balance 25614.92972633 (GRIFFAINUSDT)",
    "v5_price_limit": "limits BTCUSDT buy <= 114450.00 sell >= 103550.00",
    "v5_adl_alert": "adl    FWOGUSDT USDT balance -5421.29889888 (max -5421.29889888, threshold 10000) "
    "pnl ratio 0 (trigger -0.3, stop -0.25)",
    "v5_orderbook_rpi_delta": "book   BTCUSDT rpi delta 3 bids 2 asks u=2258980",
}


@pytest.mark.parametrize("name", list(LINES))
def test_format_event_gives_each_new_model_a_line(name: str) -> None:
    assert format_event(_event(name)) == f"03:04:05.000 {LINES[name]}"


def test_summary_of_each_new_model() -> None:
    """`summary` alone (what `describe` shows after the label) for the models, the RPI book included."""
    got = {type(item).__name__: summary(item) for item in _models()}
    assert got == {
        "MinimalUserTrade": "ICPUSDT Sell 3000 @ 12.015 taker (linear)",
        "Greeks": "ETH delta 0.06999986 gamma -0.00000001 vega -0.00000024 theta 0.00001314",
        "SystemStatus": LINES["v5_system_status"][len("system ") :],
        "InsurancePool": "USDT balance 25614.92972633 (GRIFFAINUSDT)",
        "PriceLimit": "BTCUSDT buy <= 114450.00 sell >= 103550.00",
        "AdlAlert": LINES["v5_adl_alert"][len("adl    ") :],
        "RpiOrderBookUpdate": "BTCUSDT rpi 3 bids 2 asks, best 121975.1/121990.8 u=2258980",
    }


def _models() -> list[Any]:
    items = []
    for name in LINES:
        data = _event(name).data
        items.append(data[0] if isinstance(data, list) else data)
    return items


def test_describe_of_lists_counts_the_rest_and_fills_unknown_values() -> None:
    trade = v5.MinimalUserTrade(symbol="BTCUSDT", order_id="1", trade_id="2")
    assert describe([trade, trade], "execution.fast.linear") == "fill   BTCUSDT - - @ - (+1 more)"
    notice = v5.SystemStatus(id="n1", products=(), services=(), uid_suffixes=())
    assert describe([notice], "system.status") == "system n1 - -, -: -"
    rpi = _event("v5_orderbook_rpi_delta").data
    assert describe(rpi, "orderbook.rpi.BTCUSDT", "snapshot").startswith(
        "book   BTCUSDT rpi snapshot 3 bids 2 asks"
    )


# ==================================================================================== stream
def _stop(proc: Proc) -> None:
    proc.popen.send_signal(signal.SIGINT)
    assert proc.finish(timeout=15.0) == 0, proc.stderr
    assert not any("Traceback" in line for line in proc.stderr), proc.stderr


PUBLIC = {  # topic -> (fixture, endpoint key)
    "system.status": ("v5_system_status", "v5.status"),
    "priceLimit.BTCUSDT": ("v5_price_limit", "v5.linear"),
    "insurance.USDT": ("v5_insurance", "v5.linear"),
    "adlAlert.USDT": ("v5_adl_alert", "v5.linear"),
    "orderbook.rpi.BTCUSDT": ("v5_orderbook_rpi_delta", "v5.linear"),
}


@posix
def test_stream_prints_the_public_v5_topics(run: Callable[..., Proc]) -> None:
    """One ``stream`` over two endpoints (``system.status`` on ``/v5/public/misc/status``), a base URL."""
    with FakeBybit("v5") as fake:
        proc = run("-m", "bybit_ws", "stream", "--url", fake.url, *PUBLIC, sigint=True)
        for topic, (_, key) in PUBLIC.items():
            fake.wait_for_subscribers(topic, timeout=STARTUP, path=key)
        for name, key in PUBLIC.values():
            assert fake.send_raw(frame_text(name), path=key) >= 1
        for _ in PUBLIC:
            proc.next_line(is_event, timeout=10.0)
        _stop(proc)
    assert sorted(events(proc.stdout)) == sorted(LINES[name] for name, _ in PUBLIC.values()), proc.stdout
    assert f"{fake.url}/v5/public/misc/status" in proc.stderr[0]  # the streaming banner names both
    assert f"{fake.url}/v5/public/linear" in proc.stderr[0]


@posix
def test_stream_prints_the_private_v5_topics(run: Callable[..., Proc]) -> None:
    """execution.fast and greeks print; dcp.future is subscribed (a keep-alive: nothing to print)."""
    topics = ["execution.fast", "greeks", "dcp.future"]
    with FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET) as fake:
        env = child_env(BYBIT_API_KEY=API_KEY, BYBIT_API_SECRET=API_SECRET)
        proc = run("-m", "bybit_ws", "stream", "--url", fake.url, *topics, env=env, sigint=True)
        for topic in topics:
            fake.wait_for_subscribers(topic, timeout=STARTUP, path="v5.private")
        for name in ("v5_execution_fast", "v5_greeks"):
            assert fake.send_raw(frame_text(name), path="v5.private") == 1
        proc.next_line(is_event, timeout=10.0)
        proc.next_line(is_event, timeout=10.0)
        _stop(proc)
    assert sorted(events(proc.stdout)) == sorted([LINES["v5_execution_fast"], LINES["v5_greeks"]]), (
        proc.stdout
    )
    assert not any(API_SECRET in line for line in proc.stdout + proc.stderr)


def test_private_v5_topics_need_credentials(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BYBIT_API_KEY", raising=False)
    monkeypatch.delenv("BYBIT_API_SECRET", raising=False)
    for topic in ("execution.fast.linear", "greeks", "dcp.spot"):
        assert main(["stream", topic]) == 2
        assert "BYBIT_API_KEY" in capsys.readouterr().err


# ==================================================================================== record, replay
@posix
def test_record_and_replay_system_status_and_price_limits(run: Callable[..., Proc], tmp_path: Path) -> None:
    """``record`` writes system.status frames under ``v5.status``; ``replay`` serves them there again."""
    out = tmp_path / "rec"
    topics = ["system.status", "priceLimit.BTCUSDT"]
    sent = [("v5.status", frame_text("v5_system_status")), ("v5.linear", frame_text("v5_price_limit"))]
    with FakeBybit("v5") as fake:
        args = ["record", *topics, "--url", fake.url, "--out", str(out), "--status-every", "0.1"]
        proc = run("-m", "bybit_ws", *args, sigint=True)
        fake.wait_for_subscribers("system.status", timeout=STARTUP, path="v5.status")
        fake.wait_for_subscribers("priceLimit.BTCUSDT", timeout=5.0, path="v5.linear")
        for key, text in sent:
            assert fake.send_raw(text, path=key) == 1
        proc.next_line(lambda line: " | 2 frames, " in line, timeout=15.0, stderr=True)  # both written
        _stop(proc)
    header, frames = load_recording(str(out))
    assert header["api"] == "v5" and header["topics"] == topics
    assert header["urls"] == {"v5.status": fake.urls["v5.status"], "v5.linear": fake.urls["v5.linear"]}
    assert sorted((f.key, f.text) for f in frames) == sorted(sent)

    replay = run("-m", "bybit_ws", "replay", str(out), "--print", "--as-fast-as-possible")
    assert replay.finish(timeout=STARTUP) == 0, replay.stderr
    assert sorted(events(replay.stdout)) == sorted([LINES["v5_system_status"], LINES["v5_price_limit"]]), (
        replay.stdout,
        replay.stderr,
    )
    assert any("2 of 2 frames" in line for line in replay.stderr), replay.stderr


@posix
def test_stream_record_then_replay_to_your_own_client(run: Callable[..., Proc], tmp_path: Path) -> None:
    """``stream --record DIR`` of system.status: ``replay`` serves it on ``v5.status`` to a client."""
    out = tmp_path / "session"
    with FakeBybit("v5") as fake:
        proc = run(
            "-m", "bybit_ws", "stream", "system.status", "--url", fake.url, "--record", str(out), sigint=True
        )
        fake.wait_for_subscribers("system.status", timeout=STARTUP, path="v5.status")
        assert fake.send_raw(frame_text("v5_system_status"), path="v5.status") == 1
        proc.next_line(is_event, timeout=10.0)
        _stop(proc)
    replay = run("-m", "bybit_ws", "replay", str(out), "--as-fast-as-possible")
    line = replay.next_line(lambda line: "connect with" in line, timeout=STARTUP, stderr=True)
    urls = json.loads(line.split("urls=", 1)[1].rstrip(")"))
    assert list(urls) == ["v5.status"]
    with BybitSocketClient(urls=urls) as client:
        sub = client.v5.subscribe_to_system_status_updates()
        event = sub.get(timeout=10.0)
        assert replay.finish(timeout=15.0) == 0, replay.stderr
    assert event.topic == "system.status" and event.data[0].title == "t06"
