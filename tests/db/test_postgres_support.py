"""The throwaway-PostgreSQL helper itself: where it finds the server, and that a missing
server is a failure in CI (a skip only on a developer's machine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import postgres


def test_missing_postgres_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL is required in CI"):
        postgres.unavailable("not installed")


def test_missing_postgres_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL not available"):
        postgres.unavailable("not installed")


def test_bin_dir_can_be_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in postgres.SERVER_BINARIES:
        (tmp_path / name).write_text("#!/bin/sh\n")
    monkeypatch.setenv("STELLAR_PG_BIN", str(tmp_path))
    assert postgres.find_bin_dir() == tmp_path


@pytest.mark.postgres
def test_the_server_hands_out_fresh_databases(
    postgres_server: postgres.PostgresServer,
) -> None:
    first, second = postgres_server.create_database(), postgres_server.create_database()
    assert first != second
    prefix = f"postgresql+asyncpg://postgres@127.0.0.1:{postgres_server.port}/"
    assert first.startswith(prefix) and postgres_server.url.startswith(prefix)
    assert postgres_server.pid is not None
