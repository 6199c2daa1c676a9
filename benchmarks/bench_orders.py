"""Order round trips against FakeBybit's ``/v5/trade`` paper exchange: the client's own overhead.

    python benchmarks/bench_orders.py [--senders 1,8,32] [--orders 2000]

FakeBybit("v5", api_key=..., api_secret=...) runs in its own process (spawned; loopback only), a
fresh one for each level. For each number of concurrent senders, three clients place ``--orders`` IOC
limit buys below the market (cancelled at once by the paper exchange, so its book stays empty), each
sender one order after another; raw and bybit_ws take turns on the same fake in blocks of ``--block``
orders (the paper exchange's work per order grows with the orders it has seen, and the machine's load
drifts: measured one after the other, whichever ran first was favoured; raw alone on one fake measured
p50 524, 816, 1,172, 1,487 µs in four runs of 1,050 orders):

- raw: websocket-client, one authenticated ``/v5/trade`` connection per sender, ``send`` the
  ``order.create`` JSON and ``recv`` until its reply: what the server and loopback cost;
- bybit_ws: ``client.v5.place_order("linear", "BTCUSDT", "Buy", "Limit", qty, price=...,
  time_in_force="IOC")`` from each sender thread, one client (its one trade connection), with
  ``recv_window=5000``: the frame raw sends, byte for byte but for the reqId and timestamp (compact
  JSON, the same keys in the same order, a reqId as long);
- pybit 5.17: ``WebSocketTrading.place_order`` with a callback, one instance shared by the senders,
  in ``benchmarks/.venv-pybit5`` (``_pybit5_orders.py``), on a fresh fake of its own after the others.

``--tree DIR`` measures the bybit_ws of another work tree (the fake and the other clients stay
this tree's): an A/B of two library versions with the same benchmark.

Prints p50/p99 round trip (µs) and orders/s for each, and each client's overhead: its p50/p99 minus
the raw round trip's, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import threading
import time
import uuid
from datetime import date
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import _clients
import websocket

KEY, SECRET = "bench-key", "bench-secret"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--senders", default="1,8,32", help="concurrent senders, comma-separated")
    parser.add_argument("--orders", type=int, default=2000, help="orders per client and level")
    parser.add_argument("--warmup", type=int, default=50, help="orders first, not timed")
    parser.add_argument("--clients", default="raw,bybit_ws,pybit", help="subset of raw,bybit_ws,pybit")
    parser.add_argument("--block", type=int, default=50, help="orders per block (raw, bybit_ws alternate)")
    parser.add_argument("--tree", default="", help="measure bybit_ws from this work tree (A/B runs)")
    return parser.parse_args()


# -- FakeBybit in its own process -------------------------------------------------------------------
def _fake_main(control: Connection, lifetime: float) -> None:
    import sys

    sys.path.insert(0, str(_clients.ROOT))
    from bybit_ws.testing import FakeBybit, PaperExchange

    paper = PaperExchange(prices={"BTCUSDT": "30000"})
    with FakeBybit("v5", api_key=KEY, api_secret=SECRET, paper=paper) as fake:
        control.send(fake.urls)
        control.poll(lifetime)


class FakeProcess:
    """``FakeBybit("v5")`` serving ``/v5/trade`` in a spawned process, bounded by ``lifetime``."""

    def __init__(self, lifetime: float = 900.0) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._control, child = ctx.Pipe()
        self._process = ctx.Process(target=_fake_main, args=(child, lifetime), daemon=True)
        self._process.start()
        if not self._control.poll(60):
            self._process.kill()
            raise RuntimeError("FakeBybit did not start within 60 s")
        self.urls: dict[str, str] = self._control.recv()

    def close(self) -> None:
        self._control.send("stop")
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()


# -- the clients ----------------------------------------------------------------------------------
def _timed(senders: int, orders: int, one: Any) -> tuple[list[int], float]:
    """``orders`` calls of ``one(sender)`` spread over ``senders`` threads; (ns per call, seconds)."""
    samples: list[int] = []
    failures: list[str] = []

    def run(index: int) -> None:
        try:
            for _ in range(orders // senders):
                began = time.perf_counter_ns()
                one(index)
                samples.append(time.perf_counter_ns() - began)
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(senders)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if failures:
        raise RuntimeError(failures[0])
    return samples, time.perf_counter() - began


def _raw_order(ws: Any) -> None:
    req_id = uuid.uuid4().hex[:12]  # as long as bybit_ws's ("9f3a01c2-117")
    frame = {
        "reqId": req_id,
        "header": {"X-BAPI-TIMESTAMP": str(int(time.time() * 1000)), "X-BAPI-RECV-WINDOW": "5000"},
        "op": "order.create",
        "args": [
            {
                "category": "linear",
                "symbol": "BTCUSDT",
                "side": "Buy",
                "orderType": "Limit",
                "qty": "0.01",
                "price": "29000",
                "timeInForce": "IOC",
            }
        ],
    }
    ws.send(json.dumps(frame, separators=(",", ":")))  # compact, as bybit_ws writes it
    while json.loads(ws.recv()).get("reqId") != req_id:
        pass


class RawClient:
    """websocket-client, one authenticated ``/v5/trade`` connection per sender."""

    def __init__(self, url: str, senders: int) -> None:
        import hashlib
        import hmac

        self.sockets: list[Any] = []
        try:
            for _ in range(senders):
                ws = websocket.create_connection(url, skip_utf8_validation=True, timeout=30)
                self.sockets.append(ws)
                expires = int(time.time() * 1000) + 10_000
                signature = hmac.new(SECRET.encode(), f"GET/realtime{expires}".encode(), hashlib.sha256)
                ws.send(json.dumps({"op": "auth", "args": [KEY, expires, signature.hexdigest()]}))
                reply = json.loads(ws.recv())
                if reply.get("retCode") != 0:
                    raise RuntimeError(f"auth refused: {reply}")
        except BaseException:
            self.close()
            raise

    def one(self, index: int) -> None:
        _raw_order(self.sockets[index])

    def close(self) -> None:
        for ws in self.sockets:
            ws.close()


class BybitWsClient:
    """``client.v5.place_order`` from each sender thread, one client (its one trade connection); the same
    frame as raw's (``recv_window=5000``)."""

    def __init__(self, urls: dict[str, str]) -> None:
        client_cls, reason = _clients.load_bybit_ws()
        if client_cls is None:
            raise RuntimeError(reason)
        self.client = client_cls(api_key=KEY, api_secret=SECRET, urls=urls, recv_window=5000)
        self.qty, self.price = Decimal("0.01"), Decimal("29000")

    def one(self, _index: int) -> None:
        self.client.v5.place_order(
            "linear", "BTCUSDT", "Buy", "Limit", self.qty, price=self.price, time_in_force="IOC"
        )

    def close(self) -> None:
        _clients.close_client(self.client)


