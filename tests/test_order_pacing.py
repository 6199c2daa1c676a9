"""Client-side order pacing (``order_rate_limit``): the pure :class:`Pacer` with an injected clock (budgets,
batches, the shared linear/inverse budget, order per symbol, deadlines, 8 threads at once), and real runs
against FakeBybit: 8 threads' orders all sent once and in order per symbol, a blocking call that gives up
unsent, queued futures failed unsent on close."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from bybit_ws import BybitSocketClient, BybitTimeoutError, ClientClosedError, OrderRequest
from bybit_ws.engine._pacing import DEFAULT_LIMITS, Entry, Pacer, parse_limits
from bybit_ws.testing import FakeBybit, PaperExchange

from .support import API_KEY, API_SECRET, clients_for


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def create(symbol: str, n: int = 0, category: str = "linear") -> tuple[str, list[dict[str, Any]], Any]:
    return "order.create", [{"category": category, "symbol": symbol, "orderLinkId": f"{symbol}-{n}"}], n


def cancel(symbol: str, category: str = "linear") -> tuple[str, list[dict[str, Any]], Any]:
    return "order.cancel", [{"category": category, "symbol": symbol}], f"cancel-{symbol}"


def batch(category: str, symbols: list[str]) -> tuple[str, list[dict[str, Any]], Any]:
    return (
        "order.create-batch",
        [{"category": category, "request": [{"symbol": s} for s in symbols]}],
        "batch",
    )


def make(
    pacer: Pacer, request: tuple[str, list[dict[str, Any]], Any], deadline: float | None = None
) -> Entry:
    op, args, payload = request
    return pacer.entry(op, args, payload, deadline)


# ------------------------------------------------------------------------------------ options
def test_limits_are_off_by_default_bybits_table_on_true_or_per_category() -> None:
    assert parse_limits(None) is None and parse_limits(False) is None
    assert parse_limits(True) == {c: dict(k) for c, k in DEFAULT_LIMITS.items()}
    assert parse_limits(True)["spot"] == {"create": 20, "amend": 10, "cancel": 20}  # type: ignore[index]
    assert parse_limits({"linear": 5}) == {"linear": {"create": 5, "amend": 5, "cancel": 5}}
    for bad in ({"spread": 5}, {"linear": 0}, {"linear": 2.5}, {"linear": True}, {}, 10):
        with pytest.raises(ValueError, match="order_rate_limit"):
            parse_limits(bad)
    with pytest.raises(ValueError, match="unknown category 'futures'"):
        BybitSocketClient(order_rate_limit={"futures": 10})


# ------------------------------------------------------------------------------------ the pure pacer
def test_a_budget_lets_its_limit_through_in_any_rolling_second() -> None:
    clock = FakeTime()
    pacer = Pacer({"linear": {"create": 2, "amend": 2, "cancel": 2}}, clock)
    entries = [make(pacer, create(f"S{i}", i)) for i in range(3)]
    assert [pacer.offer(e) for e in entries] == [True, True, False]
    for e in entries[:2]:
        pacer.done(e)
    clock.now += 0.5
    assert pacer.take_due() == ([], [], 1001.0)  # the first slot frees a second after it was taken
    clock.now = 1001.0
    ready, expired, wake = pacer.take_due()
    assert ready == [entries[2]] and expired == [] and wake is None


def test_nothing_passes_an_earlier_request_of_its_symbol_or_its_budget() -> None:
    clock = FakeTime()
    pacer = Pacer({"linear": {"create": 1, "amend": 5, "cancel": 5}}, clock)
    first, second = make(pacer, create("BTC", 1)), make(pacer, create("BTC", 2))
    assert pacer.offer(first)
    pacer.done(first)
    assert not pacer.offer(second)  # over the create budget: queued
    stop_btc, stop_eth = make(pacer, cancel("BTC")), make(pacer, cancel("ETH"))
    assert not pacer.offer(stop_btc)  # the cancel budget has room, but a BTC create waits before it
    assert pacer.offer(stop_eth)  # another symbol goes at once
    pacer.done(stop_eth)
    other = make(pacer, create("ETH", 3))
    assert not pacer.offer(other)  # the create budget is first in, first out
    clock.now += 1.0
    ready, _, _ = pacer.take_due()
    assert ready == [second]  # the BTC cancel waits until the create is sent; ETH's create for room
    assert pacer.take_due()[0] == []
    pacer.done(second)
    assert pacer.take_due()[0] == [stop_btc]
    assert pacer.queued == 1


def test_a_symbol_being_sent_holds_its_next_request() -> None:
    clock = FakeTime()
    pacer = Pacer({"linear": {"create": 5, "amend": 5, "cancel": 5}}, clock)
    sending, after = make(pacer, create("BTC", 1)), make(pacer, cancel("BTC"))
    assert pacer.offer(sending)  # the caller is sending it (e.g. waiting for the connection)
    assert not pacer.offer(after)  # so the cancel may not overtake it
    assert pacer.take_due()[0] == []
    pacer.done(sending)
    assert pacer.take_due()[0] == [after]


def test_batches_cost_one_per_order_except_option_and_inverse_shares_linears_budget() -> None:
    clock = FakeTime()
    pacer = Pacer(parse_limits({"linear": 10, "option": 10}) or {}, clock)
    assert make(pacer, batch("linear", ["A"] * 7)).cost == 7
    assert make(pacer, batch("linear", ["A"] * 20)).cost == 10  # capped: Bybit fails the excess itself
    assert make(pacer, batch("option", ["A"] * 20)).cost == 1
    assert pacer.paces("inverse") and pacer.paces("linear") and not pacer.paces("spot")
    linear, inverse = make(pacer, batch("linear", ["A"] * 6)), make(pacer, batch("inverse", ["B"] * 6))
    assert linear.budget == inverse.budget
    assert pacer.offer(linear) and not pacer.offer(inverse)  # 6 + 6 > 10 in the shared budget
    single = make(pacer, create("C"))
    assert pacer.offer(single)  # single creates have a budget of their own


def test_a_deadline_expires_a_queued_request_which_is_never_handed_out() -> None:
    clock = FakeTime()
    pacer = Pacer({"spot": {"create": 1, "amend": 1, "cancel": 1}}, clock)
    head = make(pacer, create("A", 0, "spot"))
    assert pacer.offer(head)
    pacer.done(head)
    blocking = make(pacer, create("B", 1, "spot"), deadline=clock.now + 0.5)
    queued = make(pacer, create("C", 2, "spot"))
    assert not pacer.offer(blocking) and not pacer.offer(queued)
    assert pacer.take_due()[2] == clock.now + 0.5  # wake for the deadline
    clock.now += 0.5
    assert pacer.take_due() == ([], [blocking], 1001.0)
    clock.now = 1001.0
    assert pacer.take_due()[0] == [queued]
    assert pacer.drain() == []


def test_eight_threads_each_request_exactly_once_in_order_per_symbol_within_the_limit() -> None:
    clock = FakeTime()
    limit = 5
    pacer = Pacer({"linear": dict.fromkeys(("create", "amend", "cancel"), limit)}, clock)
    sent: list[tuple[float, Entry]] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def trader(t: int) -> None:
        start.wait()
        for n in range(6):
            entry = make(pacer, create(f"S{t}", n))
            if pacer.offer(entry):
                with lock:
                    sent.append((clock.now, entry))
                pacer.done(entry)

    threads = [threading.Thread(target=trader, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sent) == limit  # the clock stood still: one second's worth went at once
    while pacer.queued:
        clock.now += 0.25
        ready, expired, _ = pacer.take_due()
        assert expired == []
        for entry in ready:
            sent.append((clock.now, entry))
            pacer.done(entry)
    assert len(sent) == 48 and len({id(e) for _, e in sent}) == 48
    for t in range(8):
        assert [e.payload for _, e in sent if e.symbols == {("linear", f"S{t}")}] == list(range(6))
    times = [when for when, _ in sent]
    assert all(sum(1 for x in times if when <= x < when + 1.0) <= limit for when in times)


# ------------------------------------------------------------------------------------ against FakeBybit
@pytest.fixture
def fake() -> Iterator[FakeBybit]:
    prices = {f"S{t}USDT": "100" for t in range(8)}
    with FakeBybit(
        "v5", api_key=API_KEY, api_secret=API_SECRET, paper=PaperExchange(prices=prices)
    ) as server:
        yield server


def _order(symbol: str, n: int) -> OrderRequest:
    return OrderRequest(
        symbol,
        "Buy",
        "Limit",
        Decimal("0.1"),
        price=Decimal("90"),
        time_in_force="GTC",
        client_order_id=f"{symbol}-{n}",
    )


def test_eight_threads_orders_are_all_sent_once_and_in_order_per_symbol(fake: FakeBybit) -> None:
    with clients_for(fake, api_key=API_KEY, api_secret=API_SECRET) as make_client:
        client = make_client(order_rate_limit={"linear": 12}, connect_trade=True, request_timeout=10.0)
        start = threading.Barrier(8)

        def trader(t: int) -> list[Any]:
            start.wait()
            futures = [client.v5.submit_order("linear", _order(f"S{t}USDT", n)) for n in range(2)]
            blocking = [client.v5.place_order("linear", f"S{t}USDT", "Buy", "Limit", Decimal("0.1"),
                                              price=Decimal("90"), time_in_force="GTC",
                                              client_order_id=f"S{t}USDT-2")]  # fmt: skip
            return [f.result(timeout=30) for f in futures] + blocking

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            acks = [ack for result in pool.map(trader, range(8)) for ack in result]
    assert len(acks) == 24 and all(ack.order_id and ack.rate_limit is not None for ack in acks)
    sent = [frame["args"][0]["orderLinkId"] for frame in fake.trade_requests("order.create")]
    assert sorted(sent) == sorted(f"S{t}USDT-{n}" for t in range(8) for n in range(3))  # each once
    for t in range(8):
        assert [s for s in sent if s.startswith(f"S{t}USDT-")] == [f"S{t}USDT-{n}" for n in range(3)]


def test_a_blocking_call_gives_up_unsent_and_queued_futures_fail_unsent_on_close(fake: FakeBybit) -> None:
    with clients_for(fake, api_key=API_KEY, api_secret=API_SECRET, request_timeout=0.5) as make_client:
        client = make_client(order_rate_limit={"linear": 1}, connect_trade=True)
        futures = [client.v5.submit_order("linear", _order("S0USDT", n)) for n in range(4)]
        assert futures[0].result(timeout=5).order_id  # one a second: the other three wait
        with pytest.raises(BybitTimeoutError, match="not sent"):
            client.v5.place_order("linear", "S1USDT", "Buy", "Market", Decimal("0.1"))
        client.close()
        for future in futures[1:]:
            assert isinstance(future.exception(timeout=5), ClientClosedError)
    sent = [frame["args"][0].get("orderLinkId") for frame in fake.trade_requests()]
    assert sent[0] == "S0USDT-0" and "S1USDT" not in str(sent) and len(sent) <= 2


def test_a_closed_pacer_queues_nothing_and_hands_back_what_was_queued() -> None:
    """A request offered after close raises instead of waiting in a queue no thread will ever look at
    (review finding: a blocking order racing ``client.close()`` hung forever)."""
    clock = FakeTime()
    pacer = Pacer({"linear": {"create": 1, "amend": 1, "cancel": 1}}, clock)
    assert pacer.offer(make(pacer, create("BTCUSDT", 1)))
    queued = make(pacer, create("ETHUSDT", 2))
    assert not pacer.offer(queued)  # no room: queued
    assert pacer.close() == [queued]
    with pytest.raises(ClientClosedError):
        pacer.offer(make(pacer, create("XRPUSDT", 3)))
    assert pacer.queued == 0


def test_an_order_racing_close_fails_unsent_instead_of_hanging(fake: FakeBybit) -> None:
    """The engine's check that the client is open passes, then ``close()`` completes, then the order
    meets a full budget: it fails with ClientClosedError at once, nothing sent."""
    client = BybitSocketClient(
        API_KEY, API_SECRET, urls=fake.urls, request_timeout=2.0, order_rate_limit={"linear": 1}
    )
    try:
        client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", Decimal("0.01"), price=Decimal("20000"))
        engine = client._engine
        checked = engine.trade_connection

        def then_close() -> Any:
            connection = checked()
            closer = threading.Thread(target=client.close, name="test-closer")
            closer.start()
            closer.join(10)
            return connection

        engine.trade_connection = then_close  # type: ignore[method-assign]
        sent_before = len(fake.trade_requests())
        outcome: list[BaseException] = []

        def place() -> None:
            try:
                client.v5.place_order(
                    "linear", "ETHUSDT", "Buy", "Limit", Decimal("0.01"), price=Decimal("1")
                )
            except BaseException as exc:  # the test looks at what it was
                outcome.append(exc)

        placing = threading.Thread(target=place, name="test-placer")
        placing.start()
        placing.join(10)
        assert not placing.is_alive(), "place_order hung after close()"
        assert len(outcome) == 1 and isinstance(outcome[0], ClientClosedError), outcome
        assert len(fake.trade_requests()) == sent_before
    finally:
        client.close()
