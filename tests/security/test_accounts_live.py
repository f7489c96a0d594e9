"""Throttled sign-in and registration, and password changes, against a live server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.api.helpers import make_admin
from tests.support.clients import join, register
from tests.support.live_server import LiveServer, test_settings
from tests.support.timeouts import scaled

LOCKOUT_SECONDS = 3


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(test_settings(
        tmp_path_factory.mktemp("accounts"),
        login_failures_per_account=10,
        login_lockout_seconds=LOCKOUT_SECONDS,
        refreshes_per_user_per_minute=3,
        tickets_per_user_per_minute=3,
    )).start()
    yield server
    server.stop()


@pytest.fixture
async def api(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as client:
        yield client


async def login(api: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await api.post("/api/v1/auth/login",
                          json={"username": username, "password": password})


async def test_wrong_passwords_lock_the_account_even_for_the_right_one(
    api: httpx.AsyncClient,
) -> None:
    account = await register(api)
    answers = [await login(api, account.username, "wrong-password") for _ in range(20)]
    codes = [answer.status_code for answer in answers]
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}, codes
    refused = answers[-1]
    assert 1 <= int(refused.headers["Retry-After"]) <= LOCKOUT_SECONDS
    assert refused.json()["detail"] == "Too many requests; try again later"
    assert (await login(api, account.username, "correct-horse")).status_code == 429
    deadline = time.monotonic() + scaled(LOCKOUT_SECONDS + 10)
    while (answer := await login(api, account.username, "correct-horse")).status_code == 429:
        assert time.monotonic() < deadline, "the lockout never ended"
        await asyncio.sleep(0.25)  # polling the server's own clock, not waiting for an event
    assert answer.status_code == 200


async def test_refresh_and_tickets_are_limited_per_user(api: httpx.AsyncClient) -> None:
    account = await register(api)
    refreshes = [await account.post("/api/v1/auth/refresh") for _ in range(4)]
    tickets = [await account.post("/api/v1/ws/ticket") for _ in range(4)]
    assert [r.status_code for r in refreshes] == [200, 200, 200, 429]
    assert [t.status_code for t in tickets] == [200, 200, 200, 429]
    assert "Retry-After" in refreshes[-1].headers


async def test_password_change_revokes_older_tokens_and_closes_sockets(
    live_server: LiveServer, api: httpx.AsyncClient,
) -> None:
    account = await register(api)
    canvas = await account.create_canvas()
    socket = await join(live_server.ws_base, canvas["id"], account)
    wrong = await account.post("/api/v1/auth/password", {
        "current_password": "not-it", "new_password": "a-new-password"})
    assert wrong.status_code == 401
    started = time.monotonic()
    changed = await account.post("/api/v1/auth/password", {
        "current_password": "correct-horse", "new_password": "a-new-password"})
    assert changed.status_code == 200
    assert await socket.closed(timeout=2) == 4001
    assert time.monotonic() - started < scaled(2)
    assert (await account.get("/api/v1/auth/me")).status_code == 401
    fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert (await api.get("/api/v1/auth/me", headers=fresh)).status_code == 200
    assert (await login(api, account.username, "correct-horse")).status_code == 401
    assert (await login(api, account.username, "a-new-password")).status_code == 200


async def test_deactivation_closes_the_users_sockets(
    live_server: LiveServer, api: httpx.AsyncClient,
) -> None:
    account = await register(api)
    canvas = await account.create_canvas()
    socket = await join(live_server.ws_base, canvas["id"], account)
    admin = await register(api)
    await make_admin(live_server, admin)
    deactivated = await admin.patch(f"/api/v1/admin/users/{account.id}", {"is_active": False})
    assert deactivated.status_code == 200, deactivated.text
    assert await socket.closed(timeout=2) == 4001
    assert (await account.get("/api/v1/auth/me")).status_code == 401


async def test_refresh_keeps_the_sign_in_time_and_stops_at_the_session_limit(
    live_server: LiveServer, api: httpx.AsyncClient,
) -> None:
    account = await register(api)
    runtime = live_server.runtime
    user = live_server.run(runtime.users.get(account.id))
    assert user is not None
    stamp = runtime.tokens.stamp_for(user.password_hash)
    week = runtime.settings.session_max_seconds
    signed_in = int(time.time()) - week + 60
    recent, _ = runtime.tokens.issue(account.id, stamp, auth_time=signed_in)
    refreshed = await api.post("/api/v1/auth/refresh",
                               headers={"Authorization": f"Bearer {recent}"})
    assert refreshed.status_code == 200
    claims = runtime.tokens.decode(refreshed.json()["access_token"])
    # issued_at is to the millisecond, expires_at to the second
    assert claims.auth_time == signed_in and claims.expires_at - int(claims.issued_at) == 900
    stale, _ = runtime.tokens.issue(account.id, stamp, auth_time=signed_in - 120)
    expired = await api.post("/api/v1/auth/refresh",
                             headers={"Authorization": f"Bearer {stale}"})
    assert expired.status_code == 401
    assert expired.json()["detail"] == "Session expired; sign in again"
