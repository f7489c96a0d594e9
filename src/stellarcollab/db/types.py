"""Column types shared by the models: timezone-aware UTC datetimes on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# Integer columns are 32-bit on PostgreSQL (64-bit on SQLite): no row has an id or a
# coordinate outside this range, and asking the database about one is an error there.
MAX_INT = 2**31 - 1


def fits_int_column(value: int) -> bool:
    return -MAX_INT - 1 <= value <= MAX_INT


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat_z(value: datetime) -> str:
    """ISO 8601 in UTC with millisecond precision and a trailing ``Z``. (``isoformat``
    is datetime's own C code: about half the time of ``strftime``.)"""
    utc = value if value.tzinfo is UTC else value.astimezone(UTC)
    return utc.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back an aware datetime (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC) if dialect.name != "sqlite" else value.astimezone(UTC).replace(
            tzinfo=None
        )

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
