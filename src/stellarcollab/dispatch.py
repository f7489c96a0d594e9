"""The outermost ASGI layer: canvas WebSocket upgrades go straight to their endpoint.

Everything else goes to the FastAPI app. Skipping its HTTP middleware and router for the
sockets matters because an open socket keeps its whole call chain alive for hours: about
twenty frames of middleware per connection, in memory and on every message's path.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from stellarcollab.api.v1.websockets import websocket_canvas_endpoint
from stellarcollab.runtime import Runtime

CANVAS_SOCKET_PATH = re.compile(r"^/api/v1/ws/canvas/(\d{1,18})$")


class CanvasSocketDispatch:
    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.state: Any = app.state
        self.runtime: Runtime = app.state.runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            match = CANVAS_SOCKET_PATH.match(scope["path"])
            if match is not None:
                scope["app"] = self.app
                with self.runtime.socket_guard.hold(scope):  # open sockets per address
                    await websocket_canvas_endpoint(
                        WebSocket(scope, receive, send), int(match.group(1)), self.runtime
                    )
                return
        await self.app(scope, receive, send)
