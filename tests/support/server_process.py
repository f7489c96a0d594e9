"""A real server in a process of its own (``stellarcollab serve``), for tests where the
server must not share the test's interpreter: latency under load, kill and restart."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tests.support.timeouts import scaled

RUNNING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


def server_env(data_dir: Path, **settings: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STELLAR_")}
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": f"sqlite+aiosqlite:///{data_dir / 'server.db'}",
        "secret_key": "test-secret-key-that-is-long-enough",
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 1024,
        "rate_limit_connects_per_minute": 100_000,
        "registrations_per_ip_per_hour": 100_000,
        "login_attempts_per_ip_per_minute": 100_000,
        "websocket_connects_per_ip_per_minute": 100_000,
        "websocket_connections_per_ip": 100_000,
        "log_level": "info",
    }
    values.update(settings)
    env.update({f"STELLAR_{k.upper()}": str(v) for k, v in values.items()})
    return env


class ServerProcess:
    def __init__(self, data_dir: Path, port: int = 0, **settings: Any) -> None:
        self.data_dir = data_dir
        self.requested_port = port
        self.settings = settings
        self.port = 0
        self.process: subprocess.Popen[str] | None = None
        self.output: list[str] = []

    def start(self) -> ServerProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stellarcollab.cli", "serve", "--host", "127.0.0.1",
             "--port", str(self.requested_port)],
            env=server_env(self.data_dir, **self.settings),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        found = threading.Event()

        def read() -> None:
            assert self.process is not None and self.process.stdout is not None
            for line in self.process.stdout:
                self.output.append(line)
                match = RUNNING.search(line)
                if match:
                    self.port = int(match.group(1))
                    found.set()

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(scaled(30)):
            self.stop()
            raise RuntimeError("server did not start:\n" + "".join(self.output))
        self.requested_port = self.port  # a restart comes back on the same port
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(scaled(15))
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def restart(self) -> ServerProcess:
        self.stop()
        deadline = time.monotonic() + scaled(10)
        while True:
            try:
                return self.start()
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/ws/canvas"

    @property
    def user_ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/ws/user"
