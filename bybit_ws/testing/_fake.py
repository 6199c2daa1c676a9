"""`FakeBybit`: a real websocket server on localhost that speaks Bybit's v2, v3 and v5 dialects."""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Mapping

from bybit_ws.testing._paper import PaperExchange
from bybit_ws.testing._protocol import Dialect
from bybit_ws.testing._trade_desk import TradeDeskMixin

__all__ = ["FakeBybit"]


class FakeBybit(TradeDeskMixin):
    """A local Bybit websocket exchange for tests, demos and offline strategy runs.

    A real websocket server (``websockets``' threaded server) on ``host:port`` (port 0 picks a free
    one) serving the URL paths of one Bybit API family, answering subscribe/unsubscribe/auth/ping the
    way Bybit did, and pushing whatever frames the test publishes. Every method is thread-safe.

    Args:
        dialect: ``"inverse"`` (v2 ``/realtime``), ``"contract"`` (v3 ``/contract/private/v3``) or
            ``"v5"`` (``/v5/public/{linear,inverse,spot,option}``, ``/v5/private``, the Trade API
            ``/v5/trade``, and ``/v5/public/misc/status``, where ``system.status`` is served).
        api_key: the one account's key.
        api_secret: its secret: the one account whose auth requests succeed (HMAC-SHA256 of
            ``"GET/realtime" + expires``, see `sign`). Without them every auth request fails with
            "invalid api_key". Give both or neither.
        rsa_public_key: instead of ``api_secret``, an RSA account (a self-generated key): the PEM
            public key (``BEGIN PUBLIC KEY``) that verifies the base64 RSA-SHA256 signatures (needs
            ``cryptography``).
        clock_skew: seconds the fake's clock runs ahead of this machine's (behind when negative); it
            checks auth ``expires`` and order timestamps and stamps pongs and ``Timenow`` with it. Change
            it with `set_clock_skew`.
        host: the address to listen on.
        port: the port; 0 (the default) picks a free one, read it from `url`.
        close_timeout: how long closing a connection waits for the client's close frame before
            cutting the TCP connection.
        ssl_context: serve ``wss://`` with this server-side context.
        paper: the `PaperExchange` behind ``/v5/trade`` (default: a new one on the fake's clock,
            100,000 USDT, no prices); it is `paper`. One given here keeps its own clock.
        symbols: v5: the symbols listed per category (``{"linear": ["BTCUSDT"], ...}``; option: base
            coins), default ``DEFAULT_SYMBOLS`` of ``_catalog.py``; add more with `list_symbols`.
            A subscribe naming another symbol fails with ``Invalid symbol :[<topic>]``.
        check_topics: v5: check subscribes against the topic table and `symbols` (the default), or
            serve any topic (for tests of a client with made-up topics).

    Replies per dialect (``conn_id`` is a UUID per connection; ``req_id`` echoes the request's,
    ``""`` when it had none, unless noted):

    * inverse: ``{"success", "ret_msg", "conn_id", "request": {"op", "args"}}``, one per request, args
      echoed as sent (auth args echoed as strings, like Bybit); pong has ``ret_msg: "pong"`` and
      ``request: {"op": "ping", "args": null}``. Private topics (position, execution, order,
      stop_order, wallet) before auth fail the whole request with ``error:topic:<name> needs auth
      first``. Auth failures: ``error:request expired``, ``error:invalid api_key``,
      ``error:signature verification failed``, ``error:invalid args``.
    * contract: ``{"success", "ret_msg", "conn_id", "req_id", "op"}``; pong is the same with
      ``ret_msg: "pong"``, ``op: "ping"``; auth ``{"success", "ret_msg", "op": "auth", "conn_id"}``
      (+ ``req_id`` only if sent). Any subscribe before auth fails with ``Request not authorized``.
      Auth failures: ``Params Error`` (malformed args), ``Params Error: request expired``,
      ``Invalid api_key``, ``Signature verification failed``.
    * v5 linear/inverse: like contract, no auth. Spot: ``ret_msg`` is the op (``"subscribe"``) on
      success, the pong has no ``req_id``, more than 10 args in one request fail. Option:
      ``{"success", "conn_id", "data": {"failTopics", "successTopics"}, "type": "COMMAND_RESP"}``
      (+ ``req_id`` only if sent, + ``ret_msg`` when the whole request failed), pong
      ``{"args": ["<ms>"], "op": "pong"}``. Public paths refuse a topic the connection already has
      (``error:already subscribed,topic:<t>``; option: that topic goes to ``failTopics``, the rest
      succeed; elsewhere the whole request fails). Private: ``{"success", "ret_msg", "op",
      "conn_id"}`` (+ ``req_id`` only if sent), pong ``{"req_id", "op": "pong", "args": ["<ms>"],
      "conn_id"}``, auth as contract.
    * v5 trade (``/v5/trade``): ``{"reqId"?, "retCode", "retMsg", "op", ..., "connId"}``; ``reqId``
      (and ``req_id``) echoed only if sent. Auth ``{"retCode": 0, "retMsg": "OK", "op": "auth",
      "connId"}``; failures ``10001 Params Error`` (malformed, or ``: request expired``), ``10003``
      (unknown key), ``10004 Invalid sign`` (bad signature, and `reject_next` ``("auth")``), ``20001
      Repeat auth``. Pong ``{"retCode": 0, "retMsg": "OK", "op": "pong", "data": ["<ms>"], "connId"}``.
      An order op before auth: ``10003 Please auth first`` (not captured from Bybit; the fake's
      choice). Order ops (``order.create``/``amend``/``cancel`` and their ``-batch``) are carried out
      by `paper`, with its replies; their private frames are published on ``/v5/private`` (see
      `TradeDeskMixin` for the controls: `set_price`, `reject_next_order`, `delay_trade_replies`,
      `drop_before_next_trade_reply`, `reply_out_of_order`, `omit_req_id_on_next_failure`,
      `trade_requests`).
    * v5 topics are checked as live Bybit checks them, the whole request failing at the first bad arg
      (the table in ``_catalog.py``): a name, depth (linear/inverse/spot 1/50/200/1000, option
      25/100) or kline interval not served on that path, or a private topic on a public path (and the
      reverse): ``error:handler not found,topic:<arg>``; a symbol not listed: ``Invalid symbol
      :[<arg>]``.
    * Everywhere: an unknown op (or auth on a public path) gets ``error:invalid op``; args that are
      not a non-empty list of strings get ``error:invalid args``; text that is not a JSON object gets
      a ``Failed to decode incoming data`` failure (inverse: ``error:failed to decode ...``).
      Unsubscribe always succeeds, even for args the connection does not have.

    Use as a context manager, or call `start` and `close`::

        with FakeBybit("v5") as fake:
            client = BybitSocketClient(urls=fake.urls)
            ...
            fake.wait_for_subscribers("publicTrade.BTCUSDT")
            fake.publish("publicTrade.BTCUSDT", [...], path="v5.linear")

    Trading on the paper exchange (``/v5/trade``)::

        with FakeBybit("v5", api_key="key", api_secret="secret") as fake:
            fake.set_price("BTCUSDT", "30000")
            client = BybitSocketClient(api_key="key", api_secret="secret", urls=fake.urls)
            client.v5.subscribe_to_order_updates(on_orders)
            client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", Decimal("0.01"), price=Decimal(29900))
            fake.set_price("BTCUSDT", "29890")  # the buy fills; on_orders gets it New, then Filled
    """

    def __init__(
        self,
        dialect: Dialect = "inverse",
        api_key: str | None = None,
        api_secret: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        close_timeout: float = 1.0,
        ssl_context: ssl.SSLContext | None = None,
        paper: PaperExchange | None = None,
        rsa_public_key: str | bytes | None = None,
        clock_skew: float = 0.0,
        symbols: Mapping[str, Iterable[str]] | None = None,
        check_topics: bool = True,
    ) -> None:
        super().__init__(
            dialect,
            api_key,
            api_secret,
            host,
            port,
            close_timeout=close_timeout,
            ssl_context=ssl_context,
            rsa_public_key=rsa_public_key,
            clock_skew=clock_skew,
            symbols=symbols,
            check_topics=check_topics,
        )
        self._init_desk(paper)

    def __repr__(self) -> str:
        where = self.url if self._bound_port else "not bound"
        return f"<FakeBybit {self._dialect} {where} {self._state}, {self.connection_count} connection(s)>"
