"""A large canvas's ``presence_count`` on a live server: a trickle of arrivals, each after a
pause longer than the window, is counted a share of a period apart, not after every
pause."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.clients import Account, join, register
from tests.support.live_server import LiveServer, test_settings

LIMIT = 3
#: a large canvas of 6 users gets a count every 3 s while arrivals go on (6 / 2 per
#: second), and after pauses every 0.75 s at the most (a quarter of that)
COUNT_RATE = 2.0


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir: Path = tmp_path_factory.mktemp("presence-count-rate")
    settings = test_settings(data_dir, presence_detail_limit=LIMIT, presence_diff_window=0.05,
                             presence_count_interval=0.05, presence_count_rate=COUNT_RATE)
    server = LiveServer(settings).start()
    yield server
    server.stop()


async def test_a_trickle_of_arrivals_on_a_large_canvas_is_counted_at_the_rate(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account
) -> None:
    """Arrivals and departures one at a time, each after a pause longer than the window:
    the canvas is counted at most every quarter period, not after every pause."""
    canvas = await alice.create_canvas()
    guide = await join(live_server.ws_base, canvas["id"], alice)
    crowd = [await register(api) for _ in range(LIMIT + 1)]
    sockets = [await join(live_server.ws_base, canvas["id"], user) for user in crowd]
    await guide.expect("presence_count", active_users=LIMIT + 2)
    before = len(guide.received)
    visitor = await register(api)
    started = time.monotonic()
    changes = 11  # joins and leaves in turn, ending with the visitor here
    for change in range(changes):
        if change % 2 == 0:
            visiting = await join(live_server.ws_base, canvas["id"], visitor)
        else:
            await visiting.close()
        await asyncio.sleep(0.15)  # paces the arrivals: a pause longer than the window
    spacing = 0.25 * (LIMIT + 3) / COUNT_RATE
    counted_at: list[float] = []
    try:  # counts until none is owed: the last one a spacing after the one before at most
        while True:
            await guide.expect("presence_count", timeout=2 * spacing + 0.5)
            counted_at.append(time.monotonic())
    except TimeoutError:
        pass
    elapsed = counted_at[-1] - started
    counts = [m for m in guide.received[before:] if m["type"] == "presence_count"]
    assert 2 <= len(counts) <= 1 + elapsed / spacing + 1 < changes, (len(counts), elapsed)
    assert counts[-1]["active_users"] == LIMIT + 3
    for each in (guide, visiting, *sockets):
        await each.close()
