"""What a newcomer met on day one (#23): the testing extra missing, an editable install mypy could not
see, the quick start's light install. Each test runs what the user runs, in a subprocess."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _blocker(*packages: str) -> str:
    """Code that makes ``packages`` unimportable (a ``sys.meta_path`` finder), as in an environment
    that lacks them."""
    return textwrap.dedent(
        f"""
        import sys

        class Blocker:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {packages!r}:
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
                return None

        sys.meta_path.insert(0, Blocker())
        """
    )


# as in an environment without the [testing] extra
_NO_WEBSOCKETS = _blocker("websockets")


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _NO_WEBSOCKETS + textwrap.dedent(code)],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_testing_package_without_websockets_names_the_extra_to_install() -> None:
    result = _run("from bybit_ws.testing import FakeBybit\n")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: bybit_ws.testing")
    assert "pip install 'bybit-ws-sync[testing]'" in last


def test_the_client_itself_needs_no_websockets() -> None:
    result = _run(
        """
        from bybit_ws import BybitSocketClient
        BybitSocketClient().close()
        print("ok")
        """
    )
    assert (result.returncode, result.stdout.strip()) == (0, "ok"), result.stderr


def test_the_demo_without_websockets_says_what_to_install() -> None:
    result = _run(
        """
        import sys
        from bybit_ws.__main__ import main
        sys.exit(main(["demo", "--seconds", "1"]))
        """
    )
    assert result.returncode == 1
    assert "pip install 'bybit-ws-sync[testing]'" in result.stderr
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------------------- an editable install
USER_SCRIPT = """\
from decimal import Decimal

from bybit_ws import BybitSocketClient, DataEvent, OrderAck
from bybit_ws.models.v5 import Trade


def on_trades(event: DataEvent[list[Trade]]) -> None:
    for trade in event.data:
        print(trade.price + Decimal(1))


def place(client: BybitSocketClient) -> str:
    ack: OrderAck = client.v5.place_order("linear", "BTCUSDT", "Buy", "Market", Decimal("0.001"))
    return ack.order_id


wrong: int = BybitSocketClient()  # the one error: mypy sees the real type
"""


def _copy_project(to: Path) -> None:
    """What an editable install builds from (no tests, no caches): a fresh clone's package files."""
    shutil.copytree(ROOT / "bybit_ws", to / "bybit_ws", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("setup.cfg", "setup.py", "pyproject.toml", "README.md"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, to / name)


def _can_build_editable(python: Path) -> bool:
    """Whether the venv's own setuptools builds an editable wheel (>= 64, with ``wheel`` below 70.1)."""
    probe = (
        "import setuptools, importlib.util as u;"
        "v = tuple(int(x) for x in setuptools.__version__.split('.')[:2]);"
        "raise SystemExit(0 if v >= (70, 1) or (v >= (64, 0) and u.find_spec('wheel')) else 1)"
    )
    return subprocess.run([str(python), "-c", probe], check=False, capture_output=True).returncode == 0


def test_an_editable_install_type_checks_in_user_code(tmp_path: Path) -> None:
    """``pip install -e .`` (README's install) in a fresh venv, then ``mypy --strict`` on a user script:
    no "Cannot find implementation or library stub for module named bybit_ws" (setuptools' import-hook
    editable finder hid the package from mypy)."""
    venv = tmp_path / "venv"
    make = [sys.executable, "-m", "venv", str(venv)]  # no --system-site-packages: nothing but the install
    made = subprocess.run(make, check=False, capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot make a virtual environment here: {made.stderr.strip()[-300:]}")
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    if not _can_build_editable(python):  # Python 3.12+ venvs have no setuptools; 3.11's lacks wheel
        subprocess.run([*pip, "install", "setuptools>=64", "wheel"], check=True, capture_output=True)
    project = tmp_path / "project"
    _copy_project(project)
    subprocess.run(
        # --use-pep517: PEP 660, as newer pip does by default (pip 23 fell back to setup.py develop)
        [*pip, "install", "--no-deps", "--no-build-isolation", "--use-pep517", "-e", str(project)],
        check=True,
        capture_output=True,
    )
    (tmp_path / "user.py").write_text(USER_SCRIPT)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--python-executable", str(python), "--cache-dir",
         str(tmp_path / "cache"), "--config-file", "/dev/null", "user.py"],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )  # fmt: skip
    report = result.stdout + result.stderr
    assert "Cannot find implementation" not in report and "import-not-found" not in report, report
    errors = [line for line in report.splitlines() if ": error:" in line]
    assert len(errors) == 1 and 'has type "BybitSocketClient", variable has type "int"' in errors[0], report


# ------------------------------------------------------------------------------- the quick start
# what the `test` extra adds over `testing`: the demo must run without any of it
_TEST_ONLY = ("pandas", "pyarrow", "zstandard", "pytest", "trustme", "importlinter", "nbclient", "nbformat",
              "ipykernel", "mypy", "redis")  # fmt: skip


def test_the_quick_start_demo_needs_only_the_testing_extra() -> None:
    readme = (ROOT / "README.md").read_text()
    first = next(line for line in readme.splitlines() if line.startswith("pip install"))
    assert first.split("#")[0].split() == ["pip", "install", "-e", '".[testing]"', "&&", "python", "-m",
                                            "bybit_ws", "demo"]  # fmt: skip
    assert "python -m pytest -q" in readme  # the second command, which .ci/run greps for
    result = subprocess.run(
        [sys.executable, "-c", _blocker(*_TEST_ONLY) + "from bybit_ws.__main__ import main\n"
         "raise SystemExit(main(['demo', '--seconds', '1.5']))\n"],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "trade  BTCUSDT" in result.stdout and "Traceback" not in result.stderr
