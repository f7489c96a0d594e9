"""One socket floods chat (1,000 messages in a second): it gets rate_limited answers, then
a 4029 close, while 50 other clients on the canvas keep receiving promptly. The flooder
runs in a process of its own, as it would on the internet.

Latency is measured with probes: a publisher's typing events, 25 a second, each stamped
by the test when sent and matched by order on arrival at every watcher. The p99 must stay
under 50 ms in one of up to three rounds (each with a fresh flooder), so that a stall of
the shared test machine alone does not decide it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.support.clients import Socket, join, register
from tests.support.server_process import ServerProcess
from tests.support.timeouts import scaled

WATCHERS = 50
PROBES = 50
PROBE_INTERVAL = 0.04
FLOOD_AT_PROBE = 5
FLOOD = 1000
ROUNDS = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("flood"))  # default message limits
    yield process.start()
    process.stop()


@pytest.fixture
async def api(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=scaled(30)) as client:
        yield client


async def probe_arrivals(socket: Socket, publisher_id: int) -> list[float]:
    """Arrival times of the publisher's typing events, in order."""
    arrivals: list[float] = []
    async for raw in socket.ws:
        message = json.loads(raw)
        if message["type"] == "user_typing" and message["user_id"] == publisher_id:
            arrivals.append(time.monotonic())
            if len(arrivals) == PROBES:
                break
    return arrivals


class FloodProcess:
    """The flooding client, started (and admitted) ahead, flooding on ``go``."""

    def __init__(self, url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.security.flood_client", url, str(FLOOD)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    async def result(self) -> dict[str, Any]:
        out, _ = await asyncio.to_thread(self.process.communicate, timeout=scaled(30))
        outcome: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return outcome


async def flooded_probe_round(server: ServerProcess, api: httpx.AsyncClient,
                              canvas_id: int, publisher: Socket, publisher_id: int,
                              watchers: list[Socket]) -> float:
    """One round: probes to every watcher while a fresh account floods; checks how the
    flood was cut off and answers the probes' p99 latency."""
    flooder = await register(api)
    flooding = await asyncio.to_thread(
        FloodProcess, f"{server.ws_base}/{canvas_id}?token={flooder.token}")
    receivers = [asyncio.ensure_future(probe_arrivals(w, publisher_id)) for w in watchers]
    sent: list[float] = []
    for number in range(PROBES):
        sent.append(time.monotonic())
        await publisher.send({"type": "user_presence", "presence_type": "typing",
                              "is_typing": number % 2 == 0})
        if number == FLOOD_AT_PROBE:
            flooding.go()
        await asyncio.sleep(PROBE_INTERVAL)
    arrivals = await asyncio.wait_for(asyncio.gather(*receivers), scaled(30))
    outcome = await flooding.result()

    assert outcome["close_code"] == 4029
    assert outcome["errors"] > 0 and outcome["error_codes"] == ["rate_limited"]
    assert outcome["retry_after_ok"]
    latencies = sorted(arrived - sent[i] for times in arrivals for i, arrived in enumerate(times))
    assert len(latencies) == WATCHERS * PROBES
    p99 = latencies[int(len(latencies) * 0.99)]
    print(f"p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
          f"max {latencies[-1] * 1000:.1f} ms")
    return p99


async def test_a_chat_flood_is_cut_off_and_the_others_keep_their_latency(
    server: ServerProcess, api: httpx.AsyncClient
) -> None:
    """Up to three rounds: one stall of this shared machine (another process scheduled
    for 100 ms) lands on every watcher at once and alone spoils a p99, while a server
    slowed by the flood fails every round."""
    owner = await register(api)
    canvas = await owner.create_canvas()
    publisher = await join(server.ws_base, canvas["id"], owner)
    watchers = [await join(server.ws_base, canvas["id"], await register(api))
                for _ in range(WATCHERS)]
    rounds = []
    for _ in range(ROUNDS):
        rounds.append(await flooded_probe_round(server, api, canvas["id"], publisher,
                                                owner.id, watchers))
        if rounds[-1] < scaled(0.05):
            break
    assert min(rounds) < scaled(0.05), [f"p99 {p99 * 1000:.1f} ms" for p99 in rounds]
    for socket in [publisher, *watchers]:
        await socket.close()
