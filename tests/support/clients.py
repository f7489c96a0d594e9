"""REST and WebSocket helpers for talking to a live server like a client would."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from tests.support.timeouts import scaled

_names = itertools.count(1)


def solid_pixels(size: int = 32, rgba: tuple[int, int, int, int] = (255, 0, 0, 255)) -> str:
    return base64.b64encode(bytes(rgba) * size * size).decode()


class Account:
    def __init__(self, api: httpx.AsyncClient, body: dict[str, Any]) -> None:
        self.api = api
        self.token: str = body["access_token"]
        self.user: dict[str, Any] = body["user"]
        self.id: int = self.user["id"]
        self.username: str = self.user["username"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def post(self, path: str, json_body: Any = None, **kw: Any) -> httpx.Response:
        return await self.api.post(path, json=json_body, headers={**self.headers,
                                   **kw.pop("headers", {})}, **kw)

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.api.get(path, headers=self.headers, **kw)

    async def put(self, path: str, json_body: Any = None, **kw: Any) -> httpx.Response:
        return await self.api.put(path, json=json_body, headers={**self.headers,
                                  **kw.pop("headers", {})}, **kw)

    async def patch(self, path: str, json_body: Any = None) -> httpx.Response:
        return await self.api.patch(path, json=json_body, headers=self.headers)

    async def delete(self, path: str, **kw: Any) -> httpx.Response:
        return await self.api.delete(path, headers={**self.headers, **kw.pop("headers", {})},
                                     **kw)

    async def create_canvas(self, **fields: Any) -> dict[str, Any]:
        response = await self.post("/api/v1/canvases", {"name": "Test canvas", **fields})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def create_tile(self, canvas_id: int, x: int, y: int, size: int = 32,
                          **kw: Any) -> dict[str, Any]:
        response = await self.post("/api/v1/tiles", {
            "canvas_id": canvas_id, "x": x, "y": y, "pixels": solid_pixels(size)}, **kw)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


async def register(api: httpx.AsyncClient, name: str | None = None,
                   display_name: str | None = None) -> Account:
    name = name or f"user{next(_names)}"
    response = await api.post("/api/v1/auth/register", json={
        "username": name, "email": f"{name}@example.com", "password": "correct-horse",
        "display_name": display_name or name.title(),
    })
    assert response.status_code == 201, response.text
    return Account(api, response.json())


class Socket:
    """A real WebSocket client that keeps everything it received, for assertions."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.received: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.ws.send(message if isinstance(message, str) else json.dumps(message))

    async def next(self, timeout: float = 5) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), scaled(timeout))
        message: dict[str, Any] = json.loads(raw)
        self.received.append(message)
        return message

    async def expect(self, message_type: str, timeout: float = 5, **match: Any) -> dict[str, Any]:
        """The next message of this type (and matching fields); others are skipped."""
        async def wait() -> dict[str, Any]:
            while True:
                message = await self.next(timeout)
                if message.get("type") == message_type and all(
                    message.get(k) == v for k, v in match.items()
                ):
                    return message

        return await asyncio.wait_for(wait(), scaled(timeout))

    async def expect_nothing(self, message_type: str, within: float = 0.3) -> None:
        """No message of this type arrives in ``within`` seconds (a quiet-period check)."""
        try:
            while True:
                message = await self.next(within)
                assert message.get("type") != message_type, message
        except TimeoutError:
            return

    async def closed(self, timeout: float = 5) -> int | None:
        """Wait for the server's close; return its code."""
        async def drain() -> None:
            try:
                while True:
                    await self.ws.recv()
            except Exception:
                return

        await asyncio.wait_for(drain(), scaled(timeout))
        return self.ws.close_code

    async def close(self) -> None:
        """Close cleanly: unread messages are drained meanwhile, or the client's full
        receive queue would stop it from reading the server's close reply."""
        async def drain() -> None:
            try:
                async for _ in self.ws:
                    pass
            except Exception:
                return

        drainer = asyncio.ensure_future(drain())
        await self.ws.close()
        drainer.cancel()


async def open_socket(ws_base: str, canvas_id: int, token: str | None = None,
                      query: str = "", **kw: Any) -> Socket:
    url = f"{ws_base}/{canvas_id}"
    params = []
    if token is not None:
        params.append(f"token={token}")
    if query:
        params.append(query)
    if params:
        url += "?" + "&".join(params)
    ws = await connect(url, open_timeout=scaled(10), max_size=2**24, **kw)
    return Socket(ws)


async def open_user_socket(url: str, account: Account) -> Socket:
    """The user's own socket (``/ws/user``), registered once a ping is answered."""
    ws = await connect(f"{url}?token={account.token}", open_timeout=scaled(10),
                       max_size=2**24)
    socket = Socket(ws)
    await socket.send({"type": "ping", "id": "ready"})
    await socket.expect("pong", id="ready")
    return socket


async def join(ws_base: str, canvas_id: int, account: Account, query: str = "") -> Socket:
    """Open a socket and wait for its canvas_state."""
    socket = await open_socket(ws_base, canvas_id, account.token, query)
    await socket.expect("canvas_state")
    return socket
