"""What a newcomer met on day one (#23): the testing extra missing, an editable install mypy could not
see, the quick start's light install. Each test runs what the user runs, in a subprocess."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A finder that makes `websockets` unimportable, as in an environment without the [testing] extra.
_NO_WEBSOCKETS = textwrap.dedent(
    """
    import sys

    class NoWebsockets:
        def find_spec(self, name, path=None, target=None):
            if name == "websockets" or name.startswith("websockets."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NoWebsockets())
    """
)


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
