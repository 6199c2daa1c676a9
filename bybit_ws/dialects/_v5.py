"""The v5 dialect (``/v5/public/{category}``, ``/v5/private``): wire shapes, replies, topics; no I/O.

Wire reference: PROTOCOL.md §C. One dialect instance per endpoint, because the endpoints differ in
reply shapes and limits: linear/inverse reply like v3; spot says ``ret_msg: "subscribe"`` and takes at
most 10 args a request; option and spread (``/v5/public/spread``) answer ``COMMAND_RESP`` with
``successTopics``/``failTopics`` and pong with ``op: "pong"``; private replies carry no ``req_id``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._base import Dialect, Reply, TopicSpec, classify_op_reply
from ._v5_topics import FP_SPECS, PRIVATE_SPECS, PUBLIC_SPECS, RFQ_SPECS, SPREAD_SPECS, STATUS_SPECS
from ._v5_topics import _ticker_schema as _topics_ticker_schema

__all__ = ["CATEGORIES", "V5Dialect"]

#: Public categories and the order-book depths each serves.
CATEGORIES: Mapping[str, tuple[int, ...]] = {
    "linear": (1, 50, 200, 1000),
    "inverse": (1, 50, 200, 1000),
    "spot": (1, 50, 200, 1000),
    "option": (25, 100),
}
_PRIVATE_CATEGORIES = {
    "order": ("spot", "linear", "inverse", "option"),
    "position": ("linear", "inverse", "option"),
    "execution": ("spot", "linear", "inverse", "option"),
    "execution.fast": ("spot", "linear", "inverse", "option"),
}
#: The insurance and ADL-alert pools, and the endpoint each is on.
_POOLS = {"USDT": "linear", "USDC": "linear", "inverse": "inverse"}
#: DCP products: ``dcp.future`` (derivatives), ``dcp.spot``, ``dcp.option``.
_DCP_PRODUCTS = ("future", "spot", "option")


_ticker_schema = _topics_ticker_schema  # the typed ticker path, for its tests


def _categorised(topic: str) -> bool:
    """``order.linear``, ``execution.fast.spot``: a private family narrowed to one category."""
    family, _, category = topic.rpartition(".")
    return category in _PRIVATE_CATEGORIES.get(family, ())


class V5Dialect(Dialect):
    """v5 wire dialect for one endpoint: a public category, ``"spread"``, ``"status"`` or ``"private"``."""

    uses_req_id = True

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.name = f"v5.{endpoint}"
        specs = {"private": PRIVATE_SPECS, "status": STATUS_SPECS, "spread": SPREAD_SPECS}
        specs.update(rfq=RFQ_SPECS, fp=FP_SPECS)
        self._specs = specs.get(endpoint, PUBLIC_SPECS)
        self.max_args_per_request = 10 if endpoint == "spot" else None
        self.max_chars_per_connection = None if endpoint == "private" else 21_000
        # V5_MORE.md §1: option takes 2,000 args a connection; 1,000 market-data connections per IP per
        # category; 500 new connections per IP per 5 minutes on a domain
        self.max_topics_per_connection = 2_000 if endpoint == "option" else None
        self.max_connections = None if endpoint == "private" else 1_000
        self.max_new_connections = (500, 300.0)
        self.pong_has_time = endpoint in ("private", "option", "spread")  # V5_2026.md §2.2

    def topic_spec(self, topic: str) -> TopicSpec | None:
        """The spec of a topic's family: the longest dot-separated prefix of ``topic`` that names one
        (``execution.fast.linear`` is ``execution.fast``'s, ``orderbook.rpi.X`` is ``orderbook.rpi``'s)."""
        specs = self._specs
        end = len(topic)
        while end > 0:
            spec = specs.get(topic[:end])
            if spec is not None:
                return spec
            end = topic.rfind(".", 0, end)
        return None

    def batches(self, topics: Sequence[str]) -> list[list[str]]:
        """Private: all-in-one (``order``) and categorised (``order.linear``) topics never share a request."""
        if self.endpoint != "private":
            return super().batches(topics)
        plain = [t for t in topics if not _categorised(t)]
        categorised = [t for t in topics if _categorised(t)]
        return [group for group in (plain, categorised) if group]

    def classify(self, frame: Mapping[str, Any]) -> Reply | Any | None:
        """Every v5 reply and pong shape, option's and spread's ``COMMAND_RESP`` included."""
        if frame.get("type") == "COMMAND_RESP":
            data = frame.get("data") or {}
            succeeded = tuple(str(t) for t in data.get("successTopics") or ())
            failed = tuple(str(t) for t in data.get("failTopics") or ())
            req_id = frame.get("req_id")
            ret_msg = str(frame.get("ret_msg") or "")
            if failed and not ret_msg:
                ret_msg = f"rejected topics: {', '.join(failed)}"
            return Reply(
                op=None,
                success=frame.get("success") is True and not failed,
                ret_msg=ret_msg,
                req_id=str(req_id) if req_id else None,
                args=succeeded + failed,
                failed_args=failed,
            )
        return classify_op_reply(frame)
