"""The public surface: every name API.md promises exists, is exported, documented and typed."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import bybit_ws
from bybit_ws import BybitSocketClient, KlineInterval, Subscription
from bybit_ws.api._trade_methods import TradeMethods
from bybit_ws.models import contract, inverse, trade, v5

INVERSE_METHODS = [
    "subscribe_to_trades_updates",
    "subscribe_to_trade_updates",
    "subscribe_to_tickers_updates",
    "subscribe_to_ticker_updates",
    "subscribe_to_order_books_updates",
    "subscribe_to_order_book_updates",
    "subscribe_to_insurances_updates",
    "subscribe_to_insurance_updates",
    "subscribe_to_klines_updates",
    "subscribe_to_kline_updates",
    "subscribe_to_liquidations_updates",
    "subscribe_to_liquidation_updates",
    "subscribe_to_position_updates",
    "subscribe_to_user_trade_updates",
    "subscribe_to_order_updates",
    "subscribe_to_stop_order_updates",
    "subscribe_to_balance_updates",
    "order_book",
]
TRADE_METHODS = [
    "place_order",
    "amend_order",
    "cancel_order",
    "place_orders",
    "amend_orders",
    "cancel_orders",
    "submit_order",
    "submit_amend_order",
    "submit_cancel_order",
    "submit_orders",
    "submit_amend_orders",
    "submit_cancel_orders",
    "submit_amend",  # 0.1 spellings, deprecated
    "submit_cancel",
    "submit_amends",
    "submit_cancels",
]
CONTRACT_METHODS = [
    "subscribe_to_balance_updates",
    "subscribe_to_order_updates",
    "subscribe_to_position_updates",
    "subscribe_to_user_trade_updates",
]
V5_METHODS = [
    "subscribe_to_trade_updates",
    "subscribe_to_ticker_updates",
    "subscribe_to_order_book_updates",
    "subscribe_to_kline_updates",
    "subscribe_to_liquidation_updates",
    "subscribe_to_order_updates",
    "subscribe_to_position_updates",
    "subscribe_to_user_trade_updates",
    "subscribe_to_balance_updates",
    "subscribe_to_rpi_order_book_updates",
    "subscribe_to_minimal_user_trade_updates",
    "subscribe_to_system_status_updates",
    "subscribe_to_insurance_pool_updates",
    "subscribe_to_price_limit_updates",
    "subscribe_to_adl_alert_updates",
    "subscribe_to_greek_updates",
    "subscribe_to_disconnect_cancel_all",
    "subscribe_to_disconnect_cancel_all_updates",
    "subscribe_to_insurance_updates",
    "order_book",
]


def test_all_lists_every_public_name() -> None:
    names = bybit_ws.__all__
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(bybit_ws, name), name
    exposed = {
        name
        for name, value in vars(bybit_ws).items()
        if not name.startswith("_") and (inspect.isclass(value) or inspect.isfunction(value))
    }
    assert exposed <= set(names), f"public but not in __all__: {sorted(exposed - set(names))}"
    for name in (
        "BybitSocketClient",
        "Subscription",
        "DataEvent",
        "DeltaUpdate",
        "KlineInterval",
        "OrderBook",
        "OrderAck",
        "BatchOrderResult",
        "RateLimitStatus",
        "OrderRequest",
        "AmendOrderRequest",
        "CancelOrderRequest",
        "TradeRetCode",
    ):
        assert name in names
    for name in (
        "BybitWsError",
        "BybitConnectionError",
        "BybitTimeoutError",
        "SubscriptionError",
        "AuthenticationError",
        "OrderRejectedError",
        "OrderOutcomeUnknownError",
    ):
        assert issubclass(getattr(bybit_ws, name), bybit_ws.BybitWsError)
    assert issubclass(bybit_ws.OrderOutcomeUnknownError, bybit_ws.BybitConnectionError)
    for error in (bybit_ws.OrderOutcomeUnknownError, bybit_ws.BybitTimeoutError):
        assert (
            "the order may or may not exist: check the order stream"
            in " ".join((error.__doc__ or "").split()).lower()
        )


def test_trade_methods_are_documented_and_typed() -> None:
    """The mixin ``client.v5`` inherits: every API.md trade method and its future form."""
    for name in TRADE_METHODS:
        method = getattr(TradeMethods, name)
        assert method.__doc__, f"TradeMethods.{name} has no docstring"
        assert "return" in inspect.get_annotations(method), f"TradeMethods.{name} has no return annotation"


@pytest.mark.parametrize(
    ("group", "methods"), [("inverse", INVERSE_METHODS), ("contract", CONTRACT_METHODS), ("v5", V5_METHODS)]
)
def test_stream_groups_have_the_api_md_methods(group: str, methods: list[str]) -> None:
    with BybitSocketClient() as client:
        streams = getattr(client, group)
    for name in methods:
        method = getattr(streams, name)
        assert method.__doc__, f"client.{group}.{name} has no docstring"
        hints = inspect.get_annotations(method)
        assert "return" in hints, f"client.{group}.{name} has no return annotation"


def test_subscription_and_client_members() -> None:
    for name in ("close", "get", "reconnect", "on_connection_lost", "on_connection_restored"):
        assert getattr(Subscription, name).__doc__
    for name in ("on_connection_closed", "on_exception", "stats", "is_active", "__iter__", "__enter__"):
        assert hasattr(Subscription, name)
    for name in ("close", "wait", "__enter__", "__exit__"):
        assert hasattr(BybitSocketClient, name)
    parameters = inspect.signature(BybitSocketClient).parameters
    for option in (
        "api_key",
        "api_secret",
        "testnet",
        "urls",
        "workers",
        "ping_interval",
        "pong_timeout",
        "reconnect",
        "request_timeout",
        "keep_original_data",
        "stale_timeout",
        "sslopt",
        "proxy",
    ):
        assert option in parameters, option


def test_kline_interval_values() -> None:
    assert [i.value for i in KlineInterval] == [
        "1",
        "3",
        "5",
        "15",
        "30",
        "60",
        "120",
        "240",
        "360",
        "720",
        "D",
        "W",
        "M",
    ]
    assert KlineInterval.ONE_DAY.seconds == 86_400


@pytest.mark.parametrize("module", [inverse, contract, v5, trade])
def test_models_are_documented(module: object) -> None:
    for name in module.__all__:  # type: ignore[attr-defined]
        obj = getattr(module, name)
        assert obj.__doc__, f"{module.__name__}.{name} has no docstring"  # type: ignore[attr-defined]


def test_the_package_ships_py_typed() -> None:
    assert (Path(bybit_ws.__file__).parent / "py.typed").exists()


def test_the_package_docstring_opens_with_how_to_use_it() -> None:
    """help(bybit_ws) starts with usage; the layer map comes after it, marked for developers."""
    doc = bybit_ws.__doc__ or ""
    opening = doc[: doc.index("\n\n", doc.index(">>>"))]
    assert "subscribe_to_trade_updates" in opening and "layers" not in opening
    assert doc.index("subscribe_to_") < doc.index("For developers") < doc.index("layers")


def test_data_event_docstring_says_list() -> None:
    doc = bybit_ws.DataEvent.__doc__ or ""
    assert "a list of models" in doc and "tuple" not in doc
