"""Every state change leaves the services through the one EventSink, once; refused changes
publish nothing. Races are decided by the database, not by luck."""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from stellarcollab.db.models import TileLock
from stellarcollab.db.types import utcnow
from stellarcollab.services.canvases import CanvasSpec
from stellarcollab.services.errors import Conflict, DomainError, Forbidden, NotFound
from stellarcollab.services.events import Origin
from stellarcollab.services.locks import LockService, lock_cell
from tests.services.conftest import Services

RED = base64.b64encode(bytes((255, 0, 0, 255)) * 16 * 16).decode()
BLUE = base64.b64encode(bytes((0, 0, 255, 255)) * 16 * 16).decode()


def types(services: Services) -> list[str]:
    return [event["type"] for _canvas, event, _user, _conn in services.sink.events]


async def outcome(coro: Any) -> str:
    try:
        await coro
    except DomainError as exc:
        return f"{exc.status_code} {exc.detail}"
    return "ok"


async def test_each_change_publishes_one_event(services: Services) -> None:
    owner, other = await services.user(), await services.user()
    canvas = await services.canvases.create(owner, CanvasSpec(name="c", tile_size=16))
    cid = canvas["id"]
    assert types(services) == []  # nobody can be on a canvas that did not exist

    await services.canvases.update(owner, cid, {"name": "renamed"})
    tile = await services.tiles.create(other, cid, 0, 0, RED, Origin(other.id))
    await services.tiles.update(owner, tile["id"], BLUE, 1, Origin(owner.id, "conn-1"))
    await services.tiles.like(owner, tile["id"], Origin(owner.id))
    await services.tiles.unlike(owner, tile["id"], Origin(owner.id))
    # a lease long enough that the renewal below cannot find it expired on a slow machine
    locks = LockService(services.db, services.sink, ttl_seconds=60)
    await locks.acquire(owner, cid, 3, 3)
    await locks.acquire(owner, cid, 3, 3)  # a renewal changes no holder
    await locks.release(owner, cid, 3, 3)
    await services.chat.send(other, cid, "hello")
    await services.tiles.delete(other, tile["id"], Origin(other.id))
    await services.canvases.delete(owner, cid)

    assert types(services) == [
        "canvas_updated", "tile_created", "tile_updated", "tile_liked", "tile_unliked",
        "user_presence_update", "user_presence_update", "canvas_chat_message",
        "tile_deleted", "canvas_deleted",
    ]
    assert {canvas_id for canvas_id, *_ in services.sink.events} == {cid}
    exclusions = [(user, conn) for _c, _e, user, conn in services.sink.events]
    assert exclusions[1] == (other.id, None)  # tile events skip their author...
    assert exclusions[2] == (None, "conn-1")  # ...or only the connection that caused them
    assert exclusions[7] == (None, None)  # chat goes to everyone


async def test_refused_changes_publish_nothing(services: Services) -> None:
    owner, other = await services.user(), await services.user()
    canvas = await services.canvases.create(owner, CanvasSpec(
        name="c", tile_size=16, max_tiles_per_user=1, collaboration_mode="owner"))
    cid = canvas["id"]
    tile = await services.tiles.create(owner, cid, 0, 0, RED, Origin(owner.id))
    await services.tiles.create(other, cid, 1, 0, RED, Origin(other.id))
    await services.locks.acquire(owner, cid, 5, 5)
    published = len(services.sink.events)

    attempts = [
        services.canvases.update(other, cid, {"name": "mine"}),
        services.canvases.delete(other, cid),
        services.tiles.create(other, cid, 0, 0, RED, Origin(other.id)),
        services.tiles.create(other, cid, 2, 0, RED, Origin(other.id)),
        services.tiles.create(owner, cid, 99, 0, RED, Origin(owner.id)),
        services.tiles.create(owner, cid, 5, 5, "!!", Origin(owner.id)),
        services.tiles.update(other, tile["id"], BLUE, None, Origin(other.id)),
        services.tiles.update(owner, tile["id"], BLUE, 9, Origin(owner.id)),
        services.tiles.like(owner, tile["id"], Origin(owner.id)),
        services.tiles.unlike(other, tile["id"], Origin(other.id)),
        services.tiles.delete(other, tile["id"], Origin(other.id)),
        services.locks.acquire(other, cid, 5, 5),
        services.locks.release(other, cid, 5, 5),
        services.chat.send(other, cid, "   "),
    ]
    results = [await outcome(attempt) for attempt in attempts]
    assert "ok" not in results, results
    assert len(services.sink.events) == published


