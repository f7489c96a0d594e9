"""Two server processes on one PostgreSQL database and one Redis (the several-process
deployment), the REST clients that talk to each, and what an operator runs beside them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest

from tests.support.postgres import PostgresServer
from tests.support.redis import RedisServer
from tests.support.server_process import ServerProcess, server_env
from tests.support.timeouts import scaled

Pair = tuple[ServerProcess, ServerProcess]


@contextmanager
def two_processes(tmp_path_factory: pytest.TempPathFactory, name: str,
                  postgres_server: PostgresServer, redis_server: RedisServer,
                  **settings: Any) -> Iterator[Pair]:
    """Two processes on a new database of ``postgres_server`` and on ``redis_server``,
    with ``settings`` on both; stopped when the block ends."""
    shared: dict[str, Any] = {"database_url": postgres_server.create_database(),
                              "broker_url": redis_server.url, **settings}
    # One after the other: the first applies the migrations.
    first = ServerProcess(tmp_path_factory.mktemp(f"{name}-a"), **shared).start()
    try:
        second = ServerProcess(tmp_path_factory.mktemp(f"{name}-b"), **shared).start()
    except BaseException:
        first.stop()
        raise
    try:
        yield first, second
    finally:
        second.stop()
        first.stop()


@asynccontextmanager
async def clients_of(pair: Pair) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """A REST client for each process of ``pair``, in the same order."""
    a, b = pair
    async with httpx.AsyncClient(base_url=a.base_url, timeout=30) as api_a, \
            httpx.AsyncClient(base_url=b.base_url, timeout=30) as api_b:
        yield api_a, api_b


def grant_admin(server: ServerProcess, username: str) -> None:
    """What an operator runs: ``stellarcollab admin grant USERNAME``."""
    subprocess.run(
        [sys.executable, "-m", "stellarcollab.cli", "admin", "grant", username],
        env=server_env(server.data_dir, **server.settings), check=True, capture_output=True,
        timeout=scaled(30))
