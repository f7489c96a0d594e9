"""Direct messages over REST: sending, history, conversations with unread counts, read
markers, blocking, and the text rules."""

from __future__ import annotations

import httpx

from tests.api.helpers import assert_error, assert_validation_error
from tests.support.clients import Account, register

BLOCKED = "Direct messages between these users are blocked"


async def _send(sender: Account, to: Account, text: str) -> dict[str, object]:
    response = await sender.post(f"/api/v1/dm/{to.id}/messages", {"text": text})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_send_and_read_history(alice: Account, bob: Account) -> None:
    first = await _send(alice, bob, "  hello bob  ")
    assert first["message_text"] == "hello bob"
    assert first["sender_id"] == alice.id and first["recipient_id"] == bob.id
    assert first["sender_username"] == alice.username
    assert str(first["created_at"]).endswith("Z")
    second = await _send(bob, alice, "hi alice")
    for reader, peer in ((alice, bob), (bob, alice)):
        page = (await reader.get(f"/api/v1/dm/{peer.id}/messages")).json()
        assert [m["message_id"] for m in page["items"]] == [
            first["message_id"], second["message_id"]]
        assert page["has_more"] is False


async def test_history_pages_backwards(alice: Account, bob: Account) -> None:
    ids = [(await _send(alice, bob, f"m{i}"))["message_id"] for i in range(5)]
    newest = (await bob.get(f"/api/v1/dm/{alice.id}/messages", params={"limit": 2})).json()
    assert [m["message_id"] for m in newest["items"]] == ids[3:] and newest["has_more"]
    older = (await bob.get(f"/api/v1/dm/{alice.id}/messages",
                           params={"limit": 2, "before": ids[3]})).json()
    assert [m["message_id"] for m in older["items"]] == ids[1:3]


async def test_conversations_count_unread_and_read_markers(
    api: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    carol = await register(api)
    await _send(alice, bob, "one")
    last_from_alice = await _send(alice, bob, "two")
    await _send(carol, bob, "from carol")
    listing = (await bob.get("/api/v1/dm")).json()
    peers = [c["user"]["user_id"] for c in listing["items"]]
    assert peers == [carol.id, alice.id]  # newest conversation first
    unread = {c["user"]["user_id"]: c["unread_count"] for c in listing["items"]}
    assert unread == {carol.id: 1, alice.id: 2} and listing["unread_total"] == 3
    assert (await alice.get("/api/v1/dm")).json()["items"][0]["unread_count"] == 0

    read = await bob.post(f"/api/v1/dm/{alice.id}/read",
                          {"up_to_message_id": last_from_alice["message_id"]})
    assert read.status_code == 200, read.text
    assert read.json() == {"user_id": bob.id, "peer_id": alice.id,
                           "up_to_message_id": last_from_alice["message_id"],
                           "unread_count": 0}
    # A marker never moves backwards.
    back = await bob.post(f"/api/v1/dm/{alice.id}/read", {"up_to_message_id": 1})
    assert back.json()["up_to_message_id"] == last_from_alice["message_id"]
    assert (await bob.get("/api/v1/dm")).json()["unread_total"] == 1
    seen = (await alice.get(f"/api/v1/dm/{bob.id}/messages")).json()
    assert seen["peer_read_up_to"] == last_from_alice["message_id"]


async def test_blocking_stops_messages_both_ways(alice: Account, bob: Account) -> None:
    await _send(alice, bob, "before the block")
    blocked = await bob.post(f"/api/v1/users/{alice.id}/block")
    assert blocked.status_code == 200 and blocked.json() == {"user_id": alice.id,
                                                            "blocked": True}
    assert (await bob.post(f"/api/v1/users/{alice.id}/block")).status_code == 200  # idempotent
    assert_error(await alice.post(f"/api/v1/dm/{bob.id}/messages", {"text": "hi"}), 403, BLOCKED)
    assert_error(await bob.post(f"/api/v1/dm/{alice.id}/messages", {"text": "hi"}), 403, BLOCKED)
    # Blocking hides nothing else: the history stays readable.
    history = (await alice.get(f"/api/v1/dm/{bob.id}/messages")).json()["items"]
    assert [m["message_text"] for m in history] == ["before the block"]
    assert (await bob.get("/api/v1/users/me/blocks")).json() == [alice.id]

    assert (await bob.delete(f"/api/v1/users/{alice.id}/block")).status_code == 204
    assert_error(await bob.delete(f"/api/v1/users/{alice.id}/block"), 404, "Block not found")
    await _send(alice, bob, "after the unblock")


async def test_bad_requests(alice: Account, bob: Account) -> None:
    dm = f"/api/v1/dm/{bob.id}/messages"
    assert_error(await alice.post(dm, {"text": "   "}), 422, "Message text must not be empty")
    assert_error(await alice.post(dm, {"text": "x" * 2001}), 422,
                 "Message text must be at most 2000 characters")
    assert_error(await alice.post(f"/api/v1/dm/{alice.id}/messages", {"text": "me"}), 422,
                 "You cannot message yourself")
    for missing in (999999, 2**40):
        assert_error(await alice.post(f"/api/v1/dm/{missing}/messages", {"text": "x"}), 404,
                     "User not found")
        assert_error(await alice.get(f"/api/v1/dm/{missing}/messages"), 404, "User not found")
    assert_error(await alice.post(f"/api/v1/users/{alice.id}/block"), 422,
                 "You cannot block yourself")
    assert_validation_error(await alice.post(dm, {}), "text")
    assert_validation_error(await alice.post(f"/api/v1/dm/{bob.id}/read",
                                             {"up_to_message_id": 0}), "up_to_message_id")
    assert (await alice.api.get("/api/v1/dm")).status_code == 401
