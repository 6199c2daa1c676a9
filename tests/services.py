"""Real services on 127.0.0.1 for the sink tests: a redis-server process and moto's S3 server, each
started on a free port, waited for with a deadline, and stopped at the end."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

STARTUP = 15.0  # seconds a service may take to answer (the test machine is shared and loaded)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, proc: subprocess.Popen[bytes] | None, what: str) -> None:
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
        options = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"]
        command = [self.binary, "--port", str(self.port), "--dir", str(self.directory), *options]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.proc, "redis-server")

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
