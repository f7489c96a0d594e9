"""Admin routes over REST: user search, admin flag, deactivation (tokens refused for
good), the audit log's paging and filters, and broadcast. None of it without admin rights."""

from __future__ import annotations

import time

import httpx

from tests.api.helpers import assert_error, current_seq, make_admin, published
from tests.support.clients import Account, register
from tests.support.live_server import LiveServer

ADMIN_ONLY = "Admin rights required"


async def test_nothing_here_without_admin_rights(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    for response in (
        await alice.get("/api/v1/admin/users"),
        await alice.patch(f"/api/v1/admin/users/{bob.id}", {"is_active": False}),
        await alice.patch(f"/api/v1/admin/users/{alice.id}", {"is_admin": True}),
        await alice.get("/api/v1/admin/audit"),
        await alice.post("/api/v1/admin/broadcast", {"text": "hi everyone"}),
        await alice.post("/api/v1/admin/broadcast", {"text": "hi", "canvas_id": canvas["id"]}),
    ):
        assert_error(response, 403, ADMIN_ONLY)
    assert (await bob.get("/api/v1/auth/me")).status_code == 200


async def test_search_users_paged(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account
) -> None:
    await make_admin(live_server, alice)
    stamp = str(time.monotonic_ns())[-6:]
    names = [f"zed{stamp}a", f"zed{stamp}b", f"zed{stamp}c"]
    for name in names:
        await register(api, name)
    first = (await alice.get("/api/v1/admin/users", params={"q": f"ZED{stamp}",
                                                            "limit": 2})).json()
    assert first["total"] == 3 and [u["username"] for u in first["items"]] == names[:2]
    assert set(first["items"][0]) == {"id", "username", "display_name", "email", "is_admin",
                                      "is_active", "created_at"}
    rest = (await alice.get("/api/v1/admin/users", params={"q": f"zed{stamp}", "offset": 2})
            ).json()
    assert [u["username"] for u in rest["items"]] == names[2:]
    assert (await alice.get("/api/v1/admin/users", params={"q": "%"})).json()["total"] == 0


async def test_deactivation_refuses_every_token_for_good(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    await make_admin(live_server, alice)
    changed = (await alice.patch(f"/api/v1/admin/users/{bob.id}",
                                 {"is_active": False, "reason": "spam bot"})).json()
    assert changed["is_active"] is False
    assert_error(await bob.get("/api/v1/auth/me"), 401, "Token has been revoked")
    login = await api.post("/api/v1/auth/login", json={"username": bob.username,
                                                       "password": "correct-horse"})
    assert_error(login, 401, "Incorrect username or password")
    await alice.patch(f"/api/v1/admin/users/{bob.id}", {"is_active": True})
    # The old token stays revoked after reactivation; a token issued afterwards works.
    assert_error(await bob.get("/api/v1/auth/me"), 401, "Token has been revoked")
    login = await api.post("/api/v1/auth/login", json={"username": bob.username,
                                                       "password": "correct-horse"})
    assert login.status_code == 200, login.text
    fresh = login.json()["access_token"]
    me = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {fresh}"})
    assert me.status_code == 200 and me.json()["id"] == bob.id
    audit = (await alice.get("/api/v1/admin/audit", params={"target_id": str(bob.id)})).json()
    assert [(e["action"], e["reason"]) for e in audit["items"]] == [
        ("reactivate_user", ""), ("deactivate_user", "spam bot")]


async def test_admin_flag_and_own_account(
    live_server: LiveServer, alice: Account, bob: Account
) -> None:
    await make_admin(live_server, alice)
    assert_error(await alice.patch(f"/api/v1/admin/users/{alice.id}", {"is_active": False}),
                 400, "Admins cannot remove their own admin rights or deactivate themselves")
    assert_error(await alice.patch(f"/api/v1/admin/users/{alice.id}", {"is_admin": False}),
                 400, "Admins cannot remove their own admin rights or deactivate themselves")
    granted = (await alice.patch(f"/api/v1/admin/users/{bob.id}", {"is_admin": True})).json()
    assert granted["is_admin"] is True
    assert (await bob.get("/api/v1/admin/users")).status_code == 200
    await alice.patch(f"/api/v1/admin/users/{bob.id}", {"is_admin": False})
    assert_error(await bob.get("/api/v1/admin/users"), 403, ADMIN_ONLY)
    assert_error(await alice.patch("/api/v1/admin/users/999999", {"is_admin": True}), 404,
                 "User not found")


async def test_broadcast_to_one_canvas_and_audit_paging(
    live_server: LiveServer, alice: Account, bob: Account
) -> None:
    await make_admin(live_server, alice)
    canvas = await bob.create_canvas()
    since = await current_seq(live_server, canvas["id"])
    sent = (await alice.post("/api/v1/admin/broadcast", {
        "text": " Maintenance at noon ", "level": "warning", "canvas_id": canvas["id"]})).json()
    assert sent["type"] == "admin_message" and sent["text"] == "Maintenance at noon"
    assert sent["canvas_id"] == canvas["id"] and sent["sender"]["user_id"] == alice.id
    events = await published(live_server, canvas["id"], since)
    assert [(e["type"], e["text"], e["level"]) for e in events] == [
        ("admin_message", "Maintenance at noon", "warning")]
    everyone = (await alice.post("/api/v1/admin/broadcast", {"text": "hello all"})).json()
    assert everyone["canvas_id"] is None
    assert_error(await alice.post("/api/v1/admin/broadcast", {"text": "  "}), 422,
                 "Broadcast text must not be empty")
    assert_error(await alice.post("/api/v1/admin/broadcast", {"text": "x", "canvas_id": 999999}),
                 404, "Canvas not found")
    page = (await alice.get("/api/v1/admin/audit", params={
        "actor_id": alice.id, "action": "broadcast", "limit": 1})).json()
    assert page["has_more"] is True and page["items"][0]["reason"] == "hello all"
    older = (await alice.get("/api/v1/admin/audit", params={
        "actor_id": alice.id, "action": "broadcast", "before": page["items"][0]["id"]})).json()
    assert [e["reason"] for e in older["items"]] == ["Maintenance at noon"]
    assert older["items"][0]["details"] == {"level": "warning"}