async def test_expired_leases_are_swept_and_announced_once(services: Services) -> None:
    owner = await services.user()
    canvas = await services.canvases.create(owner, CanvasSpec(name="c"))
    await services.locks.acquire(owner, canvas["id"], 1, 1)
    await asyncio.sleep(0.4)
    assert await services.locks.leases(canvas["id"]) == []
    swept = await asyncio.gather(*(services.locks.sweep_expired() for _ in range(5)))
    assert sum(swept) >= 1
    reasons = [e.get("reason") for _c, e, *_ in services.sink.events
               if e["type"] == "user_presence_update" and e["tile_x"] == 1]
    assert reasons == ["lease_taken", "lease_expired"]


async def test_racing_invites_are_all_accepted(services: Services) -> None:
    owner, guest = await services.user(), await services.user()
    canvas = await services.canvases.create(owner, CanvasSpec(name="c", visibility="private"))
    results = await asyncio.gather(*(
        services.canvases.add_member(owner, canvas["id"], guest.username) for _ in range(20)))
    assert all(r["user_id"] == guest.id for r in results)
    assert (await services.canvases.get(guest, canvas["id"]))["id"] == canvas["id"]


async def test_racing_canvas_deletes_announce_once(services: Services) -> None:
    owner = await services.user()
    canvas = await services.canvases.create(owner, CanvasSpec(name="c"))
    results = await asyncio.gather(*(outcome(services.canvases.delete(owner, canvas["id"]))
                                     for _ in range(10)))
    assert Counter(results) == {"ok": 1, "404 Canvas not found": 9}
    assert types(services) == ["canvas_deleted"]


async def test_racing_likes_and_unlikes_keep_exact_counts(services: Services) -> None:
    owner = await services.user()
    fans = [await services.user() for _ in range(30)]
    canvas = await services.canvases.create(owner, CanvasSpec(name="c", tile_size=16))
    tile = await services.tiles.create(owner, canvas["id"], 0, 0, RED, Origin(owner.id))
    likes = await asyncio.gather(*(services.tiles.like(fan, tile["id"], Origin(fan.id))
                                   for fan in fans))
    assert sorted(like["like_count"] for like in likes) == list(range(1, 31))
    doubles = await asyncio.gather(*(outcome(services.tiles.like(fans[0], tile["id"],
                                                                 Origin(fans[0].id)))
                                     for _ in range(5)))
    assert doubles == ["409 Tile already liked"] * 5
    unlikes = await asyncio.gather(*(
        outcome(services.tiles.unlike(fan, tile["id"], Origin(fan.id)))
        for fan in fans[:10] * 3))
    assert Counter(unlikes) == {"ok": 10, "404 Like not found": 20}
    assert (await services.tiles.get(owner, tile["id"]))["like_count"] == 20
    assert types(services).count("tile_liked") == 30
    assert types(services).count("tile_unliked") == 10


async def test_racing_creates_respect_cell_and_limit(services: Services) -> None:
    owner = await services.user()
    players = [await services.user() for _ in range(10)]
    canvas = await services.canvases.create(owner, CanvasSpec(
        name="c", tile_size=16, max_tiles_per_user=2))
    cid = canvas["id"]
    one_cell = await asyncio.gather(*(
        outcome(services.tiles.create(p, cid, 0, 0, RED, Origin(p.id))) for p in players))
    assert Counter(one_cell) == {"ok": 1, "409 Tile position already occupied": 9}
    solo = players[1] if one_cell[0] == "ok" else players[0]
    many = await asyncio.gather(*(
        outcome(services.tiles.create(solo, cid, x, 1, RED, Origin(solo.id)))
        for x in range(8)))
    assert Counter(many) == {"ok": 2, "403 Tile limit reached for this canvas": 6}


async def test_racing_versioned_updates_have_one_winner(services: Services) -> None:
    owner = await services.user()
    canvas = await services.canvases.create(owner, CanvasSpec(name="c", tile_size=16))
    tile = await services.tiles.create(owner, canvas["id"], 0, 0, RED, Origin(owner.id))
    results = await asyncio.gather(*(
        outcome(services.tiles.update(owner, tile["id"], BLUE, 1, Origin(owner.id)))
        for _ in range(10)))
    assert Counter(results) == {"ok": 1, "409 Tile was modified by someone else": 9}
    assert (await services.tiles.get(owner, tile["id"]))["version"] == 2


