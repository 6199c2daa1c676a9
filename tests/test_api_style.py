"""One public API style (issue 26 item 2, docs/guides/api-conventions.md): the new spellings work against
FakeBybit, the 0.1 spellings README showed warn (``DeprecationWarning`` pointing at the caller) and still
work, API.md's names never warn, mix-ups fail with a ``TypeError`` before anything is sent, and every type
in a public signature is importable from the package."""

from __future__ import annotations

import inspect
import typing
import warnings
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pandas
import pytest

import bybit_ws
import bybit_ws.testing
from bybit_ws import (
    AmendOrderRequest,
    BybitSocketClient,
    CancelOrderRequest,
    ContractStreams,
    FullOrderBook,
    InverseStreams,
    OrderBook,
    OrderRequest,
    Subscription,
    V5Streams,
)
from bybit_ws.models import contract, inverse, trade, v5
from bybit_ws.testing import FakeBybit, PaperExchange

from .support import API_KEY, API_SECRET, ClientFactory, Collector, clients_for, frame

COMBO = "SOLUSDT_SOL/USDT"


@pytest.fixture
def fake() -> Iterator[FakeBybit]:
    paper = PaperExchange(prices={"BTCUSDT": "30000"})
    with FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET, paper=paper) as server:
        yield server


@pytest.fixture
def client(fake: FakeBybit) -> Iterator[BybitSocketClient]:
    with clients_for(fake, api_key=API_KEY, api_secret=API_SECRET) as make:
        yield make()


@pytest.fixture
def inverse_fake() -> Iterator[FakeBybit]:
    with FakeBybit("inverse") as server:
        yield server


@pytest.fixture
def make_inverse(inverse_fake: FakeBybit) -> Iterator[ClientFactory]:
    with clients_for(inverse_fake) as make:
        yield make


def _limit_order(client_order_id: str) -> OrderRequest:
    return OrderRequest(
        "BTCUSDT", "Buy", "Limit", Decimal("0.01"), price=Decimal("29000"), client_order_id=client_order_id
    )


def _deprecated(call: Callable[[], Any], old: str, new: str) -> Any:
    """``call()`` warns once that ``old`` is deprecated for ``new``, at the caller's line, and returns."""
    with pytest.warns(DeprecationWarning, match=f"use {new}") as caught:
        result = call()
    (warning,) = caught
    assert old in str(warning.message)
    assert warning.filename == __file__  # stacklevel: the line that called the old spelling
    return result


# ------------------------------------------------------------------------------------------- orders
def test_submit_verbs_match_the_blocking_methods(fake: FakeBybit, client: BybitSocketClient) -> None:
    placed = client.v5.submit_order("linear", _limit_order("s-1")).result(timeout=5)
    amend = AmendOrderRequest("BTCUSDT", order_id=placed.order_id, price=Decimal("29100"))
    assert client.v5.submit_amend_order("linear", amend).result(timeout=5).order_id == placed.order_id
    assert fake.paper.open_orders("BTCUSDT")[0]["price"] == "29100"
    cancel = CancelOrderRequest("BTCUSDT", client_order_id="s-1")
    assert client.v5.submit_cancel_order("linear", cancel).result(timeout=5).order_id == placed.order_id
    assert fake.paper.open_orders("BTCUSDT") == []
    batch = client.v5.submit_orders("linear", [_limit_order("b-1"), _limit_order("b-2")]).result(timeout=5)
    ids = [r.order_id for r in batch]
    amends = [AmendOrderRequest("BTCUSDT", order_id=i, price=Decimal("28900")) for i in ids]
    assert all(r.ok for r in client.v5.submit_amend_orders("linear", amends).result(timeout=5))
    cancels = [CancelOrderRequest("BTCUSDT", order_id=i) for i in ids]
    assert all(r.ok for r in client.v5.submit_cancel_orders("linear", cancels).result(timeout=5))
    assert fake.paper.open_orders("BTCUSDT") == []
    assert [f["op"] for f in fake.trade_requests()] == [
        "order.create",
        "order.amend",
        "order.cancel",
        "order.create-batch",
        "order.amend-batch",
        "order.cancel-batch",
    ]


