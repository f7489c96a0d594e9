"""The social layer across two server processes on one PostgreSQL and one Redis: a stored
status reaches canvases served by the other process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.support.clients import Socket, join, register
from tests.support.postgres import PostgresServer
from tests.support.redis import RedisServer
from tests.support.server_process import ServerProcess, server_env
from tests.support.timeouts import scaled

pytestmark = pytest.mark.postgres
QUIET = 0.5


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: PostgresServer,
    redis_server: RedisServer,
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    settings: dict[str, Any] = {"database_url": postgres_server.create_database(),
                                "broker_url": redis_server.url,
                                # a second's check, so scheduled announcements go out soon
                                "announcement_check_interval": 0.5}
    first = ServerProcess(tmp_path_factory.mktemp("social-a"), **settings).start()
    try:
        second = ServerProcess(tmp_path_factory.mktemp("social-b"), **settings).start()
    except BaseException:
        first.stop()
        raise
    yield first, second
    second.stop()
    first.stop()


@pytest.fixture
async def apis(
    cluster: tuple[ServerProcess, ServerProcess]
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    a, b = cluster
    async with httpx.AsyncClient(base_url=a.base_url, timeout=30) as api_a, \
            httpx.AsyncClient(base_url=b.base_url, timeout=30) as api_b:
        yield api_a, api_b


def _grant_admin(server: ServerProcess, username: str) -> None:
    """What an operator runs: ``stellarcollab admin grant USERNAME``."""
    subprocess.run([sys.executable, "-m", "stellarcollab.cli", "admin", "grant", username],
                   env=server_env(server.data_dir, **server.settings), check=True,
                   capture_output=True, timeout=scaled(30))


async def _drain(socket: Socket, within: float = QUIET) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    try:
        while True:
            received.append(await socket.next(within))
    except TimeoutError:
        return received


async def test_status_reaches_canvases_on_the_other_process(
    cluster: tuple[ServerProcess, ServerProcess],
    apis: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    _a, b = cluster
    alice, bob = await register(apis[0]), await register(apis[1])
    canvas = await alice.create_canvas()
    alice_on_b = await join(b.ws_base, canvas["id"], alice)
    bob_on_b = await join(b.ws_base, canvas["id"], bob)
    # The status is set over REST on A, where alice has no socket at all.
    response = await alice.put("/api/v1/users/me/status",
                               {"status": "away", "status_message": "lunch"})
    assert response.status_code == 200
    update = await bob_on_b.expect("user_presence_update", user_id=alice.id, timeout=10)
    assert (update["status"], update["status_message"]) == ("away", "lunch")
    await alice_on_b.close()
    await bob_on_b.close()
