"""uvicorn configured for StellarCollab: the fast WebSocket protocol, uvloop, httptools,
no compression, message size and keepalive from the settings."""

from __future__ import annotations

import importlib.util
from typing import Any

import uvicorn

from stellarcollab.config import Settings
from stellarcollab.dispatch import CanvasSocketDispatch
from stellarcollab.main import create_app
from stellarcollab.realtime.transport import protocol_class


def uvicorn_config(settings: Settings, host: str, port: int, **overrides: Any) -> uvicorn.Config:
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
    return uvicorn.Config(CanvasSocketDispatch(create_app(settings)), **options)


def serve(settings: Settings, host: str, port: int, access_log: bool = True) -> None:
    uvicorn.Server(uvicorn_config(settings, host, port, access_log=access_log)).run()