def run_interleaved(
    urls: dict[str, str], names: list[str], senders: int, orders: int, warmup: int, block: int
) -> dict[str, tuple[list[int], float]]:
    """raw and bybit_ws on one fake, in alternating blocks of ``block`` orders: both see the same
    server (whose work per order grows with the orders it has seen) and the same machine load."""
    clients: dict[str, Any] = {}
    try:
        for name in names:
            clients[name] = RawClient(urls["v5.trade"], senders) if name == "raw" else BybitWsClient(urls)
            for _ in range(warmup):
                clients[name].one(0)
        out: dict[str, tuple[list[int], float]] = {name: ([], 0.0) for name in names}
        for _ in range(max(1, orders // block)):
            for name, client in clients.items():
                ns, seconds = _timed(senders, block, client.one)
                out[name] = (out[name][0] + ns, out[name][1] + seconds)
        return out
    finally:
        for client in clients.values():
            client.close()


def run_pybit(url: str, senders: int, orders: int, warmup: int) -> tuple[list[int], float]:
    python, reason = _clients.ensure_pybit("5")
    if python is None:
        raise RuntimeError(reason)
    script = str(_clients.HERE / "_pybit5_orders.py")
    command = [str(python), script, url, KEY, SECRET, str(senders), str(orders), str(warmup)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    lines = done.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError((done.stderr.strip().splitlines() or ["no output"])[-1])
    result = json.loads(lines[-1])
    if "error" in result:
        raise RuntimeError(result["error"])
    if result["lost"]:
        print(f"  pybit: {result['lost']} replies never reached the callback (left out)")
    return result["ns"], result["seconds"]


def main() -> None:
    args = parse_args()
    if args.tree:
        _clients.ROOT = Path(args.tree).resolve()  # the library measured (the fake is this tree's)
    levels = [int(n) for n in args.senders.split(",") if n]
    wanted = [c for c in args.clients.split(",") if c in ("raw", "bybit_ws", "pybit")]
    print(f"bench_orders {date.today()} | {_clients.machine()}")
    print(_clients.load())
    print(f"{args.orders} IOC limit orders per client and level, {args.warmup} first not timed")
    print(f"bybit_ws from {_clients.ROOT}; raw and bybit_ws alternate in blocks of {args.block} on one fake")
    started = time.monotonic()
    head = f"{'senders':>7} {'client':9} {'orders/s':>9} {'p50 us':>8} {'p99 us':>8}"
    print(f"\n{head} {'overhead p50/p99 us':>20}")
    for senders in levels:
        base: tuple[int, int] | None = None
        results: dict[str, tuple[list[int], float] | str] = {}
        inproc = [n for n in wanted if n != "pybit"]
        fake = FakeProcess()  # a fresh exchange for each level: its work per order grows with its orders
        try:
            results.update(run_interleaved(fake.urls, inproc, senders, args.orders, args.warmup, args.block))
        except Exception as exc:
            results.update({n: f"failed ({type(exc).__name__}: {exc})" for n in inproc})
        finally:
            fake.close()
        if "pybit" in wanted:  # its own process: not interleaved, on a fresh fake of its own
            fake = FakeProcess()
            try:
                results["pybit"] = run_pybit(fake.urls["v5.trade"], senders, args.orders, args.warmup)
            except Exception as exc:
                results["pybit"] = f"failed ({type(exc).__name__}: {exc})"
            finally:
                fake.close()
        for name in wanted:
            result = results[name]
            if isinstance(result, str):
                print(f"{senders:7} {name:9} {result}")
                continue
            ns, seconds = result
            ns.sort()
            p50, p99 = _clients.percentile(ns, 0.5) // 1000, _clients.percentile(ns, 0.99) // 1000
            if name == "raw":
                base = (p50, p99)
            over = f"{p50 - base[0]:+,} / {p99 - base[1]:+,}" if base and name != "raw" else "-"
            print(f"{senders:7} {name:9} {len(ns) / seconds:9,.0f} {p50:8,} {p99:8,} {over:>20}", flush=True)
    print(f"total {time.monotonic() - started:.0f} s")
    print(_clients.load())


if __name__ == "__main__":
    main()
