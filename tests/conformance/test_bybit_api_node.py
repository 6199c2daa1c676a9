"""The Node SDK bybit-api 4.7 (unchanged) against FakeBybit: public and private streams and order entry
(``tests/conformance/node/session.js``), two sessions against one running fake. Skipped, with the
reason, where ``node``/``npm`` are missing or the package cannot be installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .support import API_KEY, API_SECRET, running_exchange

PACKAGE = "bybit-api@4.7.7"
_HERE = Path(__file__).parent
_CACHE = _HERE.parent.parent / ".cache" / "conformance-node"  # git-ignored
_INSTALL_TIMEOUT = 120


def _node_modules() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed for the bybit-api conformance test")
    modules = _CACHE / "node_modules"
    if not (modules / "bybit-api" / "package.json").is_file():
        _CACHE.mkdir(parents=True, exist_ok=True)
        command = ["npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(_CACHE), PACKAGE]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=_INSTALL_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            pytest.skip(f"npm install {PACKAGE} took over {_INSTALL_TIMEOUT} s")
        if done.returncode != 0:
            pytest.skip(f"npm install {PACKAGE} failed: {done.stderr.strip()[-300:]}")
    return modules


@pytest.mark.timeout(240)
def test_bybit_api_twice_against_one_running_fake() -> None:
    modules = _node_modules()
    with running_exchange() as fake:
        for session in (1, 2):
            done = subprocess.run(
                ["node", str(_HERE / "node" / "session.js"), str(modules), fake.url, API_KEY, API_SECRET],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert done.returncode == 0, f"session {session}: {done.stderr[-2000:]}"
            last = done.stdout.strip().splitlines()[-1]
            assert (
                last.startswith("OK ") and "v5Private:execution" in last and "v5SpotPublic:orderbook" in last
            )
