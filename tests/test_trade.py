"""Order entry over the v5 Trade API, end to end against FakeBybit's paper exchange: every op single and
batch, rejections, failure replies without a reqId, out-of-order replies, a reply lost on a drop (outcome
unknown, nothing resent), timeouts, auth rejected, many threads at once, and the private frames that match
the acks."""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from bybit_ws import (
    AmendOrderRequest,
    AuthenticationError,
    BybitConnectionError,
    BybitSocketClient,
    BybitTimeoutError,
    BybitWsError,
    CancelOrderRequest,
    ClientClosedError,
    OrderOutcomeUnknownError,
    OrderRejectedError,
    OrderRequest,
    TradeRetCode,
)
from bybit_ws.enums import OrderStatus
from bybit_ws.models.v5 import Order, UserTrade
from bybit_ws.testing import FakeBybit, PaperExchange

from .support import API_KEY, API_SECRET, ClientFactory, Collector, clients_for, wait_until


@pytest.fixture
def fake() -> Iterator[FakeBybit]:
    paper = PaperExchange(prices={"BTCUSDT": "30000", "ETHUSDT": "2000"})
    with FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET, paper=paper) as server:
        yield server


@pytest.fixture
def make_client(fake: FakeBybit) -> Iterator[ClientFactory]:
    with clients_for(fake, api_key=API_KEY, api_secret=API_SECRET) as make:
        yield make


@pytest.fixture
def client(make_client: ClientFactory) -> BybitSocketClient:
    return make_client()


def limit(price: str = "29000", **kwargs: Any) -> dict[str, Any]:
    return {"price": Decimal(price), "time_in_force": "GTC", **kwargs}


# ------------------------------------------------------------------------------------ every op
def test_place_amend_cancel_one_order(fake: FakeBybit, client: BybitSocketClient) -> None:
    ack = client.v5.place_order(
        "linear", "BTCUSDT", "Buy", "Limit", Decimal("0.01"), **limit(), client_order_id="a-1"
    )
    assert ack.order_id and ack.client_order_id == "a-1"
    assert ack.rate_limit is not None and ack.rate_limit.limit > 0
    (resting,) = fake.paper.open_orders("BTCUSDT")
    assert resting["orderId"] == ack.order_id and resting["price"] == "29000"
    amended = client.v5.amend_order("linear", "BTCUSDT", order_id=ack.order_id, price=Decimal("29100"))
    assert amended.order_id == ack.order_id
    assert fake.paper.open_orders("BTCUSDT")[0]["price"] == "29100"
    cancelled = client.v5.cancel_order("linear", "BTCUSDT", client_order_id="a-1")
    assert cancelled.order_id == ack.order_id
    assert fake.paper.open_orders("BTCUSDT") == []
    sent = fake.trade_requests()
    assert [f["op"] for f in sent] == ["order.create", "order.amend", "order.cancel"]
    assert len({f["reqId"] for f in sent}) == 3  # a unique reqId per request
    assert all("X-BAPI-TIMESTAMP" in f["header"] for f in sent)


