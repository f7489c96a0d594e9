"""BatchReader: the reads of one loop turn share one query; a key the query did not find
reads as None; a failed query fails its waiters and the next batch runs; a paced reader
under a stream of requests starts its queries an interval apart, on a grid, so they are
fewer and larger, while a lone request still goes at once."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from stellarcollab.services.batch_reads import BatchPace, BatchReader


async def test_concurrent_reads_share_a_query_and_missing_keys_read_none() -> None:
    batches: list[list[int]] = []

    async def query(keys: list[int]) -> dict[int, str]:
        batches.append(sorted(keys))
        return {key: f"v{key}" for key in keys if key % 2 == 0}

    reader: BatchReader[int, str] = BatchReader(query)
    values = await asyncio.gather(*(reader.read(key) for key in [1, 2, 3, 4, 2]))
    assert values == [None, "v2", None, "v4", "v2"]
    assert batches == [[1, 2, 3, 4]]


async def test_a_failed_query_fails_its_waiters_only() -> None:
    calls = 0

    async def query(keys: list[int]) -> dict[int, int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database away")
        return {key: key for key in keys}

    reader: BatchReader[int, int] = BatchReader(query)
    with pytest.raises(RuntimeError):
        await reader.read(1)
    assert await reader.read(7) == 7


def test_a_pace_lets_a_lone_request_go_and_spaces_the_next_on_a_grid() -> None:
    pace, alike = BatchPace(0.02), BatchPace(0.02)
    assert pace.wait(100.003) == 0.0  # nothing started lately: the next turn
    assert alike.wait(100.003) == 0.0
    # asked a moment later: no sooner than 20 ms after, on the next point of the grid
    assert pace.wait(100.004) == pytest.approx(100.04 - 100.004)
    assert alike.wait(100.011) == pytest.approx(100.04 - 100.011)  # the same start
    assert pace.wait(100.041) == pytest.approx(100.06 - 100.041)  # a grid point stays
    assert pace.wait(100.2) == 0.0  # quiet for more than the interval: at once again
    assert BatchPace().wait(5.0) == 0.0 and BatchPace().wait(5.0) == 0.0  # unpaced


async def test_a_paced_reader_answers_a_stream_in_fewer_larger_queries() -> None:
    loop = asyncio.get_running_loop()
    starts: list[float] = []
    sizes: list[int] = []

    async def query(keys: list[int]) -> dict[int, int]:
        starts.append(loop.time())
        sizes.append(len(keys))
        return {key: -key for key in keys}

    reader: BatchReader[int, int] = BatchReader(query, pace=0.02)
    asked: list[asyncio.Task[int | None]] = []
    began = loop.time()
    for key in range(100):  # a request a millisecond, as sockets arriving in a crowd
        asked.append(loop.create_task(reader.read(key)))
        await asyncio.sleep(0.001)
    assert await asyncio.gather(*asked) == [-key for key in range(100)]
    elapsed = loop.time() - began
    assert sizes[0] == 1  # the first request went at once
    assert all(later - earlier >= 0.02 - 1e-3 for earlier, later in itertools.pairwise(starts))
    assert len(starts) <= elapsed / 0.02 + 2 and sum(sizes) == 100
