"""The engine's layers: import-linter's contract in setup.cfg holds, and it does catch an upward import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "bybit_ws"


def _lint_imports(package_parent: Path, config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    script = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run(
        [sys.executable, "-c", script, "--config", str(config), "--no-cache"],
        cwd=package_parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_layers_contract_is_kept() -> None:
    pytest.importorskip("importlinter")
    result = _lint_imports(ROOT, ROOT / "setup.cfg")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_the_contract_breaks_on_an_upward_import_even_a_typing_only_one(tmp_path: Path) -> None:
    pytest.importorskip("importlinter")
    shutil.copytree(PACKAGE, tmp_path / "bybit_ws", ignore=shutil.ignore_patterns("__pycache__"))
    transport = tmp_path / "bybit_ws" / "_transport.py"
    text = transport.read_text()
    # the transport (a low layer) naming the client (a high one), for type checking only
    upward = (
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from ._client import BybitSocketClient\n"
    )
    text = text.replace(
        "from __future__ import annotations\n", f"from __future__ import annotations\n\n{upward}", 1
    )
    assert "from ._client import" in text
    transport.write_text(text)
    result = _lint_imports(tmp_path, ROOT / "setup.cfg")
    assert result.returncode != 0
    assert "BROKEN" in result.stdout or "broken" in result.stdout
    assert "bybit_ws._transport -> bybit_ws._client" in result.stdout
