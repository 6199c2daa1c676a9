"""The local order book: syncing, every resync trigger, reconnects, and concurrent readers."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest

from bybit_ws import (
    BybitSocketClient,
    BybitTimeoutError,
    BybitWsError,
    OrderBook,
    OrderBookLevel,
    OrderBookStatus,
)
from bybit_ws.testing import FakeBybit

from .support import ClientFactory, wait_until

TOPIC = "orderBookL2_25.BTCUSD"


def level(price: str, side: str, size: int | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"price": price, "symbol": "BTCUSD", "side": side}
    if size is not None:
        entry["size"] = size
    return entry


SNAPSHOT = [
    level("99.5", "Buy", 3),
    level("100.0", "Buy", 5),
    level("100.5", "Sell", 4),
    level("101.0", "Sell", 2),
]


def publish_snapshot(fake: FakeBybit, seq: int = 10, levels: list[dict[str, Any]] | None = None) -> None:
    fake.publish(
        TOPIC, SNAPSHOT if levels is None else levels, type="snapshot", cross_seq=seq, timestamp_e6=1
    )


def publish_delta(
    fake: FakeBybit,
    seq: int,
    *,
    delete: list[dict[str, Any]] = (),  # type: ignore[assignment]
    update: list[dict[str, Any]] = (),  # type: ignore[assignment]
    insert: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> None:
    data = {"delete": list(delete), "update": list(update), "insert": list(insert), "transactTimeE6": 0}
    fake.publish(TOPIC, data, type="delta", cross_seq=seq, timestamp_e6=2)


def synced_book(fake: FakeBybit, client: BybitSocketClient) -> OrderBook:
    book = client.inverse.order_book("BTCUSD")
    assert book.status is OrderBookStatus.SYNCING
    publish_snapshot(fake)
    book.wait_synced(2)
    return book


def wait_resubscribed(fake: FakeBybit, count: int = 1) -> None:
    fake.wait_for(
        lambda: sum(f == {"op": "subscribe", "args": [TOPIC]} for f in fake.received) >= count + 1,
        timeout=3,
        message="resubscribe",
    )


def test_snapshot_syncs_a_sorted_book(fake: FakeBybit, client: BybitSocketClient) -> None:
    book = synced_book(fake, client)
    assert book.bids == (
        OrderBookLevel(Decimal("100.0"), Decimal(5)),
        OrderBookLevel(Decimal("99.5"), Decimal(3)),
    )
    assert book.asks == (
        OrderBookLevel(Decimal("100.5"), Decimal(4)),
        OrderBookLevel(Decimal("101.0"), Decimal(2)),
    )
    assert book.best_bid == OrderBookLevel(Decimal("100.0"), Decimal(5))
    assert book.best_ask == OrderBookLevel(Decimal("100.5"), Decimal(4))
    assert book.sequence == 10
    assert "synced" in repr(book)


def test_deltas_apply_in_order(fake: FakeBybit, client: BybitSocketClient) -> None:
    book = synced_book(fake, client)
    updates: list[int | None] = []
    book.on_update(lambda b: updates.append(b.sequence))
    publish_delta(fake, 11, update=[level("100.0", "Buy", 7)], insert=[level("100.2", "Sell", 1)])
    publish_delta(fake, 12, delete=[level("99.5", "Buy")])
    wait_until(lambda: updates == [11, 12], message="two updates")
    assert book.bids == (OrderBookLevel(Decimal("100.0"), Decimal(7)),)
    assert [lv.price for lv in book.asks] == [Decimal("100.2"), Decimal("100.5"), Decimal("101.0")]
    assert book.resyncs == 0


@pytest.mark.parametrize(
    "bad_delta",
    [
        {"seq": 9, "update": [level("100.0", "Buy", 1)]},  # cross_seq backwards
        {"seq": 11, "delete": [level("98.0", "Buy")]},  # delete of a level it does not hold
        {"seq": 11, "update": [level("97.0", "Sell", 1)]},  # update of a level it does not hold
        {"seq": 11, "insert": [level("102.0", "Buy", 1)]},  # crossed: a bid above the best ask
    ],
    ids=["gap", "unknown-delete", "unknown-update", "crossed"],
)
def test_problems_trigger_a_resync(
    fake: FakeBybit, client: BybitSocketClient, bad_delta: dict[str, Any]
) -> None:
    book = synced_book(fake, client)
    seq = bad_delta.pop("seq")
    publish_delta(fake, seq, **bad_delta)
    wait_until(lambda: book.resyncs == 1, message="resync")
    assert book.bids == () and book.asks == ()  # never serves a book it knows is wrong
    assert book.status is OrderBookStatus.SYNCING
    with pytest.raises(BybitWsError, match="not synced"):
        book.calculate_average_fill_price(1, "Buy")
    wait_resubscribed(fake)
    assert {"op": "unsubscribe", "args": [TOPIC]} in fake.received
    publish_delta(fake, 12, update=[level("100.0", "Buy", 1)])  # ignored until the snapshot
    publish_snapshot(fake, 20)
    book.wait_synced(2)
    assert book.sequence == 20
    assert book.best_bid == OrderBookLevel(Decimal("100.0"), Decimal(5))


def test_crossed_snapshot_resyncs(fake: FakeBybit, client: BybitSocketClient) -> None:
    book = client.inverse.order_book("BTCUSD")
    publish_snapshot(fake, 5, [level("101.0", "Buy", 1), level("100.0", "Sell", 1)])
    wait_until(lambda: book.resyncs == 1, message="resync")
    with pytest.raises(BybitTimeoutError):
        book.wait_synced(0.05)
    wait_resubscribed(fake)
    publish_snapshot(fake, 6)
    book.wait_synced(2)


def test_reconnect_clears_and_resyncs(fake: FakeBybit, make_client: ClientFactory) -> None:
    client = make_client()
    book = synced_book(fake, client)
    statuses: list[OrderBookStatus] = []
    lost = threading.Event()
    book._sub.on_connection_lost(lost.set)
    fake.drop_connections()
    assert lost.wait(3)
    wait_until(
        lambda: book.status in (OrderBookStatus.RECONNECTING, OrderBookStatus.SYNCING), message="cleared"
    )
    statuses.append(book.status)
    assert book.bids == ()
    fake.wait_for(lambda: fake.connections_total == 2 and fake.subscriber_count(TOPIC) == 1, timeout=3)
    wait_until(lambda: book.status is OrderBookStatus.SYNCING, message="syncing after restore")
    publish_snapshot(fake, 30)
    book.wait_synced(2)
    assert book.sequence == 30


def test_concurrent_readers_never_see_a_half_applied_or_crossed_book(
    fake: FakeBybit, client: BybitSocketClient
) -> None:
    book = synced_book(fake, client)
    stop = threading.Event()
    problems: list[str] = []
    reads = [0]

    def reader() -> None:
        while not stop.is_set():
            view = book.snapshot()
            reads[0] += 1
            bids = [lv.price for lv in view.bids]
            asks = [lv.price for lv in view.asks]
            if bids != sorted(bids, reverse=True) or asks != sorted(asks):
                problems.append(f"unsorted at {view.sequence}")
            if bids and asks and bids[0] >= asks[0]:
                problems.append(f"crossed at {view.sequence}")
            # every delta below moves one bid and one ask together: a view must hold both or neither
            if view.sequence is not None and view.sequence > 10:
                n = view.sequence - 10
                if Decimal(f"90.{n:03d}") not in bids or Decimal(f"110.{n:03d}") not in asks:
                    problems.append(f"half-applied at {view.sequence}")

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for thread in readers:
        thread.start()
    for n in range(1, 301):
        publish_delta(
            fake,
            10 + n,
            insert=[level(f"90.{n:03d}", "Buy", 1), level(f"110.{n:03d}", "Sell", 1)],
        )
    wait_until(lambda: book.sequence == 310, timeout=10, message="all deltas applied")
    stop.set()
    for thread in readers:
        thread.join(5)
    assert problems == []
    assert reads[0] > 0
    assert len(book.bids) == 2 + 300


def test_average_fill_price(fake: FakeBybit, client: BybitSocketClient) -> None:
    book = synced_book(fake, client)
    # buy 5: 4 @ 100.5 + 1 @ 101.0
    assert book.calculate_average_fill_price(5, "Buy") == (Decimal("402.0") + Decimal("101.0")) / 5
    assert book.calculate_average_fill_price(Decimal(2), "Sell") == Decimal("100.0")
    with pytest.raises(ValueError, match="only"):
        book.calculate_average_fill_price(100, "Buy")
    with pytest.raises(ValueError, match="positive"):
        book.calculate_average_fill_price(0, "Sell")


def test_close_unsubscribes(fake: FakeBybit, client: BybitSocketClient) -> None:
    keep = client.inverse.subscribe_to_trade_updates("BTCUSD")
    with synced_book(fake, client) as book:
        assert book.status is OrderBookStatus.SYNCED
    assert book.status.value == "closed"
    fake.wait_for(lambda: {"op": "unsubscribe", "args": [TOPIC]} in fake.received, timeout=2)
    with pytest.raises(BybitWsError):
        book.wait_synced(0.1)
    assert keep.is_active


def test_limit_is_checked(client: BybitSocketClient) -> None:
    with pytest.raises(ValueError, match="25 or 200"):
        client.inverse.order_book("BTCUSD", limit=50)


# -------------------------------------------------------------------------------------------- v5
V5_TOPIC = "orderbook.50.BTCUSDT"


def v5_book(fake: FakeBybit, kind: str, u: int, bids: list[list[str]], asks: list[list[str]]) -> None:
    data = {"s": "BTCUSDT", "b": bids, "a": asks, "u": u, "seq": 1000 + u}
    fake.publish(V5_TOPIC, data, path="v5.linear", type=kind, cts=1)


def test_v5_book_updates_gaps_and_restart() -> None:
    with FakeBybit("v5") as fake, BybitSocketClient(urls=fake.urls, request_timeout=2) as client:
        book = client.v5.order_book("linear", "BTCUSDT", depth=50)
        v5_book(fake, "snapshot", 100, [["10.0", "1"], ["9.5", "2"]], [["10.5", "1"]])
        book.wait_synced(2)
        assert book.sequence == 100
        v5_book(fake, "delta", 101, [["9.5", "0"], ["9.9", "4"]], [["10.6", "3"]])
        wait_until(lambda: book.sequence == 101, message="delta 101")
        assert [lv.price for lv in book.bids] == [Decimal("10.0"), Decimal("9.9")]
        assert [lv.price for lv in book.asks] == [Decimal("10.5"), Decimal("10.6")]
        # u == 1: the service restarted; that delta is a snapshot and resets the book
        v5_book(fake, "delta", 1, [["20.0", "1"]], [["21.0", "1"]])
        wait_until(lambda: book.sequence == 1, message="reset by u == 1")
        assert book.bids == (OrderBookLevel(Decimal("20.0"), Decimal(1)),)
        assert book.resyncs == 0
        # a gap in u: resync
        v5_book(fake, "delta", 5, [["19.0", "1"]], [])
        wait_until(lambda: book.resyncs == 1, message="resync on a gap")
        assert len(book.bids) == 0
        fake.wait_for(
            lambda: (
                sum(f.get("op") == "subscribe" and f.get("args") == [V5_TOPIC] for f in fake.received) == 2
            ),
            timeout=3,
        )
        v5_book(fake, "snapshot", 7, [["30.0", "1"]], [["31.0", "1"]])
        book.wait_synced(2)
        assert book.best_ask == OrderBookLevel(Decimal("31.0"), Decimal(1))
        book.close()
