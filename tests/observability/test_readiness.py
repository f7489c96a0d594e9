"""/readyz from the outside: 503 while draining, while Redis is stopped and while
PostgreSQL is stopped, and 200 again once each is back. This module stops and restarts
servers of its own (by their PIDs), never the session's shared ones."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.support.clients import join, register
from tests.support.postgres import SERVER_OPTIONS, PostgresServer, _alive, find_bin_dir
from tests.support.redis import RedisServer, running_redis
from tests.support.server_process import ServerProcess
from tests.support.timeouts import scaled

pytestmark = pytest.mark.postgres


class OwnPostgres(PostgresServer):
    """A PostgreSQL server this module may stop and start again on the same port."""

    def pause(self) -> None:
        assert self.pid is not None
        os.kill(self.pid, signal.SIGINT)  # fast shutdown, by the PID we started
        deadline = time.monotonic() + scaled(20)
        while _alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.05)  # bounded wait for the process to end
        assert not _alive(self.pid)

    def resume(self) -> None:
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
                   f"{SERVER_OPTIONS}")
        self._run(self._server_command(
            "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data_dir),
            "-l", str(self.log_file), "-o", options), timeout=90)
        self.pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[OwnPostgres]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries not found")
    server = OwnPostgres(bin_dir).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def own_redis() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


@pytest.fixture(scope="module")
def process(tmp_path_factory: pytest.TempPathFactory, own_postgres: OwnPostgres,
            own_redis: RedisServer) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path_factory.mktemp("ready"), database_url=own_postgres.url,
                           broker_url=own_redis.url, readiness_timeout_seconds=1,
                           drain_seconds=2).start()
    yield server
    server.stop()


@pytest.fixture
async def api(process: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=process.base_url, timeout=scaled(10)) as client:
        yield client


async def readiness_becomes(api: httpx.AsyncClient, status: int,
                            within: float = 15) -> httpx.Response:
    deadline = asyncio.get_running_loop().time() + scaled(within)
    while True:
        response = await api.get("/readyz")
        if response.status_code == status or asyncio.get_running_loop().time() > deadline:
            assert response.status_code == status, response.text
            return response
        await asyncio.sleep(0.1)


async def test_ready_when_everything_answers(api: httpx.AsyncClient) -> None:
    response = await readiness_becomes(api, 200)
    assert response.json() == {"status": "ready", "checks": {
        "process": "ok", "database": "ok", "broker": "ok"}}
    assert (await api.get("/healthz")).json() == {"status": "ok"}


async def test_not_ready_while_redis_is_stopped(api: httpx.AsyncClient,
                                                own_redis: RedisServer) -> None:
    own_redis.stop()
    try:
        response = await readiness_becomes(api, 503)
        assert response.json()["detail"] == "broker unreachable"
        assert response.json()["checks"]["database"] == "ok"
        assert (await api.get("/healthz")).status_code == 200  # alive all the same
    finally:
        own_redis.start()  # the same port
    await readiness_becomes(api, 200)


async def test_not_ready_while_postgres_is_stopped(api: httpx.AsyncClient,
                                                   own_postgres: OwnPostgres) -> None:
    own_postgres.pause()
    try:
        response = await readiness_becomes(api, 503)
        assert response.json()["detail"] == "database unreachable"
        assert response.json()["checks"]["broker"] == "ok"
    finally:
        own_postgres.resume()
    await readiness_becomes(api, 200)


async def test_not_ready_while_draining(process: ServerProcess, api: httpx.AsyncClient) -> None:
    await readiness_becomes(api, 200)
    assert process.process is not None
    server = process.process
    # A socket keeps the drain busy for its period, so /readyz can be asked meanwhile.
    alice = await register(api)
    canvas = await alice.create_canvas()
    socket = await join(process.ws_base, canvas["id"], alice)
    server.send_signal(signal.SIGTERM)
    response = await readiness_becomes(api, 503, within=2)
    assert response.json()["detail"] == "draining"
    assert await socket.closed(timeout=10) == 1012
    assert await asyncio.to_thread(server.wait, scaled(20)) == 0
    process.process = None
    process.restart()
    async with httpx.AsyncClient(base_url=process.base_url, timeout=scaled(10)) as again:
        await readiness_becomes(again, 200)
