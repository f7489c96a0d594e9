"""Two server processes on one PostgreSQL and one Redis: logout and a password change
close the user's sockets on both within 2 s; a lockout on one holds on the other."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.support.clients import Account, Socket, join, register
from tests.support.cluster import Pair, clients_of, two_processes
from tests.support.postgres import PostgresServer
from tests.support.redis import RedisServer
from tests.support.server_process import ServerProcess
from tests.support.timeouts import scaled

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer,
         redis_server: RedisServer) -> Iterator[Pair]:
    with two_processes(tmp_path_factory, "revoke", postgres_server, redis_server,
                       login_failures_per_account=3, login_lockout_seconds=600) as both:
        yield both


@pytest.fixture
async def apis(pair: Pair) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with clients_of(pair) as clients:
        yield clients


async def sockets_on_both(pair: tuple[ServerProcess, ServerProcess],
                          account: Account) -> list[Socket]:
    canvas = await account.create_canvas()
    return [await join(server.ws_base, canvas["id"], account) for server in pair]


async def closed_within(sockets: list[Socket], seconds: float) -> list[int | None]:
    started = time.monotonic()
    codes = await asyncio.gather(*(s.closed(timeout=seconds + 1) for s in sockets))
    assert time.monotonic() - started < scaled(seconds)
    return list(codes)


async def test_logout_closes_the_tokens_sockets_on_both_processes(
    pair: tuple[ServerProcess, ServerProcess], apis: tuple[httpx.AsyncClient, ...],
) -> None:
    account = await register(apis[0])
    sockets = await sockets_on_both(pair, account)
    assert (await account.post("/api/v1/auth/logout")).status_code == 204
    assert await closed_within(sockets, 2) == [4001, 4001]
    on_b = await apis[1].get("/api/v1/auth/me", headers=account.headers)
    assert on_b.status_code == 401


async def test_password_change_closes_the_users_sockets_on_both_processes(
    pair: tuple[ServerProcess, ServerProcess], apis: tuple[httpx.AsyncClient, ...],
) -> None:
    account = await register(apis[0])
    sockets = await sockets_on_both(pair, account)
    changed = await account.post("/api/v1/auth/password", {
        "current_password": "correct-horse", "new_password": "another-horse"})
    assert changed.status_code == 200
    assert await closed_within(sockets, 2) == [4001, 4001]
    assert (await apis[1].get("/api/v1/auth/me", headers=account.headers)).status_code == 401


async def test_a_lockout_on_one_process_holds_on_the_other(
    apis: tuple[httpx.AsyncClient, ...],
) -> None:
    account = await register(apis[0])
    wrong = {"username": account.username, "password": "wrong-password"}
    answers = [await apis[i % 2].post("/api/v1/auth/login", json=wrong) for i in range(4)]
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    right = {"username": account.username, "password": "correct-horse"}
    for api in apis:
        refused = await api.post("/api/v1/auth/login", json=right)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
