"""examples/fan_out.py: a recorder process feeds two consumer processes through a real redis-server,
against the bundled fake exchange's simulated market."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .services import RedisServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("share", [False, True])
def test_fan_out_reaches_both_consumer_processes(redis_server: RedisServer, share: bool) -> None:
    command = [sys.executable, str(ROOT / "examples" / "fan_out.py"), "--redis", redis_server.url, "--demo"]
    command += ["--seconds", "1.5", *(["--share"] if share else [])]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=50, env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("recorder: ") and " 0 dropped" in lines[0]
    assert [line.split(":")[0] for line in lines[1:3]] == ["consumer a", "consumer b"]
    if share:
        assert lines[-1] == "every frame reached one consumer of the group"
    else:
        assert lines[-1] == "every frame reached both consumers"
        counts = [line.split(": ", 1)[1].split(";")[0] for line in lines[1:3]]
        assert counts[0] == counts[1]  # the same events, topic by topic
