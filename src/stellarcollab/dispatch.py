"""The outermost ASGI layer: WebSocket upgrades go straight to their endpoint.

The socket routes are the app's own (matched with the app's route table, so every socket
route declared with ``@router.websocket`` is served here); everything else goes to the
FastAPI app. Skipping its HTTP middleware and router for the sockets matters because an
open socket keeps its whole call chain alive for hours: about twenty frames of middleware
per connection, in memory and on every message's path. For the same reason the one frame
left here keeps nothing of the match (the route, its child scope) and no context manager.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from fastapi import FastAPI
from fastapi.routing import APIWebSocketRoute, iter_route_contexts
from starlette.convertors import (
    FloatConvertor,
    IntegerConvertor,
    PathConvertor,
    StringConvertor,
    UUIDConvertor,
)
from starlette.routing import Match
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

#: what each of Starlette's path convertors hands over
CONVERTED_TYPES: dict[type[Any], type[Any]] = {
    StringConvertor: str, PathConvertor: str, IntegerConvertor: int, FloatConvertor: float,
    UUIDConvertor: uuid.UUID,
}


def takes_only_the_socket_and_path(route: APIWebSocketRoute) -> bool:
    """Whether the endpoint can be called without FastAPI resolving anything: its
    parameters are the WebSocket and path parameters of exactly the types the path's
    convertors produce (``{canvas_id:int}`` for ``canvas_id: int``). Other socket routes
    go through the app as usual."""
    dependant = route.dependant
    if (
        dependant.dependencies or dependant.query_params or dependant.header_params
        or dependant.cookie_params or dependant.body_params
    ):
        return False
    for param in dependant.path_params:
        convertor = route.param_convertors.get(param.name)
        if CONVERTED_TYPES.get(type(convertor)) is not param.field_info.annotation:
            return False
    return True


class DirectRoute(NamedTuple):
    #: the full path (prefixes of included routers applied), and its matcher
    path: str
    matches: Callable[[Scope], tuple[Match, Scope]]
    endpoint: Callable[..., Awaitable[None]]
    socket_parameter: str


def direct_socket_routes(app: FastAPI) -> list[DirectRoute]:
    """The app's socket routes that can be served directly."""
    return [DirectRoute(context.path or "", context.matches, route.endpoint,
                        route.dependant.websocket_param_name)
            for context in iter_route_contexts(app.routes)
            if isinstance(route := context.original_route, APIWebSocketRoute)
            and route.dependant.websocket_param_name is not None
            and takes_only_the_socket_and_path(route)]


class SocketDispatch:
    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.state: Any = app.state
        self.routes = direct_socket_routes(app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            served = self._direct(scope, receive, send)
            if served is not None:
                # The client address's open sockets are counted while one is served (the
                # server's security guard caps them); an app without a runtime counts none.
                runtime = getattr(self.state, "runtime", None)
                guard = runtime.socket_guard if runtime is not None else None
                address = guard.enter(scope) if guard is not None else ""
                try:
                    await served
                finally:
                    if guard is not None:
                        guard.leave(address)
                return
        await self.app(scope, receive, send)

    def _direct(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None] | None:
        """The endpoint call serving this socket, when a direct route matches it."""
        for route in self.routes:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope["app"] = self.app
                websocket = WebSocket(scope, receive, send)
                return route.endpoint(**{route.socket_parameter: websocket},
                                      **child_scope["path_params"])
        return None
