"""An order racing the replacement of the trade socket (``reconnect()``): a request not yet on the socket
being replaced is not sent there (it goes out once, on the next socket), one written before the cut stays
outcome unknown, and nothing is sent twice. Against FakeBybit's paper exchange on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from bybit_ws import BybitSocketClient, OrderOutcomeUnknownError, OrderRequest
from bybit_ws.dialects._base import Reply
from bybit_ws.engine._requests import RequestTracker
from bybit_ws.engine._trade_connection import TradeConnection
from bybit_ws.testing import FakeBybit

from .support import API_KEY, API_SECRET, ClientFactory, clients_for, paper_fake, wait_until


@pytest.fixture
def fake() -> Iterator[FakeBybit]:
    with paper_fake() as server:
        yield server


@pytest.fixture
def client(fake: FakeBybit) -> Iterator[BybitSocketClient]:
    factory: ClientFactory
    with clients_for(fake, api_key=API_KEY, api_secret=API_SECRET) as factory:
        yield factory()


def _trade(client: BybitSocketClient) -> TradeConnection:
    client.v5.connect_trade()
    return client._engine.trade_connection()


def _links(fake: FakeBybit) -> list[str]:
    return [str(f["args"][0].get("orderLinkId")) for f in fake.trade_requests()]


class _WedgedMatch:
    """Stands in for the reply path's tracker: the reader thread stops in the first ``match`` until
    released, so it cannot notice that its socket was cut (it is busy with a reply read before)."""

    def __init__(self, tracker: RequestTracker) -> None:
        self._tracker = tracker
        self.wedged = threading.Event()
        self.release = threading.Event()

    def match(self, reply: Reply) -> bool:
        if not self.wedged.is_set():
            self.wedged.set()
            self.release.wait(10)
        return self._tracker.match(reply)


def test_an_order_sent_as_the_socket_is_replaced_goes_once_on_the_next_socket(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    """The review's race: ``reconnect()`` cut the socket after the order's caller found it ready and
    before the order was registered; the old code wrote it to the cut socket and called it outcome
    unknown (it never left). Now the generation is retired under the lock: the order is not sent there,
    waits for the next socket and is placed exactly once."""
    trade = _trade(client)
    path: Any = trade.supervisor._frame_path  # the reader's reply path
    wedge = _WedgedMatch(trade.requests)
    path._requests = wedge
    first = client.v5.submit_order(
        "linear", OrderRequest("BTCUSDT", "Buy", "Limit", 1, price=Decimal("1"), client_order_id="first")
    )
    assert wedge.wedged.wait(5), "the first order's reply never reached the reader"
    real_wait_ready: Callable[[float, int], int] = trade._wait_ready
    calls: list[int] = []

    def wait_ready(deadline: float, failures: int) -> int:
        calls.append(1)
        if len(calls) > 1:  # the order came back for the next socket: let the old reader go on
            wedge.release.set()
            return real_wait_ready(deadline, failures)
        gen = real_wait_ready(deadline, failures)
        trade.supervisor.reconnect()  # the socket is replaced right after the caller found it ready
        return gen

    trade._wait_ready = wait_ready  # type: ignore[method-assign]
    try:
        ack = client.v5.place_order(
            "linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("2"), client_order_id="raced"
        )
    finally:
        wedge.release.set()
        del trade._wait_ready
        path._requests = trade.requests
    assert ack.order_id and ack.client_order_id == "raced"
    assert first.result(5).client_order_id == "first"  # its reply was read before the cut: its outcome
    assert _links(fake) == ["first", "raced"]  # each sent once
    wait_until(lambda: len(fake.received_frames("v5.trade", op="auth")) == 2, message="the re-auth")


def test_an_order_written_before_the_cut_stays_outcome_unknown(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    """A ``reconnect()`` while an order is being written lets the write end, then cuts the socket: that
    order left, no reply came, so it is outcome unknown (never resent); the next order goes out on
    the next socket."""
    trade = _trade(client)
    fake.reply_out_of_order(2)  # the fake holds the order's reply (it waits for a second one)
    transport: Any = trade.requests.transport
    real_send = transport.send
    replacer: list[threading.Thread] = []
    written: list[bool] = []

    def send(text: str | bytes) -> None:
        order = b"order.create" in (text if isinstance(text, bytes) else text.encode())
        if order and not replacer:  # the order is registered and about to be written: replace now
            thread = threading.Thread(target=trade.supervisor.reconnect)
            replacer.append(thread)
            thread.start()
            wait_until(lambda: not trade.supervisor.ready, message="the reconnect under way")
        real_send(text)
        written.append(order)  # the write ended without an error: the order left before the cut

    transport.send = send
    try:
        with pytest.raises(OrderOutcomeUnknownError, match="may or may not exist"):
            client.v5.place_order(
                "linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("1"), client_order_id="cut"
            )
    finally:
        for thread in replacer:
            thread.join(5)
    assert written == [True]
    # the next order goes out on the next socket; the one cut is never resent (the fake may or may not
    # have read it before the cut: that is what outcome unknown means)
    assert client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("2")).order_id
    assert _links(fake).count("cut") <= 1
    assert len(_links(fake)) == _links(fake).count("cut") + 1


@pytest.mark.parametrize("ending", ["close", "reconnect", "pong timeout", "reset"])
def test_a_blocking_order_waiting_when_the_socket_ends_is_outcome_unknown_at_once(
    fake: FakeBybit, ending: str
) -> None:
    """The order's reply is 20 s away and its timeout 30 s: close(), a reconnect, a missing pong or a
    reset end the blocked caller's wait at once (not at the timeout) as outcome unknown; the order is
    never sent again."""
    factory: ClientFactory
    with clients_for(
        fake,
        api_key=API_KEY,
        api_secret=API_SECRET,
        request_timeout=30.0,
        ping_interval=0.2,
        pong_timeout=0.6,
    ) as factory:
        client = factory()
        trade = _trade(client)
        fake.delay_trade_replies(20.0, count=1)
        errors: list[BaseException] = []

        def place() -> None:
            try:
                client.v5.place_order(
                    "linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("1"), client_order_id="lost"
                )
            except BaseException as exc:
                errors.append(exc)

        caller = threading.Thread(target=place, name="test-blocked-caller")
        caller.start()
        fake.wait_for(lambda: "lost" in _links(fake), timeout=5)
        if ending == "close":
            client.close()
        elif ending == "reconnect":
            trade.supervisor.reconnect()
        elif ending == "pong timeout":
            fake.stop_answering_pings()
        else:
            fake.drop_connections(abrupt=True)
        caller.join(10)
        assert not caller.is_alive(), "the blocked caller waited on"
        assert len(errors) == 1 and isinstance(errors[0], OrderOutcomeUnknownError), errors
        fake.resume_answering_pings()
        if ending != "close":  # the next order goes out on a new socket
            assert client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("2")).order_id
        assert _links(fake).count("lost") == 1