def test_batches_give_one_result_per_order_in_request_order(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    orders = [
        OrderRequest("BTCUSDT", "Buy", "Limit", Decimal("0.01"), price=Decimal(p), client_order_id=f"b-{p}")
        for p in ("28000", "28100", "28200")
    ]
    placed = client.v5.place_orders("linear", orders)
    assert [r.client_order_id for r in placed] == ["b-28000", "b-28100", "b-28200"]
    assert all(r.ok and r.code == 0 and r.order_id for r in placed)
    amends = [AmendOrderRequest("BTCUSDT", order_id=r.order_id, price=Decimal("27000")) for r in placed[:2]]
    amended = client.v5.amend_orders(
        "linear", [*amends, AmendOrderRequest("BTCUSDT", order_id="nope", price=1)]
    )
    assert [r.ok for r in amended] == [True, True, False]
    assert amended[2].code == TradeRetCode.ORDER_NOT_FOUND and amended[2].message
    cancelled = client.v5.cancel_orders(
        "linear", [CancelOrderRequest("BTCUSDT", client_order_id=r.client_order_id) for r in placed]
    )
    assert all(r.ok for r in cancelled)
    assert fake.paper.open_orders() == []
    assert [f["op"] for f in fake.trade_requests()] == [
        "order.create-batch",
        "order.amend-batch",
        "order.cancel-batch",
    ]


def test_futures_fire_several_requests_and_wait_for_all(fake: FakeBybit, client: BybitSocketClient) -> None:
    futures = [
        client.v5.submit_order(
            "linear",
            OrderRequest("BTCUSDT", "Buy", "Limit", 1, price=Decimal(28000 + i), client_order_id=f"f-{i}"),
        )
        for i in range(5)
    ]
    _done, pending = concurrent.futures.wait(futures, timeout=5)
    assert not pending
    assert sorted(f.result().client_order_id or "" for f in futures) == [f"f-{i}" for i in range(5)]
    assert len(fake.paper.open_orders("BTCUSDT")) == 5


# ------------------------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize(
    "call, message",
    [
        (lambda c: c.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1), "price"),
        (lambda c: c.v5.amend_order("linear", "BTCUSDT", price=1), "order_id"),
        (lambda c: c.v5.cancel_order("linear", "BTCUSDT"), "order_id"),
        (lambda c: c.v5.place_order("futures", "BTCUSDT", "Buy", "Market", 1), "category"),
        (lambda c: c.v5.place_orders("spot", [OrderRequest("BTCUSDT", "Buy", "Market", 1)] * 11), "10"),
        (lambda c: c.v5.place_orders("linear", [OrderRequest("BTCUSDT", "Buy", "Market", 1)] * 21), "20"),
    ],
)
def test_bad_arguments_raise_value_error_before_anything_is_sent(
    fake: FakeBybit, client: BybitSocketClient, call: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        call(client)
    assert fake.trade_requests() == [] and fake.connections_total == 0


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda c: c.v5.place_order("linear", ["BTCUSDT"], "Buy", "Market", 1), TypeError),
        (lambda c: c.v5.place_order("linear", "BTCUSDT", "Buy", "Market", 0.1 + 0.2), TypeError),
        (lambda c: c.v5.place_order("linear", "BTCUSDT", "Buy", "Market", 1, reduce_only="no"), TypeError),
        (lambda c: c.v5.place_order("linear", "BTCUSDT", "Buy", "Market", 1, stop_loss=-1), ValueError),
        (
            lambda c: c.v5.place_order("linear", "BTCUSDT", "Buy", "Market", 1, client_order_id="a b"),
            ValueError,
        ),
        (lambda c: c.v5.amend_order("linear", "BTCUSDT", order_id="1", trigger_price=-1), ValueError),
        (lambda c: c.v5.cancel_order("linear", "BTCUSDT", client_order_id="é"), ValueError),
    ],
)
def test_arguments_of_a_wrong_type_or_value_are_refused_before_anything_is_sent(
    fake: FakeBybit, client: BybitSocketClient, call: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        call(client)
    assert fake.trade_requests() == [] and fake.connections_total == 0


# ------------------------------------------------------------------------------------ rejections
def test_a_rejection_raises_with_bybits_code_and_message(fake: FakeBybit, client: BybitSocketClient) -> None:
    fake.reject_next_order(TradeRetCode.INSUFFICIENT_BALANCE, "ab not enough for new order")
    with pytest.raises(OrderRejectedError) as caught:
        client.v5.place_order("linear", "BTCUSDT", "Buy", "Market", 1)
    assert caught.value.ret_code == 110007 and caught.value.ret_msg == "ab not enough for new order"
    assert caught.value.op == "order.create" and not caught.value.is_rate_limited
    fake.reject_next_order(TradeRetCode.SYSTEM_RATE_LIMITED, "too many visits")
    with pytest.raises(OrderRejectedError) as limited:
        client.v5.place_order("linear", "BTCUSDT", "Buy", "Market", 1)
    assert limited.value.is_rate_limited
    # the connection is fine: the next order goes through
    assert client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("1")).order_id


