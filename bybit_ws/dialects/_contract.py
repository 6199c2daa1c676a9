"""The v3 contract private dialect (``/contract/private/v3``): wire shapes and parsers; no I/O.

Wire reference: PROTOCOL.md §B. Requests carry a ``req_id``; replies have a top-level ``op`` and maybe
the ``req_id`` (private channels may leave it empty, so replies fall back to matching by ``op`` in
arrival order). Two pong shapes are accepted: ``ret_msg == "pong"`` and ``op == "pong"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bybit_ws.models.contract import (
    ContractBalanceUpdate,
    ContractOrderUpdate,
    ContractPositionUpdate,
    ContractUserTradeUpdate,
)

from ._base import Dialect, Reply, TopicSpec, classify_op_reply, list_topic

__all__ = ["ContractDialect"]

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
        """Top-level ``op`` replies (see :func:`~bybit_ws.dialects._base.classify_op_reply`)."""
        return classify_op_reply(frame)
