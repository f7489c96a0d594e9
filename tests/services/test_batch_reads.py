"""BatchReader: the reads of one loop turn share one query; a key the query did not find
reads as None; a failed query fails its waiters and the next batch runs."""

from __future__ import annotations

import asyncio

import pytest

from stellarcollab.services.batch_reads import BatchReader


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
