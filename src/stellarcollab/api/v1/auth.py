"""Account routes: register, login, refresh, logout, me."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from stellarcollab.api.v1.deps import CurrentUser, RuntimeDep, SessionUser
from stellarcollab.api.v1.schemas import LoginRequest, RegisterRequest, TokenOut, UserOut
from stellarcollab.services.views import user_view

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", response_model=TokenOut, status_code=status.HTTP_201_CREATED)
async def register(body: RegisterRequest, runtime: RuntimeDep) -> dict[str, Any]:
    user = await runtime.users.register(
        body.username, str(body.email), body.password, body.display_name
    )
    return runtime.users.token_response(user)


@router.post("/login", response_model=TokenOut)
async def login(body: LoginRequest, runtime: RuntimeDep) -> dict[str, Any]:
    user = await runtime.users.authenticate(body.username, body.password)
    return runtime.users.token_response(user)


@router.post("/refresh", response_model=TokenOut)
async def refresh(session: SessionUser, runtime: RuntimeDep) -> dict[str, Any]:
    return runtime.users.token_response(session[0])


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(session: SessionUser, runtime: RuntimeDep) -> Response:
    await runtime.logout(session[1])
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=UserOut)
async def me(user: CurrentUser) -> dict[str, Any]:
    return user_view(user)
