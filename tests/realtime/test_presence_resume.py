"""Resuming after batched presence: ``presence_diff`` and ``presence_count`` carry the
canvas ``seq`` of the arrivals and departures they stand for (``through_seq``), so a
client that never sees those one by one still resumes from where it really was: it gets
every chat message it missed, once, and no ``resync_required``, even when the crowd that
came and went while it was connected is larger than the server's history keeps."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stellarcollab.realtime.recovery import MEMBERSHIP_FACTOR
from tests.api.helpers import crowd, current_seq
from tests.support.clients import Account, Socket, join
from tests.support.live_server import LiveServer, test_settings

HISTORY = 10  # events kept per canvas; arrivals and departures: MEMBERSHIP_FACTOR x that
MEMBERSHIP_BOUND = HISTORY * (1 + MEMBERSHIP_FACTOR)
LIMIT = 40  # presence detail limit


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = test_settings(tmp_path_factory.mktemp("presence-resume"),
                             recovery_history=HISTORY, presence_detail_limit=LIMIT,
                             presence_diff_window=0.05, presence_count_interval=0.05)
    server = LiveServer(settings).start()
    yield server
    server.stop()


async def visit(server: LiveServer, canvas_id: int, accounts: list[Account]) -> None:
    """Every account arrives (all at once), then every one leaves."""
    sockets = await asyncio.gather(*(join(server.ws_base, canvas_id, a) for a in accounts))
    await asyncio.gather(*(s.close() for s in sockets))


async def settle(socket: Socket, message_type: str, active_users: int,
                 through_seq: int) -> dict[str, Any]:
    """The batched presence message that brings the socket up to ``through_seq``."""
    while True:
        message = await socket.expect(message_type)
        if message["active_users"] == active_users and message["through_seq"] >= through_seq:
            return message


async def chat(sender: Socket, *texts: str) -> None:
    for text in texts:
        await sender.send({"type": "canvas_chat", "text": text})
        await sender.expect("canvas_chat_message", message_text=text)


async def resume(server: LiveServer, canvas_id: int, account: Account, since: int,
                 epoch: str, query: str = "presence=diff") -> Socket:
    """Reconnect with ``since``; returns once everything the server sent at once is in."""
    resume_query = f"since={since}&epoch={epoch}"
    back = await join(server.ws_base, canvas_id, account,
                      f"{query}&{resume_query}" if query else resume_query)
    await back.send({"type": "ping", "id": "after-replay"})
    await back.expect("pong", id="after-replay")
    return back


def resync_reasons(socket: Socket) -> list[str]:
    return [m["reason"] for m in socket.received if m["type"] == "resync_required"]


def missed_chat(socket: Socket) -> list[str]:
    return [m["message_text"] for m in socket.received if m["type"] == "canvas_chat_message"]


async def test_a_diff_client_resumes_after_more_arrivals_than_the_history_keeps(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account
) -> None:
    canvas = await alice.create_canvas()
    canvas_id = canvas["id"]
    people = await crowd(live_server, api, 30)
    bob = (await crowd(live_server, api, 1))[0]
    sender = await join(live_server.ws_base, canvas_id, alice)  # a guide client
    await visit(live_server, canvas_id, [*people, bob])  # first visits (activity) done
    for _ in range(len(people) + 1):  # the guide client sees each departure
        await sender.expect("user_left")
    watcher = await join(live_server.ws_base, canvas_id, bob, "presence=diff")
    state = watcher.received[0]

    for _ in range(2):  # 120 arrivals and departures, nothing else
        await visit(live_server, canvas_id, people)
        for _ in people:
            await sender.expect("user_left")
    seq = await current_seq(live_server, canvas_id)
    assert seq - state["seq"] == 2 * 2 * len(people) + 1 > MEMBERSHIP_BOUND  # + bob's
    diff = await settle(watcher, "presence_diff", active_users=2, through_seq=seq)
    assert diff["through_seq"] == seq  # nothing but presence since canvas_state
    assert not [m for m in watcher.received[1:] if "seq" in m]
    await watcher.close()

    await chat(sender, "one", "two", "three")
    back = await resume(live_server, canvas_id, bob, diff["through_seq"], state["epoch"])
    assert missed_chat(back) == ["one", "two", "three"]
    assert resync_reasons(back) == []
    seqs = [m["seq"] for m in back.received[1:] if "seq" in m]
    assert seqs == sorted(set(seqs))

    # From canvas_state's seq the same client could not have resumed: the departures and
    # arrivals it never saw one by one are more than the history keeps.
    stale = await resume(live_server, canvas_id, bob, state["seq"], state["epoch"])
    assert resync_reasons(stale) == ["history_gone"]
    await chat(sender, "four")
    await back.expect("canvas_chat_message", message_text="four")
    assert missed_chat(back) == ["one", "two", "three", "four"]
    for socket in (sender, back, stale):
        await socket.close()


async def test_a_client_on_a_large_canvas_resumes_from_its_last_count(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account
) -> None:
    canvas = await alice.create_canvas()
    canvas_id = canvas["id"]
    people = await crowd(live_server, api, LIMIT + 20)
    sender = await join(live_server.ws_base, canvas_id, alice)  # a guide client
    await visit(live_server, canvas_id, people)  # first visits (activity) done
    # the server has seen every one go (a socket's first visit is out before it leaves)
    await sender.expect("user_left", active_users=1)
    bob = (await crowd(live_server, api, 1))[0]
    watcher = await join(live_server.ws_base, canvas_id, bob)  # a guide client
    state = watcher.received[0]
    # Bob's first visit is the last event before the crowd's: from here on, each
    # arrival and each departure is one numbered event.
    numbered = (await watcher.expect("activity"))["seq"]
    everyone = len(people) + 2

    async def counted(active_users: int, events: int) -> dict[str, Any]:
        """The count once the server has numbered (and so announced) ``events`` more
        arrivals or departures: a rejoin must not find its user still here."""
        nonlocal numbered
        numbered += events
        return await settle(watcher, "presence_count", active_users, through_seq=numbered)

    sockets = list(await asyncio.gather(
        *(join(live_server.ws_base, canvas_id, a) for a in people)))
    await counted(everyone, len(people))
    for _ in range(3):  # 20 leave and come back: the canvas stays above the limit
        await asyncio.gather(*(s.close() for s in sockets[-20:]))
        await counted(everyone - 20, 20)
        sockets[-20:] = await asyncio.gather(
            *(join(live_server.ws_base, canvas_id, a) for a in people[-20:]))
        count = await counted(everyone, 20)
    seq = await current_seq(live_server, canvas_id)
    assert count["through_seq"] == seq == numbered
    # the arrivals the guide client saw one by one (before the canvas grew large)
    seen = max(m["seq"] for m in watcher.received[1:] if "seq" in m)
    assert seq - seen > MEMBERSHIP_BOUND
    await watcher.close()

    await chat(sender, "while away")
    back = await resume(live_server, canvas_id, bob, count["through_seq"], state["epoch"],
                        query="")
    assert missed_chat(back) == ["while away"]
    assert resync_reasons(back) == []
    stale = await resume(live_server, canvas_id, bob, seen, state["epoch"], query="")
    assert resync_reasons(stale) == ["history_gone"]
    for socket in (sender, back, stale, *sockets):
        await socket.close()
