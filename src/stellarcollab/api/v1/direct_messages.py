"""Direct message routes: conversations, history, sending, read markers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, status

from stellarcollab.api.v1.deps import CurrentUser, RuntimeDep
from stellarcollab.api.v1.social_schemas import (
    ConversationList,
    DirectMessageOut,
    DirectMessagePage,
    ReadOut,
    ReadRequest,
    TextBody,
)

router = APIRouter(prefix="/dm", tags=["direct messages"])


@router.get("", response_model=ConversationList)
async def conversations(user: CurrentUser, runtime: RuntimeDep) -> Any:
    return await runtime.social.direct_messages.conversations(user)


@router.get("/{user_id}/messages", response_model=DirectMessagePage)
async def history(user_id: int, user: CurrentUser, runtime: RuntimeDep,
                  limit: int = Query(50, ge=1, le=200),
                  before: int | None = Query(None, ge=1)) -> Any:
    return await runtime.social.direct_messages.history(user, user_id, limit, before)


@router.post("/{user_id}/messages", response_model=DirectMessageOut,
             status_code=status.HTTP_201_CREATED)
async def send(user_id: int, body: TextBody, user: CurrentUser, runtime: RuntimeDep) -> Any:
    return await runtime.social.direct_messages.send(user, user_id, body.text)


@router.post("/{user_id}/read", response_model=ReadOut)
async def mark_read(user_id: int, body: ReadRequest, user: CurrentUser,
                    runtime: RuntimeDep) -> Any:
    return await runtime.social.direct_messages.mark_read(user, user_id, body.up_to_message_id)
