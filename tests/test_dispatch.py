"""Socket upgrades are routed with the app's own route table: every socket route whose
endpoint takes only the socket and typed path parameters bypasses the HTTP middleware."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, WebSocket
from fastapi.routing import APIWebSocketRoute, iter_route_contexts
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stellarcollab.dispatch import SocketDispatch, direct_socket_routes
from stellarcollab.main import create_app
from tests.support.live_server import test_settings


class SeenByMiddleware:
    """An HTTP middleware that records the paths of the sockets it saw."""

    seen: list[str] = []

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            SeenByMiddleware.seen.append(scope["path"])
        await self.app(scope, receive, send)


def a_dependency() -> str:
    return "resolved"


def toy_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(SeenByMiddleware)
    router = APIRouter(prefix="/ws")

    @router.websocket("/room/{room_id:int}")
    async def room(websocket: WebSocket, room_id: int) -> None:
        await websocket.accept()
        await websocket.send_json({"room_id": room_id, "type": type(room_id).__name__})
        await websocket.close()

    @router.websocket("/plain")
    async def plain(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("plain")
        await websocket.close()

    @router.websocket("/resolved")
    async def resolved(websocket: WebSocket, value: str = Depends(a_dependency)) -> None:
        await websocket.accept()
        await websocket.send_text(value)
        await websocket.close()

    @router.websocket("/untyped/{name}")
    async def untyped(websocket: WebSocket, name: int) -> None:  # FastAPI converts it
        await websocket.accept()
        await websocket.send_json({"name": name})
        await websocket.close()

    api = APIRouter(prefix="/api")
    api.include_router(router)
    app.include_router(api)
    return app


def test_direct_routes_are_those_needing_nothing_from_fastapi() -> None:
    paths = sorted(route.path for route in direct_socket_routes(toy_app()))
    assert paths == ["/api/ws/plain", "/api/ws/room/{room_id:int}"]


async def upgrade(app: ASGIApp, path: str) -> str:
    """Run one socket session through ``app`` as a server would; the text it sent."""
    scope = {"type": "websocket", "path": path, "raw_path": path.encode(), "root_path": "",
             "query_string": b"", "headers": [], "subprotocols": [], "asgi": {"version": "3.0"}}
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    return str(sent[1]["text"])


async def test_direct_routes_skip_the_middleware_and_get_typed_parameters() -> None:
    SeenByMiddleware.seen.clear()
    dispatch = SocketDispatch(toy_app())
    assert await upgrade(dispatch, "/api/ws/room/42") == '{"room_id":42,"type":"int"}'
    assert await upgrade(dispatch, "/api/ws/plain") == "plain"
    assert await upgrade(dispatch, "/api/ws/resolved") == "resolved"
    assert await upgrade(dispatch, "/api/ws/untyped/7") == '{"name":7}'
    # only the routes FastAPI has to resolve went through the app and its middleware
    assert SeenByMiddleware.seen == ["/api/ws/resolved", "/api/ws/untyped/7"]


def test_every_socket_route_of_the_server_is_served_directly(tmp_path: Path) -> None:
    app = create_app(test_settings(tmp_path))
    socket_routes = {context.path for context in iter_route_contexts(app.routes)
                     if isinstance(context.original_route, APIWebSocketRoute)}
    direct = {route.path for route in SocketDispatch(app).routes}
    assert "/api/v1/ws/canvas/{canvas_id:int}" in direct
    assert direct == socket_routes

