"""Leader/follower reading on the trade socket: a blocking order's caller reads the socket itself while it
waits for its reply, and handles every frame it reads as the reader thread would (another sender's
reply, a pong). Against FakeBybit's paper exchange on 127.0.0.1: no frame is lost, none is handled twice,
close / reconnect / a heartbeat failure during a caller's read end it at once as outcome unknown with
nothing resent, a caller's timeout hands the role back, and futures' callbacks stay on the worker pool."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from bybit_ws import BybitSocketClient, BybitTimeoutError, OrderOutcomeUnknownError, OrderRequest
from bybit_ws.dialects._base import Reply
from bybit_ws.engine._readrole import READER, ReadRole
from bybit_ws.engine._requests import RequestTracker
from bybit_ws.engine._trade_connection import TradeConnection
from bybit_ws.testing import FakeBybit

from .support import API_KEY, API_SECRET, ClientFactory, clients_for, paper_fake, wait_until


@pytest.fixture
def fake() -> Iterator[FakeBybit]:
    with paper_fake() as server:
        yield server


@pytest.fixture
def make_client(fake: FakeBybit) -> Iterator[ClientFactory]:
    with clients_for(fake, api_key=API_KEY, api_secret=API_SECRET) as make:
        yield make


class _Readers:
    """Stands in for the reply path's tracker and its pong hook: records which thread handled each reply
    (by reqId) and each pong, then passes them on."""

    def __init__(self, trade: TradeConnection) -> None:
        path: Any = trade.supervisor._frame_path
        self._tracker: RequestTracker = path._requests
        self._on_pong = path._on_pong
        path._requests, path._on_pong = self, self.pong
        self.replies: dict[str, str] = {}
        self.pongs: list[str] = []

    def match(self, reply: Reply) -> bool:
        self.replies[str(reply.req_id)] = threading.current_thread().name
        return self._tracker.match(reply)

    def pong(self) -> None:
        self.pongs.append(threading.current_thread().name)
        self._on_pong()


def _trade(client: BybitSocketClient) -> TradeConnection:
    client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("1"))  # connected
    return client._engine.trade_connection()


def _role(trade: TradeConnection) -> ReadRole:
    transport = trade.requests.transport
    assert transport is not None and transport._role is not None
    return transport._role


def _a_caller_reads(role: ReadRole) -> bool:
    return role._holder not in (None, READER)


def _req_id(fake: FakeBybit, link: str) -> str:
    (frame,) = [f for f in fake.trade_requests() if f["args"][0].get("orderLinkId") == link]
    return str(frame["reqId"])


class _Slow:
    """One blocking order on its own thread (named ``test-slow-caller``), its ack or error kept."""

    def __init__(self, client: BybitSocketClient, link: str = "slow") -> None:
        self.ack: Any = None
        self.error: BaseException | None = None

        def place() -> None:
            try:
                self.ack = client.v5.place_order(
                    "linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("2"), client_order_id=link
                )
            except BaseException as exc:
                self.error = exc

        self.thread = threading.Thread(target=place, name="test-slow-caller")
        self.thread.start()

    def join(self) -> None:
        self.thread.join(10)
        assert not self.thread.is_alive(), "the waiting caller did not end"


def _slow_caller_reading(fake: FakeBybit, client: BybitSocketClient, trade: TradeConnection) -> _Slow:
    """A blocking order whose reply is held back, its caller holding the read role."""
    fake.delay_trade_replies(1.5, count=1)
    slow = _Slow(client)
    wait_until(lambda: _a_caller_reads(_role(trade)), message="the slow caller holding the read role")
    return slow


# ------------------------------------------------------------------------------------ who reads what
def test_a_waiting_caller_reads_another_senders_reply_and_completes_it(
    fake: FakeBybit, make_client: ClientFactory
) -> None:
    trade = _trade(client := make_client())
    readers = _Readers(trade)
    slow = _slow_caller_reading(fake, client, trade)
    quick = client.v5.place_order(
        "linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("3"), client_order_id="quick"
    )
    slow.join()
    assert quick.client_order_id == "quick" and slow.ack.client_order_id == "slow"
    assert readers.replies[_req_id(fake, "quick")] == "test-slow-caller"  # not the quick caller's own read
    assert readers.replies[_req_id(fake, "slow")] == "test-slow-caller"
    assert [f["args"][0].get("orderLinkId") for f in fake.trade_requests()][1:] == ["slow", "quick"]


def test_a_futures_reply_read_by_a_waiting_caller_still_calls_back_on_a_worker(
    fake: FakeBybit, make_client: ClientFactory
) -> None:
    trade = _trade(client := make_client())
    readers = _Readers(trade)
    slow = _slow_caller_reading(fake, client, trade)
    names: list[str] = []
    ran = threading.Event()

    def record(future: concurrent.futures.Future[Any]) -> None:
        names.append(threading.current_thread().name)
        ran.set()

    future = client.v5.submit_order(
        "linear", OrderRequest("BTCUSDT", "Buy", "Limit", 1, price=Decimal("3"), client_order_id="async")
    )
    future.add_done_callback(record)
    assert future.result(5).client_order_id == "async"
    assert ran.wait(5)
    assert readers.replies[_req_id(fake, "async")] == "test-slow-caller"
    assert names[0].startswith("bybit-ws-worker")
    slow.join()
    assert slow.ack.client_order_id == "slow"


def test_many_concurrent_senders_each_get_their_own_ack_and_callers_read(
    fake: FakeBybit, make_client: ClientFactory
) -> None:
    trade = _trade(client := make_client())
    readers = _Readers(trade)
    acks: dict[str, str] = {}
    errors: list[BaseException] = []

    def place(n: int) -> None:
        try:
            for i in range(10):
                link = f"t{n}-{i}"
                ack = client.v5.place_order(
                    "linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal(100 + n), client_order_id=link
                )
                acks[link] = ack.client_order_id or ""
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=place, args=(n,), name=f"test-sender-{n}") for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not errors and not any(t.is_alive() for t in threads)
    assert len(acks) == 160 and all(key == value for key, value in acks.items())
    assert len(fake.trade_requests("order.create")) == 161  # each sent once
    assert len(readers.replies) == 160
    assert any(name.startswith("test-sender-") for name in readers.replies.values())


def test_pongs_keep_flowing_while_a_caller_reads(fake: FakeBybit, make_client: ClientFactory) -> None:
    client = make_client(ping_interval=0.2, pong_timeout=1.0, request_timeout=10.0)
    trade = _trade(client)
    readers = _Readers(trade)
    fake.delay_trade_replies(3.0, count=1)
    slow = _Slow(client)
    wait_until(lambda: _a_caller_reads(_role(trade)), message="the slow caller holding the read role")
    wait_until(lambda: readers.pongs.count("test-slow-caller") >= 3, timeout=10, message="3 pongs read by it")
    slow.join()
    assert slow.ack.client_order_id == "slow"
    assert fake.connections_total == 1  # no pong was missed: the socket was never replaced


# ------------------------------------------------------------------------------------ endings
@pytest.mark.parametrize("ending", ["close", "reconnect", "heartbeat", "reset"])
def test_the_socket_ending_under_a_callers_read_ends_it_at_once_as_outcome_unknown(
    fake: FakeBybit, make_client: ClientFactory, ending: str
) -> None:
    """The caller holds the read role, its reply 20 s away and its request timeout 30 s: close(), a
    reconnect, a missing pong or a reset end its wait at once, outcome unknown; nothing is resent."""
    client = make_client(request_timeout=30.0, ping_interval=0.2, pong_timeout=0.6)
    trade = _trade(client)
    fake.delay_trade_replies(20.0, count=1)
    slow = _Slow(client, "lost")
    wait_until(lambda: _a_caller_reads(_role(trade)), message="the caller holding the read role")
    if ending == "close":
        client.close()
    elif ending == "reconnect":
        trade.supervisor.reconnect()
    elif ending == "heartbeat":
        fake.stop_answering_pings()
    else:
        fake.drop_connections(abrupt=True)
    slow.join()
    assert isinstance(slow.error, OrderOutcomeUnknownError), slow.error
    fake.resume_answering_pings()
    if ending != "close":  # the next order goes out on a new socket
        assert client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("3")).order_id
        assert fake.connections_total == 2
    assert [f["args"][0].get("orderLinkId") for f in fake.trade_requests()].count("lost") == 1


def test_a_callers_timeout_while_it_reads_hands_the_role_back(
    fake: FakeBybit, make_client: ClientFactory
) -> None:
    client = make_client(request_timeout=0.5)
    trade = _trade(client)
    readers = _Readers(trade)
    fake.delay_trade_replies(2.0, count=1)
    with pytest.raises(BybitTimeoutError, match="may or may not exist"):
        client.v5.place_order(
            "linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("2"), client_order_id="slow"
        )
    # no caller waits now: the reader thread reads the next future's reply (and the late one, dropped)
    future = client.v5.submit_order(
        "linear", OrderRequest("BTCUSDT", "Buy", "Limit", 1, price=Decimal("3"), client_order_id="next")
    )
    assert future.result(5).client_order_id == "next"
    assert readers.replies[_req_id(fake, "next")].startswith("bybit-ws-reader-trade")
    wait_until(lambda: _req_id(fake, "slow") in readers.replies, message="the late reply read")
    assert readers.replies[_req_id(fake, "slow")].startswith("bybit-ws-reader-trade")
    assert [f["args"][0].get("orderLinkId") for f in fake.trade_requests()].count("slow") == 1
    assert client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("4")).order_id


# ------------------------------------------------------------------------------------ the role itself
def test_the_role_goes_to_callers_in_turn_then_back_to_the_reader() -> None:
    role = ReadRole(linger=60.0)
    first, second, third = threading.Event(), threading.Event(), threading.Event()
    try:
        assert not role.join(first)  # the reader holds it: the caller queues, the reader is woken
        assert role.waker.recv(8) == b"\0"
        assert role.reader_yield() and role.holds(first) and first.is_set()
        assert not role.join(second) and not role.join(third)
        role.leave(third, wanted=False)  # gave up waiting: out of the queue
        role.leave(first, wanted=False)
        assert role.holds(second) and second.is_set() and not third.is_set()
        role.leave(second, wanted=True)  # nobody queued, replies expected: the reader reads now
        assert role.reader_take()
        role.end(None)
        assert not role.join(first)
    finally:
        role.finish()
    assert not role.reader_take()