async def test_racing_lease_takes_have_one_holder(services: Services) -> None:
    owner = await services.user()
    rivals = [await services.user() for _ in range(8)]
    canvas = await services.canvases.create(owner, CanvasSpec(name="c"))
    results = await asyncio.gather(*(
        outcome(services.locks.acquire(r, canvas["id"], 2, 2)) for r in rivals))
    assert Counter(results) == {"ok": 1, "409 Tile is being edited by another user": 7}
    assert len(await services.locks.leases(canvas["id"])) == 1


async def test_drawing_waits_for_a_lease_being_taken_on_its_cell(services: Services) -> None:
    """A create that runs while another transaction is taking the cell's lease waits for
    it, then sees the lease: it cannot slip in between the lease's check and its insert."""
    owner, editor, creator = [await services.user() for _ in range(3)]
    canvas = await services.canvases.create(owner, CanvasSpec(name="c", tile_size=16))
    cid = canvas["id"]
    async with services.db.transaction() as session:  # a lease take, caught midway
        await lock_cell(session, cid, 4, 3)
        session.add(TileLock(canvas_id=cid, x=4, y=3, user_id=editor.id,
                             expires_at=utcnow() + timedelta(seconds=30)))
        await session.flush()
        create = asyncio.ensure_future(
            outcome(services.tiles.create(creator, cid, 4, 3, RED, Origin(creator.id))))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.shield(create), 0.3)  # held on the cell
        if session.get_bind().dialect.name == "postgresql":  # SQLite: one writer at a time
            # only that cell is held: a create next to it goes through meanwhile
            assert await outcome(
                services.tiles.create(owner, cid, 5, 3, RED, Origin(owner.id))) == "ok"
    assert await create == "409 Tile is being edited by another user"


@pytest.mark.parametrize("error", [Conflict, Forbidden, NotFound])
def test_domain_errors_carry_their_status(error: type[DomainError]) -> None:
    assert error("x").status_code == {Conflict: 409, Forbidden: 403, NotFound: 404}[error]


async def test_a_refused_chat_message_does_not_sink_its_batch(services: Services) -> None:
    owner = await services.user()
    canvas = await services.canvases.create(owner, CanvasSpec(name="c"))
    results = await asyncio.gather(*(
        outcome(services.chat.send(owner, canvas["id"], text))
        for text in ["one", "bad\x00text", "two", "   ", "three"]))
    assert results == ["ok", "422 Message text must not contain NUL characters", "ok",
                       "422 Message text must not be empty", "ok"]
    history = await services.chat.history(owner, canvas["id"], 10, None)
    assert sorted(m["text"] for m in history["items"]) == ["one", "three", "two"]
    assert types(services) == ["canvas_chat_message"] * 3


async def test_likes_racing_a_delete_never_fail_oddly(services: Services) -> None:
    owner = await services.user()
    fans = [await services.user() for _ in range(12)]
    canvas = await services.canvases.create(owner, CanvasSpec(name="c", tile_size=16))
    for round_ in range(4):
        tile = await services.tiles.create(owner, canvas["id"], round_, 0, RED, Origin(owner.id))
        for fan in fans[:6]:
            await services.tiles.like(fan, tile["id"], Origin(fan.id))
        calls = (
            [services.tiles.like(fan, tile["id"], Origin(fan.id)) for fan in fans[6:]]
            + [services.tiles.unlike(fan, tile["id"], Origin(fan.id)) for fan in fans[:6]]
        )
        calls.insert(len(calls) // 2, services.tiles.delete(owner, tile["id"], Origin(owner.id)))
        results = await asyncio.gather(*(outcome(call) for call in calls))
        assert set(results) <= {"ok", "404 Tile not found", "404 Like not found"}, results
        assert "ok" in results


async def test_redraws_racing_a_delete_answer_not_found(services: Services) -> None:
    owner = await services.user()
    canvas = await services.canvases.create(owner, CanvasSpec(name="c", tile_size=16))
    seen: set[str] = set()
    for round_ in range(5):
        tile = await services.tiles.create(owner, canvas["id"], round_, 0, RED, Origin(owner.id))
        calls = [services.tiles.update(owner, tile["id"], BLUE, None, Origin(owner.id))
                 for _ in range(6)]
        calls.insert(3, services.tiles.delete(owner, tile["id"], Origin(owner.id)))
        results = await asyncio.gather(*(outcome(call) for call in calls))
        seen.update(results)
        # Unversioned redraws never conflict; once the tile is gone they find nothing.
        assert set(results) <= {"ok", "404 Tile not found"}, results
        assert types(services).count("tile_deleted") == round_ + 1
    assert "ok" in seen
