"""Presence records: the live presence kept in memory, written behind to the database.

Changes are collected per (canvas, user) and flushed in one transaction every few
seconds, so typing and editing never wait for a disk write.
"""

from __future__ import annotations

import logging
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam

from stellarcollab.db.engine import Database
from stellarcollab.db.models import PresenceRecord
from stellarcollab.db.prepared import Prepared
from stellarcollab.db.types import UTCDateTime, utcnow

log = logging.getLogger(__name__)


class PresenceRecorder:
    """Keeps the full last-known record of each (canvas, user) that changed, and writes
    the changed ones with one multi-row upsert per flush (``INSERT .. ON CONFLICT DO
    UPDATE`` on both SQLite and PostgreSQL), whatever the number of users."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.records: dict[tuple[int, int], dict[str, Any]] = {}
        self.dirty: set[tuple[int, int]] = set()
        #: the multi-row upsert, built once
        self._upsert = record_upsert(db)

    def note(self, canvas_id: int, event: dict[str, Any]) -> None:
        """A presence listener: remember what changed; never touches the database."""
        user_id = event.get("user_id")
        if not isinstance(user_id, int):
            return
        key = (canvas_id, user_id)
        record = self.records.get(key)
        if record is None:
            record = self.records[key] = {"canvas_id": canvas_id, "user_id": user_id,
                                          **ONLINE}
        kind = event.get("type")
        if kind == "connection_opened":
            record["is_online"] = True
        elif kind == "connection_closed" and event.get("last"):
            record.update(is_online=False, is_typing=False, editing_x=None, editing_y=None)
        elif kind == "user_typing":
            record["is_typing"] = bool(event.get("is_typing"))
        elif kind == "user_presence_update":
            if event.get("status"):
                record["status"] = event["status"]
                record["status_message"] = event.get("status_message")
            if event.get("tile_x") is not None and "is_editing" in event:
                editing = event["is_editing"]
                record["editing_x"] = event["tile_x"] if editing else None
                record["editing_y"] = event["tile_y"] if editing else None
        else:
            return
        self.dirty.add(key)

    async def flush(self) -> int:
        if not self.dirty:
            return 0
        keys, self.dirty = self.dirty, set()
        now = utcnow()
        rows = [_record_row(self.records[key]) for key in keys]
        for key in keys:
            # Once written, a record need not be remembered when it says no more than a
            # new one would (online, nothing else), or the user is gone: most of a
            # crowd's users never type or edit, and each record is a 300-byte dict.
            record = self.records[key]
            if not record["is_online"] or all(record[k] == v for k, v in ONLINE.items()):
                del self.records[key]
        try:
            async with self.db.lean_writes.transaction() as transaction:
                await transaction.fetch(self._upsert, records=rows, now=now)
        except Exception:
            log.exception("writing %d presence records failed", len(rows))
            return 0
        return len(rows)


def record_upsert(db: Database) -> Prepared:
    """The upsert of presence records (``INSERT .. ON CONFLICT DO UPDATE`` on both SQLite
    and PostgreSQL): the records bound as one value, rows of ``RECORD_COLUMNS``, and their
    ``last_seen_at`` as ``now``."""
    records = db.lean_writes.rows_from("records", [
        PresenceRecord.__table__.c[column].type for column in RECORD_COLUMNS])
    statement = db.insert(PresenceRecord.__table__).from_select(
        [*RECORD_COLUMNS, "last_seen_at"],
        records.add_columns(bindparam("now", type_=UTCDateTime())))
    return db.lean_writes.prepare(statement.on_conflict_do_update(
        index_elements=["canvas_id", "user_id"],
        set_={column: statement.excluded[column] for column in UPDATED_COLUMNS},
    ))


#: a record as it starts: the user is online, with nothing else to say
ONLINE: dict[str, Any] = {
    "status": "online", "status_message": None, "is_online": True, "is_typing": False,
    "editing_x": None, "editing_y": None,
}

#: a record's columns as ``flush`` binds them, but ``last_seen_at``
RECORD_COLUMNS = ("canvas_id", "user_id", *ONLINE)

#: a record's row as ``record_upsert`` binds it
_record_row = itemgetter(*RECORD_COLUMNS)

UPDATED_COLUMNS = (
    "status", "status_message", "is_online", "is_typing", "editing_x", "editing_y",
    "last_seen_at",
)
