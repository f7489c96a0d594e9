"""The active announcements a connecting socket gets: read once for a crowd of sockets
arriving together, never from a read begun before a change of this process's."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event

from stellarcollab.db.engine import Database
from stellarcollab.db.social import Announcement
from stellarcollab.db.types import utcnow
from stellarcollab.services.announcements import AnnouncementService
from tests.services.conftest import Services


async def _nowhere(_canvas_id: int | None, _event: dict[str, Any]) -> None:
    return None


class GatedAnnouncements(AnnouncementService):
    """Reads wait for ``gate`` once they have their rows: the test decides when a read
    under way ends."""

    def __init__(self, db: Database) -> None:
        super().__init__(db, _nowhere)
        self.gate = asyncio.Event()
        self.held = asyncio.Event()  # a read has its rows and waits at the gate

    async def _query(self, now: Any) -> list[Announcement]:
        rows = await super()._query(now)
        self.held.set()
        await self.gate.wait()
        return rows


@contextmanager
def announcement_reads(db: Database) -> Iterator[list[str]]:
    """The SELECTs of the announcements table run meanwhile."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "announcements" in statement:
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", note)


async def test_a_crowd_finding_the_cache_stale_shares_one_read(services: Services) -> None:
    admin = await services.user()
    admin.is_admin = True
    announcements = AnnouncementService(services.db, _nowhere)
    await announcements.create(admin, "maintenance at noon", None, None,
                               utcnow() + timedelta(hours=1))
    with announcement_reads(services.db) as reads:
        answers = await asyncio.gather(*(announcements.active_events(None) for _ in range(50)))
    assert len(reads) == 1
    assert all([a["text"] for a in answer] == ["maintenance at noon"] for answer in answers)


async def test_a_read_begun_before_a_change_is_not_kept_after_it(services: Services) -> None:
    admin = await services.user()
    admin.is_admin = True
    announcements = GatedAnnouncements(services.db)
    older = asyncio.ensure_future(announcements.active_events(None))
    await asyncio.wait_for(announcements.held.wait(), 10)
    created = await announcements.create(admin, "new rules", None, None,
                                         utcnow() + timedelta(hours=1))
    announcements.gate.set()  # the older read ends after the change
    await asyncio.wait_for(older, 10)
    later = await announcements.active_events(None)
    assert created["announcement_id"] in [a["announcement_id"] for a in later]


async def test_a_socket_that_leaves_does_not_cancel_the_read_for_the_others(
    services: Services
) -> None:
    admin = await services.user()
    admin.is_admin = True
    announcements = GatedAnnouncements(services.db)
    announcements.gate.set()
    await announcements.create(admin, "still here", None, None, utcnow() + timedelta(hours=1))
    announcements.gate.clear()
    leaving = asyncio.ensure_future(announcements.active_events(None))
    staying = asyncio.ensure_future(announcements.active_events(None))
    await asyncio.wait_for(announcements.held.wait(), 10)
    leaving.cancel()
    announcements.gate.set()
    answer = await asyncio.wait_for(staying, 10)
    assert "still here" in [a["text"] for a in answer]
    assert leaving.cancelled()