def test_the_0_1_submit_spellings_warn_and_still_work(fake: FakeBybit, client: BybitSocketClient) -> None:
    streams: Any = client.v5  # the old names are not in the typed surface any more
    placed = client.v5.place_order("linear", _limit_order("d-1"))
    amend = AmendOrderRequest("BTCUSDT", order_id=placed.order_id, price=Decimal("29100"))
    future = _deprecated(lambda: streams.submit_amend("linear", amend), "submit_amend", "submit_amend_order")
    assert future.result(timeout=5).order_id == placed.order_id
    amends = [AmendOrderRequest("BTCUSDT", order_id=placed.order_id, price=Decimal("29200"))]
    future = _deprecated(
        lambda: streams.submit_amends("linear", amends), "submit_amends", "submit_amend_orders"
    )
    assert [r.ok for r in future.result(timeout=5)] == [True]
    cancels = [CancelOrderRequest("BTCUSDT", order_id=placed.order_id)]
    future = _deprecated(
        lambda: streams.submit_cancels("linear", cancels), "submit_cancels", "submit_cancel_orders"
    )
    assert [r.ok for r in future.result(timeout=5)] == [True]
    placed = client.v5.place_order("linear", _limit_order("d-2"))
    cancel = CancelOrderRequest("BTCUSDT", order_id=placed.order_id)
    future = _deprecated(
        lambda: streams.submit_cancel("linear", cancel), "submit_cancel", "submit_cancel_order"
    )
    assert future.result(timeout=5).order_id == placed.order_id
    assert fake.paper.open_orders("BTCUSDT") == []


