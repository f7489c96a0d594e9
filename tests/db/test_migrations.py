"""The migrations build, from an empty database, exactly the schema the models describe."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, String, Table, inspect, text
from sqlalchemy.engine import Connection

from stellarcollab.db.engine import create_engine
from stellarcollab.db.migrate import alembic_config, upgrade
from stellarcollab.db.models import Base

APP_TABLES = set(Base.metadata.tables)


def _schema_diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                            "compare_server_default": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _inspect(url: str) -> tuple[set[str], list[Any], list[str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(_tables)
            diff = await connection.run_sync(_schema_diff) if tables else []
            versions: list[str] = []
            if "alembic_version" in tables:
                rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
                versions = [row[0] for row in rows]
            return tables, diff, versions
    finally:
        await engine.dispose()


def _head(url: str) -> str:
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert head is not None
    return head


async def test_migrations_build_the_models_schema(empty_database_url: str) -> None:
    url = empty_database_url
    assert (await _inspect(url))[0] == set()
    # upgrade() runs its own event loop, so it runs in a thread of its own here.
    await asyncio.to_thread(upgrade, url)
    tables, diff, versions = await _inspect(url)
    assert tables == APP_TABLES | {"alembic_version"}
    assert diff == [], diff
    assert versions == [_head(url)]


async def test_upgrade_is_idempotent_and_downgrade_empties(empty_database_url: str) -> None:
    url = empty_database_url
    await asyncio.to_thread(upgrade, url)
    await asyncio.to_thread(upgrade, url)  # already at head: nothing to do
    assert (await _inspect(url))[2] == [_head(url)]

    await asyncio.to_thread(command.downgrade, alembic_config(url), "base")
    tables, _diff, versions = await _inspect(url)
    assert tables - {"alembic_version"} == set() and versions == []

    await asyncio.to_thread(upgrade, url)
    tables, diff, versions = await _inspect(url)
    assert tables == APP_TABLES | {"alembic_version"} and diff == [] and versions == [_head(url)]


async def test_schema_keeps_the_constraints_that_decide_races(empty_database_url: str) -> None:
    url = empty_database_url
    await asyncio.to_thread(upgrade, url)

    def constraints(connection: Connection) -> dict[str, list[list[str]]]:
        inspector = inspect(connection)
        return {
            table: [sorted(u["column_names"]) for u in inspector.get_unique_constraints(table)]
            + [sorted(inspector.get_pk_constraint(table)["constrained_columns"])]
            for table in ("tiles", "likes", "tile_locks", "canvas_members", "chat_messages")
        }

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            found = await connection.run_sync(constraints)
    finally:
        await engine.dispose()
    assert ["canvas_id", "x", "y"] in found["tiles"]  # one tile per cell
    assert ["tile_id", "user_id"] in found["likes"]  # one like per user and tile
    assert ["canvas_id", "x", "y"] in found["tile_locks"]  # one lease per cell
    assert ["canvas_id", "user_id"] in found["canvas_members"]
    assert ["id"] in found["chat_messages"]


async def test_the_comparison_sees_a_difference(empty_database_url: str) -> None:
    """Guard against a comparison that finds nothing because it looks at nothing."""
    url = empty_database_url
    await asyncio.to_thread(upgrade, url)
    changed = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    Table("not_migrated", changed, Column("id", Integer, primary_key=True))
    changed.tables["tiles"].append_column(Column("extra", String(10), nullable=True))

    def diff(connection: Connection) -> list[Any]:
        return list(compare_metadata(MigrationContext.configure(connection), changed))

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            found = await connection.run_sync(diff)
    finally:
        await engine.dispose()
    kinds = sorted(entry[0] for entry in found)
    assert kinds == ["add_column", "add_table"], found
