"""The connection-state table (bybit_ws.protocol.state) and the supervisor walking it."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from bybit_ws.protocol.state import TRANSITIONS, ConnectionState, IllegalTransition, State
from bybit_ws.testing import FakeBybit

from .support import API_KEY, API_SECRET, clients_for

ALLOWED = {
    (State.CONNECTING, State.AUTHENTICATING),
    (State.CONNECTING, State.BACKING_OFF),
    (State.AUTHENTICATING, State.OPEN),
    (State.AUTHENTICATING, State.CLOSING),
    (State.OPEN, State.CLOSING),
    (State.CLOSING, State.BACKING_OFF),
    (State.BACKING_OFF, State.CONNECTING),
} | {(s, State.CLOSED) for s in State if s is not State.CLOSED}


@pytest.mark.parametrize(("old", "new"), list(itertools.product(State, State)))
def test_every_transition_is_allowed_exactly_when_the_table_says(old: State, new: State) -> None:
    state = ConnectionState(old)
    if (old, new) in ALLOWED:
        assert state.to(new) is old and state.value is new
    else:
        with pytest.raises(IllegalTransition, match=f"{old.name} -> {new.name}"):
            state.to(new)
        assert state.value is old


def test_the_table_is_the_one_in_the_module_and_closed_is_final() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED
    assert TRANSITIONS[State.CLOSED] == frozenset()
    state = ConnectionState()
    assert state.value is State.CONNECTING
    for step in (State.AUTHENTICATING, State.OPEN, State.CLOSING, State.BACKING_OFF, State.CONNECTING):
        state.to(step)
    state.to(State.CLOSED)
    assert repr(state) == "<ConnectionState CLOSED>"


def test_a_trade_connection_is_open_again_after_a_drop_and_ends_closed() -> None:
    with (
        FakeBybit("v5", api_key=API_KEY, api_secret=API_SECRET) as fake,
        clients_for(fake, api_key=API_KEY, api_secret=API_SECRET) as make,
    ):
        client = make()
        client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", 1, price=Decimal("1"))
        trade = client._engine._trade
        assert trade is not None
        supervisor = trade.supervisor
        assert supervisor.state is State.OPEN and supervisor.ready
        fake.drop_connections(path="v5.trade")
        fake.wait_for(lambda: fake.connections_total == 2 and supervisor.ready, timeout=10)
        client.close()
        assert supervisor.finished and not supervisor.ready
        assert supervisor.state.name == "CLOSED"
