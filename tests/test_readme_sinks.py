"""README "More than one process or machine", run as written against a real redis-server and moto's S3
server (its Redis URL and S3 endpoint swapped in; the recorder runs 2 s instead of 60, and the consumer
reads what was kept and stops when nothing is left instead of waiting forever)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from bybit_ws.recording import Recorder

from .services import RedisServer
from .support import frame_text
from .test_readme import blocks, market, run_cell  # noqa: F401 (market: the fixture)

s3fs = pytest.importorskip("s3fs", reason="s3fs is not installed (extra [s3])")

SECTION = "More than one process or machine"


@pytest.fixture
def bucket(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto takes any; botocore wants some
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    s3fs.S3FileSystem(endpoint_url=s3_server, skip_instance_cache=True).mkdir("my-bucket")
    yield s3_server


def test_the_recipe(
    market: object,  # noqa: F811 (the fixture)
    redis_server: RedisServer,
    bucket: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fan_out, archive = blocks(SECTION)
    code = fan_out.replace("redis://127.0.0.1:6379/0", redis_server.url).replace(
        "client.wait(60)", "client.wait(2)"
    )
    code = code.replace('last_id="$", block=None', 'last_id="0", block=0')
    assert code.count(redis_server.url) == 2 and "block=0" in code and "wait(2)" in code
    namespace: dict[str, object] = {"__name__": "readme"}
    run_cell(code, namespace)
    out = capsys.readouterr().out.splitlines()
    stats = namespace["sink"].stats  # type: ignore[attr-defined]
    assert out[0] == repr(stats) and stats.written >= 1 and stats.dropped == 0
    trades = [line for line in out[1:] if line.startswith("publicTrade.BTCUSDT ")]
    assert len(trades) >= 1 and len(trades) == len(out) - 1

    with Recorder(tmp_path / "recordings", flush_interval=None) as recorder:  # what the recipe exports
        recorder.write(frame_text("v5_public_trade").encode(), datetime.now(timezone.utc), "v5.linear")
    assert "https://..." in archive
    run_cell(archive.replace("https://...", bucket), namespace)
    fs = s3fs.S3FileSystem(endpoint_url=bucket, skip_instance_cache=True)
    table = ds.dataset("my-bucket/bybit/v5_trade", filesystem=fs, partitioning="hive").to_table()
    assert table.num_rows == 1 and table.column("category").to_pylist() == ["linear"]
