"""Stored statuses are written behind: a change set over the socket is announced at once
and stored with the others of a short window in one statement, is seen after a
reconnect, and survives a clean restart even when it was not written before it; going
invisible is written at once."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx

from stellarcollab.db.social import UserStatus
from tests.api.helpers import on_server
from tests.support.clients import Account, join, register
from tests.support.live_server import LiveServer, test_settings

BURST = 30  # within the rate limit's burst (40)


class StatusWrites:
    """Counts the writes of ``user_statuses``: each of the status service's upserts is one
    statement (a lean write on the database's own writer connection)."""

    def __init__(self, server: LiveServer) -> None:
        self.service = server.runtime.social.statuses
        self.count = 0
        self._lock = threading.Lock()
        upsert = self.service._upsert

        async def counted(rows: list[Any]) -> None:
            with self._lock:
                self.count += 1
            await upsert(rows)

        self.service._upsert = counted  # type: ignore[method-assign]

    def close(self) -> None:
        del self.service._upsert  # the class's own again


async def stored(server: LiveServer, user_id: int) -> tuple[str, str | None] | None:
    """The row in the database itself (not what the service holds in memory)."""
    async def read() -> tuple[str, str | None] | None:
        async with server.runtime.db.read() as session:
            row = await session.get(UserStatus, user_id)
            return None if row is None else (row.status, row.status_message)
    return await on_server(server, read())


def status_change(status: str, message: str | None) -> dict[str, Any]:
    return {"type": "user_presence", "presence_type": "status_change", "status": status,
            "status_message": message}


def listed(state: dict[str, Any], user_id: int) -> tuple[str, str | None]:
    entry = next(u for u in state["users"] if u["user_id"] == user_id)
    return entry["status"], entry["status_message"]


async def test_a_burst_of_status_changes_is_announced_each_and_stored_in_few_writes(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    sa = await join(live_server.ws_base, canvas["id"], alice)
    sb = await join(live_server.ws_base, canvas["id"], bob)
    writes = StatusWrites(live_server)
    try:
        for i in range(BURST):
            await sa.send(status_change("away", f"m{i}"))
        for i in range(BURST):  # every change reaches the others, in order
            update = await sb.expect("user_presence_update", user_id=alice.id)
            assert update["status_message"] == f"m{i}"
        await on_server(live_server, live_server.runtime.social.statuses.flush())
        assert 1 <= writes.count <= BURST // 5
    finally:
        writes.close()
    assert await stored(live_server, alice.id) == ("away", f"m{BURST - 1}")

    await sa.close()
    back = await join(live_server.ws_base, canvas["id"], alice)
    assert listed(back.received[0], alice.id) == (
        "away", f"m{BURST - 1}")
    mine = (await alice.get("/api/v1/users/me/status")).json()
    assert (mine["status"], mine["status_message"]) == ("away", f"m{BURST - 1}")
    for socket in (back, sb):
        await socket.close()


async def test_a_status_not_written_yet_is_read_back_and_survives_a_clean_restart(
    tmp_path: Path,
) -> None:
    settings = test_settings(tmp_path)
    server = LiveServer(settings).start()
    try:
        server.runtime.social.statuses.write_delay = 600  # only the shutdown writes it
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as api:
            alice, bob = await register(api), await register(api)
            canvas = await alice.create_canvas()
            sa = await join(server.ws_base, canvas["id"], alice)
            sb = await join(server.ws_base, canvas["id"], bob)
            await sa.send(status_change("busy", "drawing"))
            await sb.expect("user_presence_update", user_id=alice.id, status="busy")
            assert await stored(server, alice.id) is None  # accepted, not written yet
            mine = (await alice.get("/api/v1/users/me/status")).json()
            assert (mine["status"], mine["status_message"]) == ("busy", "drawing")
            # Going invisible decides who sees her (other processes read it): written
            # at once; coming back is written behind again.
            assert (await alice.put("/api/v1/users/me/status",
                                    {"status": "invisible"})).status_code == 200
            assert await stored(server, alice.id) == ("invisible", None)
            await sa.send(status_change("busy", "drawing"))
            await sb.expect("user_presence_update", user_id=alice.id, status="busy")
            assert await stored(server, alice.id) == ("invisible", None)
            await sb.close()
            await sa.close()
    finally:
        server.stop()

    again = LiveServer(settings).start()
    try:
        assert await stored(again, alice.id) == ("busy", "drawing")
        async with httpx.AsyncClient(base_url=again.base_url, timeout=30) as api:
            alice.api = api
            mine = (await alice.get("/api/v1/users/me/status")).json()
            assert (mine["status"], mine["status_message"]) == ("busy", "drawing")
            socket = await join(again.ws_base, canvas["id"], alice)
            assert listed(socket.received[0], alice.id) == ("busy", "drawing")
            await socket.close()
    finally:
        again.stop()
