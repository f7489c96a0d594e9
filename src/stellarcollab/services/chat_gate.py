"""Chat's check of mutes and bans, cached per process so that a socket's chat costs no
database read per message. Entries live a few seconds; every process drops a user's
entries the moment a moderator changes them (``forget``, driven by the access notice)."""

from __future__ import annotations

from datetime import datetime

from stellarcollab.db.engine import Database
from stellarcollab.db.types import utcnow
from stellarcollab.services.admission import CACHE_ENTRIES, ExpiringCache
from stellarcollab.services.sanctions import (
    BAN,
    BANNED,
    MUTE,
    Banned,
    current_sanctions,
    muted_error,
    still_in_force,
)

SANCTION_CACHE_SECONDS = 5.0


class ChatGate:
    def __init__(self, db: Database, ttl: float = SANCTION_CACHE_SECONDS) -> None:
        self.db = db
        self.cache: ExpiringCache[tuple[int, int], dict[str, datetime | None]] = ExpiringCache(
            ttl, CACHE_ENTRIES)

    async def ensure_may_chat(self, canvas_id: int, user_id: int) -> None:
        in_force = self.cache.get((canvas_id, user_id))
        if in_force is None:
            async with self.db.read() as session:
                rows = await current_sanctions(session, canvas_id, user_id)
            in_force = {kind: row.until for kind, row in rows.items()}
            self.cache.put((canvas_id, user_id), in_force)
        now = utcnow()
        if BAN in in_force and still_in_force(in_force[BAN], now):
            raise Banned(BANNED)
        if MUTE in in_force and still_in_force(in_force[MUTE], now):
            raise muted_error(in_force[MUTE])

    def forget(self, user_id: int, canvas_id: int | None) -> None:
        self.cache.drop(lambda key: key[1] == user_id and canvas_id in (None, key[0]))

