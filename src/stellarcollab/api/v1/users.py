"""User routes: a profile with its status, one's own status, blocking, a user's activity."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response, status

from stellarcollab.api.v1.deps import CurrentUser, RuntimeDep
from stellarcollab.api.v1.social_schemas import (
    ActivityPage,
    BlockOut,
    ProfileOut,
    StatusIn,
    StatusOut,
)

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me/status", response_model=StatusOut)
async def my_status(user: CurrentUser, runtime: RuntimeDep) -> Any:
    return await runtime.social.statuses.of(user.id)


@router.put("/me/status", response_model=StatusOut)
async def set_status(body: StatusIn, user: CurrentUser, runtime: RuntimeDep) -> Any:
    return await runtime.social.statuses.set(user, body.status, body.status_message, body.emoji)


@router.delete("/me/status", response_model=StatusOut)
async def clear_status(user: CurrentUser, runtime: RuntimeDep) -> Any:
    return await runtime.social.statuses.clear(user)


@router.get("/me/blocks", response_model=list[int])
async def my_blocks(user: CurrentUser, runtime: RuntimeDep) -> Any:
    return await runtime.social.blocks.blocked_ids(user)


@router.get("/{user_id}", response_model=ProfileOut)
async def profile(user_id: int, user: CurrentUser, runtime: RuntimeDep) -> Any:
    return await runtime.social.statuses.profile(user, user_id)


@router.post("/{user_id}/block", response_model=BlockOut)
async def block(user_id: int, user: CurrentUser, runtime: RuntimeDep) -> Any:
    return await runtime.social.blocks.block(user, user_id)


@router.delete("/{user_id}/block", status_code=status.HTTP_204_NO_CONTENT)
async def unblock(user_id: int, user: CurrentUser, runtime: RuntimeDep) -> Response:
    await runtime.social.blocks.unblock(user, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{user_id}/activity", response_model=ActivityPage)
async def user_activity(user_id: int, user: CurrentUser, runtime: RuntimeDep,
                        limit: int = Query(50, ge=1, le=200),
                        before: int | None = Query(None, ge=1)) -> Any:
    return await runtime.social.activity.for_user(user, user_id, limit, before)
