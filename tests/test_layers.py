"""The engine's layers: import-linter's contract in setup.cfg holds, and it does catch an upward import."""

from __future__ import annotations

import ast
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
    assert "4 kept, 0 broken" in result.stdout


def test_the_contract_breaks_on_an_upward_import_even_a_typing_only_one(tmp_path: Path) -> None:
    pytest.importorskip("importlinter")
    shutil.copytree(PACKAGE, tmp_path / "bybit_ws", ignore=shutil.ignore_patterns("__pycache__"))
    transport = tmp_path / "bybit_ws" / "engine" / "_transport.py"
    text = transport.read_text()
    # the transport (a low layer) naming the client (a high one), for type checking only
    upward = (
        "from typing import TYPE_CHECKING\n\n"
        "if TYPE_CHECKING:\n    from bybit_ws.api._client import BybitSocketClient\n"
    )
    text = text.replace(
        "from __future__ import annotations\n", f"from __future__ import annotations\n\n{upward}", 1
    )
    assert "from bybit_ws.api._client import" in text
    transport.write_text(text)
    result = _lint_imports(tmp_path, ROOT / "setup.cfg")
    assert result.returncode != 0
    assert "BROKEN" in result.stdout or "broken" in result.stdout
    assert "bybit_ws.engine._transport -> bybit_ws.api._client" in result.stdout


# ----------------------------------------------------------------------------------- structure
#: where the size limits do not apply: the fake exchange and the command line
UNSIZED = ("testing", "_cli")


def _library_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, todo = work[-1]
            if todo:
                child = todo.pop()
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, sorted(edges.get(child, ()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_cycles_finds_a_cycle_and_nothing_else() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(edges) == [{"a", "b", "c"}]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_runtime_or_typing_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """grimp (import-linter's graph) with ``if TYPE_CHECKING:`` imports included: no two modules of the
    library import each other, directly or through others."""
    grimp = pytest.importorskip("grimp")
    monkeypatch.syspath_prepend(str(ROOT))
    graph = grimp.build_graph("bybit_ws", cache_dir=None)
    edges = {module: set(graph.find_modules_directly_imported_by(module)) for module in graph.modules}
    assert _cycles(edges) == []


def test_no_module_over_500_lines_and_no_class_over_300() -> None:
    too_big: list[str] = []
    for path in _library_modules():
        if path.relative_to(PACKAGE).parts[0] in UNSIZED:
            continue
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > 500:
            too_big.append(f"{path.relative_to(ROOT)}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
                size = node.end_lineno - node.lineno + 1
                if size > 300:
                    too_big.append(f"{path.relative_to(ROOT)}: class {node.name}: {size} lines")
    assert too_big == []


def test_the_library_never_touches_the_garbage_collector() -> None:
    """No process-wide changes: no module imports ``gc`` (a collection, ``gc.disable()``, ``freeze()``
    are the application's to make)."""
    users = []
    for path in _library_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            if "gc" in names:
                users.append(str(path.relative_to(ROOT)))
    assert users == []


def test_only_the_subscription_module_touches_a_subscriptions_private_parts() -> None:
    """The engine holds a SubscriptionSink (the engine's side) and calls its public methods; no other
    module reaches into a Subscription's underscored attributes (``sub._end``, ``sub._mailbox``, ...)."""
    from bybit_ws.engine._subscriptions import Subscription, SubscriptionSink

    source = (PACKAGE / "engine" / "_subscriptions.py").read_text(encoding="utf-8")
    private = {
        node.attr
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
    } | {name for name in vars(Subscription) if name.startswith("_") and not name.startswith("__")}
    private -= {name for name in vars(SubscriptionSink) if not name.startswith("_")}
    reached = []
    for path in _library_modules():
        if path.name == "_subscriptions.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in private
                and isinstance(node.value, ast.Name | ast.Attribute)
                and _names_a_subscription(node.value)
            ):
                reached.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}")
    assert reached == []


def _names_a_subscription(node: ast.expr) -> bool:
    """``sub``, ``subscription``, ``self._sub``, ``handle`` and the like: what holds a Subscription."""
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return name.lstrip("_") in {"sub", "subscription", "handle", "s"} or name.lstrip("_").endswith("_sub")
