"""Reports over REST: filing (one open report per reporter and target), listing by
admins and canvas moderators, resolving and dismissing, and what each one publishes."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.helpers import assert_error, make_admin, on_server
from tests.support.clients import Account, register
from tests.support.live_server import LiveServer


async def report(account: Account, target_type: str, target_id: Any,
                 reason: str = "offensive") -> httpx.Response:
    return await account.post("/api/v1/reports", {"target_type": target_type,
                                                  "target_id": target_id, "reason": reason})


async def test_every_target_type_can_be_reported_once_while_open(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    tile = await alice.create_tile(canvas["id"], 0, 0)
    message = (await alice.post(f"/api/v1/canvases/{canvas['id']}/chat/messages",
                                {"text": "buy cheap pixels"})).json()
    comment = (await alice.post(f"/api/v1/tiles/{tile['id']}/comments",
                                {"text": "visit my shop"})).json()
    created = []
    for target_type, target_id, canvas_id in (
        ("message", message["id"], canvas["id"]), ("tile", tile["id"], canvas["id"]),
        ("user", alice.id, None), ("comment", comment["comment_id"], canvas["id"]),
    ):
        response = await report(bob, target_type, target_id)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["target_type"] == target_type and body["target_id"] == str(target_id)
        assert body["canvas_id"] == canvas_id and body["status"] == "open"
        assert body["reporter_id"] == bob.id and body["reason"] == "offensive"
        created.append(body)
        assert_error(await report(bob, target_type, target_id, "again"), 409,
                     "You already have an open report about this")
    assert created[0]["target_summary"] == "buy cheap pixels"
    assert created[1]["target_summary"] == "tile (0, 0)"
    assert created[3]["target_summary"] == "visit my shop"
    assert_error(await report(bob, "tile", 999999), 404, "Tile not found")
    assert_error(await report(bob, "message", "nope"), 404, "Message not found")
    assert_error(await report(bob, "user", 999999), 404, "User not found")
    assert_error(await report(bob, "comment", 999999), 404, "Comment not found")
    private = await alice.create_canvas(visibility="private")
    hidden = await alice.create_tile(private["id"], 0, 0)
    assert_error(await report(bob, "tile", hidden["id"]), 404, "Tile not found")


async def test_admins_and_the_canvas_moderators_may_list(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    carol, admin = await register(api), await register(api)
    await make_admin(live_server, admin)
    await alice.post(f"/api/v1/canvases/{canvas['id']}/moderators/{carol.id}")
    tile = await alice.create_tile(canvas["id"], 0, 0)
    filed = (await report(bob, "tile", tile["id"])).json()
    about_user = (await report(bob, "user", alice.id)).json()
    listed = (await admin.get("/api/v1/admin/reports", params={"status": "open"})).json()
    assert {filed["id"], about_user["id"]} <= {r["id"] for r in listed["items"]}
    # A moderator sees the reports about the canvas's content, not the ones about users.
    mine = (await carol.get("/api/v1/admin/reports")).json()
    assert [r["id"] for r in mine["items"]] == [filed["id"]]
    assert_error(await bob.get("/api/v1/admin/reports"), 403,
                 "Only admins and canvas moderators can list reports")
    assert_error(await carol.post(f"/api/v1/admin/reports/{about_user['id']}/resolve",
                                  {"resolution": "resolved"}), 403,
                 "Only an admin or the canvas's moderators can handle this report")


async def test_resolving_closes_and_reopens_reporting(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    admin = await register(api)
    await make_admin(live_server, admin)
    tile = await alice.create_tile(canvas["id"], 0, 0)
    filed = (await report(bob, "tile", tile["id"])).json()
    resolve = f"/api/v1/admin/reports/{filed['id']}/resolve"
    assert_error(await bob.post(resolve, {"resolution": "resolved"}), 403,
                 "Only an admin or the canvas's moderators can handle this report")
    closed = (await admin.post(resolve, {"resolution": "dismissed", "note": "fine art"})).json()
    assert closed["status"] == "dismissed" and closed["resolution_note"] == "fine art"
    assert closed["resolved_by"] == admin.id and closed["resolved_at"].endswith("Z")
    assert_error(await admin.post(resolve, {"resolution": "resolved"}), 409,
                 "Report is already closed")
    # Closed, the target can be reported again.
    assert (await report(bob, "tile", tile["id"])).status_code == 201
    assert_error(await admin.post("/api/v1/admin/reports/999999/resolve",
                                  {"resolution": "resolved"}), 404, "Report not found")
    audit = (await admin.get("/api/v1/admin/audit", params={
        "action": "dismiss_report", "target_id": str(filed["id"])})).json()["items"]
    assert [(e["actor_id"], e["reason"]) for e in audit] == [(admin.id, "fine art")]
    assert await on_server(live_server, _no_open_key(live_server, filed["id"]))


async def _no_open_key(live_server: LiveServer, report_id: int) -> bool:
    from stellarcollab.db.moderation import Report

    async with live_server.runtime.db.read() as session:
        row = await session.get(Report, report_id)
        return row is not None and row.open_key is None
