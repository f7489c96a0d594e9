"""A throwaway Redis server for the suite: ``redis-server`` on a free loopback port in a
temporary directory, persistence off, stopped by its PID.

No skipping: ``make test`` installs redis-server (scripts/ensure-system-deps.sh), so a test
that needs Redis fails when the binary is missing.
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postgres import free_port
from tests.support.timeouts import scaled


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _command(port: int, *words: str) -> bytes:
    """One inline command, for the few the fixtures need (FLUSHALL, CLIENT KILL)."""
    with socket.create_connection(("127.0.0.1", port), timeout=scaled(5)) as sock:
        sock.sendall(" ".join(words).encode() + b"\r\n")
        return sock.recv(4096)


class RedisServer:
    """One redis-server process; ``restart`` brings it back empty on the same port."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="stellar-redis-"))
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        atexit.register(self.stop)  # never leave a server behind

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is required (make system-deps installs it)", pytrace=False)
        for _attempt in range(5):  # the free port may be taken before the server binds it
            port = self.port or free_port()
            if self._launch(binary, port):
                self.port = port
                return self
        raise RuntimeError("redis-server did not start:\n" + self._log_tail())

    def _launch(self, binary: str, port: int) -> bool:
        self.process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.root), "--daemonize", "no",
             "--logfile", str(self.root / "redis.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + scaled(10)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                return False
            if _ping(port):
                return True
            time.sleep(0.02)  # startup poll, bounded by the deadline
        self.stop()
        return False

    def _log_tail(self) -> str:
        try:
            return (self.root / "redis.log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM by PID, SIGKILL if it lingers."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(scaled(10))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart(self) -> RedisServer:
        self.stop()
        return self.start()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def flush(self) -> None:
        reply = _command(self.port, "FLUSHALL")
        if not reply.startswith(b"+OK"):
            raise RuntimeError(f"FLUSHALL failed: {reply!r}")

    def kill_subscribers(self) -> None:
        """Drop every pub/sub connection, as a network failure would."""
        _command(self.port, "CLIENT", "KILL", "TYPE", "pubsub")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@contextlib.contextmanager
def running_redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One Redis for the session; tests that share it use their own keys or flush it."""
    with running_redis() as server:
        yield server