def test_a_failure_reply_without_req_id_is_not_a_rejection(
    fake: FakeBybit, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A failure without reqId cannot say which order it concerns: it is logged, and the order ends in
    a timeout (outcome unknown), never in OrderRejectedError ("nothing happened"), and is not resent."""
    client = make_client(request_timeout=0.5)
    client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("1"))  # connected
    fake.omit_req_id_on_next_failure()
    fake.reject_next_order(TradeRetCode.PARAMS_ERROR, "Params Error")
    with (
        caplog.at_level(logging.WARNING, logger="bybit_ws"),
        pytest.raises(BybitTimeoutError, match="may or may not exist"),
    ):
        client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("2"), client_order_id="x")
    assert any("without an id" in r.getMessage() and "Params Error" in r.getMessage() for r in caplog.records)
    assert [f["args"][0].get("orderLinkId") for f in fake.trade_requests()].count("x") == 1


def test_an_anonymous_failure_before_an_accepted_orders_success_leaves_it_its_ack(
    fake: FakeBybit, make_client: ClientFactory
) -> None:
    """Order A is accepted, order B is refused with a failure reply that lacks reqId, and B's failure
    arrives first: A still gets its own ack (on the old code, B's failure rejected A, the oldest
    pending order.create, and A's success was dropped as stray), and B times out."""
    client = make_client(request_timeout=1.0)
    client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("1"))  # connected
    fake.reply_out_of_order(2)  # hold A's and B's replies, send B's then A's
    a = client.v5.submit_order(
        "linear", OrderRequest("BTCUSDT", "Buy", "Limit", 1, price=Decimal("2"), client_order_id="a")
    )
    fake.wait_for(lambda: any(o["orderLinkId"] == "a" for o in fake.paper.open_orders("BTCUSDT")))
    fake.omit_req_id_on_next_failure()
    fake.reject_next_order(TradeRetCode.PARAMS_ERROR, "Params Error")
    b = client.v5.submit_order(
        "linear", OrderRequest("BTCUSDT", "Buy", "Limit", 1, price=Decimal("3"), client_order_id="b")
    )
    assert a.result(5).client_order_id == "a"
    with pytest.raises(BybitTimeoutError):
        b.result(5)
    assert len(fake.trade_requests()) == 3  # nothing resent


def test_the_service_restarting_code_replaces_the_socket_once_idle(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("1"))
    fake.reject_next_order(TradeRetCode.SERVICE_RESTARTING, "trade service restarting")
    with pytest.raises(OrderRejectedError) as caught:
        client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("2"))
    assert caught.value.should_reconnect
    before = fake.connections_total
    assert client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("3")).order_id
    assert fake.connections_total == before + 1  # the next request went out on a new socket


# ------------------------------------------------------------------------------------ ordering, concurrency
def test_replies_out_of_order_reach_their_own_requests(fake: FakeBybit, client: BybitSocketClient) -> None:
    client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("1"))  # connected
    fake.reply_out_of_order(3)
    futures = [
        client.v5.submit_order(
            "linear",
            OrderRequest("BTCUSDT", "Buy", "Limit", 1, price=Decimal(10 + i), client_order_id=f"o-{i}"),
        )
        for i in range(3)
    ]
    assert [f.result(5).client_order_id for f in futures] == ["o-0", "o-1", "o-2"]


def test_many_threads_placing_orders_each_get_their_own_ack(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    acks: dict[str, str] = {}
    errors: list[BaseException] = []

    def place(n: int) -> None:
        try:
            for i in range(5):
                ack = client.v5.place_order(
                    "linear",
                    "BTCUSDT",
                    "Buy",
                    "Limit",
                    1,
                    price=Decimal(100 + n),
                    client_order_id=f"t{n}-{i}",
                )
                acks[f"t{n}-{i}"] = ack.client_order_id or ""
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=place, args=(n,), name=f"test-placer-{n}") for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors
    assert len(acks) == 40 and all(key == value for key, value in acks.items())
    assert len(fake.paper.open_orders("BTCUSDT")) == 40
    assert len(fake.trade_requests("order.create")) == 40


# ------------------------------------------------------------------------------------ at most once
@pytest.mark.parametrize("executed", [True, False])
def test_a_reply_lost_on_a_drop_is_outcome_unknown_and_never_resent(
    fake: FakeBybit, client: BybitSocketClient, executed: bool
) -> None:
    client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("1"))  # connected
    fake.drop_before_next_trade_reply(executed=executed)
    with pytest.raises(OrderOutcomeUnknownError, match="may or may not exist") as caught:
        client.v5.place_order(
            "linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("2"), client_order_id="lost"
        )
    assert isinstance(caught.value, BybitConnectionError)
    assert len(fake.paper.open_orders("BTCUSDT")) == (2 if executed else 1)
    # the client reconnects and re-authenticates; the lost request is never sent again
    assert client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("3")).order_id
    assert [f["args"][0].get("orderLinkId") for f in fake.trade_requests()].count("lost") == 1
    assert len(fake.received_frames("v5.trade", op="auth")) == 2


def test_no_reply_in_time_is_a_timeout_and_never_resent(fake: FakeBybit, make_client: ClientFactory) -> None:
    client = make_client(request_timeout=0.5)
    client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("1"))  # connected
    fake.delay_trade_replies(3.0, count=1)
    with pytest.raises(BybitTimeoutError, match="may or may not exist"):
        client.v5.place_order(
            "linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("2"), client_order_id="slow"
        )
    assert client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("3")).order_id
    assert [f["args"][0].get("orderLinkId") for f in fake.trade_requests()].count("slow") == 1


