"""A real uvicorn server on a free loopback port, run in a thread with its own loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import uvicorn

from stellarcollab.clock import Clock
from stellarcollab.config import Settings
from stellarcollab.db.migrate import upgrade
from stellarcollab.runtime import Runtime
from stellarcollab.server import uvicorn_config

T = TypeVar("T")


def test_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": f"sqlite+aiosqlite:///{data_dir / 'test.db'}",
        "secret_key": "test-secret-key-that-is-long-enough",
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 1024,
        "websocket_token_check_interval": 0.1,
        "lock_sweep_interval": 0.2,
        "presence_flush_interval": 0.2,
        "rate_limit_connects_per_minute": 100_000,
        # many accounts and sockets come from 127.0.0.1 in one test module
        "registrations_per_ip_per_hour": 100_000,
        "login_attempts_per_ip_per_minute": 100_000,
        "websocket_connects_per_ip_per_minute": 100_000,
        "websocket_connections_per_ip": 100_000,
        "log_level": "warning",
    }
    values.update(overrides)
    return Settings(**values)


test_settings.__test__ = False  # type: ignore[attr-defined]  # a factory, not a test


class LiveServer:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        upgrade(settings.resolved_database_url())
        config = uvicorn_config(settings, "127.0.0.1", 0, clock=clock, access_log=True)
        self.server = uvicorn.Server(config)
        self.app = config.app
        self.runtime: Runtime = self.app.state.runtime
        self.loop: asyncio.AbstractEventLoop | None = None
        self.port = 0
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self.server.config.setup_event_loop = lambda: None  # type: ignore[method-assign]
        serve = asyncio.ensure_future(self.server.serve())
        while not self.server.started and not serve.done():
            await asyncio.sleep(0.01)
        if self.server.servers:
            self.port = self.server.servers[0].sockets[0].getsockname()[1]
        self._started.set()
        await serve

    def start(self) -> LiveServer:
        self._thread.start()
        if not self._started.wait(30) or not self.port:
            raise RuntimeError("server did not start")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(30)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/ws/canvas"

    @property
    def user_ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/ws/user"

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 10) -> T:
        """Await ``coroutine`` on the server's loop and return its result."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def call(self, fn: Callable[[], T], timeout: float = 10) -> T:
        """Run ``fn`` on the server's loop (to read its state without races)."""
        assert self.loop is not None

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)
