"""uvicorn configured for StellarCollab: the fast WebSocket protocol, uvloop, httptools,
no compression, message size and keepalive from the settings; and the server process,
which hides what startup loaded from the garbage collector and drains on SIGTERM."""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import logging
import os
import socket
from collections.abc import Callable
from types import FrameType
from typing import Any

import uvicorn

from stellarcollab.clock import Clock
from stellarcollab.config import Settings
from stellarcollab.dispatch import SocketDispatch
from stellarcollab.drain import drain
from stellarcollab.main import create_app
from stellarcollab.observability.logging import logging_config
from stellarcollab.realtime.transport import StellarHttpProtocol, protocol_class
from stellarcollab.runtime import Runtime

log = logging.getLogger(__name__)


def uvicorn_config(settings: Settings, host: str, port: int, *, clock: Clock | None = None,
                   **overrides: Any) -> uvicorn.Config:
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "ws": protocol_class(settings.websocket_socket_send_buffer),
        "ws_max_size": settings.websocket_max_message_bytes,
        "ws_ping_interval": settings.websocket_ping_interval,
        "ws_ping_timeout": None,
        "ws_per_message_deflate": False,
        "loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "http": StellarHttpProtocol if importlib.util.find_spec("httptools") else "h11",
        "log_level": settings.log_level,
        "timeout_graceful_shutdown": 5,
        "lifespan": "on",
        # X-Forwarded-For/-Proto only from the configured proxies, and only when asked
        "proxy_headers": settings.trust_proxy,
        "forwarded_allow_ips": settings.trusted_proxies,
    }
    options.update(overrides)
    return uvicorn.Config(SocketDispatch(create_app(settings, clock=clock)), **options)


GC_THRESHOLDS = (20_000, 10, 100)


class StellarServer(uvicorn.Server):
    """The first SIGTERM or SIGINT drains (stellarcollab.drain) and the process then exits
    with status 0; a second one exits at once."""

    def __init__(self, config: uvicorn.Config,
                 on_started: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self.on_started = on_started
        # The app (SocketDispatch or FastAPI) keeps the runtime in its state.
        self.runtime: Runtime | None = getattr(getattr(config.app, "state", None), "runtime",
                                               None)
        self.drain_seconds = self.runtime.settings.drain_seconds if self.runtime else 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain_task: asyncio.Task[None] | None = None
        self._signalled = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Not uvicorn's: it re-raises the signal after shutdown, so the process would end
        # by the signal (status -15) instead of exiting 0 after a clean drain.
        if self._signalled:
            exit_now(sig)
        self._signalled = True
        if self._loop is None or self.runtime is None:
            self.should_exit = True  # still starting: nothing to drain
            return
        self._loop.call_soon_threadsafe(self._start_drain)

    def _start_drain(self) -> None:
        async def drain_then_exit() -> None:
            try:
                assert self.runtime is not None
                await drain(self.runtime, self.drain_seconds)
            except Exception:
                log.exception("drain failed")
            finally:
                self.should_exit = True

        self._drain_task = asyncio.get_running_loop().create_task(drain_then_exit())

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets)
        if self.on_started is not None and not self.should_exit:
            self.on_started()
        # Modules, the app and the ORM's metadata live as long as the process: about
        # 120,000 objects that every full collection would walk (tens of milliseconds, a
        # pause for every socket). Frozen, a full collection walks only what the
        # connections and requests created since.
        gc.collect()
        gc.freeze()
        # Young collections every 20,000 allocations instead of 700: objects that live
        # for one message (its dicts, futures, task frames) are then rarely promoted
        # before they die, so full collections, the long pauses, come an order of
        # magnitude less often (docs/PERFORMANCE.md, "Garbage collection").
        gc.set_threshold(*GC_THRESHOLDS)


def exit_now(sig: int) -> None:
    """The second signal: no drain, no flush; the log says so first."""
    log.warning("second signal (%d): exiting now", sig)
    for handler in logging.getLogger().handlers:
        handler.flush()
    os._exit(128 + sig)


def serve(settings: Settings, host: str, port: int, access_log: bool = True,
          sockets: list[socket.socket] | None = None,
          on_started: Callable[[], None] | None = None) -> None:
    config = uvicorn_config(settings, host, port, access_log=access_log,
                            log_config=logging_config(settings.log_format, settings.log_level))
    StellarServer(config, on_started).run(sockets=sockets)
