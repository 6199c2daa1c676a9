"""``client.contract``: the Derivatives v3 contract private stream group.

Unlike Bybit.Net (BYBITNET.md §9.4), closing a subscription matches the unsubscribe reply and never
waits out a timeout. The wire side is :mod:`bybit_ws.dialects._contract`.
"""

from __future__ import annotations

from typing import Any

from bybit_ws.engine._subscriptions import Subscription
from bybit_ws.models.contract import (
    ContractBalanceUpdate,
    ContractOrderUpdate,
    ContractPositionUpdate,
    ContractUserTradeUpdate,
)

from ._streams import Handler, Streams

__all__ = ["ContractStreams"]


class ContractStreams(Streams):
    """``client.contract``: the v3 contract account's private streams (all need API credentials)."""

    def _private(self, topic: str, handler: Handler[Any] | None) -> Subscription[Any]:
        return self._subscribe("contract", [topic], {"data": handler}, private=True)

    def subscribe_to_balance_updates(
        self, handler: Handler[list[ContractBalanceUpdate]] | None = None
    ) -> Subscription[list[ContractBalanceUpdate]]:
        """Wallet changes (``user.wallet.contractAccount``)."""
        return self._private("user.wallet.contractAccount", handler)

    def subscribe_to_order_updates(
        self, handler: Handler[list[ContractOrderUpdate]] | None = None
    ) -> Subscription[list[ContractOrderUpdate]]:
        """Order changes, active and conditional (``user.order.contractAccount``)."""
        return self._private("user.order.contractAccount", handler)

    def subscribe_to_position_updates(
        self, handler: Handler[list[ContractPositionUpdate]] | None = None
    ) -> Subscription[list[ContractPositionUpdate]]:
        """Position changes (``user.position.contractAccount``)."""
        return self._private("user.position.contractAccount", handler)

    def subscribe_to_user_trade_updates(
        self, handler: Handler[list[ContractUserTradeUpdate]] | None = None
    ) -> Subscription[list[ContractUserTradeUpdate]]:
        """Your executions (``user.execution.contractAccount``)."""
        return self._private("user.execution.contractAccount", handler)
