"""Inverse v2 public streams end to end: real frames through FakeBybit into typed events."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from bybit_ws import BybitSocketClient, DataEvent, DeltaUpdate, KlineInterval
from bybit_ws._convert import structurer, time_us
from bybit_ws.enums import OrderSide, TickDirection
from bybit_ws.models._common import OrderBookSnapshot
from bybit_ws.models.inverse import (
    InsuranceUpdate,
    KlineUpdate,
    LiquidationUpdate,
    OrderBookEntry,
    TickerUpdate,
    TradeUpdate,
)
from bybit_ws.testing import FakeBybit

from .support import Collector, bybitnet, frame, frame_text

UTC = timezone.utc


def _subscribed(fake: FakeBybit, topic: str) -> None:
    fake.wait_for_subscribers(topic, 1, timeout=2.0)


def _replay(fake: FakeBybit, name: str) -> None:
    """Send the exact text of a fixture frame."""
    assert fake.send_raw(frame_text(name)) == 1


# ------------------------------------------------------------------------------------------- trades
@pytest.mark.parametrize("name", ["inverse_trade", "inverse_trade_observed"])
def test_trade_frames_round_trip(fake: FakeBybit, client: BybitSocketClient, name: str) -> None:
    raw = frame(name)
    symbol = raw["topic"].split(".")[1]
    got = Collector()
    client.inverse.subscribe_to_trade_updates(symbol, got)
    sent = datetime.now(UTC)
    _replay(fake, name)
    event = got.wait(1)[0]
    assert isinstance(event, DataEvent)
    assert event.topic == raw["topic"]
    # the time the frame's bytes were read: after the send, before the handler ran
    assert sent <= event.timestamp <= datetime.now(UTC)
    assert event.original_data is None
    structure = structurer(TradeUpdate)
    assert event.data == [structure(item) for item in raw["data"]]
    assert len(event.data) == len(raw["data"])


def test_trade_fields_through_the_wire(fake: FakeBybit, client: BybitSocketClient) -> None:
    got = Collector()
    client.inverse.subscribe_to_trade_updates("ETHUSD", got)
    _replay(fake, "inverse_trade_observed")
    first, second = got.wait(1)[0].data
    assert first.symbol == "ETHUSD"
    assert first.price == Decimal("1995.05")  # a JSON float, exact
    assert second.price == Decimal("1995")
    assert first.quantity == Decimal("1")
    assert first.side is OrderSide.BUY
    assert second.side is OrderSide.SELL
    assert first.tick_direction is TickDirection.ZERO_PLUS_TICK
    assert first.id == "14bbac52-f716-5cd0-af1a-236a2f963be5"
    assert first.cross_sequence == 14563860127
    assert first.trade_time == datetime(2023, 5, 5, 17, 43, 26, 936000, tzinfo=UTC)
    assert first.timestamp == datetime(2023, 5, 5, 17, 43, 26, tzinfo=UTC)
    assert first.is_block_trade is False


def test_bybitnet_trade_payload(fake: FakeBybit, client: BybitSocketClient) -> None:
    payload = bybitnet("InversePerpetual/Socket/TradeUpdate.txt")
    symbol = payload[0]["symbol"]
    got = Collector()
    client.inverse.subscribe_to_trade_updates(symbol, got)
    fake.publish(f"trade.{symbol}", payload)
    structure = structurer(TradeUpdate)
    assert got.wait(1)[0].data == [structure(item) for item in payload]


def test_all_symbols_wildcard_routes_every_symbol(fake: FakeBybit, client: BybitSocketClient) -> None:
    got = Collector()
    client.inverse.subscribe_to_trades_updates(got)
    assert {"op": "subscribe", "args": ["trade.*"]} in fake.received
    _replay(fake, "inverse_trade")
    _replay(fake, "inverse_trade_observed")
    topics = [e.topic for e in got.wait(2)]
    assert topics == ["trade.BTCUSD", "trade.ETHUSD"]


def test_symbol_list_is_one_request(fake: FakeBybit, client: BybitSocketClient) -> None:
    sub = client.inverse.subscribe_to_trade_updates(["BTCUSD", "ETHUSD"], Collector())
    assert sub.topics == ("trade.BTCUSD", "trade.ETHUSD")
    assert {"op": "subscribe", "args": ["trade.BTCUSD", "trade.ETHUSD"]} in fake.received


# ------------------------------------------------------------------------------------------ tickers
@pytest.mark.parametrize(
    "name", ["inverse_instrument_info_snapshot", "inverse_instrument_info_snapshot_observed"]
)
def test_ticker_snapshot_round_trip(fake: FakeBybit, client: BybitSocketClient, name: str) -> None:
    raw = frame(name)
    symbol = raw["topic"].rsplit(".", 1)[1]
    got = Collector()
    client.inverse.subscribe_to_ticker_updates(symbol, got)
    _replay(fake, name)
    event = got.wait(1)[0]
    assert event.topic == raw["topic"]
    assert isinstance(event.data, TickerUpdate)
    assert event.data == structurer(TickerUpdate)(raw["data"])


def test_ticker_delta_is_merged_into_the_snapshot(fake: FakeBybit, client: BybitSocketClient) -> None:
    got = Collector()
    client.inverse.subscribe_to_ticker_updates("BTCUSD", got)
    _replay(fake, "inverse_instrument_info_snapshot")
    _replay(fake, "inverse_instrument_info_delta")
    snapshot, merged = (e.data for e in got.wait(2))
    delta = frame("inverse_instrument_info_delta")["data"]["update"][0]
    expected = structurer(TickerUpdate)({**frame("inverse_instrument_info_snapshot")["data"], **delta})
    assert merged == expected
    # fields the delta changed
    assert merged.price_change_percentage_24h == Decimal("-0.004904")
    assert merged.turnover_24h == Decimal("90662.15468687")
    assert merged.volume_24h == Decimal("735316391")
    assert merged.update_time == datetime(2020, 1, 12, 18, 25, 25, tzinfo=UTC)
    # fields it did not send keep the snapshot's value (a C# port would drop them)
    assert merged.funding_rate == snapshot.funding_rate == Decimal("0.0001")
    assert merged.open_interest == snapshot.open_interest == Decimal("154418471")
    assert merged.next_funding_time == datetime(2020, 1, 13, tzinfo=UTC)


def test_every_delta_entry_is_merged(fake: FakeBybit, client: BybitSocketClient) -> None:
    got = Collector()
    client.inverse.subscribe_to_ticker_updates("BTCUSD", got)
    fake.publish("instrument_info.100ms.BTCUSD", {"symbol": "BTCUSD", "last_price": "100.5"}, type="snapshot")
    fake.publish(
        "instrument_info.100ms.BTCUSD",
        {
            "delete": [],
            "update": [
                {"symbol": "BTCUSD", "last_price": "101.0"},
                {"symbol": "BTCUSD", "bid1_price": "100.5", "ask1_price": "101.5"},
            ],
            "insert": [],
        },
        type="delta",
    )
    merged = got.wait(2)[1].data
    assert merged.last_price == Decimal("101.0")
    assert merged.best_bid_price == Decimal("100.5")
    assert merged.best_ask_price == Decimal("101.5")


# ------------------------------------------------------------------------------------- order books
@pytest.mark.parametrize(("limit", "prefix"), [(25, "orderBookL2_25"), (200, "orderBook_200.100ms")])
def test_order_book_snapshot_and_deltas(
    fake: FakeBybit, client: BybitSocketClient, limit: int, prefix: str
) -> None:
    snapshots, deltas = Collector(), Collector()
    sub = client.inverse.subscribe_to_order_book_updates("BTCUSD", limit, snapshots, deltas)
    assert sub.topics == (f"{prefix}.BTCUSD",)
    stem = "inverse_orderbook25" if limit == 25 else "inverse_orderbook200"
    entry = structurer(OrderBookEntry)
    _replay(fake, f"{stem}_snapshot")
    snapshot = snapshots.wait(1)[0]
    assert snapshot.topic == f"{prefix}.BTCUSD"
    raw_snapshot = frame(f"{stem}_snapshot")
    assert snapshot.data == [entry(e) for e in raw_snapshot["data"]]
    assert isinstance(snapshot.data, OrderBookSnapshot)
    assert snapshot.data.sequence == raw_snapshot["cross_seq"]
    assert snapshot.data.timestamp == time_us(raw_snapshot["timestamp_e6"])
    for name in (f"{stem}_delta", f"{stem}_delta_observed"):
        raw = frame(name)
        # the observed captures may be for another symbol: subscribe to what they carry
        if raw["topic"] != f"{prefix}.BTCUSD":
            client.inverse.subscribe_to_order_book_updates(
                raw["topic"].rsplit(".", 1)[1], limit, None, deltas
            )
        _replay(fake, name)
    events = deltas.wait(2)
    for event, name in zip(events, (f"{stem}_delta", f"{stem}_delta_observed"), strict=True):
        whole = frame(name)
        raw = whole["data"]
        assert isinstance(event.data, DeltaUpdate)
        assert event.data == DeltaUpdate(
            delete=tuple(entry(e) for e in raw["delete"]),
            update=tuple(entry(e) for e in raw["update"]),
            insert=tuple(entry(e) for e in raw["insert"]),
            sequence=whole["cross_seq"],
            timestamp=time_us(whole["timestamp_e6"]),
        )


def test_order_book_delta_fields(fake: FakeBybit, client: BybitSocketClient) -> None:
    deltas = Collector()
    client.inverse.subscribe_to_order_book_updates("BTCUSD", 25, None, deltas)
    _replay(fake, "inverse_orderbook25_delta")
    delta = deltas.wait(1)[0].data
    assert delta.sequence == 11519
    assert delta.timestamp == datetime(2019, 4, 19, 4, 13, 41, 331673, tzinfo=UTC)
    (deleted,) = delta.delete
    assert (deleted.price, deleted.side, deleted.quantity) == (Decimal("3001.00"), OrderSide.SELL, None)
    (updated,) = delta.update
    assert (updated.price, updated.side, updated.quantity) == (
        Decimal("2999.00"),
        OrderSide.BUY,
        Decimal("8"),
    )
    (inserted,) = delta.insert
    assert (inserted.price, inserted.quantity, inserted.symbol) == (
        Decimal("2998.00"),
        Decimal("8"),
        "BTCUSD",
    )


@pytest.mark.parametrize("limit", [0, 1, 50, 100, 500, -25])
def test_order_book_limit_is_checked_before_sending(
    fake: FakeBybit, client: BybitSocketClient, limit: int
) -> None:
    with pytest.raises(ValueError, match="25 or 200"):
        client.inverse.subscribe_to_order_book_updates("BTCUSD", limit)
    with pytest.raises(ValueError, match="25 or 200"):
        client.inverse.subscribe_to_order_books_updates(limit)
    assert fake.received == []
    assert fake.connections_total == 0


# ------------------------------------------------------------------------------- insurance / kline
@pytest.mark.parametrize("name", ["inverse_insurance", "inverse_insurance_observed"])
def test_insurance_round_trip(fake: FakeBybit, client: BybitSocketClient, name: str) -> None:
    raw = frame(name)
    got = Collector()
    client.inverse.subscribe_to_insurance_updates(raw["topic"].split(".")[1], got)
    _replay(fake, name)
    structure = structurer(InsuranceUpdate)
    assert got.wait(1)[0].data == [structure(item) for item in raw["data"]]


def test_insurance_fields(fake: FakeBybit, client: BybitSocketClient) -> None:
    got = Collector()
    client.inverse.subscribe_to_insurance_updates("BTC", got)
    _replay(fake, "inverse_insurance")
    (item,) = got.wait(1)[0].data
    assert item.asset == "BTC"
    assert item.wallet_balance == Decimal("98786916569")
    assert item.timestamp == datetime(2020, 1, 11, 20, tzinfo=UTC)


@pytest.mark.parametrize("name", ["inverse_kline", "inverse_kline_observed"])
def test_kline_round_trip(fake: FakeBybit, client: BybitSocketClient, name: str) -> None:
    raw = frame(name)
    _prefix, interval, symbol = raw["topic"].split(".")
    got = Collector()
    client.inverse.subscribe_to_kline_updates(symbol, KlineInterval(interval), got)
    _replay(fake, name)
    structure = structurer(KlineUpdate)
    event = got.wait(1)[0]
    assert event.data == [structure({**item, "symbol": symbol, "interval": interval}) for item in raw["data"]]
    assert all(k.symbol == symbol and k.interval == interval for k in event.data)


def test_kline_fields_and_topic(fake: FakeBybit, client: BybitSocketClient) -> None:
    got = Collector()
    sub = client.inverse.subscribe_to_kline_updates("BTCUSD", KlineInterval.ONE_MINUTE, got)
    assert sub.topics == ("klineV2.1.BTCUSD",)
    _replay(fake, "inverse_kline")
    (kline,) = got.wait(1)[0].data
    assert kline.open_time == datetime(2019, 10, 30, 8, 54, tzinfo=UTC)
    assert kline.close_time == datetime(2019, 10, 30, 8, 55, tzinfo=UTC)
    assert kline.open_price == Decimal("9200")
    assert kline.close_price == Decimal("9202.5")
    assert kline.turnover == Decimal("8.889247899999999")
    assert kline.confirm is False
    assert kline.timestamp == datetime(2019, 10, 30, 8, 54, 36, 958323, tzinfo=UTC)


def test_klines_all_symbols_and_string_interval(fake: FakeBybit, client: BybitSocketClient) -> None:
    sub = client.inverse.subscribe_to_klines_updates("D", Collector())
    assert sub.topics == ("klineV2.D.*",)
    with pytest.raises(ValueError, match="kline interval"):
        client.inverse.subscribe_to_klines_updates("7")


def test_bybitnet_kline_and_insurance_payloads(fake: FakeBybit, client: BybitSocketClient) -> None:
    klines, insurance = Collector(), Collector()
    client.inverse.subscribe_to_kline_updates("BTCUSD", KlineInterval.ONE_MINUTE, klines)
    client.inverse.subscribe_to_insurance_updates("BTC", insurance)
    kline_payload = bybitnet("InversePerpetual/Socket/KlineUpdate.txt")
    insurance_payload = bybitnet("InversePerpetual/Socket/InsuranceUpdate.txt")
    fake.publish("klineV2.1.BTCUSD", kline_payload)
    fake.publish("insurance.BTC", insurance_payload)
    kline = structurer(KlineUpdate)
    assert klines.wait(1)[0].data == [
        kline({**k, "symbol": "BTCUSD", "interval": "1"}) for k in kline_payload
    ]
    assert insurance.wait(1)[0].data == [structurer(InsuranceUpdate)(i) for i in insurance_payload]


# -------------------------------------------------------------------------------------- liquidation
def test_liquidation_round_trip(fake: FakeBybit, client: BybitSocketClient) -> None:
    got = Collector()
    client.inverse.subscribe_to_liquidation_updates("ETHUSD", got)
    _replay(fake, "inverse_liquidation")
    event = got.wait(1)[0]
    assert event.topic == "liquidation.ETHUSD"
    liquidation = event.data
    assert isinstance(liquidation, LiquidationUpdate)
    assert liquidation.symbol == "ETHUSD"
    assert liquidation.side is OrderSide.SELL
    assert liquidation.price == Decimal("3384.15")
    assert liquidation.quantity == Decimal("3655")
    assert liquidation.timestamp == datetime(2021, 9, 14, 8, 41, 21, 954000, tzinfo=UTC)


def test_bybitnet_liquidation_and_ticker_payloads(fake: FakeBybit, client: BybitSocketClient) -> None:
    liquidations, tickers = Collector(), Collector()
    liquidation = bybitnet("InversePerpetual/Socket/LiquidationUpdate.txt")
    ticker = bybitnet("InversePerpetual/Socket/TickerUpdate.txt")
    client.inverse.subscribe_to_liquidations_updates(liquidations)
    client.inverse.subscribe_to_ticker_updates(ticker["symbol"], tickers)
    fake.publish(f"liquidation.{liquidation['symbol']}", liquidation)
    fake.publish(f"instrument_info.100ms.{ticker['symbol']}", ticker, type="snapshot")
    assert liquidations.wait(1)[0].data == structurer(LiquidationUpdate)(liquidation)
    assert tickers.wait(1)[0].data == structurer(TickerUpdate)(ticker)


# ---------------------------------------------------------------------------------- wire requests
def test_subscribe_and_unsubscribe_requests_on_the_wire(fake: FakeBybit, client: BybitSocketClient) -> None:
    keep = client.inverse.subscribe_to_trade_updates("XRPUSD", Collector())
    sub = client.inverse.subscribe_to_ticker_updates(["BTCUSD", "ETHUSD"], Collector())
    expected_args = ["instrument_info.100ms.BTCUSD", "instrument_info.100ms.ETHUSD"]
    assert {"op": "subscribe", "args": expected_args} in fake.received
    sub.close()
    fake.wait_for(lambda: {"op": "unsubscribe", "args": expected_args} in fake.received, timeout=2.0)
    assert fake.subscriptions() == {"trade.XRPUSD": 1}
    assert keep.is_active and not sub.is_active


def test_original_data_is_kept_when_asked(fake: FakeBybit, make_client: Any) -> None:
    client = make_client(keep_original_data=True)
    got = Collector()
    client.inverse.subscribe_to_liquidation_updates("ETHUSD", got)
    _replay(fake, "inverse_liquidation")
    assert got.wait(1)[0].original_data == frame_text("inverse_liquidation")
