"""Reconnecting with ``since`` replays exactly what was missed, or asks for a resync."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from stellarcollab.realtime.broker.base import EPOCH_CHANGED
from tests.api.helpers import on_server
from tests.support.clients import Socket, join, register
from tests.support.live_server import LiveServer, test_settings


@pytest.fixture(scope="module")
def small_history_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(test_settings(tmp_path_factory.mktemp("recovery"),
                                      recovery_history=20, mentions_burst=100)).start()
    yield server
    server.stop()


@pytest.fixture
async def history_api(small_history_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=small_history_server.base_url) as client:
        yield client


def _seqs(socket: Socket) -> list[int]:
    return [m["seq"] for m in socket.received if "seq" in m and m["type"] != "canvas_state"]


async def test_since_replays_exactly_the_missed_events_in_order(
    small_history_server: LiveServer, history_api: httpx.AsyncClient
) -> None:
    server = small_history_server
    a, b = await register(history_api), await register(history_api)
    canvas = await a.create_canvas()
    sa = await join(server.ws_base, canvas["id"], a)
    await sa.expect("activity")  # a's first visit is numbered before b arrives
    sb = await join(server.ws_base, canvas["id"], b)
    await sa.expect("user_joined")
    state = sb.received[0]
    last_seen = state["seq"]
    epoch = state["epoch"]
    await sb.close()
    await sa.expect("user_left")
    # while b is away: chat, a tile, typing
    for text in ("one", "two", "three"):
        await sa.send({"type": "canvas_chat", "text": text})
        await sa.expect("canvas_chat_message", message_text=text)
    await a.create_tile(canvas["id"], 3, 4)
    await sa.send({"type": "user_presence", "presence_type": "typing", "is_typing": True})
    await sa.send({"type": "ping"})
    await sa.expect("pong")

    back = await join(server.ws_base, canvas["id"], b, query=f"since={last_seen}&epoch={epoch}")
    current = back.received[0]["seq"]
    await back.send({"type": "ping"})
    await back.expect("pong")
    missed = [m for m in back.received[1:] if "seq" in m]
    kinds = [m["type"] for m in missed]
    # b's first visit to the canvas is in its activity feed, right after b's own arrival.
    assert kinds == ["activity", "user_left", "canvas_chat_message", "canvas_chat_message",
                     "canvas_chat_message", "tile_created", "activity", "user_typing"]
    # in order, and nothing else happened meanwhile but b's own arrival (not sent to b)
    assert [m["seq"] for m in missed] == list(range(last_seen + 2, current + 1))
    assert missed[-1]["seq"] == current
    assert [m["message_text"] for m in missed if m["type"] == "canvas_chat_message"] == [
        "one", "two", "three"]
    # and then live events carry on from there, without duplicates
    await sa.send({"type": "canvas_chat", "text": "live"})
    live = await back.expect("canvas_chat_message")
    assert live["message_text"] == "live" and live["seq"] > current
    assert len(set(_seqs(back))) == len(_seqs(back))
    await sa.close()
    await back.close()


async def test_replay_skips_what_the_client_was_excluded_from(
    small_history_server: LiveServer, history_api: httpx.AsyncClient
) -> None:
    server = small_history_server
    a, b = await register(history_api), await register(history_api)
    canvas = await a.create_canvas()
    sb = await join(server.ws_base, canvas["id"], b)
    state = sb.received[0]
    await sb.close()
    await b.create_tile(canvas["id"], 0, 0)  # b's own tile: b is excluded
    await a.create_tile(canvas["id"], 1, 0)
    back = await join(server.ws_base, canvas["id"], b,
                      query=f"since={state['seq']}&epoch={state['epoch']}")
    created = await back.expect("tile_created")
    assert created["creator_id"] == a.id
    assert not [m for m in back.received if m.get("creator_id") == b.id]
    await back.close()


async def test_history_gone_gets_resync_required(
    small_history_server: LiveServer, history_api: httpx.AsyncClient
) -> None:
    server = small_history_server
    a, b = await register(history_api), await register(history_api)
    canvas = await a.create_canvas()
    sa = await join(server.ws_base, canvas["id"], a)
    sb = await join(server.ws_base, canvas["id"], b)
    state = sb.received[0]
    await sb.close()
    for i in range(25):  # more than the 20 events the server keeps
        await sa.send({"type": "tile_mention", "tile_x": 0, "tile_y": 0, "message": str(i)})
    await sa.send({"type": "ping"})
    await sa.expect("pong")
    back = await join(server.ws_base, canvas["id"], b,
                      query=f"since={state['seq']}&epoch={state['epoch']}")
    resync = await back.expect("resync_required")
    assert resync["reason"] == "history_gone"
    assert resync["seq"] == back.received[0]["seq"]
    assert resync["canvas_id"] == canvas["id"] and resync["epoch"] == state["epoch"]
    await sa.close()
    await back.close()


async def test_other_epoch_gets_resync_required(
    small_history_server: LiveServer, history_api: httpx.AsyncClient
) -> None:
    a = await register(history_api)
    canvas = await a.create_canvas()
    back = await join(small_history_server.ws_base, canvas["id"], a,
                      query="since=0&epoch=some-earlier-server")
    assert (await back.expect("resync_required"))["reason"] == "epoch_changed"
    await back.close()


async def test_since_ahead_of_server_gets_resync_required(
    small_history_server: LiveServer, history_api: httpx.AsyncClient
) -> None:
    a = await register(history_api)
    canvas = await a.create_canvas()
    back = await join(small_history_server.ws_base, canvas["id"], a, query="since=500")
    assert (await back.expect("resync_required"))["reason"] == "ahead_of_server"
    await back.close()


async def test_a_broker_that_lost_its_numbering_closes_sockets_1012_then_resyncs(
    small_history_server: LiveServer, history_api: httpx.AsyncClient
) -> None:
    alice = await register(history_api)
    canvas = await alice.create_canvas()
    socket = await join(small_history_server.ws_base, canvas["id"], alice)
    state = socket.received[0]
    broker = small_history_server.runtime.brokers.events
    await on_server(small_history_server,
                    broker.publish_control({"type": EPOCH_CHANGED}))
    assert await socket.closed() == 1012
    back = await join(small_history_server.ws_base, canvas["id"], alice,
                      query=f"since={state['seq']}&epoch=an-epoch-that-is-gone")
    resync = await back.expect("resync_required")
    assert resync["epoch"] == broker.epoch
    await back.close()
