"""Account routes: register, login, refresh, password change, logout, me.

Registration, login, refresh and password changes pass the throttles first (429 with
Retry-After); a password change closes the user's sockets on every process."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request, Response, status

from stellarcollab.api.v1.deps import CurrentUser, RuntimeDep, SessionUser
from stellarcollab.api.v1.schemas import (
    LoginRequest,
    PasswordChangeRequest,
    RegisterRequest,
    TokenOut,
    UserOut,
)
from stellarcollab.security.socket_guard import client_address
from stellarcollab.services.errors import Unauthorized
from stellarcollab.services.views import user_view

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", response_model=TokenOut, status_code=status.HTTP_201_CREATED)
async def register(body: RegisterRequest, runtime: RuntimeDep, request: Request) -> dict[str, Any]:
    await runtime.throttle.before_register(client_address(request.scope))
    user = await runtime.users.register(
        body.username, str(body.email), body.password, body.display_name
    )
    return runtime.users.token_response(user)


@router.post("/login", response_model=TokenOut)
async def login(body: LoginRequest, runtime: RuntimeDep, request: Request) -> dict[str, Any]:
    await runtime.throttle.before_login(body.username, client_address(request.scope))
    try:
        user = await runtime.users.authenticate(body.username, body.password)
    except Unauthorized:
        await runtime.throttle.login_failed(body.username)
        raise
    return runtime.users.token_response(user)


@router.post("/refresh", response_model=TokenOut)
async def refresh(session: SessionUser, runtime: RuntimeDep) -> dict[str, Any]:
    """A fresh token for a valid one, within the session's lifetime since sign-in."""
    user, claims, _token = session
    await runtime.throttle.before_refresh(user.id)
    if time.time() - claims.auth_time > runtime.settings.session_max_seconds:
        raise Unauthorized("Session expired; sign in again")
    return runtime.users.token_response(user, claims.auth_time)


@router.post("/password", response_model=TokenOut)
async def change_password(body: PasswordChangeRequest, session: SessionUser,
                          runtime: RuntimeDep, request: Request) -> dict[str, Any]:
    """Every older token of the account stops working; the answer carries a new one."""
    user = session[0]
    await runtime.throttle.before_login(user.username, client_address(request.scope))
    try:
        user = await runtime.users.change_password(user.id, body.current_password,
                                                   body.new_password)
    except Unauthorized:
        await runtime.throttle.login_failed(user.username)
        raise
    await runtime.revoke_user(user.id, "password changed")
    return runtime.users.token_response(user)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(session: SessionUser, runtime: RuntimeDep) -> Response:
    await runtime.logout(session[1])
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=UserOut)
async def me(user: CurrentUser) -> dict[str, Any]:
    return user_view(user)
