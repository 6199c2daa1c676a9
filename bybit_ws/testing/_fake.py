"""`FakeBybit`: a real websocket server on localhost that speaks Bybit's v2, v3 and v5 dialects."""

from __future__ import annotations

from bybit_ws.testing._controls import ControlsMixin
from bybit_ws.testing._replies import RepliesMixin

__all__ = ["FakeBybit"]


class FakeBybit(ControlsMixin, RepliesMixin):
    """A local Bybit websocket exchange for tests, demos and offline strategy runs.

    A real websocket server (``websockets``' threaded server) on ``host:port`` (port 0 picks a free
    one) serving the URL paths of one Bybit API family, answering subscribe/unsubscribe/auth/ping the
    way Bybit did, and pushing whatever frames the test publishes. Every method is thread-safe.

    Args:
        dialect: ``"inverse"`` (v2 ``/realtime``), ``"contract"`` (v3 ``/contract/private/v3``) or
            ``"v5"`` (``/v5/public/{linear,inverse,spot,option}``, ``/v5/private`` and
            ``/v5/public/misc/status``, where ``system.status`` is served).
        api_key, api_secret: the one account whose auth requests succeed (HMAC-SHA256 of
            ``"GET/realtime" + expires``, see `sign`). Without them every auth request fails with
            "invalid api_key". Give both or neither.
        host, port: where to listen. Port 0 (the default) picks a free port; read it from `url`.
        close_timeout: how long closing a connection waits for the client's close frame before
            cutting the TCP connection.

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
    """

    def __repr__(self) -> str:
        where = self.url if self._bound_port else "not bound"
        return f"<FakeBybit {self._dialect} {where} {self._state}, {self.connection_count} connection(s)>"
