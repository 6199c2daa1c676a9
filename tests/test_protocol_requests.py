"""The pure reply-matching core (bybit_ws.protocol.requests): no sockets, no threads, no clock.

Property tests drive a RequestBook with any interleaving of sends, replies (with a pending id, a stale
or unknown id, or no id), drops, expiries and socket failures, and check that no request ever ends
twice, that a reply with an id completes only its own request, and that an anonymous reply completes
an order on the Trade API never.
"""

from __future__ import annotations

import logging
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bybit_ws.protocol.requests import Request, RequestBook

OPS = ("subscribe", "unsubscribe", "auth", "order.create", "order.cancel")


@attrs.frozen
class Reply:
    op: str | None
    success: bool
    req_id: str | None = None
    args: tuple[str, ...] | None = None
    ret_msg: str = ""


# one step: ("send", op, arg, with_id, deadline) | ("reply", which, op, success, arg?) | ("drop", i)
# | ("expire", now) | ("fail", gen) | ("gen",)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("send"), st.sampled_from(OPS), st.sampled_from("xyz"), st.booleans(),
                  st.one_of(st.none(), st.integers(0, 5))),
        st.tuples(st.just("reply"), st.one_of(st.none(), st.integers(0, 40)), st.sampled_from((*OPS, None)),
                  st.booleans(), st.one_of(st.none(), st.sampled_from("xyz"))),
        st.tuples(st.just("drop"), st.integers(0, 40)),
        st.tuples(st.just("expire"), st.integers(0, 6)),
        st.tuples(st.just("fail"), st.one_of(st.none(), st.integers(0, 3))),
        st.tuples(st.just("gen")),
    ),
    max_size=60,
)  # fmt: skip


def run(script: list[tuple[Any, ...]], anonymous_ops: frozenset[str] | None) -> None:
    """Play ``script`` on a book, checking every completion as it comes out."""
    book: RequestBook[Request] = RequestBook("test", anonymous_ops)

    def by_op(op: str | None) -> bool:
        return anonymous_ops is None or op in anonymous_ops

    sent: list[Request] = []
    ended: set[int] = set()
    pending_order: list[Request] = []  # send order, for the anonymous rule
    gen = 0

    def end(request: Request) -> None:
        assert id(request) not in ended, "a request ended twice"
        ended.add(id(request))
        pending_order.remove(request)

    for step in script:
        kind = step[0]
        if kind == "send":
            _, op, arg, with_id, deadline = step
            request = Request(op, (arg,), f"id-{len(sent)}" if with_id else None, gen, deadline)
            book.add(request)
            sent.append(request)
            pending_order.append(request)
        elif kind == "reply":
            _, which, op, success, arg = step
            req_id = f"id-{which}" if which is not None else None
            reply = Reply(op, success, req_id, None if arg is None else (arg,))
            expected_oldest = None
            if req_id is None and by_op(op):
                expected_oldest = next(
                    (
                        p
                        for p in pending_order
                        if (op is None or p.op == op)
                        and not (
                            arg is not None and p.op in ("subscribe", "unsubscribe") and p.args != (arg,)
                        )
                    ),
                    None,
                )
            found = book.match(reply)
            if found is not None:
                end(found)
                if req_id is not None:
                    assert found.req_id == req_id, "completed with another request's reply"
                else:
                    assert by_op(found.op), "an anonymous reply completed an order"
                    assert found is expected_oldest, (
                        "an anonymous reply completed other than the oldest of its op"
                    )
            elif req_id is not None:
                assert all(p.req_id != req_id for p in pending_order), "a reply with a pending id was dropped"
            else:
                assert expected_oldest is None
        elif kind == "drop":
            if step[1] < len(sent):
                request = sent[step[1]]
                was_pending = request in pending_order
                assert book.drop(request) == was_pending
                if was_pending:
                    end(request)
        elif kind == "expire":
            for request in book.expire(step[1]):
                assert request.deadline is not None and request.deadline <= step[1]
                end(request)
            assert all(p.deadline is None or p.deadline > step[1] for p in pending_order)
        elif kind == "fail":
            for request in book.fail(step[1]):
                assert step[1] is None or request.gen == step[1]
                end(request)
        else:
            gen += 1
        assert len(book) == len(pending_order)
        deadlines = [p.deadline for p in pending_order if p.deadline is not None]
        assert book.next_deadline() == (min(deadlines) if deadlines else None)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_stream_matching_never_completes_twice_or_with_another_reply(script: list[tuple[Any, ...]]) -> None:
    run(script, None)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_trade_matching_never_completes_an_order_with_an_anonymous_reply(
    script: list[tuple[Any, ...]],
) -> None:
    run(script, frozenset({"auth"}))


def test_an_anonymous_failure_before_an_accepted_orders_success_completes_only_by_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    book: RequestBook[Request] = RequestBook("trade-1", anonymous_ops=frozenset({"auth"}))
    accepted = Request("order.create", (), "a", 1, 10.0)
    refused = Request("order.create", (), "b", 1, 10.0)
    book.add(accepted)
    book.add(refused)
    with caplog.at_level(logging.WARNING):
        assert book.match(Reply("order.create", False, None, ret_msg="Params Error")) is None
    (record,) = caplog.records
    assert record.levelno == logging.WARNING and "Params Error" in record.getMessage()
    assert book.match(Reply("order.create", True, "a")) is accepted
    assert book.expire(10.0) == [refused]  # the refused one ends in its timeout
    assert len(book) == 0


def test_replies_without_ids_match_by_op_and_args_where_the_dialect_sends_none() -> None:
    book: RequestBook[Request] = RequestBook("inverse-1")
    first = Request("subscribe", ("trade.BTCUSD",), None, 1)
    second = Request("subscribe", ("orderBookL2_25.BTCUSD",), None, 1)
    auth = Request("auth", (), None, 1)
    for request in (first, second, auth):
        book.add(request)
    assert book.match(Reply("subscribe", True, None, ("orderBookL2_25.BTCUSD",))) is second
    assert book.match(Reply("auth", False)) is auth
    assert book.match(Reply("subscribe", False)) is first
    assert book.match(Reply("subscribe", True)) is None
    book.add(Request("auth", (), "dup", 1))
    with pytest.raises(ValueError):
        book.add(Request("auth", (), "dup", 1))
