"""Chat over REST: trimmed, limited, persisted and published; paged history."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.api.helpers import assert_error, assert_validation_error, crowd, current_seq, published
from tests.support.clients import Account
from tests.support.live_server import LiveServer

SHARED_ACCOUNTS = True

MESSAGE_FIELDS = {"id", "canvas_id", "sender_id", "sender_username", "sender_display_name",
                  "text", "created_at", "client_id"}


def chat_path(canvas_id: int) -> str:
    return f"/api/v1/canvases/{canvas_id}/chat/messages"


async def send(account: Account, canvas_id: int, text: str) -> dict[str, Any]:
    response = await account.post(chat_path(canvas_id), {"text": text})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_send_returns_the_stored_message(
    live_server: LiveServer, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    since = await current_seq(live_server, canvas["id"])
    message = await send(bob, canvas["id"], "  Hello everyone!\n")
    assert set(message) == MESSAGE_FIELDS
    uuid.UUID(message["id"])
    assert message["canvas_id"] == canvas["id"]
    assert message["sender_id"] == bob.id and message["sender_username"] == bob.username
    assert message["sender_display_name"] == bob.user["display_name"]
    assert message["text"] == "Hello everyone!"
    assert message["created_at"].endswith("Z")
    history = (await alice.get(chat_path(canvas["id"]))).json()
    assert history == {"items": [message], "has_more": False}

    events = await published(live_server, canvas["id"], since)
    assert len(events) == 1
    event = events[0]
    assert event["type"] == "canvas_chat_message"
    assert event["message_id"] == message["id"] and event["message_text"] == "Hello everyone!"
    assert event["sender_id"] == bob.id and event["sender_username"] == bob.username
    assert event["sender_display_name"] == bob.user["display_name"]
    assert event["created_at"] == message["created_at"]
    # Chat goes to everyone, the sender included.
    assert event["_exclude_user"] is None and event["_exclude_connection"] is None


@pytest.mark.parametrize("text", ["", " ", "\n\t  \r\n"])
async def test_empty_text_is_422(live_server: LiveServer, alice: Account, text: str) -> None:
    canvas = await alice.create_canvas()
    since = await current_seq(live_server, canvas["id"])
    assert_error(await alice.post(chat_path(canvas["id"]), {"text": text}), 422,
                 "Message text must not be empty")
    assert (await alice.get(chat_path(canvas["id"]))).json()["items"] == []
    assert await published(live_server, canvas["id"], since) == []


async def test_length_limit_counts_after_trimming(alice: Account) -> None:
    canvas = await alice.create_canvas()
    longest = "é" * 2000
    assert (await send(alice, canvas["id"], longest))["text"] == longest
    assert (await send(alice, canvas["id"], "   " + "a" * 2000 + "   "))["text"] == "a" * 2000
    assert_error(await alice.post(chat_path(canvas["id"]), {"text": "b" * 2001}), 422,
                 "Message text must be at most 2000 characters")
    assert_error(await alice.post(chat_path(canvas["id"]), {"text": "🙂" * 2001}), 422,
                 "Message text must be at most 2000 characters")
    assert_validation_error(await alice.post(chat_path(canvas["id"]), {"text": "c" * 20001}),
                            "text")
    assert len((await alice.get(chat_path(canvas["id"]))).json()["items"]) == 2


async def test_text_must_be_a_string(alice: Account) -> None:
    canvas = await alice.create_canvas()
    for body in ({}, {"text": None}, {"text": 5}, {"text": ["hi"]}):
        assert_validation_error(await alice.post(chat_path(canvas["id"]), body), "text")


async def test_history_pages_newest_first(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    cid = canvas["id"]
    sent = [await send(alice if i % 2 else bob, cid, f"message {i}") for i in range(7)]

    page = (await alice.get(chat_path(cid), params={"limit": 3})).json()
    assert [m["text"] for m in page["items"]] == ["message 4", "message 5", "message 6"]
    assert page["has_more"] is True
    assert page["items"] == sent[4:]

    page = (await alice.get(chat_path(cid), params={"limit": 3,
                                                    "before": page["items"][0]["id"]})).json()
    assert [m["text"] for m in page["items"]] == ["message 1", "message 2", "message 3"]
    assert page["has_more"] is True

    page = (await alice.get(chat_path(cid), params={"limit": 3,
                                                    "before": page["items"][0]["id"]})).json()
    assert [m["text"] for m in page["items"]] == ["message 0"]
    assert page["has_more"] is False

    page = (await alice.get(chat_path(cid), params={"limit": 3, "before": sent[0]["id"]})).json()
    assert page == {"items": [], "has_more": False}

    whole = (await alice.get(chat_path(cid))).json()
    assert whole == {"items": sent, "has_more": False}
    exact = (await alice.get(chat_path(cid), params={"limit": 7})).json()
    assert exact == {"items": sent, "has_more": False}
    six = (await alice.get(chat_path(cid), params={"limit": 6, "before": sent[6]["id"]})).json()
    assert six == {"items": sent[:6], "has_more": False}


async def test_history_default_page_is_fifty(alice: Account) -> None:
    canvas = await alice.create_canvas()
    cid = canvas["id"]
    sent = await asyncio.gather(*(alice.post(chat_path(cid), {"text": f"n{i}"})
                                  for i in range(52)))
    assert all(r.status_code == 201 for r in sent)
    page = (await alice.get(chat_path(cid))).json()
    assert len(page["items"]) == 50 and page["has_more"] is True
    rest = (await alice.get(chat_path(cid), params={"before": page["items"][0]["id"]})).json()
    assert len(rest["items"]) == 2 and rest["has_more"] is False
    ids = [m["id"] for m in rest["items"] + page["items"]]
    assert sorted(ids) == sorted(r.json()["id"] for r in sent)
    assert len(set(ids)) == 52  # the pages do not overlap


async def test_history_parameters(alice: Account) -> None:
    canvas = await alice.create_canvas()
    other = await alice.create_canvas()
    elsewhere = await send(alice, other["id"], "elsewhere")
    await send(alice, canvas["id"], "here")
    for params in ({"limit": 0}, {"limit": 201}, {"limit": "x"}, {"before": "x" * 37}):
        assert_validation_error(await alice.get(chat_path(canvas["id"]), params=params),
                                next(iter(params)))
    assert_error(await alice.get(chat_path(canvas["id"]), params={"before": str(uuid.uuid4())}),
                 404, "Message not found")
    # A message of another canvas is no anchor here.
    assert_error(await alice.get(chat_path(canvas["id"]), params={"before": elsewhere["id"]}),
                 404, "Message not found")
    assert [m["text"] for m in (await alice.get(chat_path(canvas["id"]))).json()["items"]] == [
        "here"]
    assert_error(await alice.get(chat_path(999999)), 404, "Canvas not found")
    assert_error(await alice.post(chat_path(999999), {"text": "hi"}), 404, "Canvas not found")


async def test_parallel_senders(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account
) -> None:
    canvas = await alice.create_canvas()
    senders = await crowd(live_server, api, 10)
    responses = await asyncio.gather(*(
        account.post(chat_path(canvas["id"]), {"text": f"from {account.username} #{n}"})
        for account in senders for n in range(2)))
    assert [r.status_code for r in responses] == [201] * 20
    history = (await alice.get(chat_path(canvas["id"]))).json()
    assert sorted(m["id"] for m in history["items"]) == sorted(r.json()["id"] for r in responses)
    for account in senders:
        mine = [m["text"] for m in history["items"] if m["sender_id"] == account.id]
        assert sorted(mine) == [f"from {account.username} #0", f"from {account.username} #1"]


async def test_chat_needs_a_token(api: httpx.AsyncClient, alice: Account) -> None:
    canvas = await alice.create_canvas()
    assert_error(await api.get(chat_path(canvas["id"])), 401, "Not authenticated")
    assert_error(await api.post(chat_path(canvas["id"]), json={"text": "hi"}), 401,
                 "Not authenticated")
