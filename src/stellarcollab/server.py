"""uvicorn configured for StellarCollab: the fast WebSocket protocol, uvloop, httptools,
no compression, message size and keepalive from the settings; and the server process,
which hides what startup loaded from the garbage collector."""

from __future__ import annotations

import gc
import importlib.util
import socket
from typing import Any

import uvicorn

from stellarcollab.clock import Clock
from stellarcollab.config import Settings
from stellarcollab.dispatch import SocketDispatch
from stellarcollab.main import create_app
from stellarcollab.realtime.transport import protocol_class


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
        "http": "httptools" if importlib.util.find_spec("httptools") else "h11",
        "log_level": settings.log_level,
        "timeout_graceful_shutdown": 5,
        "lifespan": "on",
    }
    options.update(overrides)
    return uvicorn.Config(SocketDispatch(create_app(settings, clock=clock)), **options)


GC_THRESHOLDS = (20_000, 10, 100)


class StellarServer(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
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


def serve(settings: Settings, host: str, port: int, access_log: bool = True) -> None:
    StellarServer(uvicorn_config(settings, host, port, access_log=access_log)).run()