def test_close_while_an_order_waits_fails_it_as_outcome_unknown(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("1"))
    fake.delay_trade_replies(10.0, count=1)
    future = client.v5.submit_order("linear", OrderRequest("BTCUSDT", "Buy", "Limit", 1, price=Decimal("2")))
    fake.wait_for(lambda: len(fake.trade_requests()) == 2, timeout=3)
    client.close()
    with pytest.raises(OrderOutcomeUnknownError):
        future.result(3)
    with pytest.raises(ClientClosedError):
        client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("3"))


def test_an_order_from_a_handler_with_one_worker_does_not_deadlock(
    fake: FakeBybit, make_client: ClientFactory
) -> None:
    client = make_client(workers=1)
    acks: list[Any] = []
    done = threading.Event()

    def on_order(event: Any) -> None:
        if not done.is_set():
            done.set()
            acks.append(client.v5.place_order("linear", "ETHUSDT", "Sell", "Limit", 1, price=Decimal("5000")))

    client.v5.subscribe_to_order_updates(on_order)
    client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("1"))
    wait_until(lambda: len(acks) == 1, message="the handler's own order")


# ------------------------------------------------------------------------------------ auth, demo, options
def test_rejected_auth_fails_the_order_and_sends_nothing(
    fake: FakeBybit, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(api_secret="not-the-secret")
    caplog.set_level(logging.ERROR, logger="bybit_ws")
    with pytest.raises(AuthenticationError, match="authentication rejected"):
        client.v5.place_order("linear", "BTCUSDT", "Buy", "Market", 1)
    assert fake.trade_requests() == []
    # the first login failed: the log says so, and does not call it a re-authentication
    assert "first login rejected" in caplog.text and "re-authentication" not in caplog.text


def test_no_credentials_and_demo_fail_at_once(fake: FakeBybit) -> None:
    with clients_for(fake) as make:
        with pytest.raises(AuthenticationError, match="credentials"):
            make().v5.place_order("linear", "BTCUSDT", "Buy", "Market", 1)
        demo = make(api_key=API_KEY, api_secret=API_SECRET, demo=True, urls=None)
        assert demo.urls["v5.private"] == "wss://stream-demo.bybit.com/v5/private"
        assert demo.urls["v5.linear"] == "wss://stream.bybit.com/v5/public/linear"
        with pytest.raises(BybitWsError, match="demo trading has no websocket Trade API"):
            demo.v5.place_order("linear", "BTCUSDT", "Buy", "Market", 1)
    assert fake.connections_total == 0
    with pytest.raises(ValueError, match="demo and testnet"):
        BybitSocketClient(demo=True, testnet=True)


def test_recv_window_referer_and_max_active_time(fake: FakeBybit, make_client: ClientFactory) -> None:
    client = make_client(recv_window=8000, referer="bot-001", max_active_time=60)
    assert client.urls["v5.trade"].endswith("/v5/trade?max_active_time=60s")
    assert client.urls["v5.private"].endswith("/v5/private?max_active_time=60s")
    assert "max_active_time" not in client.urls["v5.linear"]
    client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("1"))
    (sent,) = fake.trade_requests()
    assert sent["header"]["X-BAPI-RECV-WINDOW"] == "8000" and sent["header"]["Referer"] == "bot-001"
    with pytest.raises(ValueError, match="max_active_time"):
        make_client(max_active_time=10)
    with pytest.raises(ValueError, match="recv_window"):
        make_client(recv_window=-1)


def test_the_secret_and_signature_never_reach_the_logs(
    fake: FakeBybit, client: BybitSocketClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="bybit_ws"):
        client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("1"))
        fake.reject_next_order(10001, "Params Error")
        with pytest.raises(OrderRejectedError) as caught:
            client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("1"))
    (auth,) = fake.received_frames("v5.trade", op="auth")
    signature = auth["args"][2]
    text = caplog.text + repr(client) + str(caught.value)
    assert API_SECRET not in text and signature not in text


