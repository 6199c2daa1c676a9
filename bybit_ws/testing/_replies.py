"""`FakeBybit`'s answers to client requests (subscribe, unsubscribe, auth, ping) in each dialect's shape."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from bybit_ws.testing._protocol import INVALID_ARGS, INVALID_OP, AuthFailure, check_auth
from bybit_ws.testing._server import Connection, FakeServer, SnapshotSource, dumps

__all__ = ["RepliesMixin"]


class RepliesMixin(FakeServer):
    """Parses each client frame and answers it as the endpoint's dialect does (see `FakeBybit`)."""

    def _check_auth(self, args: object) -> AuthFailure | None:
        """Why an auth request fails at the fake's time (or None)."""
        return check_auth(
            args,
            self._api_key,
            self._api_secret,
            rsa_public_key=self._rsa_public_key,
            now=self.server_time_ms(),
        )

    def _reply(self, conn: Connection, frame: dict[str, Any]) -> None:
        conn.send_if(dumps(frame))
        with self._cond:
            self._bump()

    def _on_text(self, conn: Connection, text: str) -> None:
        ep = conn.endpoint
        try:
            frame = json.loads(text)
        except ValueError as exc:
            self._reply(conn, ep.decode_error(conn.conn_id, str(exc)))
            return
        if not isinstance(frame, dict):
            self._reply(
                conn, ep.decode_error(conn.conn_id, f"expected a JSON object, got {type(frame).__name__}")
            )
            return

        op = frame.get("op")
        op = op if isinstance(op, str) else ""
        req_id = frame.get("req_id")
        args = frame.get("args")
        handled = (
            op == "ping"
            or (op == "auth" and ep.auth_allowed)
            or (op in ("subscribe", "unsubscribe") and ep.subscribable)
        )
        with self._cond:
            self._received.append((ep.path, frame))
            self._bump()
            if self._ignore[op] > 0:
                self._ignore[op] -= 1
                return
            if op == "ping" and not self._answer_pings:
                return
            queue = self._reject.get(op) if handled else None
            rejected = bool(queue)
            rejection = queue.popleft() if queue else None
        if rejected:
            rejection = rejection or ep.default_reject_message(op)

        if ep.trade:
            self._on_trade(conn, op, frame, rejection)
        elif op == "ping":
            self._reply(conn, ep.pong(conn.conn_id, req_id))
        elif op in ("subscribe", "unsubscribe"):
            self._on_subscription(conn, op, req_id, args, rejection)
        elif handled:
            self._on_auth(conn, req_id, args, rejection)
        else:
            self._reply(
                conn, ep.command_reply(conn.conn_id, op, req_id, args, success=False, ret_msg=INVALID_OP)
            )

    def _on_trade(self, conn: Connection, op: str, frame: dict[str, Any], rejection: str | None) -> None:
        """Answer a frame on the Trade API endpoint (`TradeDeskMixin`); `rejection` as for auth."""
        raise NotImplementedError

    def _on_subscription(
        self, conn: Connection, op: str, req_id: object, args: object, rejection: str | None
    ) -> None:
        ep = conn.endpoint

        def failure(ret_msg: str) -> dict[str, Any]:
            return ep.subscription_reply(conn.conn_id, op, req_id, args, (), (), ret_msg)

        if rejection is not None:
            self._reply(conn, failure(rejection))
            return
        if not isinstance(args, list) or not args or not all(isinstance(a, str) for a in args):
            self._reply(conn, failure(INVALID_ARGS))
            return
        refusal = ep.subscribe_refusal(args, conn.authenticated) if op == "subscribe" else None
        if refusal is not None:
            self._reply(conn, failure(refusal))
            return

        with contextlib.ExitStack() as stack:
            with self._lock:
                sources = list(self._snapshot_sources) if op == "subscribe" else []
            for source in sources:  # no market step between the reply and the snapshots
                stack.enter_context(source.lock)
            self._subscribe_locked(conn, op, req_id, args, sources)

    def _subscribe_locked(
        self, conn: Connection, op: str, req_id: object, args: list[str], sources: list[SnapshotSource]
    ) -> None:
        ep = conn.endpoint
        served: list[str] = []
        with conn.send_lock:  # the reply goes out before any data for these topics
            with self._cond:
                current = dict(conn.args)
                ok: list[str] = []
                failed: list[str] = []
                if op == "subscribe":
                    for arg in args:
                        (failed if ep.rejects_duplicates() and arg in current else ok).append(arg)
                        current[arg] = None
                else:
                    for arg in args:
                        current.pop(arg, None)
                        ok.append(arg)
                if failed and not ep.partial_subscribe:
                    reply = ep.subscription_reply(
                        conn.conn_id, op, req_id, args, (), (), f"error:already subscribed,topic:{failed[0]}"
                    )
                else:
                    reply = ep.subscription_reply(conn.conn_id, op, req_id, args, ok, failed, None)
                    conn.set_args(current)
                    served = ok
                self._bump()
            conn.send_locked(dumps(reply))
        for source in sources:  # still under the sources' locks: their next data comes after this
            for arg in served:
                source.subscribed(ep.path, arg, conn.send_if)

    def _on_auth(self, conn: Connection, req_id: object, args: object, rejection: str | None) -> None:
        ep = conn.endpoint
        if rejection is None:
            reason = self._check_auth(args)
            ret_msg = "" if reason is None else ep.auth_message(reason)
        else:
            reason, ret_msg = "args", rejection
        with conn.send_lock:
            with self._cond:
                if reason is None:
                    conn.authenticated = True
                self._bump()
            conn.send_locked(
                dumps(ep.auth_reply(conn.conn_id, req_id, args, success=reason is None, ret_msg=ret_msg)),
            )
