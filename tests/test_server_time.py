"""The server clock (V5_2026.md §2): samples from pongs and ``Timenow`` (pure, with injected clocks), and
against a FakeBybit whose clock is skewed: unskewed auth and orders are refused, corrected ones accepted,
the first auth measures before it signs, a clock that moves later is caught by one retry."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest

from bybit_ws import AuthenticationError, BybitSocketClient, OrderRejectedError, TradeRetCode
from bybit_ws.engine._clock import ServerClock, pong_time_ms, reply_time_ms
from bybit_ws.testing import FakeBybit, PaperExchange

from .support import API_KEY, API_SECRET, Collector, clients_for, wait_until

SKEW = 60.0  # the fake's clock runs a minute ahead: local expires (+10 s) has passed there


class Clocks:
    """Injected wall (epoch s) and monotonic clocks."""

    def __init__(self) -> None:
        self.wall = 1_767_225_600.0
        self.mono = 100.0

    def clock(self) -> ServerClock:
        return ServerClock(wall=lambda: self.wall, monotonic=lambda: self.mono)


# ------------------------------------------------------------------------------------ pure
def test_server_time_is_read_from_v5_pongs_and_trade_replies() -> None:
    trade_pong = {"retCode": 0, "retMsg": "OK", "op": "pong", "data": ["1711002002529"], "connId": "x"}
    private_pong = {"req_id": "test", "op": "pong", "args": ["1675418560633"], "conn_id": "y"}
    assert pong_time_ms(trade_pong) == 1711002002529
    assert pong_time_ms(private_pong) == 1675418560633
    assert pong_time_ms({"success": True, "ret_msg": "pong", "op": "ping"}) is None  # spot, linear
    assert pong_time_ms({"op": "pong", "args": ["soon"]}) is None
    assert reply_time_ms({"header": {"Timenow": "1711001595207", "X-Bapi-Limit": "10"}}) == 1711001595207
    assert reply_time_ms({"header": {"timenow": 5}}) == 5
    assert reply_time_ms({"data": {}}) is None


def test_offset_is_none_until_measured_then_the_midpoint_of_the_best_sample() -> None:
    clocks = Clocks()
    clock = clocks.clock()
    assert clock.offset is None and clock.now_ms() == int(clocks.wall * 1000)
    local = clocks.wall * 1000
    clock.sample(local - 400, int(local + 2000), local)  # rtt 400: offset 2200 +- 200
    assert clock.offset == timedelta(milliseconds=2200)
    clock.sample(local - 20, int(local + 2005), local)  # rtt 20: 2015 +- 10, the better sample wins
    assert clock.offset == timedelta(milliseconds=2015)
    clock.sample(local - 300, int(local + 1870), local)  # 2020 +- 150 agrees but is worse: ignored
    assert clock.offset == timedelta(milliseconds=2015)
    assert clock.now_ms() == int(local + 2015)


def test_newer_samples_take_over_as_old_ones_age_and_a_stepped_clock_starts_over() -> None:
    clocks = Clocks()
    clock = clocks.clock()
    local = clocks.wall * 1000
    clock.sample(local - 10, int(local + 500), local)  # 505 +- 5
    clocks.mono += 600  # ten minutes later its bound has grown by 30 ms
    clock.sample(local - 40, int(local + 520), local)  # 540 +- 20 beats 505 +- 35
    assert clock.offset == timedelta(milliseconds=540)
    clock.sample(local - 10, int(local - 30_000), local)  # the local clock was stepped half a minute
    assert clock.offset == timedelta(milliseconds=-29_995)


def test_an_unknown_send_time_is_a_poor_sample_and_an_offset_over_a_second_is_warned_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clocks().clock()
    local = clock.local_ms()
    with caplog.at_level(logging.WARNING, logger="bybit_ws.engine._clock"):
        clock.sample(None, int(local + 3000), local)
        clock.sample(local - 10, int(local + 3000), local)
        clock.sample(local - 10, int(local + 3001), local)
    assert clock.offset is not None and abs(clock.offset.total_seconds() - 2.995) < 0.01
    warnings = [r.getMessage() for r in caplog.records if "off Bybit's" in r.getMessage()]
    assert len(warnings) == 1 and "+3.000 s" in warnings[0]


# ------------------------------------------------------------------------------------ a skewed FakeBybit
@pytest.fixture
def fake() -> Iterator[FakeBybit]:
    with FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET, clock_skew=SKEW) as server:
        yield server


def _near_skew(client: BybitSocketClient, skew: float = SKEW) -> bool:
    offset = client.server_time_offset
    return offset is not None and abs(offset.total_seconds() - skew) < 5.0


def test_unskewed_auth_is_refused_and_the_corrected_one_accepted() -> None:
    # v3 contract pongs carry no time: that client signs with its local clock, a minute behind the fake's
    with (
        FakeBybit("contract", api_key=API_KEY, api_secret=API_SECRET, clock_skew=SKEW) as contract,
        clients_for(contract, api_key=API_KEY, api_secret=API_SECRET) as make,
        pytest.raises(AuthenticationError, match="expired"),
    ):
        make().contract.subscribe_to_order_updates(Collector())
    # v5 private: the client pings first, learns the fake's clock, and its one auth is accepted
    with (
        FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET, clock_skew=SKEW) as fake,
        clients_for(fake, api_key=API_KEY, api_secret=API_SECRET) as make,
    ):
        client = make()
        assert client.server_time_offset is None
        assert client.v5.subscribe_to_order_updates(Collector()).is_active
        assert _near_skew(client)
        frames = fake.received_frames("v5.private")
        assert [f["op"] for f in frames] == ["ping", "auth", "subscribe"]
        assert frames[1]["args"][1] > fake.server_time_ms()  # expires is ahead of the fake's clock


def test_orders_carry_the_servers_time_and_timenow_keeps_measuring(fake: FakeBybit) -> None:
    fake.paper.set_price("BTCUSDT", "30000")
    with clients_for(fake, api_key=API_KEY, api_secret=API_SECRET) as make:
        client = make()
        client.v5.connect_trade()
        assert _near_skew(client)
        samples = client._engine.clock.samples
        ack = client.v5.place_order(
            "linear", "BTCUSDT", "Buy", "Limit", Decimal("0.01"), price=Decimal("29000"), time_in_force="GTC"
        )
        assert ack.order_id and client._engine.clock.samples > samples  # its reply's Timenow
        (sent,) = fake.trade_requests()
        assert abs(int(sent["header"]["X-BAPI-TIMESTAMP"]) - fake.server_time_ms()) < 5000


def test_an_order_stamped_off_the_matching_engines_clock_is_refused_and_its_timenow_corrects_the_next() -> (
    None
):
    # the sockets' clock (pongs) is the local one; the matching engine's (the paper exchange's) runs a
    # minute ahead: the first order is refused (10002, never resent), its reply's Timenow is measured
    paper = PaperExchange(prices={"BTCUSDT": "30000"}, clock=lambda: time.time_ns() // 1_000_000 + 60_000)
    with (
        FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET, paper=paper) as fake,
        clients_for(fake, api_key=API_KEY, api_secret=API_SECRET) as make,
    ):
        client = make()
        client.v5.connect_trade()
        assert _near_skew(client, 0.0)
        with pytest.raises(OrderRejectedError) as caught:
            client.v5.place_order("linear", "BTCUSDT", "Buy", "Market", Decimal("0.01"))
        assert caught.value.ret_code == TradeRetCode.INVALID_TIMESTAMP
        assert _near_skew(client)
        assert client.v5.place_order("linear", "BTCUSDT", "Buy", "Market", Decimal("0.01")).order_id
        assert len(fake.trade_requests()) == 2


def test_a_clock_that_moves_after_the_first_auth_is_caught_by_one_retry(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET) as fake,
        clients_for(fake, api_key=API_KEY, api_secret=API_SECRET) as make,
    ):
        client = make()
        sub = client.v5.subscribe_to_order_updates(Collector())
        restored: list[timedelta] = []
        sub.on_connection_restored(restored.append)
        assert _near_skew(client, 0.0)
        fake.set_clock_skew(SKEW)
        fake.drop_connections()
        wait_until(lambda: bool(restored), message="the private connection restored")
        auths = fake.received_frames("v5.private", "auth")
        assert len(auths) == 3  # first connect; after the drop: refused (local clock), then retried
        assert _near_skew(client) and sub.is_active
    assert any("trying once more" in r.getMessage() for r in caplog.records)


def test_without_any_server_time_the_first_auth_goes_out_after_a_short_wait(fake: FakeBybit) -> None:
    fake.set_clock_skew(0)
    fake.stop_answering_pings()
    with clients_for(fake, api_key=API_KEY, api_secret=API_SECRET) as make:
        client = make()
        assert client.v5.subscribe_to_order_updates(Collector()).is_active
        assert client.server_time_offset is None
