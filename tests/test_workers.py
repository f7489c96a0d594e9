"""``serve --workers N``: refused on SQLite or memory://; with PostgreSQL and Redis, two
workers on one port share canvases, metrics add up over both, and SIGTERM drains both."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from stellarcollab.config import Settings
from stellarcollab.workers import ClusterSettingsError, check_cluster_settings
from tests.observability.scrape import Samples
from tests.support.clients import Socket, join, register
from tests.support.postgres import PostgresServer, free_port, postgres_server
from tests.support.redis import RedisServer, redis_server
from tests.support.server_process import server_env
from tests.support.timeouts import scaled

__all__ = ["postgres_server", "redis_server"]  # the session's servers, as fixtures here

RUNNING = re.compile(r"running on http://127\.0\.0\.1:(\d+) with 2 workers")
TOKEN = "metrics-token-for-the-cluster-test-0123456789"
SOCKETS = 12
ROUNDS = 4


def test_several_workers_need_postgres_and_redis(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    check_cluster_settings(settings, 1)  # one process: anything goes
    with pytest.raises(ClusterSettingsError, match=r"SQLite.*memory://"):
        check_cluster_settings(settings, 2)
    result = subprocess.run(
        [sys.executable, "-m", "stellarcollab.cli", "serve", "--workers", "2", "--port", "0"],
        env=server_env(tmp_path), capture_output=True, text=True, timeout=scaled(60),
        check=False)
    assert result.returncode == 2
    assert "--workers 2 needs PostgreSQL and Redis" in result.stderr
    assert "STELLAR_DATABASE_URL is SQLite" in result.stderr
    assert "STELLAR_BROKER_URL is memory://" in result.stderr


class Cluster:
    def __init__(self, data_dir: Path, **settings: object) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stellarcollab.cli", "serve", "--workers", "2",
             "--host", "127.0.0.1", "--port", "0"],
            env=server_env(data_dir, **settings), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        self.output: list[str] = []
        #: notified for every line the reader thread appends to ``output``
        self.new_line = threading.Condition()
        self.port = 0

        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                match = RUNNING.search(line)
                with self.new_line:
                    self.output.append(line)
                    if match:
                        self.port = int(match.group(1))
                    self.new_line.notify_all()

        threading.Thread(target=read, daemon=True).start()
        if not self._until(lambda: self.port != 0, 60):
            self.process.kill()
            raise RuntimeError("cluster did not start:\n" + "".join(self.output))

    def _until(self, printed: Callable[[], bool], within: float) -> bool:
        """Whether the output read so far satisfies ``printed`` within ``within`` s."""
        with self.new_line:
            return self.new_line.wait_for(printed, scaled(within))

    async def wait_for_line(self, text: str, within: float = 60) -> None:
        def holds_text() -> bool:
            return any(text in line for line in self.output)

        assert await asyncio.to_thread(self._until, holds_text, within), (
            text, "".join(self.output))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


@pytest.fixture
async def cluster(tmp_path: Path, postgres_server: PostgresServer,
                  redis_server: RedisServer) -> AsyncIterator[tuple[Cluster, int]]:
    metrics_port = free_port()
    cluster = Cluster(tmp_path, database_url=postgres_server.create_database(),
                      broker_url=redis_server.url, metrics_token=TOKEN, drain_seconds=1,
                      metrics_bind=f"127.0.0.1:{metrics_port}")
    try:
        yield cluster, metrics_port
    finally:
        cluster.stop()


def worker_pids(samples: Samples) -> set[int]:
    return {int(dict(labels)["pid"]) for (name, labels) in samples.values
            if name == "stellar_process_resident_memory_bytes"}


async def _samples_until(url: str, check: object, within: float = 15) -> Samples:
    deadline = asyncio.get_running_loop().time() + scaled(within)
    async with httpx.AsyncClient(timeout=scaled(10)) as client:
        while True:
            try:
                samples = Samples((await client.get(url)).text)
            except httpx.ConnectError:  # the supervisor is still starting its listener
                samples = Samples("")
            if check(samples) or asyncio.get_running_loop().time() > deadline:  # type: ignore[operator]
                return samples
            await asyncio.sleep(0.2)


@pytest.mark.postgres
async def test_two_workers_share_canvases(cluster: tuple[Cluster, int]) -> None:
    server, metrics_port = cluster
    ws_base = f"ws://127.0.0.1:{server.port}/api/v1/ws/canvas"
    url = f"http://127.0.0.1:{metrics_port}/metrics"

    def processes(samples: Samples) -> int:
        return sum(1 for (name, _) in samples.values
                   if name == "stellar_process_resident_memory_bytes")

    # A worker reports itself a second after it started listening.
    assert processes(await _samples_until(url, lambda s: processes(s) == 2, 60)) == 2
    # One worker dies: the supervisor starts another in its place.
    first = worker_pids(await _samples_until(url, lambda s: processes(s) == 2))
    os.kill(min(first), signal.SIGKILL)  # a worker this test's supervisor started
    after = worker_pids(await _samples_until(
        url, lambda s: len(worker_pids(s)) == 2 and worker_pids(s) != first, 60))
    assert len(after) == 2 and min(first) not in after
    # Its metrics appear as it imports; it listens, and gets connections, once it serves.
    (replacement,) = after - first
    await server.wait_for_line(f"worker {replacement} is serving")
    async with httpx.AsyncClient(base_url=server.base_url, timeout=scaled(30)) as api:
        assert (await api.get("/readyz")).status_code == 200, "".join(server.output)
        # Enough users that no one goes past the per-user socket cap in any round.
        users = [await register(api) for _ in range(3)]
        canvas = await users[0].create_canvas()

        def per_process(samples: Samples) -> list[float]:
            return [value for (name, _), value in samples.values.items()
                    if name == "stellar_process_connections_open" and value > 0]

        # The kernel spreads connections over the workers' sockets by a hash of their
        # addresses: a few rounds of sockets land on both.
        sockets: list[Socket] = []
        for _round in range(ROUNDS):
            sockets += [await join(ws_base, canvas["id"], users[n % len(users)])
                        for n in range(SOCKETS)]
            opened = len(sockets)
            samples = await _samples_until(
                url, lambda s, opened=opened: sum(per_process(s)) == opened)
            assert sum(per_process(samples)) == opened, "".join(server.output[-40:])
            if len(per_process(samples)) == 2:
                break
        assert len(per_process(samples)) == 2, (per_process(samples),
                                                "".join(server.output[-60:]))
        samples = await _samples_until(
            url, lambda s: s.get("stellar_socket_connects_total") == len(sockets))
        assert samples.get("stellar_socket_connects_total") == len(sockets)  # over both
        assert samples.get("stellar_connections_open") == len(sockets)

        await sockets[0].send({"type": "canvas_chat", "text": "to both workers"})
        heard = [await socket.expect("canvas_chat_message", timeout=10) for socket in sockets]
        assert len({message["message_id"] for message in heard}) == 1

        assert server.process.poll() is None
        server.process.send_signal(signal.SIGTERM)
        codes = [await socket.closed(timeout=15) for socket in sockets]
        assert codes == [1012] * len(sockets)
        assert await asyncio.to_thread(server.process.wait, scaled(30)) == 0


def test_a_worker_listens_only_once_its_app_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker hands the server a socket bound to the port but not listening: until
    its app has started, the kernel sends new connections to the workers that serve."""
    from stellarcollab import server, workers

    handed: list[socket.socket] = []

    def fake_serve(_settings: Settings, _host: str, _port: int, *,
                   sockets: list[socket.socket], **_options: object) -> None:
        (sock,) = sockets
        handed.append(sock)
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 0

    monkeypatch.setattr(server, "serve", fake_serve)
    monkeypatch.setattr(workers, "_die_with_parent", lambda: None)  # not this test process
    holder = workers.reuse_port("127.0.0.1", 0)
    port = holder.getsockname()[1]
    try:
        workers._run_worker("127.0.0.1", port, False, multiprocessing.get_context().Event())
        (sock,) = handed
        assert sock.getsockname() == ("127.0.0.1", port)
        with pytest.raises(ConnectionRefusedError):  # bound here and there, listening nowhere
            socket.create_connection(("127.0.0.1", port), timeout=scaled(5)).close()
    finally:
        for sock in (*handed, holder):
            sock.close()
