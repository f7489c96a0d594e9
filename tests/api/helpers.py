"""Helpers for the REST tests: exact error checks, admin rights, published events, pixels."""

from __future__ import annotations

import asyncio
import base64
import itertools
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
import orjson

from stellarcollab.realtime.recovery import Replay
from tests.support.clients import Account
from tests.support.live_server import LiveServer

T = TypeVar("T")
_crowd = itertools.count(1)


def assert_error(response: httpx.Response, status: int, detail: str, **extra: Any) -> None:
    """The response is exactly ``{"detail": detail, **extra}`` with this status."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"detail": detail, **extra}, response.text


def assert_validation_error(response: httpx.Response, *fields: str) -> list[dict[str, Any]]:
    """FastAPI's 422 list; each named field appears in one error's ``loc``."""
    assert response.status_code == 422, (response.status_code, response.text)
    errors: list[dict[str, Any]] = response.json()["detail"]
    assert isinstance(errors, list) and errors, errors
    locations = [error["loc"] for error in errors]
    for field in fields:
        assert any(field in loc for loc in locations), (field, locations)
    return errors


async def on_server(live_server: LiveServer, coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on the server's own loop (where its database engine lives)."""
    assert live_server.loop is not None
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, live_server.loop))


async def make_admin(live_server: LiveServer, account: Account) -> None:
    """What ``stellarcollab admin grant USERNAME`` does."""
    await on_server(live_server, live_server.runtime.users.set_admin(account.username, True))


async def crowd(live_server: LiveServer, api: httpx.AsyncClient, size: int) -> list[Account]:
    """``size`` signed-in accounts, registered on the server directly: the same accounts
    POST /auth/register makes, without a round trip each (crowds are setup, not the test)."""
    users = live_server.runtime.users

    async def one() -> dict[str, Any]:
        name = f"crowd{next(_crowd)}"
        user = await users.register(name, f"{name}@example.com", "correct-horse", None)
        return users.token_response(user)

    async def all_of_them() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(one() for _ in range(size))))

    return [Account(api, body) for body in await on_server(live_server, all_of_them())]


async def current_seq(live_server: LiveServer, canvas_id: int) -> int:
    events = live_server.runtime.brokers.events
    return await on_server(live_server, events.current_seq(canvas_id))


async def published(live_server: LiveServer, canvas_id: int, since: int, *,
                    with_activity: bool = False) -> list[dict[str, Any]]:
    """Every event published on the canvas after ``since``, as the sockets would get it,
    with who it excludes under ``_exclude_user`` / ``_exclude_connection``; the activity
    feed's entries only when asked for."""
    events = live_server.runtime.brokers.events
    plan = await on_server(live_server, events.recover(canvas_id, since, None))
    assert isinstance(plan, Replay), plan
    events = []
    for delivery in plan.deliveries:
        event: dict[str, Any] = orjson.loads(delivery.payload)
        if event["type"] == "activity" and not with_activity:
            continue
        event["_exclude_user"] = delivery.exclude_user
        event["_exclude_connection"] = delivery.exclude_connection
        events.append(event)
    return events


def rgba_tile(size: int, fill: tuple[int, int, int, int],
              spots: dict[tuple[int, int], tuple[int, int, int, int]] | None = None) -> str:
    """Base64 RGBA of a size x size tile in ``fill``, with some pixels (px, py) set apart."""
    raw = bytearray(bytes(fill) * size * size)
    for (px, py), color in (spots or {}).items():
        offset = (py * size + px) * 4
        raw[offset:offset + 4] = bytes(color)
    return base64.b64encode(bytes(raw)).decode()


def tile_body(canvas_id: int, x: int, y: int, size: int = 32,
              fill: tuple[int, int, int, int] = (255, 0, 0, 255)) -> dict[str, Any]:
    return {"canvas_id": canvas_id, "x": x, "y": y, "pixels": rgba_tile(size, fill)}
