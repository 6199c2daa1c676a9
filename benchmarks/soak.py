"""Soak test: a bounded run against FakeBybit with random connection drops.

Counts the frames the fake exchange published to a connected subscriber and the frames the handler
received, and prints both: nothing published on a live connection may be lost or duplicated.

    python benchmarks/soak.py                 # 60 s, ~1,000 frames/s, a drop every ~2 s on average
    python benchmarks/soak.py --seconds 10 --rate 3000 --mean-drop-interval 0.5
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bybit_ws import Backoff, BybitSocketClient, DataEvent
from bybit_ws.testing import FakeBybit

TOPIC = "trade.BTCUSD"


def trade(seq: int) -> dict[str, Any]:
    return {
        "symbol": "BTCUSD",
        "side": "Buy" if seq % 2 else "Sell",
        "size": 1 + seq % 7,
        "price": f"{30000 + seq % 1000}.5",
        "trade_time_ms": 1_700_000_000_000 + seq,
        "timestamp": "2023-11-14T22:13:20.000Z",
        "tick_direction": "PlusTick",
        "trade_id": f"soak-{seq}",
        "cross_seq": seq,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to publish (default 60)")
    parser.add_argument(
        "--rate", type=float, default=1000.0, help="frames per second to publish (default 1000)"
    )
    parser.add_argument("--mean-drop-interval", type=float, default=2.0, help="mean seconds between drops")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    rng = random.Random(args.seed)

    received: dict[int, int] = {}
    lock = threading.Lock()

    def handler(event: DataEvent[Any]) -> None:
        with lock:
            for item in event.data:
                received[item.cross_sequence] = received.get(item.cross_sequence, 0) + 1

    published_live: set[int] = set()
    attempted = 0
    drops = 0
    restored: list[float] = []
    stop = threading.Event()
    with FakeBybit("inverse") as fake:
        client = BybitSocketClient(
            urls=fake.urls, backoff=Backoff(initial=0.05, maximum=0.5), ping_interval=1.0
        )
        with client:
            sub = client.inverse.subscribe_to_trade_updates("BTCUSD", handler)
            sub.on_connection_restored(lambda downtime: restored.append(downtime.total_seconds()))

            def dropper() -> None:
                nonlocal drops
                while not stop.wait(rng.expovariate(1.0 / args.mean_drop_interval)):
                    drops += fake.drop_connections()

            drop_thread = threading.Thread(target=dropper, name="soak-dropper")
            drop_thread.start()
            interval = 1.0 / args.rate
            start = time.monotonic()
            next_send = start
            seq = 0
            while time.monotonic() - start < args.seconds:
                seq += 1
                attempted += 1
                if fake.publish(TOPIC, [trade(seq)]) == 1:  # sent on a live, subscribed connection
                    published_live.add(seq)
                next_send += interval
                delay = next_send - time.monotonic()
                if delay > 0:
                    stop.wait(delay)
            stop.set()
            drop_thread.join()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with lock:
                    if published_live <= received.keys():
                        break
                stop.wait(0.05)
            stats = sub.stats
        with lock:
            got = dict(received)

    lost = sorted(published_live - got.keys())
    duplicated = sorted(s for s, n in got.items() if n > 1)
    unexpected = sorted(got.keys() - published_live)
    print(f"soak: {args.seconds:.0f} s at {args.rate:.0f} frames/s, drops every ~{args.mean_drop_interval} s")
    print(f"frames attempted                  {attempted:>9,}")
    print(f"frames published while connected  {len(published_live):>9,}")
    print(f"frames received by the handler    {sum(got.values()):>9,}  ({len(got):,} distinct)")
    print(f"lost                              {len(lost):>9,}  {lost[:10]}")
    print(f"duplicated                        {len(duplicated):>9,}  {duplicated[:10]}")
    print(f"received but never published      {len(unexpected):>9,}")
    print(f"connections dropped               {drops:>9,}   restored {len(restored)} times")
    if restored:
        median = sorted(restored)[len(restored) // 2]
        print(f"downtime per reconnect (s)        median {median:.3f}, max {max(restored):.3f}")
    print(f"subscription stats                {stats}")
    ok = not lost and not duplicated and not unexpected
    print("result:", "OK: nothing lost or duplicated" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
