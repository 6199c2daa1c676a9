"""The client users make: options, endpoints, the connection pool, the worker pool, close and wait."""

from __future__ import annotations

import atexit
import logging
import os
import ssl
import time
import warnings
import weakref
from collections.abc import Mapping
from datetime import timedelta
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bybit_ws._errors import BybitConnectionError
from bybit_ws.dialects._contract import ContractDialect
from bybit_ws.dialects._inverse import InverseDialect
from bybit_ws.engine._auth import Credentials
from bybit_ws.engine._config import Backoff, ClientOptions
from bybit_ws.engine._engine import Engine
from bybit_ws.engine._framepath import FrameRecorder
from bybit_ws.protocol.frames import DEFAULT_MAX_MESSAGE_SIZE

from ._contract import ContractStreams
from ._inverse import InverseStreams
from ._v5 import V5Streams

_log = logging.getLogger(__name__)

__all__ = ["MAINNET_URLS", "REGION_HOSTS", "TESTNET_URLS", "BybitSocketClient", "region_urls"]

_V5_PUBLIC = ("linear", "inverse", "spot", "option", "spread")


def _endpoints(host: str) -> dict[str, str]:
    urls = {
        "inverse": f"wss://{host}/realtime",
        "contract": f"wss://{host}/contract/private/v3",
        "v5.private": f"wss://{host}/v5/private",
        "v5.status": f"wss://{host}/v5/public/misc/status",
        "v5.trade": f"wss://{host}/v5/trade",
        "v5.rfq": f"wss://{host}/v5/public/rfq",  # RFQ block trades (mainnet host: UNVERIFIED, V5_2026 §3)
        "v5.fp": f"wss://{host}/v5/public/fp",  # Advanced-Earn offers
    }
    urls.update({f"v5.{category}": f"wss://{host}/v5/public/{category}" for category in _V5_PUBLIC})
    return urls


#: Default endpoints, by ``urls`` key.
MAINNET_URLS: Mapping[str, str] = _endpoints("stream.bybit.com")
#: Testnet endpoints, by ``urls`` key.
TESTNET_URLS: Mapping[str, str] = _endpoints("stream-testnet.bybit.com")
#: Bybit's demo trading: private streams only (public data stays on mainnet; no websocket Trade API).
DEMO_PRIVATE_URL = "wss://stream-demo.bybit.com/v5/private"
#: Bybit's regional websocket hosts (``region=``), for accounts registered on a local site (V5_2026.md §3).
REGION_HOSTS: Mapping[str, str] = {
    "tr": "stream.bybit.tr",  # www.bybit.tr
    "kz": "stream.bybit.kz",  # www.bybit.kz
    "id": "stream.bybit.id",  # www.bybit.id
    "ge": "stream.bybitgeorgia.ge",  # www.bybitgeorgia.ge
    "jp": "stream.manepa.jp",  # www.manepa.jp
    "eu": "stream.bybit.eu",  # www.bybit.eu: Bybit documents only its system-status socket
}
#: The keys a region moves where Bybit documents only some of its sockets (the others stay global).
_REGION_KEYS: Mapping[str, tuple[str, ...]] = {"eu": ("v5.status",)}


def region_urls(region: str) -> dict[str, str]:
    """Mainnet's endpoints with those of ``region`` moved to its host (``ValueError`` for an unknown one)."""
    host = REGION_HOSTS.get(region) if isinstance(region, str) else None
    if host is None:
        raise ValueError(f"unknown region {region!r}; valid regions: {', '.join(sorted(REGION_HOSTS))}")
    regional = _endpoints(host)
    keys = _REGION_KEYS.get(region, tuple(regional))
    return {key: regional[key] if key in keys else url for key, url in MAINNET_URLS.items()}


#: The endpoints ``max_active_time`` applies to (V5_MORE §1: private and trade only).
_ACTIVE_TIME_KEYS = ("v5.private", "v5.trade")


def _credentials(
    api_key: str | None, api_secret: str | bytes | os.PathLike[str] | None
) -> Credentials | None:
    """The client's credentials: the arguments, else ``BYBIT_API_KEY`` / ``BYBIT_API_SECRET``."""
    key = api_key if api_key is not None else os.environ.get("BYBIT_API_KEY")
    secret = api_secret if api_secret is not None else os.environ.get("BYBIT_API_SECRET")
    if bool(key) != bool(secret):
        raise ValueError("api_key and api_secret must be given together")
    return Credentials(key, secret) if key and secret else None


