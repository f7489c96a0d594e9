"""Presence write-behind: one upsert per flush on both backends."""

from __future__ import annotations

from sqlalchemy import select

from stellarcollab.db.models import PresenceRecord
from stellarcollab.services.canvases import CanvasSpec
from stellarcollab.services.presence import PresenceRecorder
from tests.services.conftest import Services


async def _records(services: Services, canvas_id: int) -> dict[int, PresenceRecord]:
    async with services.db.read() as session:
        rows = await session.scalars(
            select(PresenceRecord).where(PresenceRecord.canvas_id == canvas_id))
        return {record.user_id: record for record in rows}


async def test_flush_upserts_every_changed_user_in_one_go(services: Services) -> None:
    users = [await services.user() for _ in range(30)]
    canvas = await services.canvases.create(users[0], CanvasSpec(name="presence"))
    recorder = PresenceRecorder(services.db)
    for user in users:
        recorder.note(canvas["id"], {"type": "connection_opened", "user_id": user.id})
        recorder.note(canvas["id"], {"type": "user_presence_update", "user_id": user.id,
                                     "status": "busy", "status_message": f"m{user.id}"})
    assert await recorder.flush() == 30
    assert await recorder.flush() == 0  # nothing changed since
    records = await _records(services, canvas["id"])
    assert len(records) == 30
    assert {r.status for r in records.values()} == {"busy"}
    # a second round updates the same rows instead of adding new ones
    first = users[0].id
    recorder.note(canvas["id"], {"type": "user_presence_update", "user_id": first,
                                 "tile_x": 2, "tile_y": 3, "is_editing": True})
    recorder.note(canvas["id"], {"type": "user_typing", "user_id": first, "is_typing": True})
    assert await recorder.flush() == 1
    record = (await _records(services, canvas["id"]))[first]
    assert (record.editing_x, record.editing_y, record.is_typing, record.status) == (
        2, 3, True, "busy")
    recorder.note(canvas["id"], {"type": "connection_closed", "user_id": first, "last": True})
    assert await recorder.flush() == 1
    record = (await _records(services, canvas["id"]))[first]
    assert (record.is_online, record.is_typing, record.editing_x) == (False, False, None)
    assert len(await _records(services, canvas["id"])) == 30


async def test_a_user_with_nothing_to_say_but_online_is_not_remembered(
    services: Services
) -> None:
    quiet, busy = await services.user(), await services.user()
    canvas = await services.canvases.create(quiet, CanvasSpec(name="crowd"))
    recorder = PresenceRecorder(services.db)
    for user in (quiet, busy):
        recorder.note(canvas["id"], {"type": "connection_opened", "user_id": user.id})
    recorder.note(canvas["id"], {"type": "user_presence_update", "user_id": busy.id,
                                 "status": "busy", "status_message": "drawing"})
    assert await recorder.flush() == 2
    # written; only the record that says more than "online" is kept in memory
    assert set(recorder.records) == {(canvas["id"], busy.id)}
    # a later change of the quiet user still writes a whole, right row
    recorder.note(canvas["id"], {"type": "user_typing", "user_id": quiet.id, "is_typing": True})
    assert await recorder.flush() == 1
    record = (await _records(services, canvas["id"]))[quiet.id]
    assert (record.is_online, record.status, record.is_typing) == (True, "online", True)
    recorder.note(canvas["id"], {"type": "user_typing", "user_id": busy.id, "is_typing": True})
    assert await recorder.flush() == 1
    record = (await _records(services, canvas["id"]))[busy.id]
    assert (record.status, record.status_message, record.is_typing) == (
        "busy", "drawing", True)
