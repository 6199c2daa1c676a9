"""Reply shapes of Bybit's websocket endpoints, as the fake exchange speaks them.

One `Endpoint` per URL path. An endpoint only *builds* frames and makes pure decisions (which topics
need auth, which requests are refused); all state and I/O live in `_server.py`. The shapes follow the
frames in the project's fixtures (``shared/fixtures/frames``) key for key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from bybit_ws.testing._catalog import Catalog

__all__ = [
    "AUTH_MESSAGES",
    "DEFAULT_REJECT_MESSAGE",
    "INVALID_ARGS",
    "INVALID_OP",
    "NOT_AUTHORIZED",
    "TRADE_AUTH_FAILURES",
    "TRADE_NOT_AUTHED",
    "Dialect",
    "Endpoint",
    "V5TradeEndpoint",
    "endpoints_for",
    "req_echo",
    "sign",
]

Dialect = Literal["inverse", "contract", "v5"]
AuthFailure = Literal["args", "expired", "key", "signature"]

INVALID_OP = "error:invalid op"
INVALID_ARGS = "error:invalid args"
NOT_AUTHORIZED = "Request not authorized"
DEFAULT_REJECT_MESSAGE = "error:rejected by FakeBybit"
SPOT_MAX_ARGS = 10
INVERSE_PRIVATE_TOPICS = frozenset({"position", "execution", "order", "stop_order", "wallet"})

#: Auth failure texts: v2 ("inverse") uses Bybit's ``error:`` strings, v3/v5 the gateway's style
#: (``Params Error`` is the only failure text observed there).
AUTH_MESSAGES: dict[str, dict[AuthFailure, str]] = {
    "v2": {
        "args": "error:invalid args",
        "expired": "error:request expired",
        "key": "error:invalid api_key",
        "signature": "error:signature verification failed",
    },
    "v3": {
        "args": "Params Error",
        "expired": "Params Error: request expired",
        "key": "Invalid api_key",
        "signature": "Signature verification failed",
    },
}


#: Auth failures on ``/v5/trade``: (``retCode``, ``retMsg``). 10001/10004 are Bybit's documented codes
#: (V5_MORE §1); an unknown key gets REST's "API key is invalid" code 10003.
TRADE_AUTH_FAILURES: dict[AuthFailure, tuple[int, str]] = {
    "args": (10001, "Params Error"),
    "expired": (10001, "Params Error: request expired"),
    "key": (10003, "API key is invalid."),
    "signature": (10004, "Invalid sign"),
}
#: An order op on ``/v5/trade`` before auth. Not captured from Bybit: the fake's choice, in REST's style.
TRADE_NOT_AUTHED = (10003, "Please auth first")


def sign(secret: str, expires_ms: int) -> str:
    """Bybit's websocket auth signature: lowercase hex HMAC-SHA256(secret, ``"GET/realtime" + expires``)."""
    return hmac.new(secret.encode(), f"GET/realtime{expires_ms}".encode(), hashlib.sha256).hexdigest()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def verify_rsa(public_key: Any, signature: str, expires_ms: int) -> bool:
    """Whether ``signature`` is base64 RSA-SHA256 (PKCS#1 v1.5) of ``"GET/realtime" + expires`` by the
    private key of ``public_key`` (a ``cryptography`` RSA public key)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, f"GET/realtime{expires_ms}".encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def load_rsa_public_key(pem: str | bytes) -> Any:
    """A PEM ``BEGIN PUBLIC KEY`` (SPKI, as Bybit's generator writes it) as a ``cryptography`` key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("rsa_public_key must be an RSA public key")
    return key


def account_key(api_key: str | None, api_secret: str | None, rsa_public_key: str | bytes | None) -> Any:
    """Check a fake's account arguments; the loaded RSA public key, or None for an HMAC account (or none)."""
    if (api_key is None) != (api_secret is None and rsa_public_key is None):
        raise ValueError(
            "give both api_key and api_secret (HMAC) or api_key and rsa_public_key (RSA), or neither"
        )
    if api_secret is not None and rsa_public_key is not None:
        raise ValueError("give api_secret (HMAC) or rsa_public_key (RSA), not both")
    return None if rsa_public_key is None else load_rsa_public_key(rsa_public_key)


def check_auth(
    args: object,
    api_key: str | None,
    api_secret: str | None,
    *,
    rsa_public_key: Any = None,
    now: int | None = None,
) -> AuthFailure | None:
    """Validate ``[api_key, expires_ms, signature]`` (HMAC with ``api_secret``, or RSA against
    ``rsa_public_key``) at server time ``now`` (ms; default the wall clock); return why it fails, or
    None when it passes."""
    if not isinstance(args, list) or len(args) != 3:
        return "args"
    key, expires, signature = args
    if isinstance(expires, str) and expires.isdigit():
        expires = int(expires)
    if not isinstance(key, str) or not isinstance(signature, str):
        return "args"
    if not isinstance(expires, int) or isinstance(expires, bool):
        return "args"
    if expires < (now_ms() if now is None else now):
        return "expired"
    if (
        api_key is None
        or (api_secret is None and rsa_public_key is None)
        or not hmac.compare_digest(key, api_key)
    ):
        return "key"
    if rsa_public_key is not None:
        return None if verify_rsa(rsa_public_key, signature, expires) else "signature"
    assert api_secret is not None
    if not hmac.compare_digest(signature.lower(), sign(api_secret, expires)):
        return "signature"
    return None


_B32 = "0123456789abcdefghijklmnopqrstuv"
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_DURATION = re.compile(r"(\d+)([sm])")


def _gateway_conn_id() -> str:
    rng = random.SystemRandom()
    head = "".join(rng.choice(_B32) for _ in range(20))
    return head + "-" + "".join(rng.choice(_B36) for _ in range(rng.randint(1, 5)))


def max_active_time(query: Mapping[str, list[str]]) -> float | None:
    """Seconds of ``max_active_time`` (``30s`` ... ``600s``, ``1m`` ... ``10m``) in a URL query, or None.

    Live Bybit takes 30 s to 600 s; the fake also honours shorter values, so that tests need not wait.
    """
    values = query.get("max_active_time")
    match = _DURATION.fullmatch(values[0]) if values else None
    if match is None:
        return None
    seconds = int(match.group(1)) * (60 if match.group(2) == "m" else 1)
    return float(seconds) if 0 < seconds <= 600 else None


def _echo_req_id(req_id: object) -> object:
    return "" if req_id is None else req_id


class Endpoint:
    """Behaviour of one URL path. Subclasses override the frame builders that differ."""

    auth_allowed = False  # does this path accept op "auth"?
    subscribable = True  # does this path serve subscribe/unsubscribe?
    trade = False  # is this the Trade API (order entry), answered by the fake's trade desk?
    auth_style = "v3"  # key into AUTH_MESSAGES

    def __init__(self, key: str, path: str, catalog: Catalog | None = None) -> None:
        #: the fake's server time, epoch ms (its clock skew included; set by the server)
        self.clock: Callable[[], int] = now_ms
        self.key = key  # the client's `urls` key, e.g. "v5.spot"
        self.path = path
        self.catalog = catalog  # v5: the topics and symbols served, checked on subscribe
        self.category = key.rpartition(".")[2]  # v5: "linear", ..., "private", "status"

    def new_conn_id(self) -> str:
        """A connection id shaped as this gateway's (v3/v5: ``cejreaspqfh3sjdnldmg-p``: 20 base-32
        characters, a dash, 1 to 5 base-36 ones; v2 inverse: a UUID)."""
        return _gateway_conn_id()

    def idle_limit(self, query: Mapping[str, list[str]]) -> float | None:
        """The idle cut-off `query` asks for (``max_active_time``, private and trade paths only)."""
        return None

    def topic_refusal(self, args: Sequence[str]) -> str | None:
        """Bybit's ``ret_msg`` when one of `args` names no topic served here (v5 only)."""
        return None if self.catalog is None else self.catalog.refusal(self.category, args)

    # -- decisions -------------------------------------------------------------------------------

    def subscribe_refusal(self, args: Sequence[str], authenticated: bool) -> str | None:
        """A reason to refuse the whole subscribe request before looking at current subscriptions."""
        return None

    def rejects_duplicates(self) -> bool:
        """Whether subscribing to a topic the connection already has is an error."""
        return False

    #: With duplicates refused: True = the other topics of the request still succeed (option).
    partial_subscribe = False

    def default_reject_message(self, op: str) -> str:
        return DEFAULT_REJECT_MESSAGE

    def auth_message(self, reason: AuthFailure) -> str:
        return AUTH_MESSAGES[self.auth_style][reason]

    # -- frames ----------------------------------------------------------------------------------

    def command_reply(
        self, conn_id: str, op: str, req_id: object, args: object, *, success: bool, ret_msg: str
    ) -> dict[str, Any]:
        """Reply to subscribe/unsubscribe (and the failure reply to anything else)."""
        return {
            "success": success,
            "ret_msg": ret_msg,
            "conn_id": conn_id,
            "req_id": _echo_req_id(req_id),
            "op": op,
        }

    def subscription_reply(
        self,
        conn_id: str,
        op: str,
        req_id: object,
        args: object,
        ok: Sequence[str],
        failed: Sequence[str],
        ret_msg: str | None,
    ) -> dict[str, Any]:
        """Reply to subscribe/unsubscribe: `ok` and `failed` topics, or `ret_msg` if all of it failed."""
        if ret_msg is None and not failed:
            return self.command_reply(conn_id, op, req_id, args, success=True, ret_msg=self.ok_message(op))
        return self.command_reply(conn_id, op, req_id, args, success=False, ret_msg=ret_msg or "")

    def ok_message(self, op: str) -> str:
        return ""

    def pong(self, conn_id: str, req_id: object) -> dict[str, Any]:
        return {
            "success": True,
            "ret_msg": "pong",
            "conn_id": conn_id,
            "req_id": _echo_req_id(req_id),
            "op": "ping",
        }

    def auth_reply(
        self, conn_id: str, req_id: object, args: object, *, success: bool, ret_msg: str
    ) -> dict[str, Any]:
        reply: dict[str, Any] = {"success": success, "ret_msg": ret_msg, "op": "auth", "conn_id": conn_id}
        if req_id is not None:
            reply["req_id"] = req_id
        return reply

    def decode_error(self, conn_id: str, detail: str) -> dict[str, Any]:
        return {
            "success": False,
            "ret_msg": f"Failed to decode incoming data: {detail}",
            "conn_id": conn_id,
            "req_id": "",
            "op": "",
        }


class InverseEndpoint(Endpoint):
    """v2 inverse ``/realtime``: replies echo the request as ``request: {op, args}``; no req_id."""

    auth_allowed = True
    auth_style = "v2"

    def new_conn_id(self) -> str:
        return str(uuid.uuid4())

    def subscribe_refusal(self, args: Sequence[str], authenticated: bool) -> str | None:
        if authenticated:
            return None
        for arg in args:
            name = arg.split(".", 1)[0]
            if name in INVERSE_PRIVATE_TOPICS:
                return f"error:topic:{name} needs auth first"
        return None

    def command_reply(
        self, conn_id: str, op: str, req_id: object, args: object, *, success: bool, ret_msg: str
    ) -> dict[str, Any]:
        return {
            "success": success,
            "ret_msg": ret_msg,
            "conn_id": conn_id,
            "request": {"op": op, "args": args},
        }

    def pong(self, conn_id: str, req_id: object) -> dict[str, Any]:
        return {
            "success": True,
            "ret_msg": "pong",
            "conn_id": conn_id,
            "request": {"op": "ping", "args": None},
        }

    def auth_reply(
        self, conn_id: str, req_id: object, args: object, *, success: bool, ret_msg: str
    ) -> dict[str, Any]:
        # Bybit echoed auth args as strings (expires included) [obs pybit#37].
        echo = [str(a) for a in args] if isinstance(args, list) else args
        return self.command_reply(conn_id, "auth", None, echo, success=success, ret_msg=ret_msg)

    def decode_error(self, conn_id: str, detail: str) -> dict[str, Any]:
        return self.command_reply(
            conn_id, "", None, None, success=False, ret_msg=f"error:failed to decode incoming data: {detail}"
        )


class PrivateEndpoint(Endpoint):
    """v3 ``/contract/private/v3`` and v5 ``/v5/private``: auth first, then any topic."""

    auth_allowed = True

    def idle_limit(self, query: Mapping[str, list[str]]) -> float | None:
        return max_active_time(query)

    def subscribe_refusal(self, args: Sequence[str], authenticated: bool) -> str | None:
        return None if authenticated else NOT_AUTHORIZED

    def default_reject_message(self, op: str) -> str:
        return "Params Error" if op == "auth" else DEFAULT_REJECT_MESSAGE


class V5PrivateEndpoint(PrivateEndpoint):
    """``/v5/private``: ``{success, ret_msg, op, conn_id}`` (req_id only when sent); pong ``op: "pong"``."""

    def subscribe_refusal(self, args: Sequence[str], authenticated: bool) -> str | None:
        return super().subscribe_refusal(args, authenticated) or self.topic_refusal(args)

    def command_reply(
        self, conn_id: str, op: str, req_id: object, args: object, *, success: bool, ret_msg: str
    ) -> dict[str, Any]:
        reply: dict[str, Any] = {"success": success, "ret_msg": ret_msg, "op": op, "conn_id": conn_id}
        if req_id is not None:
            reply["req_id"] = req_id
        return reply

    def pong(self, conn_id: str, req_id: object) -> dict[str, Any]:
        return {"req_id": _echo_req_id(req_id), "op": "pong", "args": [str(self.clock())], "conn_id": conn_id}


class V5PublicEndpoint(Endpoint):
    """``/v5/public/linear`` and ``/v5/public/inverse``; also the base of spot and option."""

    def rejects_duplicates(self) -> bool:
        return True

    def subscribe_refusal(self, args: Sequence[str], authenticated: bool) -> str | None:
        return self.topic_refusal(args)


class V5SpotEndpoint(V5PublicEndpoint):
    """``/v5/public/spot``: ``ret_msg`` is the op on success; pong has no req_id; at most 10 args."""

    def subscribe_refusal(self, args: Sequence[str], authenticated: bool) -> str | None:
        if len(args) > SPOT_MAX_ARGS:
            return f"error:args size {len(args)} exceeds the limit of {SPOT_MAX_ARGS} per request"
        return self.topic_refusal(args)

    def ok_message(self, op: str) -> str:
        return op

    def pong(self, conn_id: str, req_id: object) -> dict[str, Any]:
        return {"success": True, "ret_msg": "pong", "conn_id": conn_id, "op": "ping"}


class V5OptionEndpoint(V5PublicEndpoint):
    """``/v5/public/option`` (and ``/v5/public/spread``): ``COMMAND_RESP`` with success/fail topic lists;
    pong ``{args, op: "pong"}``."""

    partial_subscribe = True

    def subscription_reply(
        self,
        conn_id: str,
        op: str,
        req_id: object,
        args: object,
        ok: Sequence[str],
        failed: Sequence[str],
        ret_msg: str | None,
    ) -> dict[str, Any]:
        if ret_msg is not None:  # the whole request failed
            ok = []
            failed = [a for a in args if isinstance(a, str)] if isinstance(args, list) else []
        reply: dict[str, Any] = {
            "success": not failed,
            "conn_id": conn_id,
            "data": {"failTopics": list(failed), "successTopics": list(ok)},
            "type": "COMMAND_RESP",
        }
        if ret_msg is not None:
            reply["ret_msg"] = ret_msg
        if req_id is not None:
            reply["req_id"] = req_id
        return reply

    def pong(self, conn_id: str, req_id: object) -> dict[str, Any]:
        return {"args": [str(self.clock())], "op": "pong"}


def req_echo(frame: dict[str, Any]) -> dict[str, Any]:
    """The request ids a trade-endpoint reply echoes: ``reqId`` and/or ``req_id``, each only if sent."""
    return {key: frame[key] for key in ("reqId", "req_id") if frame.get(key) is not None}


class V5TradeEndpoint(PrivateEndpoint):
    """``/v5/trade`` (the Trade API): ``{reqId?, retCode, retMsg, op, ..., connId}`` replies.

    Only the frames are built here; `TradeDeskMixin` (``_trade_desk.py``) decides and sends them.
    """

    subscribable = False
    trade = True

    def default_reject_message(self, op: str) -> str:
        return TRADE_AUTH_FAILURES["signature"][1] if op == "auth" else DEFAULT_REJECT_MESSAGE

    def reply(
        self, conn_id: str, op: str, echo: dict[str, Any], code: int, msg: str, **fields: Any
    ) -> dict[str, Any]:
        """``{**echo, "retCode", "retMsg", "op", **fields, "connId"}``."""
        return {**echo, "retCode": code, "retMsg": msg, "op": op, **fields, "connId": conn_id}

    def command_reply(
        self, conn_id: str, op: str, req_id: object, args: object, *, success: bool, ret_msg: str
    ) -> dict[str, Any]:
        echo = {} if req_id is None else {"req_id": req_id}
        return self.reply(conn_id, op, echo, 0 if success else 10404, ret_msg or "OK")

    def pong(self, conn_id: str, req_id: object) -> dict[str, Any]:
        echo = {} if req_id is None else {"req_id": req_id}
        return self.reply(conn_id, "pong", echo, 0, "OK", data=[str(self.clock())])

    def decode_error(self, conn_id: str, detail: str) -> dict[str, Any]:
        return self.reply(conn_id, "", {}, 10001, f"Failed to decode incoming data: {detail}")


def endpoints_for(dialect: Dialect, catalog: Catalog | None = None) -> list[Endpoint]:
    """The endpoints a fake exchange of this dialect serves, in `urls` order (v5: checking subscribes
    against `catalog`, default: a new `Catalog` listing `DEFAULT_SYMBOLS`)."""
    if dialect == "inverse":
        return [InverseEndpoint("inverse", "/realtime")]
    if dialect == "contract":
        return [PrivateEndpoint("contract", "/contract/private/v3")]
    if dialect == "v5":
        cat = Catalog() if catalog is None else catalog
        return [
            V5PublicEndpoint("v5.linear", "/v5/public/linear", cat),
            V5PublicEndpoint("v5.inverse", "/v5/public/inverse", cat),
            V5SpotEndpoint("v5.spot", "/v5/public/spot", cat),
            V5OptionEndpoint("v5.option", "/v5/public/option", cat),
            V5OptionEndpoint("v5.spread", "/v5/public/spread", cat),  # replies and pongs as option's
            V5PrivateEndpoint("v5.private", "/v5/private", cat),
            V5TradeEndpoint("v5.trade", "/v5/trade", cat),
            V5PublicEndpoint("v5.status", "/v5/public/misc/status", cat),  # system.status
            # issue 25: RFQ block trades and Advanced-Earn offers; reply shapes undocumented (V5_2026 §8),
            # so linear's
            V5PublicEndpoint("v5.rfq", "/v5/public/rfq", cat),
            V5PublicEndpoint("v5.fp", "/v5/public/fp", cat),
        ]
    raise ValueError(f"unknown dialect {dialect!r}; expected 'inverse', 'contract' or 'v5'")