def test_blocking_methods_take_a_request_object_or_its_fields(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # API.md's flattened form never warns
        flat = client.v5.place_order(
            "linear", "BTCUSDT", "Buy", "Limit", Decimal("0.01"), price=Decimal("29000"), client_order_id="f"
        )
    placed = client.v5.place_order("linear", _limit_order("r-1"))
    assert {o["orderLinkId"] for o in fake.paper.open_orders("BTCUSDT")} == {"f", "r-1"}
    amend = AmendOrderRequest("BTCUSDT", client_order_id="r-1", price=Decimal("29100"))
    assert client.v5.amend_order("linear", amend).order_id == placed.order_id
    assert client.v5.cancel_order("linear", CancelOrderRequest("BTCUSDT", order_id=flat.order_id))
    assert client.v5.cancel_order("linear", CancelOrderRequest("BTCUSDT", client_order_id="r-1"))
    assert fake.paper.open_orders("BTCUSDT") == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda v: v.place_order("linear", _limit_order("x"), price=Decimal(1)), "price given too"),
        (lambda v: v.place_order("linear", _limit_order("x"), "Sell"), "side given too"),
        (lambda v: v.amend_order("linear", AmendOrderRequest("BTCUSDT", order_id="1"), price=1), "price"),
        (lambda v: v.cancel_order("linear", CancelOrderRequest("BTCUSDT", order_id="1"), order_id="2"), "id"),
        (lambda v: v.place_order("linear", "BTCUSDT", "Buy"), "needs symbol, side, order_type and quantity"),
    ],
    ids=["place-field-twice", "place-positional-twice", "amend", "cancel", "place-incomplete"],
)
def test_a_request_object_and_its_fields_together_raise_before_sending(
    fake: FakeBybit, client: BybitSocketClient, call: Callable[[Any], Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        call(client.v5)
    assert fake.trade_requests() == []


# ------------------------------------------------------------------------------------------ streams
def test_spread_book_depth_comes_before_the_handler(fake: FakeBybit, client: BybitSocketClient) -> None:
    raw = frame("v5_spread_orderbook_snapshot")
    positional, keyword = Collector(), Collector()
    client.v5.subscribe_to_spread_order_book_updates(COMBO, 25, positional)
    client.v5.subscribe_to_spread_order_book_updates(COMBO, handler=keyword)  # depth 25, the default
    assert fake.subscriptions("v5.spread") == {raw["topic"]: 1}
    fake.publish_frame(raw, path="v5.spread")
    assert positional.wait(1)[0].topic == keyword.wait(1)[0].topic == raw["topic"]


def test_the_0_1_spread_book_form_warns_and_still_works(fake: FakeBybit, client: BybitSocketClient) -> None:
    raw = frame("v5_spread_orderbook_snapshot")
    got = Collector()
    sub = _deprecated(
        lambda: client.v5.subscribe_to_spread_order_book_updates(COMBO, got),
        "(symbols, handler)",
        r"subscribe_to_spread_order_book_updates\(symbols, depth, handler\)",
    )
    assert sub.topics == (raw["topic"],)
    fake.publish_frame(raw, path="v5.spread")
    assert got.wait(1)[0].topic == raw["topic"]
    with pytest.raises(TypeError, match="once"), pytest.warns(DeprecationWarning):
        client.v5.subscribe_to_spread_order_book_updates(COMBO, got, got)  # type: ignore[call-overload]


def test_v5_names_that_match_the_rule_and_their_api_md_twins(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # API.md's names never warn
        dcp = client.v5.subscribe_to_disconnect_cancel_all_updates("spot")
        old_dcp = client.v5.subscribe_to_disconnect_cancel_all("option")
        pools = Collector()
        insurance = client.v5.subscribe_to_insurance_updates("USDT", pools)
        old_insurance = client.v5.subscribe_to_insurance_pool_updates("USDC")
    assert (dcp.topics, old_dcp.topics) == (("dcp.spot",), ("dcp.option",))
    assert fake.subscriptions("v5.private") == {"dcp.spot": 1, "dcp.option": 1}
    assert (insurance.topics, old_insurance.topics) == (("insurance.USDT",), ("insurance.USDC",))
    raw = frame("v5_insurance")
    fake.publish(raw["topic"], raw["data"], path="v5.linear", type=raw["type"], ts=raw["ts"])
    assert pools.wait(1)[0].data[0].asset == raw["data"][0]["coin"]


def test_inverse_books_take_depth_and_still_limit(
    inverse_fake: FakeBybit, make_inverse: ClientFactory
) -> None:
    client = make_inverse()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        books = [
            client.inverse.order_book("BTCUSD", depth=200),
            client.inverse.order_book("ETHUSD", limit=200),  # API.md's name
            client.inverse.order_book("XRPUSD"),  # 25
        ]
        subs = [
            client.inverse.subscribe_to_order_book_updates("EOSUSD", depth=25),
            client.inverse.subscribe_to_order_book_updates("DOTUSD", limit=200),
            client.inverse.subscribe_to_order_books_updates(depth=25),
        ]
    try:
        assert inverse_fake.subscriptions() == {
            "orderBook_200.100ms.BTCUSD": 1,
            "orderBook_200.100ms.ETHUSD": 1,
            "orderBookL2_25.XRPUSD": 1,
            "orderBookL2_25.EOSUSD": 1,
            "orderBook_200.100ms.DOTUSD": 1,
            "orderBookL2_25.*": 1,
        }
        assert [s.topics for s in subs][-1] == ("orderBookL2_25.*",)
    finally:
        for book in books:
            book.close()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda i: i.order_book("BTCUSD", 25, limit=25), "depth=25 or limit=25, not both"),
        (lambda i: i.subscribe_to_order_book_updates("BTCUSD"), "depth is required"),
        (lambda i: i.subscribe_to_trades_updates("BTCUSD"), r"for some symbols call subscribe_to_trade_upd"),
        (lambda i: i.subscribe_to_trade_updates(print), r"for every symbol call subscribe_to_trades_updates"),
        (lambda i: i.subscribe_to_tickers_updates(["BTCUSD"]), "subscribe_to_ticker_updates"),
        (lambda i: i.subscribe_to_ticker_updates(print), "subscribe_to_tickers_updates"),
        (lambda i: i.subscribe_to_insurances_updates("BTC"), "subscribe_to_insurance_updates"),
        (lambda i: i.subscribe_to_insurance_updates(print), "subscribe_to_insurances_updates"),
        (lambda i: i.subscribe_to_liquidations_updates("BTCUSD"), "subscribe_to_liquidation_updates"),
        (lambda i: i.subscribe_to_liquidation_updates(print), "subscribe_to_liquidations_updates"),
        (lambda i: i.subscribe_to_klines_updates("1", "BTCUSD"), "subscribe_to_kline_updates"),
        (lambda i: i.subscribe_to_kline_updates(print, "1"), "subscribe_to_klines_updates"),
        (lambda i: i.subscribe_to_order_books_updates("BTCUSD", 25), "subscribe_to_order_book_updates"),
        (lambda i: i.subscribe_to_order_book_updates(print, 25), "subscribe_to_order_books_updates"),
    ],
)
def test_inverse_mix_ups_raise_before_sending(
    inverse_fake: FakeBybit, make_inverse: ClientFactory, call: Callable[[Any], Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        call(make_inverse().inverse)
    assert inverse_fake.received == []
    assert inverse_fake.connections_total == 0


# ------------------------------------------------------------------------------------------ exports
_PUBLIC_CLASSES: list[type[Any]] = [
    BybitSocketClient,
    V5Streams,
    InverseStreams,
    ContractStreams,
    OrderBook,
    FullOrderBook,
    Subscription,
]


def _types_in(annotation: Any) -> Iterator[type[Any]]:
    if isinstance(annotation, list):  # Callable's argument list
        for item in annotation:
            yield from _types_in(item)
        return
    origin = typing.get_origin(annotation)
    if origin is not None:
        if isinstance(origin, type):
            yield origin
        for arg in typing.get_args(annotation):
            yield from _types_in(arg)
    elif isinstance(annotation, type):
        yield annotation


def _signature_types() -> Iterator[tuple[str, type[Any]]]:
    for cls in _PUBLIC_CLASSES:
        for name, member in inspect.getmembers(cls):
            if name.startswith("_") and not (cls is BybitSocketClient and name == "__init__"):
                continue  # users construct only the client
            function = member.fget if isinstance(member, property) else member
            if not callable(function):
                continue
            for annotation in typing.get_type_hints(function).values():
                for found in _types_in(annotation):
                    yield f"{cls.__name__}.{name}", found
    for function in (bybit_ws.to_builtins, bybit_ws.to_dataframe, bybit_ws.recording.read):
        typing_only = {"pandas": pandas}  # to_dataframe's return type is imported for type checkers only
        for annotation in typing.get_type_hints(function, localns=typing_only).values():
            for found in _types_in(annotation):
                yield function.__qualname__, found


def _importable(found: type[Any]) -> bool:
    homes = [bybit_ws, bybit_ws.testing, bybit_ws.recording, inverse, contract, v5, trade]
    return any(found.__name__ in home.__all__ and getattr(home, found.__name__) is found for home in homes)


def test_every_type_in_a_public_signature_is_exported() -> None:
    missing = {
        f"{where}: {found.__module__}.{found.__qualname__}"
        for where, found in _signature_types()
        if found.__module__.startswith("bybit_ws") and not _importable(found)
    }
    assert not missing, sorted(missing)


def test_the_names_users_annotate_with_are_exported() -> None:
    for name in (
        "Handler",
        "FullOrderBook",
        "SnapshotProvider",
        "FrameRecorder",
        "OrderSide",
        "OrderType",
        "TimeInForce",
        "TriggerType",
        "OrderStatus",
        "V5Streams",
        "InverseStreams",
        "ContractStreams",
    ):
        assert name in bybit_ws.__all__, name
    for name in bybit_ws.enums.__all__:
        assert getattr(bybit_ws, name) is getattr(bybit_ws.enums, name), name
    assert {"FakeBybit", "PaperExchange", "SimulatedMarket"} <= set(bybit_ws.testing.__all__)
    handler: bybit_ws.Handler[list[v5.Trade]] = print
    assert callable(handler)
