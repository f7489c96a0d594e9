"""Likes: one per user and tile, none on one's own tile, exact counts under concurrency."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from tests.api.helpers import assert_error, crowd
from tests.support.clients import Account
from tests.support.live_server import LiveServer

SHARED_ACCOUNTS = True


async def test_like_and_unlike(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    tile = await alice.create_tile(canvas["id"], 0, 0)
    liked = await bob.post(f"/api/v1/tiles/{tile['id']}/like")
    assert liked.status_code == 200, liked.text
    assert liked.json() == {"tile_id": tile["id"], "like_count": 1, "liked": True}
    assert (await alice.get(f"/api/v1/tiles/{tile['id']}")).json()["like_count"] == 1
    region = (await alice.get(f"/api/v1/canvases/{canvas['id']}/tiles")).json()
    assert region[0]["like_count"] == 1

    unliked = await bob.delete(f"/api/v1/tiles/{tile['id']}/like")
    assert unliked.status_code == 200, unliked.text
    assert unliked.json() == {"tile_id": tile["id"], "like_count": 0, "liked": False}
    assert (await alice.get(f"/api/v1/tiles/{tile['id']}")).json()["like_count"] == 0
    # And again: a like can be given back after an unlike.
    assert (await bob.post(f"/api/v1/tiles/{tile['id']}/like")).json()["like_count"] == 1


async def test_no_self_likes(alice: Account) -> None:
    canvas = await alice.create_canvas()
    tile = await alice.create_tile(canvas["id"], 0, 0)
    assert_error(await alice.post(f"/api/v1/tiles/{tile['id']}/like"), 403,
                 "You cannot like your own tile")
    assert (await alice.get(f"/api/v1/tiles/{tile['id']}")).json()["like_count"] == 0


async def test_double_like_is_409(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    tile = await alice.create_tile(canvas["id"], 0, 0)
    await bob.post(f"/api/v1/tiles/{tile['id']}/like")
    assert_error(await bob.post(f"/api/v1/tiles/{tile['id']}/like"), 409, "Tile already liked")
    assert (await alice.get(f"/api/v1/tiles/{tile['id']}")).json()["like_count"] == 1


async def test_unlike_without_like_is_404(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    tile = await alice.create_tile(canvas["id"], 0, 0)
    assert_error(await bob.delete(f"/api/v1/tiles/{tile['id']}/like"), 404, "Like not found")
    await bob.post(f"/api/v1/tiles/{tile['id']}/like")
    await bob.delete(f"/api/v1/tiles/{tile['id']}/like")
    assert_error(await bob.delete(f"/api/v1/tiles/{tile['id']}/like"), 404, "Like not found")
    assert (await alice.get(f"/api/v1/tiles/{tile['id']}")).json()["like_count"] == 0


async def test_likes_survive_redraws(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    tile = await alice.create_tile(canvas["id"], 0, 0)
    await bob.post(f"/api/v1/tiles/{tile['id']}/like")
    redrawn = await alice.put(f"/api/v1/tiles/{tile['id']}", {"pixels": tile["pixels"]})
    assert redrawn.json()["like_count"] == 1 and redrawn.json()["version"] == 2


async def test_fifty_parallel_likes_count_exactly(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account
) -> None:
    canvas = await alice.create_canvas()
    tile = await alice.create_tile(canvas["id"], 0, 0)
    fans = await crowd(live_server, api, 50)
    responses = await asyncio.gather(*(fan.post(f"/api/v1/tiles/{tile['id']}/like")
                                       for fan in fans))
    assert [r.status_code for r in responses] == [200] * 50, [r.text for r in responses]
    assert sorted(r.json()["like_count"] for r in responses) == list(range(1, 51))
    assert (await alice.get(f"/api/v1/tiles/{tile['id']}")).json()["like_count"] == 50

    results = await asyncio.gather(*(
        [fan.delete(f"/api/v1/tiles/{tile['id']}/like") for fan in fans[:15]]
        + [fan.post(f"/api/v1/tiles/{tile['id']}/like") for fan in fans[40:]]))
    statuses = Counter(r.status_code for r in results)
    # Fifteen unlike at the same time as ten who already like it try again.
    assert statuses == {200: 15, 409: 10}, [r.text for r in results]
    assert (await alice.get(f"/api/v1/tiles/{tile['id']}")).json()["like_count"] == 35


async def test_parallel_double_likes_by_one_user(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    tile = await alice.create_tile(canvas["id"], 0, 0)
    responses = await asyncio.gather(*(bob.post(f"/api/v1/tiles/{tile['id']}/like")
                                       for _ in range(10)))
    assert Counter(r.status_code for r in responses) == {200: 1, 409: 9}, [
        r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert response.json() == {"detail": "Tile already liked"}
    assert (await alice.get(f"/api/v1/tiles/{tile['id']}")).json()["like_count"] == 1

    unlikes = await asyncio.gather(*(bob.delete(f"/api/v1/tiles/{tile['id']}/like")
                                     for _ in range(10)))
    assert Counter(r.status_code for r in unlikes) == {200: 1, 404: 9}, [
        r.text for r in unlikes]
    assert (await alice.get(f"/api/v1/tiles/{tile['id']}")).json()["like_count"] == 0
