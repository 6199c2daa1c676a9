"""Real services on 127.0.0.1 for the sink tests: a redis-server process and moto's S3 server, each
started on a free port, waited for with a deadline, and stopped at the end."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

STARTUP = 15.0  # seconds a service may take to answer (the test machine is shared and loaded)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int, proc: subprocess.Popen[bytes] | None, what: str) -> None:
    deadline = time.monotonic() + STARTUP
    tick = threading.Event()
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before it listened")
        if time.monotonic() >= deadline:
            raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {STARTUP} s")
        tick.wait(0.02)


def redis_binary() -> str | None:
    found = shutil.which("redis-server")
    if found is None and Path("/usr/bin/redis-server").exists():
        found = "/usr/bin/redis-server"
    return found


class RedisServer:
    """A redis-server process without persistence on 127.0.0.1; :meth:`stop` and :meth:`start` again
    (same port) play an outage and a restart that lost everything."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.proc is None
        self.proc = subprocess.Popen(  # fmt: skip
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port, self.proc, "redis-server")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A fresh redis-server for one test (skipped with the reason where redis-server is missing)."""
    binary = redis_binary()
    if binary is None:
        pytest.skip("redis-server is not installed (Debian package redis-server; .ci/run installs it)")
    server = RedisServer(binary, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_server() -> Iterator[str]:
    """moto's standalone S3 server on 127.0.0.1 (a real HTTP server, in this process): its endpoint URL.
    Credentials are moto's dummies, set for the test only."""
    server_module = pytest.importorskip("moto.server")
    port = free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        _wait_for_port(port, None, "moto server")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
