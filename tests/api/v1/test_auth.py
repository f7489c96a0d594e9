"""Auth routes against a live server."""

from __future__ import annotations

import asyncio

import httpx

from tests.support.clients import Account, register


async def test_register_returns_token_and_user(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/auth/register", json={
        "username": "sarah", "email": "Sarah@Example.com", "password": "correct-horse",
        "display_name": "Sarah Johnson"})
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["user"]["username"] == "sarah"
    assert body["user"]["email"] == "sarah@example.com"
    assert body["user"]["display_name"] == "Sarah Johnson"
    assert body["user"]["created_at"].endswith("Z")


async def test_duplicate_username_is_409(api: httpx.AsyncClient, alice: Account) -> None:
    response = await api.post("/api/v1/auth/register", json={
        "username": alice.username.upper(), "email": "other@example.com",
        "password": "correct-horse"})
    assert response.status_code == 409
    assert response.json() == {"detail": "Username already registered"}


async def test_duplicate_email_is_409_and_says_so(api: httpx.AsyncClient, alice: Account) -> None:
    response = await api.post("/api/v1/auth/register", json={
        "username": "someone-new", "email": alice.user["email"].upper(),
        "password": "correct-horse"})
    assert response.status_code == 409
    assert response.json() == {"detail": "Email already registered"}


async def test_validation_errors_are_422(api: httpx.AsyncClient) -> None:
    for body in (
        {"username": "ab", "email": "x@example.com", "password": "correct-horse"},
        {"username": "bad name!", "email": "x@example.com", "password": "correct-horse"},
        {"username": "okname", "email": "not-an-email", "password": "correct-horse"},
        {"username": "okname", "email": "x@example.com", "password": "short"},
    ):
        response = await api.post("/api/v1/auth/register", json=body)
        assert response.status_code == 422, body


async def test_login_and_me(api: httpx.AsyncClient, alice: Account) -> None:
    response = await api.post("/api/v1/auth/login", json={
        "username": alice.username, "password": "correct-horse"})
    assert response.status_code == 200
    token = response.json()["access_token"]
    me = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["id"] == alice.id


async def test_login_does_not_say_whether_user_exists(
    api: httpx.AsyncClient, alice: Account
) -> None:
    wrong_password = await api.post("/api/v1/auth/login", json={
        "username": alice.username, "password": "wrong-password"})
    no_user = await api.post("/api/v1/auth/login", json={
        "username": "nobody-here", "password": "wrong-password"})
    assert wrong_password.status_code == no_user.status_code == 401
    assert wrong_password.json() == no_user.json() == {
        "detail": "Incorrect username or password"}


async def test_missing_and_bad_tokens_are_401(api: httpx.AsyncClient) -> None:
    assert (await api.get("/api/v1/auth/me")).json() == {"detail": "Not authenticated"}
    response = await api.get("/api/v1/auth/me", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Could not validate credentials"}


async def test_refresh_issues_a_new_token(alice: Account) -> None:
    response = await alice.post("/api/v1/auth/refresh")
    assert response.status_code == 200
    assert response.json()["access_token"] != alice.token


async def test_logout_revokes_the_token(alice: Account) -> None:
    assert (await alice.post("/api/v1/auth/logout")).status_code == 204
    response = await alice.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "Token has been revoked"}


async def test_parallel_logins_do_not_stall_other_requests(
    api: httpx.AsyncClient, alice: Account
) -> None:
    logins = [
        asyncio.ensure_future(api.post("/api/v1/auth/login", json={
            "username": alice.username, "password": "correct-horse"}))
        for _ in range(10)
    ]
    health = await api.get("/api/v1/health")
    assert health.status_code == 200
    results = await asyncio.gather(*logins)
    assert all(r.status_code == 200 for r in results)


async def test_registering_many_users_concurrently(api: httpx.AsyncClient) -> None:
    accounts = await asyncio.gather(*(register(api) for _ in range(10)))
    assert len({a.id for a in accounts}) == 10
