"""The full-depth local book (``client.v5.full_order_book``, issue 25 item 6, V5_2026.md §4.1): deltas only
over FakeBybit (``FullBookFeed``), the REST snapshot from a user callable, re-fetched on a sequence
restart (``u=1``), a gap, ``seq`` going down, a crossed book, a reconnect; stale snapshots fetched again;
a failing provider retried on the next delta. And ``snapshot_update``, the shape it accepts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from bybit_ws import BybitSocketClient, BybitWsError, ClientClosedError, OrderBookStatus
from bybit_ws.api._full_book import FETCH_ATTEMPTS, FullOrderBook, snapshot_update
from bybit_ws.testing import FakeBybit, FullBookFeed

from .support import clients_for, frame, wait_until

SYMBOL = "MNTUSDT"


@pytest.fixture
def fake() -> Iterator[FakeBybit]:
    with FakeBybit("v5") as server:
        yield server


@pytest.fixture
def client(fake: FakeBybit) -> Iterator[BybitSocketClient]:
    with clients_for(fake) as make:
        yield make()


@pytest.fixture
def feed(fake: FakeBybit) -> FullBookFeed:
    return FullBookFeed(
        fake,
        SYMBOL,
        bids=[["0.4758", "2342.47"], ["0.4757", "1735.35"]],
        asks=[["0.4760", "100"], ["0.4761", "200"]],
        update_id=278546,
        sequence=1501100570,
    )


def start(client: BybitSocketClient, fake: FakeBybit, feed: FullBookFeed) -> FullOrderBook:
    book = client.v5.full_order_book("spot", SYMBOL, feed.snapshot)
    fake.wait_for_subscribers(feed.topic, timeout=5.0, path="v5.spot")
    return book


def levels(book: FullOrderBook) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
    view = book.snapshot()
    return [(x.price, x.quantity) for x in view.bids], [(x.price, x.quantity) for x in view.asks]


def settled(book: FullOrderBook, feed: FullBookFeed) -> None:
    """Wait until the book is synced at the feed's ``u`` and holds exactly the feed's levels."""
    wait_until(
        lambda: book.status is OrderBookStatus.SYNCED and book.sequence == feed.update_id,
        message=f"book at u={feed.update_id} (is {book.status.value} u={book.sequence})",
    )
    assert levels(book) == feed.levels()


def test_syncs_from_the_snapshot_on_the_first_delta_then_follows_deltas(
    fake: FakeBybit, client: BybitSocketClient, feed: FullBookFeed
) -> None:
    book = start(client, fake, feed)
    assert (book.status, feed.snapshots) == (OrderBookStatus.SYNCING, 0)  # nothing to sync to yet
    feed.update(bids=[["0.4755", "952.38"]])
    book.wait_synced(5)
    settled(book, feed)
    assert feed.snapshots == book.snapshot_fetches == 1
    feed.update(bids=[["0.4758", "0"], ["0.4756", "1"]], asks=[["0.4760", "50"]])  # delete, insert, change
    settled(book, feed)
    assert book.best_bid is not None and book.best_bid.price == Decimal("0.4757")
    assert (book.resyncs, feed.snapshots) == (0, 1)
    book.close()


def test_deltas_the_snapshot_holds_are_skipped(
    fake: FakeBybit, client: BybitSocketClient, feed: FullBookFeed
) -> None:
    book = start(client, fake, feed)
    feed.update(bids=[["0.4750", "1"]])
    settled(book, feed)
    old = feed.update_id
    feed.send([["0.4700", "9"]], [], old, feed.sequence)  # a repeat of u already applied: not applied again
    feed.send([["0.4700", "9"]], [], old - 5, feed.sequence)
    feed.update(asks=[["0.4762", "3"]])
    settled(book, feed)  # the repeats changed nothing
    assert (book.resyncs, feed.snapshots) == (0, 1)


def test_a_gap_refetches_the_snapshot(fake: FakeBybit, client: BybitSocketClient, feed: FullBookFeed) -> None:
    book = start(client, fake, feed)
    feed.update(bids=[["0.4750", "1"]])
    settled(book, feed)
    feed.update(bids=[["0.4751", "2"]], send=False)  # lost on the way
    feed.update(asks=[["0.4763", "4"]])
    settled(book, feed)  # the lost level is there: it came with the new snapshot
    assert (book.resyncs, feed.snapshots) == (1, 2)


def test_a_sequence_restart_refetches_the_snapshot(
    fake: FakeBybit, client: BybitSocketClient, feed: FullBookFeed
) -> None:
    book = start(client, fake, feed)
    feed.update(bids=[["0.4750", "1"]])
    settled(book, feed)
    feed.restart(bids=[["0.5", "7"]], asks=[["0.6", "8"]])  # u=1: an empty delta, a new book over REST
    settled(book, feed)
    assert book.sequence == 1
    feed.update(bids=[["0.51", "1"]])  # u=2 follows u=1
    settled(book, feed)
    assert (book.resyncs, feed.snapshots) == (1, 2)


def test_a_delisting_restart_leaves_an_empty_synced_book(
    fake: FakeBybit, client: BybitSocketClient, feed: FullBookFeed
) -> None:
    book = start(client, fake, feed)
    feed.update()
    settled(book, feed)
    feed.restart()  # u=1, empty delta, empty REST book
    settled(book, feed)
    assert levels(book) == ([], []) and book.best_bid is None


def test_seq_going_down_resyncs(fake: FakeBybit, client: BybitSocketClient, feed: FullBookFeed) -> None:
    book = start(client, fake, feed)
    feed.update()
    settled(book, feed)
    feed.send([["0.1", "1"]], [], feed.update_id + 1, feed.sequence - 1)  # next u, but an older seq
    wait_until(lambda: book.resyncs == 1, message="a resync")
    feed.update(bids=[["0.4740", "5"]])
    settled(book, feed)
    # the first sync, then the bad delta's own fetch (the snapshot is newer than it); the feed's next
    # update continues from that snapshot
    assert feed.snapshots == 2


def test_a_snapshot_older_than_the_stream_is_fetched_again(
    fake: FakeBybit, client: BybitSocketClient, feed: FullBookFeed
) -> None:
    book = start(client, fake, feed)
    feed.stale_snapshots(2)  # REST lags the stream twice, then catches up
    feed.update(bids=[["0.4750", "1"]])
    settled(book, feed)
    assert feed.snapshots == 3


def test_a_snapshot_that_never_catches_up_waits_for_the_next_delta(
    fake: FakeBybit, client: BybitSocketClient, feed: FullBookFeed
) -> None:
    book = start(client, fake, feed)
    feed.stale_snapshots(FETCH_ATTEMPTS)
    feed.update(bids=[["0.4750", "1"]])
    wait_until(lambda: feed.snapshots == FETCH_ATTEMPTS, message="every attempt made")
    assert book.status is OrderBookStatus.SYNCING and levels(book) == ([], [])  # never a stale book
    feed.update(asks=[["0.4765", "1"]])
    settled(book, feed)
    assert feed.snapshots == FETCH_ATTEMPTS + 1


def test_a_failing_provider_leaves_it_syncing_until_the_next_delta(
    fake: FakeBybit, client: BybitSocketClient, feed: FullBookFeed, caplog: pytest.LogCaptureFixture
) -> None:
    """A raising provider is not called again at once (no REST hammering): the next delta, 200 ms
    later on Bybit, tries again."""
    book = start(client, fake, feed)
    feed.fail_snapshots(2)
    for attempt in (1, 2):
        feed.update(bids=[["0.4750", str(attempt)]])
        wait_until(lambda attempt=attempt: feed.snapshots == attempt, message=f"attempt {attempt}")  # type: ignore[misc]
        assert book.status is OrderBookStatus.SYNCING and levels(book) == ([], [])
    assert "the snapshot provider failed" in caplog.text
    feed.update()
    settled(book, feed)
    assert feed.snapshots == 3


def test_a_crossed_book_resyncs(fake: FakeBybit, client: BybitSocketClient, feed: FullBookFeed) -> None:
    book = start(client, fake, feed)
    feed.update()
    settled(book, feed)
    feed.send([["0.4800", "1"]], [], feed.update_id + 1, feed.sequence + 1)  # a bid over the best ask
    wait_until(lambda: book.resyncs == 1, message="a resync")
    feed.update(bids=[["0.4700", "1"]])
    settled(book, feed)


def test_a_delete_beyond_the_snapshot_is_not_an_error(
    fake: FakeBybit, client: BybitSocketClient, feed: FullBookFeed
) -> None:
    book = start(client, fake, feed)
    feed.update()
    settled(book, feed)
    feed.update(bids=[["0.0001", "0"]])  # a level deeper than the snapshot's 10,000
    settled(book, feed)
    assert book.resyncs == 0


def test_a_reconnect_refetches_the_snapshot(
    fake: FakeBybit, client: BybitSocketClient, feed: FullBookFeed
) -> None:
    book = start(client, fake, feed)
    feed.update()
    settled(book, feed)
    total = fake.connections_total
    fake.drop_connections(path="v5.spot")
    fake.wait_for(lambda: fake.connections_total > total, timeout=5)
    fake.wait_for_subscribers(feed.topic, timeout=5.0, path="v5.spot")
    wait_until(lambda: book.status is OrderBookStatus.SYNCING, message="syncing after the reconnect")
    feed.update(asks=[["0.4770", "1"]])
    settled(book, feed)
    assert feed.snapshots == 2


def test_close_while_syncing(fake: FakeBybit, client: BybitSocketClient, feed: FullBookFeed) -> None:
    book = start(client, fake, feed)
    book.close()
    assert book.status is OrderBookStatus.CLOSED
    fake.wait_for(lambda: fake.subscriptions("v5.spot") == {}, timeout=5)
    assert feed.update() == 0


def test_close_while_the_provider_runs_and_readers_are_not_blocked(
    fake: FakeBybit, client: BybitSocketClient, feed: FullBookFeed
) -> None:
    entered, release = threading.Event(), threading.Event()

    def slow_snapshot() -> Any:
        entered.set()
        assert release.wait(10), "never released"
        return feed.snapshot()

    book = client.v5.full_order_book("spot", SYMBOL, slow_snapshot)
    fake.wait_for_subscribers(feed.topic, timeout=5.0, path="v5.spot")
    feed.update()
    assert entered.wait(5)
    assert book.snapshot().bids == () and book.status.value == "syncing"  # the lock is free
    book.close()
    release.set()
    wait_until(lambda: feed.snapshots == 1, message="the provider returned")
    with pytest.raises(ClientClosedError):
        book.wait_synced(1)
    assert book.status is OrderBookStatus.CLOSED and book.snapshot().bids == ()


# ------------------------------------------------------------------------------ the snapshot's shape
REPLY: dict[str, Any] = frame("v5_rest_full_orderbook")
RESULT: dict[str, Any] = REPLY["result"]


def test_snapshot_update_takes_the_result_or_the_whole_reply() -> None:
    """V5_2026.md §4.1's REST example (its levels elided by Bybit, two kept)."""
    for given in (REPLY, RESULT, {**RESULT, "u": "439925", "seq": "2164890076", "ts": "1784103578352"}):
        book = snapshot_update(given, "BTCUSDT")
        assert (book.update_id, book.sequence) == (439925, 2164890076)
        assert (book.bids[0].price, book.bids[0].quantity) == (Decimal("62998.1"), Decimal("0.396837"))
        assert (book.asks[0].price, book.asks[0].quantity) == (Decimal("62998.2"), Decimal("0.198738"))
        assert book.timestamp is not None and book.timestamp.tzinfo is not None


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"retCode": 10001, "retMsg": "params error", "result": {}}, "retCode 10001"),
        ({**RESULT, "s": "ETHUSDT"}, "of 'ETHUSDT', not 'BTCUSDT'"),
        ({k: v for k, v in RESULT.items() if k != "u"}, "not an order-book snapshot"),
        ({**RESULT, "b": [["x", "1"]]}, "not an order-book snapshot"),
        ({"retCode": 0, "result": None}, "must be a mapping"),
        ([RESULT], "must be a mapping"),
    ],
)
def test_snapshot_update_refuses_what_is_not_a_snapshot(given: Any, message: str) -> None:
    with pytest.raises(BybitWsError, match=message):
        snapshot_update(given, "BTCUSDT")
