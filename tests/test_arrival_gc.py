"""Young garbage collections are held back while a crowd connects and let run again once
the arrivals calm down: the governor on a clock of its own, then a crowd on a live server."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stellarcollab.arrival_gc import CROWD_SIZE, STORM_GC, STORM_THRESHOLD, StormCollector
from stellarcollab.observability.metrics import HotCounters
from tests.observability.scrape import scrape
from tests.support.clients import join, register
from tests.support.live_server import LiveServer, test_settings
from tests.support.timeouts import scaled

METRICS_TOKEN = "metrics-scraper-token-long-enough-to-be-real"


class Thresholds:
    """``gc``'s thresholds, as the governor sees them, without touching the real ones."""

    def __init__(self, *threshold: int) -> None:
        self.threshold = threshold
        self.changes: list[tuple[int, ...]] = []

    def get_threshold(self) -> tuple[int, int, int]:
        a, b, c = self.threshold
        return a, b, c

    def set_threshold(self, *threshold: int) -> None:
        self.threshold = threshold
        self.changes.append(threshold)


class Crowd:
    """Arrivals on a clock: ``arrive(n, over)`` moves time and the connect count."""

    def __init__(self, *threshold: int, rate: float = 100, calm_after: float = 1.0,
                 crowd_size: int = 50) -> None:
        self.now = 0.0
        self.counters = HotCounters()
        self.collector = Thresholds(*threshold)
        self.governor = StormCollector(self.counters, storm_rate=rate,
                                       storm_threshold=STORM_THRESHOLD,
                                       calm_after=calm_after, crowd_size=crowd_size,
                                       clock=lambda: self.now,
                                       collector=self.collector)

    def arrive(self, count: int, over: float) -> None:
        self.counters.connects += count
        self.now += over
        self.governor.tick()


def test_a_crowd_holds_young_collections_back_until_it_calms_down() -> None:
    crowd = Crowd(20_000, 10, 100)
    crowd.arrive(10, 0.2)  # 50 a second: no storm
    assert crowd.collector.threshold == (20_000, 10, 100) and not crowd.governor.holding
    crowd.arrive(40, 0.2)  # 200 a second, but a crowd of 40 so far
    assert not crowd.governor.holding
    crowd.arrive(40, 0.2)  # 80: a crowd
    assert crowd.collector.threshold == (STORM_THRESHOLD, 10, 100)
    assert crowd.counters.gc_storms == 1
    for _ in range(4):  # a stall inside the crowd, shorter than calm_after: still held
        crowd.arrive(0, 0.2)
    assert crowd.governor.holding
    crowd.arrive(30, 0.2)  # the crowd goes on
    for _ in range(4):
        crowd.arrive(1, 0.2)
    assert crowd.governor.holding  # 0.8 s of calm
    crowd.arrive(1, 0.2)  # a second of calm: the process's own thresholds, exactly
    assert crowd.collector.threshold == (20_000, 10, 100) and not crowd.governor.holding
    assert crowd.collector.changes == [(STORM_THRESHOLD, 10, 100), (20_000, 10, 100)]
    assert crowd.counters.gc_storms == 1


def test_a_burst_smaller_than_a_crowd_is_collected_as_usual() -> None:
    crowd = Crowd(20_000, 10, 100)
    crowd.arrive(45, 0.2)
    crowd.arrive(0, 0.5)
    crowd.arrive(0, 0.6)  # calm: the next burst counts from nothing
    crowd.arrive(45, 0.2)
    assert crowd.collector.changes == [] and crowd.counters.gc_storms == 0
    crowd.arrive(45, 0.2)  # the same burst goes on: now a crowd
    assert crowd.governor.holding


def test_a_second_crowd_is_a_second_storm() -> None:
    crowd = Crowd(700, 10, 10)
    crowd.arrive(100, 0.2)
    for _ in range(5):
        crowd.arrive(0, 0.2)
    crowd.arrive(100, 0.2)
    assert crowd.collector.threshold == (STORM_THRESHOLD, 10, 10)
    assert crowd.counters.gc_storms == 2


def test_nothing_is_held_when_collection_is_off_or_already_lax_or_the_rate_is_zero() -> None:
    for threshold in ((0, 10, 10), (STORM_THRESHOLD, 10, 10), (900_000, 10, 10)):
        crowd = Crowd(*threshold)
        crowd.arrive(1_000, 0.2)
        assert crowd.collector.changes == [] and not crowd.governor.holding
    crowd = Crowd(20_000, 10, 100, rate=0)
    crowd.arrive(10_000, 0.2)
    assert crowd.collector.changes == [] and crowd.counters.gc_storms == 0


def test_release_puts_the_thresholds_back_once() -> None:
    crowd = Crowd(20_000, 10, 100)
    crowd.arrive(100, 0.2)
    crowd.governor.release()  # the server stops in the middle of a storm
    crowd.governor.release()
    assert crowd.collector.changes == [(STORM_THRESHOLD, 10, 100), (20_000, 10, 100)]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir: Path = tmp_path_factory.mktemp("arrival-gc")
    server = LiveServer(test_settings(data_dir, metrics_token=METRICS_TOKEN,
                                      gc_storm_rate=20)).start()
    yield server
    server.stop()


class Recording:
    """The real collector, with a record of the thresholds set on it."""

    def __init__(self) -> None:
        self.changes: list[tuple[int, ...]] = []

    def get_threshold(self) -> tuple[int, int, int]:
        return gc.get_threshold()

    def set_threshold(self, *threshold: int) -> None:
        gc.set_threshold(*threshold)
        self.changes.append(threshold)


async def test_a_crowd_on_a_live_server_is_collected_after_it_is_in(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    """40 people arrive at once (20 a second and 10 sockets make a crowd here): while they
    connect the young threshold is raised, the metric counts the storm, everyone gets the
    canvas, and once the arrivals calm down the process's thresholds are back."""
    own = gc.get_threshold()
    owner = await register(api)
    canvas = await owner.create_canvas()
    people = [await register(api) for _ in range(40)]
    before = (await scrape(api, METRICS_TOKEN)).get("stellar_gc_arrival_storms_total")
    recording = Recording()
    STORM_GC.collector, STORM_GC.crowd_size = recording, 10
    try:
        sockets = await asyncio.gather(*(join(live_server.ws_base, canvas["id"], person)
                                         for person in people))
        assert all(socket.received[0]["type"] == "canvas_state" for socket in sockets)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + scaled(5)
        while len(recording.changes) < 2 and loop.time() < deadline:  # held, then let go
            await asyncio.sleep(0.05)
    finally:
        STORM_GC.collector, STORM_GC.crowd_size = gc, CROWD_SIZE
    assert recording.changes == [(STORM_THRESHOLD, own[1], own[2]), own]
    assert gc.get_threshold() == own
    after = await scrape(api, METRICS_TOKEN)
    assert after.get("stellar_gc_arrival_storms_total") == before + 1
    for socket in sockets:
        await socket.close()
