"""How every SQLite connection of the process is set up: the pool's, and the own
connections of the key reads and the lean writes (which a database in a file has)."""

from sqlalchemy.ext.asyncio import AsyncEngine

SQLITE_BUSY_TIMEOUT_MS = 30_000

#: run on each new connection: WAL (readers never wait for the writer), a busy timeout
#: instead of "database is locked", commits without a sync each (WAL stays consistent),
#: and foreign keys enforced
SQLITE_PRAGMAS = (
    "journal_mode=WAL",
    f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "synchronous=NORMAL",
    "foreign_keys=ON",
)


def sqlite_file(engine: AsyncEngine) -> str | None:
    """The file of a SQLite database (None: another database, or one in memory, which
    only the engine's connections see)."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        return database
    return None
