"""Access changes reach live sockets at once: a removed member, a canvas made private and
a deleted canvas close the sockets that may no longer be there, and only those."""

from __future__ import annotations

import time

import httpx

from tests.api.helpers import make_admin
from tests.support.clients import Account, join, register
from tests.support.live_server import LiveServer


async def test_removed_member_is_closed_and_gets_nothing_more(
    live_server: LiveServer, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas(visibility="private")
    assert (await alice.post(f"/api/v1/canvases/{canvas['id']}/members",
                             {"username": bob.username})).status_code == 201
    owner = await join(live_server.ws_base, canvas["id"], alice)
    member = await join(live_server.ws_base, canvas["id"], bob)
    started = time.monotonic()
    removed = await alice.delete(f"/api/v1/canvases/{canvas['id']}/members/{bob.id}")
    assert removed.status_code == 204
    assert await member.closed(timeout=1) == 4003
    assert time.monotonic() - started < 1.0 * 3  # scaled margin for a loaded machine
    sent = await alice.post(f"/api/v1/canvases/{canvas['id']}/chat/messages", {"text": "after"})
    assert sent.status_code == 201
    await owner.expect("canvas_chat_message", message_text="after")
    assert not [m for m in member.received if m.get("message_text") == "after"]
    await owner.close()


async def test_canvas_made_private_closes_non_members_but_not_admins(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    admin = await register(api)
    await make_admin(live_server, admin)
    canvas = await alice.create_canvas()
    owner = await join(live_server.ws_base, canvas["id"], alice)
    outsider = await join(live_server.ws_base, canvas["id"], bob)
    overseer = await join(live_server.ws_base, canvas["id"], admin)
    changed = await alice.patch(f"/api/v1/canvases/{canvas['id']}", {"visibility": "private"})
    assert changed.status_code == 200
    assert await outsider.closed(timeout=1) == 4003
    for socket in (owner, overseer):  # still open: they answer a ping
        await socket.send({"type": "ping", "id": "still-here"})
        await socket.expect("pong", id="still-here")
        await socket.close()


async def test_deleted_canvas_closes_every_socket_with_4004(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    admin = await register(api)
    await make_admin(live_server, admin)
    canvas = await alice.create_canvas()
    sockets = [await join(live_server.ws_base, canvas["id"], who) for who in (alice, bob, admin)]
    assert (await alice.delete(f"/api/v1/canvases/{canvas['id']}")).status_code == 204
    for socket in sockets:
        assert await socket.closed(timeout=1) == 4004
