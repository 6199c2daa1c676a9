"""The v3 contract private dialect (``/contract/private/v3``) and ``client.contract``.

Wire reference: PROTOCOL.md §B. Requests carry a ``req_id``; replies have a top-level ``op`` and maybe
the ``req_id`` (private channels may leave it empty, so replies fall back to matching by ``op`` in
arrival order). Two pong shapes are accepted: ``ret_msg == "pong"`` and ``op == "pong"``. Unlike
Bybit.Net (BYBITNET.md §9.4), closing a subscription matches the unsubscribe reply and never waits
out a timeout.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._dialect import Dialect, Reply, TopicSpec, classify_op_reply, list_topic
from ._streams import Handler, Streams
from ._subscriptions import Subscription
from .models.contract import (
    ContractBalanceUpdate,
    ContractOrderUpdate,
    ContractPositionUpdate,
    ContractUserTradeUpdate,
)

__all__ = ["ContractDialect", "ContractStreams"]

#: the frame key of the exchange's time of a frame: the documented frames have none, real ones may
#: carry v5's ``creationTime`` (PROTOCOL.md §B)
_CREATED = "creationTime"


class ContractDialect(Dialect):
    """Derivatives v3 contract private wire dialect."""

    name = "contract"
    uses_req_id = True

    _specs: dict[str, TopicSpec] = {  # noqa: RUF012
        "user.position.contractAccount": list_topic(ContractPositionUpdate, private=True, stamp=_CREATED),
        "user.execution.contractAccount": list_topic(ContractUserTradeUpdate, private=True, stamp=_CREATED),
        "user.order.contractAccount": list_topic(ContractOrderUpdate, private=True, stamp=_CREATED),
        "user.wallet.contractAccount": list_topic(ContractBalanceUpdate, private=True, stamp=_CREATED),
    }

    def topic_spec(self, topic: str) -> TopicSpec | None:
        """The spec of one of the four private topics."""
        return self._specs.get(topic)

    def classify(self, frame: Mapping[str, Any]) -> Reply | Any | None:
        """Top-level ``op`` replies (see :func:`~bybit_ws._dialect.classify_op_reply`)."""
        return classify_op_reply(frame)


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