# ------------------------------------------------------------------------------------ the paper exchange
def test_private_frames_match_the_acks(fake: FakeBybit, client: BybitSocketClient) -> None:
    orders, fills = Collector(), Collector()
    client.v5.subscribe_to_order_updates(orders)
    client.v5.subscribe_to_user_trade_updates(fills)
    resting = client.v5.place_order(
        "linear", "BTCUSDT", "Buy", "Limit", Decimal("0.5"), price=Decimal("29000"), client_order_id="rest"
    )
    market = client.v5.place_order(
        "linear", "BTCUSDT", "Buy", "Market", Decimal("0.2"), client_order_id="take"
    )
    fills.wait(1)
    fake.set_price("BTCUSDT", "28900")  # crosses the resting bid: it fills as maker
    fills.wait(2)
    seen: dict[str | None, list[Order]] = {}

    def rest_filled() -> bool:
        seen.clear()
        for event in list(orders.events):
            for order in event.data:
                seen.setdefault(order.client_order_id, []).append(order)
        return bool(seen.get("rest")) and seen["rest"][-1].status is OrderStatus.FILLED

    wait_until(rest_filled, message="the resting order's fill on the order stream")
    assert seen["rest"][0].order_id == resting.order_id and seen["rest"][0].status is OrderStatus.NEW
    assert seen["rest"][-1].status is OrderStatus.FILLED and seen["rest"][-1].quantity == Decimal("0.5")
    assert seen["take"][-1].order_id == market.order_id and seen["take"][-1].status is OrderStatus.FILLED
    trades: list[UserTrade] = [t for e in fills.events for t in e.data]
    assert {t.order_id for t in trades} == {resting.order_id, market.order_id}
    assert sum(t.quantity or 0 for t in trades if t.order_id == market.order_id) == Decimal("0.2")
    assert fake.paper.position_size("BTCUSDT") == Decimal("0.7")


def test_an_order_without_a_client_order_id_reads_the_same_in_the_ack_and_on_the_order_stream(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    orders = Collector()
    client.v5.subscribe_to_order_updates(orders)
    ack = client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("29000"))
    (batch,) = client.v5.place_orders("linear", [OrderRequest("BTCUSDT", "Buy", "Limit", 1, price=29001)])
    (order,) = orders.wait(1)[0].data
    assert order.order_id == ack.order_id
    assert ack.client_order_id == batch.client_order_id == order.client_order_id == ""


def test_close_from_a_futures_callback_is_prompt_and_leaves_no_thread(
    fake: FakeBybit, client: BybitSocketClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing the client from a future's callback is prompt (on 81ccaf0 the callback ran on the trade
    connection's reader, which close() must not wait for; with a 30 s close grace it would wait it out)."""
    from bybit_ws.engine import _transport

    monkeypatch.setattr(_transport, "_CLOSE_GRACE", 30.0)
    closed = threading.Event()

    def close_client(future: concurrent.futures.Future[Any]) -> None:
        client.close()
        closed.set()

    future = client.v5.submit_order("linear", OrderRequest("BTCUSDT", "Buy", "Limit", 1, price=Decimal("1")))
    future.add_done_callback(close_client)
    assert closed.wait(10), "close() from the callback waited for the reader"
    assert future.result().order_id and client.is_closed


# ------------------------------------------------------------------------------------ futures' callbacks
def test_a_futures_done_callback_runs_on_a_worker_not_the_reader(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    """Failed on 81ccaf0: the callback ran on ``bybit-ws-reader-trade-N``."""
    names: list[str] = []
    ran = threading.Event()

    def record(future: concurrent.futures.Future[Any]) -> None:
        names.append(threading.current_thread().name)
        ran.set()

    future = client.v5.submit_order("linear", OrderRequest("BTCUSDT", "Buy", "Limit", 1, price=Decimal("1")))
    future.add_done_callback(record)
    assert future.result(5).order_id
    assert ran.wait(5)
    assert names[0].startswith("bybit-ws-worker") and "reader" not in names[0]
    # added once done: at once, on the calling thread (as any Future)
    future.add_done_callback(record)
    assert names[1] == threading.current_thread().name


def test_a_slow_done_callback_delays_neither_another_orders_ack_nor_the_pongs(
    fake: FakeBybit, make_client: ClientFactory
) -> None:
    """Failed on 81ccaf0: the slow callback held the reader, so the next ack was never read (timeout)."""
    client = make_client(ping_interval=0.2, pong_timeout=1.0)
    release = threading.Event()
    started = threading.Event()

    def slow(future: concurrent.futures.Future[Any]) -> None:
        started.set()
        release.wait(10)

    try:
        first = client.v5.submit_order(
            "linear", OrderRequest("BTCUSDT", "Buy", "Limit", 1, price=Decimal("1"))
        )
        first.add_done_callback(slow)
        assert first.result(5).order_id
        assert started.wait(5)
        # the callback is still running: another order's ack comes back, and pings keep being answered
        assert client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("2")).order_id
        pings = len(fake.received_frames("v5.trade", op="ping"))
        fake.wait_for(lambda: len(fake.received_frames("v5.trade", op="ping")) >= pings + 3, timeout=10)
        assert fake.connections_total == 1 and not release.is_set()
    finally:
        release.set()
