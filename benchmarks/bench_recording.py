"""Recording speed and size: write synthetic v5 trade frames with the Recorder, read them back as typed
events (frames/s), and export them to Parquet (bytes per million trades).

    PYTHONPATH=. python benchmarks/bench_recording.py [--frames 200000] [--trades-per-frame 1] [--per-read 64]

``--per-read N``: the frames are written N a socket read (``Recorder.write_many``, what the client does:
file format 4), not each alone (``Recorder.write``, a millisecond apart: format-3 lines).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bybit_ws.recording import Recorder, read, to_parquet


def trade_frames(count: int, per_frame: int, seed: int = 1) -> list[bytes]:
    """v5 ``publicTrade.BTCUSDT`` frames shaped as Bybit sends them, with a random walk of prices."""
    rng = random.Random(seed)
    price = 60_000.0
    ts = 1_714_600_000_000
    frames = []
    for n in range(count):
        items = []
        for k in range(per_frame):
            price = max(1.0, price + rng.choice((-0.1, 0.0, 0.1)) * rng.randint(1, 5))
            ts += rng.randint(0, 40)
            items.append(
                {
                    "T": ts,
                    "s": "BTCUSDT",
                    "S": rng.choice(("Buy", "Sell")),
                    "v": f"{rng.randint(1, 5000) / 1000:.3f}",
                    "p": f"{price:.2f}",
                    "L": rng.choice(("PlusTick", "ZeroPlusTick", "MinusTick", "ZeroMinusTick")),
                    "i": f"{rng.getrandbits(64):016x}-{n}-{k}",
                    "BT": False,
                    "RPI": False,
                    "seq": 100_000_000 + n,
                }
            )
        frame = {"topic": "publicTrade.BTCUSDT", "type": "snapshot", "ts": ts, "data": items}
        frames.append(json.dumps(frame, separators=(",", ":")).encode())
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=200_000)
    parser.add_argument("--trades-per-frame", type=int, default=1)
    parser.add_argument("--compression", default=None, help="zstd (default when installed), gzip or none")
    parser.add_argument("--per-read", type=int, default=0, help="frames a write_many (0: write each alone)")
    args = parser.parse_args()
    frames = trade_frames(args.frames, args.trades_per_frame)
    trades = args.frames * args.trades_per_frame
    start = datetime(2024, 5, 1, tzinfo=timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        began = time.perf_counter()
        with Recorder(root / "rec", compression=args.compression, flush_interval=None) as recorder:
            if args.per_read > 0:
                for n in range(0, len(frames), args.per_read):
                    read_ = frames[n : n + args.per_read]
                    recorder.write_many(read_, start + timedelta(milliseconds=n), "v5.linear", True)
            else:
                for n, data in enumerate(frames):
                    recorder.write(data, start + timedelta(milliseconds=n), "v5.linear")
        wrote = time.perf_counter() - began
        size = sum(p.stat().st_size for p in recorder.files)
        began = time.perf_counter()
        count = sum(1 for _ in read(root / "rec"))
        took = time.perf_counter() - began
        assert count == args.frames, count
        began = time.perf_counter()
        files = to_parquet(root / "rec", root / "parquet")
        exported = time.perf_counter() - began
        parquet = sum(p.stat().st_size for p in files)
    how = f"{args.per_read} a write_many" if args.per_read > 0 else "each alone (write)"
    print(f"{args.frames} frames ({how}), {trades} trades, compression {recorder.compression}")
    print(
        f"write:   {args.frames / wrote:12,.0f} frames/s   "
        f"file {size / trades * 1e6 / 2**20:8.1f} MiB/M trades"
    )
    print(
        f"read:    {args.frames / took:12,.0f} frames/s   ({trades / took:,.0f} trades/s, typed DataEvents)"
    )
    print(
        f"parquet: {trades / exported:12,.0f} trades/s   {parquet / trades * 1e6 / 2**20:8.1f} MiB/M trades"
    )


if __name__ == "__main__":
    main()
