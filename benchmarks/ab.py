"""A/B in one run: a benchmark script run from an older commit's tree and from this one, alternately.

    python benchmarks/ab.py bc0d4bb -- bench_throughput.py --workload v5 --clients floor,bybit_ws
    python benchmarks/ab.py bc0d4bb --rounds 3 -- bench_orders.py --senders 1 --clients raw,bybit_ws

BASE is a commit (checked out into a temporary detached git worktree, removed afterwards) or the path
of another tree. Each round runs the script of the base tree, then the script of this tree (each
imports its own tree's ``bybit_ws``: the scripts put their repository root first on ``sys.path``), so
both see the same machine at nearly the same time; only ratios printed within one run, or a
difference that holds in every round, mean anything on a shared machine. Nothing is parsed: each
run's output is printed under a header naming its tree, round and the load average.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    if "--" not in argv:
        raise SystemExit("usage: ab.py BASE [--rounds N] -- SCRIPT [ARGS...]")
    cut = argv.index("--")
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("base", help="a commit, or the path of another tree")
    parser.add_argument("--rounds", type=int, default=2, help="rounds (base then this tree, each round)")
    args = parser.parse_args(argv[:cut])
    script = argv[cut + 1 :]
    if not script:
        raise SystemExit("ab.py: name the script to run after --")
    return args, script


def git(args: list[str], *, check: bool) -> None:
    subprocess.run(["git", "-C", str(ROOT), *args], check=check)


def label(tree: Path) -> str:
    head = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"{head or tree}{' (modified)' if dirty else ''}"


def run(tree: Path, script: list[str], name: str, round_no: int) -> int:
    print(f"\n===== round {round_no}, {name}: {label(tree)}, load {os.getloadavg()[0]:.2f} =====", flush=True)
    path = tree / "benchmarks" / script[0]
    if not path.exists():
        print(f"  {path} does not exist in this tree", flush=True)
        return 2
    return subprocess.run([sys.executable, str(path), *script[1:]], cwd=tree, check=False).returncode


def main(argv: list[str]) -> int:
    args, script = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bybit-ws-ab-") as tmp:
        base = Path(args.base)
        made = not base.is_dir()
        if made:
            base = Path(tmp) / "base"
            git(["worktree", "add", "-q", "--detach", str(base), args.base], check=True)
        try:
            failed = 0
            for round_no in range(1, args.rounds + 1):
                failed |= run(base, script, "A (base)", round_no)
                failed |= run(ROOT, script, "B (this tree)", round_no)
            print(f"\nload at the end {os.getloadavg()[0]:.2f}")
            return 1 if failed else 0
        finally:
            if made:
                git(["worktree", "remove", "--force", str(base)], check=False)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
