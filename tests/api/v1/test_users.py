"""Profiles and custom status over REST: set, clear, validation, and what others see of
an invisible user."""

from __future__ import annotations

from tests.api.helpers import assert_error, assert_validation_error
from tests.support.clients import Account

SHARED_ACCOUNTS = False


async def test_status_is_stored_and_shown_in_the_profile(alice: Account, bob: Account) -> None:
    response = await alice.put("/api/v1/users/me/status", {
        "status": "busy", "status_message": "  drawing a dragon ", "emoji": "🐉"})
    assert response.status_code == 200, response.text
    assert response.json() == {"user_id": alice.id, "status": "busy",
                               "status_message": "drawing a dragon", "emoji": "🐉"}
    profile = (await bob.get(f"/api/v1/users/{alice.id}")).json()
    assert profile["username"] == alice.username
    assert (profile["status"], profile["status_message"], profile["emoji"]) == (
        "busy", "drawing a dragon", "🐉")
    assert profile["blocked"] is False
    assert (await alice.get("/api/v1/users/me/status")).json()["status"] == "busy"

    cleared = await alice.delete("/api/v1/users/me/status")
    assert cleared.json() == {"user_id": alice.id, "status": "online",
                              "status_message": None, "emoji": None}


async def test_invisible_looks_offline_to_others(alice: Account, bob: Account) -> None:
    await alice.put("/api/v1/users/me/status", {"status": "invisible", "status_message": "shh"})
    seen = (await bob.get(f"/api/v1/users/{alice.id}")).json()
    assert (seen["status"], seen["status_message"]) == ("offline", None)
    own = (await alice.get(f"/api/v1/users/{alice.id}")).json()
    assert (own["status"], own["status_message"]) == ("invisible", "shh")


async def test_status_rules(alice: Account) -> None:
    path = "/api/v1/users/me/status"
    assert_validation_error(await alice.put(path, {"status": "sleeping"}), "status")
    assert_error(await alice.put(path, {"status": "away", "status_message": "x" * 81}), 422,
                 "Status message must be at most 80 characters")
    assert_error(await alice.put(path, {"status": "away", "emoji": "a b"}), 422,
                 "Emoji must not contain spaces")
    ok = await alice.put(path, {"status": "away", "status_message": "   ", "emoji": ""})
    assert ok.json()["status_message"] is None and ok.json()["emoji"] is None


async def test_profile_of_missing_user(alice: Account) -> None:
    assert_error(await alice.get("/api/v1/users/987654"), 404, "User not found")
    assert_error(await alice.get(f"/api/v1/users/{2**40}"), 404, "User not found")
