"""Chat with a client id: a retry (over REST or the socket) returns the stored message and
never stores it twice, however the retries race."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.helpers import assert_validation_error
from tests.support.clients import Account, join
from tests.support.live_server import LiveServer

SHARED_ACCOUNTS = True


def chat_path(canvas_id: int) -> str:
    return f"/api/v1/canvases/{canvas_id}/chat/messages"


async def history(account: Account, canvas_id: int) -> list[dict[str, Any]]:
    response = await account.get(chat_path(canvas_id), params={"limit": 200})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_rest_retry_returns_the_stored_message(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    first = await bob.post(chat_path(canvas["id"]), {"text": "once", "client_id": "m-1"})
    again = await bob.post(chat_path(canvas["id"]), {"text": "once", "client_id": "m-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert first.json()["client_id"] == "m-1"
    other = await alice.post(chat_path(canvas["id"]), {"text": "mine", "client_id": "m-1"})
    assert other.json()["id"] != first.json()["id"]  # client ids are per sender
    assert [m["text"] for m in await history(alice, canvas["id"])] == ["once", "mine"]


async def test_racing_retries_store_one_message(alice: Account) -> None:
    canvas = await alice.create_canvas()
    responses = await asyncio.gather(*(
        alice.post(chat_path(canvas["id"]), {"text": "hi", "client_id": "race"})
        for _ in range(8)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(await history(alice, canvas["id"])) == 1


async def test_others_sent_beside_a_duplicate_are_stored(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    sends = [alice.post(chat_path(canvas["id"]), {"text": "dup", "client_id": "d"})
             for _ in range(4)]
    sends += [bob.post(chat_path(canvas["id"]), {"text": f"b{n}"}) for n in range(4)]
    responses = await asyncio.gather(*sends)
    assert {r.status_code for r in responses} == {201}
    texts = sorted(m["text"] for m in await history(alice, canvas["id"]))
    assert texts == ["b0", "b1", "b2", "b3", "dup"]


async def test_a_bad_client_id_is_refused(alice: Account) -> None:
    canvas = await alice.create_canvas()
    response = await alice.post(chat_path(canvas["id"]), {"text": "x", "client_id": "no spaces"})
    assert_validation_error(response, "client_id")


async def test_a_socket_retry_is_answered_without_a_second_broadcast(
    live_server: LiveServer, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    sender = await join(live_server.ws_base, canvas["id"], alice)
    watcher = await join(live_server.ws_base, canvas["id"], bob)
    message = {"type": "canvas_chat", "text": "hello", "client_id": "sock-1"}
    await sender.send(message)
    ack = await sender.expect("canvas_chat_message", client_id="sock-1")
    seen = await watcher.expect("canvas_chat_message", client_id="sock-1")
    await sender.send(message)  # the sender did not see its ack, say, and retries
    again = await sender.expect("canvas_chat_message", client_id="sock-1")
    assert again["message_id"] == ack["message_id"] == seen["message_id"]
    assert "seq" not in again  # answered to the sender alone
    await watcher.expect_nothing("canvas_chat_message")
    await sender.send({"type": "canvas_chat", "text": "x", "client_id": "bad id!"})
    refused = await sender.expect("error")
    assert refused["code"] == "invalid_message" and refused["request_type"] == "canvas_chat"
    assert len(await history(alice, canvas["id"])) == 1
    await sender.close()
    await watcher.close()