def _endpoint_urls(options: ClientOptions, urls: Mapping[str, str] | None) -> dict[str, str]:
    """The client's endpoints by key: the site's (mainnet, testnet, a region; demo's private host),
    then ``urls`` over them (checked: known keys, ``ws://``/``wss://``), then ``max_active_time``."""
    if options.region is not None:
        endpoints = region_urls(options.region)
    else:
        endpoints = dict(TESTNET_URLS if options.testnet else MAINNET_URLS)
    if options.demo:
        endpoints["v5.private"] = DEMO_PRIVATE_URL
    for name, url in (urls or {}).items():
        if name not in endpoints:
            raise ValueError(f"unknown endpoint key {name!r}; known: {', '.join(sorted(endpoints))}")
        if not isinstance(url, str) or not url.startswith(("ws://", "wss://")):
            raise ValueError(f"endpoint {name!r} must be a ws:// or wss:// URL, not {url!r}")
        endpoints[name] = _with_default_path(url, endpoints[name])
    active_time = options.active_time
    if active_time is not None:
        for name in _ACTIVE_TIME_KEYS:
            endpoints[name] = _with_query(endpoints[name], "max_active_time", active_time)
    return endpoints


def _with_query(url: str, name: str, value: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{name}={value}"


def _with_default_path(url: str, default: str) -> str:
    """``url``, or with no path (``ws://host:port``) the path of the ``default`` endpoint of its key."""
    parts = urlsplit(url)
    if parts.path not in ("", "/"):
        return url
    return urlunsplit(parts._replace(path=urlsplit(default).path))


_live_clients: weakref.WeakSet[BybitSocketClient] = weakref.WeakSet()


def _close_unreferenced(engine: Engine) -> None:
    """Finalizer of a client nobody references any more: close its engine, and warn if it was left open."""
    if engine.closed:
        return
    connections = engine.connection_count()
    engine.close()  # first: a warnings filter of "error" must not keep the threads running
    warnings.warn(
        f"unclosed BybitSocketClient with {connections} connection(s); call client.close(), "
        "or use `with BybitSocketClient() as client:`",
        ResourceWarning,
        stacklevel=2,
    )


def _forget_live_clients() -> None:
    """In a forked child: the clients are the parent's, so the exit hook must not close them."""
    _live_clients.clear()


os.register_at_fork(after_in_child=_forget_live_clients)


@atexit.register
def _close_live_clients() -> None:
    for client in list(_live_clients):
        try:
            client.close()
        except Exception:
            pass


class BybitSocketClient:
    """A synchronous, threaded client for Bybit's websocket streams.

    Three API families share one engine: ``client.inverse`` (Inverse Perpetual v2), ``client.contract``
    (v3 contract private streams) and ``client.v5`` (the API live Bybit serves today). Each subscribe
    call blocks until the server confirms, then returns a :class:`Subscription`; events reach handlers
    on a pool of ``workers`` threads, one at a time and in order per subscription.

    Args:
        api_key: the API key for private topics and orders; defaults to ``BYBIT_API_KEY``.
        api_secret: its secret; defaults to the environment variable ``BYBIT_API_SECRET``. The secret never
            appears in reprs, logs, errors or pickles. A self-generated (RSA) key: ``api_secret`` is the PEM
            private key (text, bytes or a path to the file; extra ``[rsa]``), detected by its ``-----BEGIN ...
            PRIVATE KEY-----``.
        testnet: use Bybit's testnet endpoints.
        region: an account of one of Bybit's local sites: every mainnet endpoint on that site's host
            (``"tr"``, ``"kz"``, ``"id"``, ``"ge"``, ``"jp"``; ``"eu"`` moves only ``v5.status``, the
            one EU socket Bybit documents). ``urls`` still overrides any key.
        demo: Bybit's demo trading: ``v5.private`` on the demo host, public data on mainnet; demo has no
            websocket Trade API, so order entry fails at once.
        urls: override endpoints by key (``"inverse"``, ``"contract"``, ``"v5.linear"``, ``"v5.inverse"``,
            ``"v5.spot"``, ``"v5.option"``, ``"v5.spread"``: spread trading, ``"v5.private"``,
            ``"v5.status"``: ``system.status``,
            ``"v5.rfq"``: RFQ block trades, ``"v5.fp"``: Advanced-Earn offers,
            ``"v5.trade"``: order entry), e.g. to point at ``FakeBybit``. A URL without a path
            (``"ws://127.0.0.1:8765"``) gets the key's usual path (``/v5/public/linear`` ...).
        workers: size of the callback worker pool.
        ping_interval: seconds between two heartbeat pings.
        pong_timeout: no pong for this many seconds marks the connection dead.
        reconnect: reconnect, re-authenticate and resubscribe after a drop (else give up on the first drop).
        request_timeout: how long subscribe/auth calls wait for the server's reply.
        keep_original_data: put the raw frame text in ``DataEvent.original_data``.
        stale_timeout: no data this long on an order book or ticker topic (while pings still succeed)
            means a stale feed: reconnect and resubscribe. ``None`` turns the watchdog off.
        sslopt: TLS options for websocket-client (verification stays on unless you turn it off), e.g.
            ``{"ca_certs": "/path/ca.pem"}``.
        proxy: ``"http://host:port"``, ``"socks5://user:pw@host:port"`` (SOCKS needs the ``socks`` extra), or
            a mapping of websocket-client's proxy arguments (``http_proxy_host``, ``http_proxy_port``,
            ``http_proxy_auth``, ``proxy_type``, ``http_no_proxy``). ``None``: the environment's
            ``https_proxy`` / ``http_proxy``, minus the hosts ``no_proxy`` lists (localhost and 127.0.0.1
            while it is unset), as websocket-client reads them.
        connect_timeout: seconds allowed to open a connection: one deadline for DNS, TCP, proxy, TLS and
            the websocket handshake together.
        ssl_context: an ``ssl.SSLContext`` to use for ``wss://`` instead of one made from ``sslopt``.
        max_message_size: the largest message accepted (bytes, 64 MiB by default); a larger one is refused
            from its frame header (close code 1009) and the connection replaced.
        max_backlog: events each subscription may queue for a slow handler; beyond it the oldest are
            dropped and counted in ``Subscription.stats.dropped``.
        backoff: reconnect delays (exponential with jitter).
        max_retries: give up after this many failed reconnect attempts in a row (``None``: never).
        recv_window: milliseconds an order request stays valid after its timestamp (Bybit's
            ``X-BAPI-RECV-WINDOW``; ``None``: Bybit's default, 5000).
        referer: an API broker id, sent as the ``Referer`` header of every order request.
        max_active_time: seconds (30 to 600) after which Bybit cuts an idle private or trade connection
            (no data and no ping), instead of its 10-minute default; the supervisor then reconnects.
        connect_trade: open and authenticate the v5 trade connection at once (as
            ``client.v5.connect_trade()``), so that the first order pays no connect; raises as it does.
        order_rate_limit: pace order requests on the client: ``True`` (Bybit's default per-second limits:
            10 for linear, inverse and option, spot 20 create / 10 amend / 20 cancel), or requests per
            second by category (``{"linear": 10, "spot": 20}``; each op, and batches apart, as Bybit
            counts; linear and inverse share one budget). A request over its budget waits in a queue:
            a blocking call at most ``request_timeout`` (then ``BybitTimeoutError``, not sent), a
            ``submit_*`` future until sent. Never resent, never reordered per symbol. Off by default.

    The local clock is checked against Bybit's (pongs and trade replies carry its time): ``expires``
    and ``X-BAPI-TIMESTAMP`` follow the server's clock, see :attr:`server_time_offset`.
    """

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | bytes | os.PathLike[str] | None = None,
        *,
        testnet: bool = False,
        urls: Mapping[str, str] | None = None,
        workers: int = 4,
        ping_interval: float = 20.0,
        pong_timeout: float = 10.0,
        reconnect: bool = True,
        request_timeout: float = 10.0,
        keep_original_data: bool = False,
        stale_timeout: float | None = 60.0,
        sslopt: Mapping[str, Any] | None = None,
        proxy: Mapping[str, Any] | str | None = None,
        connect_timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        max_backlog: int = 10_000,
        backoff: Backoff | None = None,
        max_retries: int | None = None,
        demo: bool = False,
        recv_window: int | None = None,
        referer: str | None = None,
        max_active_time: float | None = None,
        region: str | None = None,
        connect_trade: bool = False,
        order_rate_limit: bool | Mapping[str, int] | None = None,
    ) -> None:
        self._credentials = credentials = _credentials(api_key, api_secret)
        options = ClientOptions(
            testnet=testnet, workers=workers, max_backlog=max_backlog, ping_interval=ping_interval,
            pong_timeout=pong_timeout, request_timeout=request_timeout, connect_timeout=connect_timeout,
            demo=demo, recv_window=recv_window, max_active_time=max_active_time, region=region,
            order_rate_limit=order_rate_limit, reconnect=reconnect, keep_original_data=keep_original_data,
            stale_timeout=stale_timeout, sslopt=sslopt, proxy=proxy, ssl_context=ssl_context,
            max_message_size=max_message_size, backoff=backoff, max_retries=max_retries, referer=referer,
            connect_trade=connect_trade,
        )  # fmt: skip
        if connect_trade and credentials is None:
            raise ValueError("connect_trade needs api_key and api_secret")
        self.testnet = testnet
        self.demo = demo
        self.region = region
        self._urls = endpoints = _endpoint_urls(options, urls)
        self._workers = workers
        self._config = options.connection_config()
        self._engine = engine = Engine(
            endpoints,
            self._config,
            self._credentials,
            workers,
            demo=demo,
            recv_window=recv_window,
            referer=referer,
            order_rate_limit=options.order_rate_limit,
        )
        self._finalizer = weakref.finalize(self, _close_unreferenced, engine)
        self._finalizer.atexit = False  # at exit, _close_live_clients closes what is still open, quietly
        _live_clients.add(self)
        self._inverse = InverseStreams(engine, _INVERSE)
        self._contract = ContractStreams(engine, _CONTRACT)
        self._v5 = V5Streams(engine)
        if connect_trade:
            try:
                self._v5.connect_trade()
            except BaseException:
                self.close()
                raise

    @property
    def v5(self) -> V5Streams:
        """v5 streams: the API live Bybit serves today (public linear/inverse/spot/option, private)."""
        return self._v5

    @property
    def inverse(self) -> InverseStreams:
        """Inverse Perpetual v2 streams (Bybit.Net ``InversePerpetualStreams``; retired by Bybit in 2023)."""
        return self._inverse

    @property
    def contract(self) -> ContractStreams:
        """Derivatives v3 contract private streams (Bybit.Net ``ContractApi``; retired by Bybit in 2024)."""
        return self._contract

    @property
    def urls(self) -> Mapping[str, str]:
        """The endpoints in use, by key."""
        return dict(self._urls)

    @property
    def server_time_offset(self) -> timedelta | None:
        """Bybit's clock minus the local clock, as measured from pongs and trade replies (None until
        measured). ``expires`` and ``X-BAPI-TIMESTAMP`` are corrected by it; over a second is warned
        about once."""
        return self._engine.clock.offset

    @property
    def is_closed(self) -> bool:
        """True once :meth:`close` has run."""
        return self._engine.closed

    # -------------------------------------------------------------------------------- lifecycle
    def record(self, recorder: FrameRecorder) -> None:
        """Record every raw frame of every connection, now and later, with ``recorder``: a sink
        (:class:`bybit_ws.sinks.Sink`).

        ``recorder.write(data, received, endpoint)`` is called on the reader threads: a
        :class:`bybit_ws.recording.Recorder` (local files, read back with :func:`bybit_ws.recording.read`),
        a :class:`bybit_ws.sinks.RedisStreamSink` (Redis streams, read by other processes or machines with
        :func:`bybit_ws.sinks.read_redis`), or your own. A sink that falls behind or fails reports it in
        its stats and log and never stalls the stream. To record one subscription only, use
        :meth:`Subscription.record`.
        """
        self._engine.record(recorder)

    def stop_recording(self, recorder: FrameRecorder) -> None:
        """Stop recording with ``recorder`` (close it yourself to flush what it buffered)."""
        self._engine.stop_recording(recorder)

    def close(self) -> None:
        """Close every subscription and connection and join every thread the client started.

        Idempotent; safe from any thread, a handler included (a worker cannot join itself: the pool's
        other threads are joined and the calling worker ends when its handler returns). Handlers still
        running get a grace of 5 s in all; then close() returns without them, and each such worker (a
        daemon thread, named in a WARNING) exits when its handler returns, running no other callback.
        """
        self._engine.close()
        _live_clients.discard(self)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the client is closed or one of its connections is given up for good.

        Like :meth:`threading.Event.wait`: returns ``True`` once the client has stopped, ``False`` when
        ``timeout`` seconds passed first (the client still runs). Ctrl-C gets through at once: the client
        is closed and ``KeyboardInterrupt`` propagates.

        Raises:
            BybitConnectionError: a connection was given up (retries exhausted, re-auth rejected, or a
                drop with ``reconnect=False``).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while not self._engine.done.wait(
                0.25 if deadline is None else min(0.25, max(0.0, deadline - time.monotonic()))
            ):
                if deadline is not None and time.monotonic() >= deadline:
                    return False
        except KeyboardInterrupt:
            self.close()
            raise
        failure = self._engine.failure
        if failure is not None:
            raise BybitConnectionError(f"a connection was given up: {failure}") from failure
        return True

    def __enter__(self) -> BybitSocketClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        key = self._credentials.key if self._credentials else None
        shown = f"{key[:4]}…" if key else None
        count = self._engine.connection_count()
        state = "closed" if self._engine.closed else "open"
        if self.demo:
            state += " demo"
        return f"<BybitSocketClient {state} testnet={self.testnet} api_key={shown!r} connections={count}>"


_INVERSE = InverseDialect()
_CONTRACT = ContractDialect()
