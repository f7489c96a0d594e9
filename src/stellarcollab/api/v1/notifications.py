"""Notification routes: the list (optionally unread only) and marking read."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from stellarcollab.api.v1.deps import CurrentUser, RuntimeDep
from stellarcollab.api.v1.social_schemas import NotificationPage, NotificationsRead, UnreadOut

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.get("", response_model=NotificationPage)
async def list_notifications(user: CurrentUser, runtime: RuntimeDep,
                             unread: bool = False,
                             limit: int = Query(50, ge=1, le=200),
                             before: int | None = Query(None, ge=1)) -> Any:
    return await runtime.social.notifications.page(
        user, unread_only=unread, limit=limit, before=before)


@router.post("/read", response_model=UnreadOut)
async def mark_read(body: NotificationsRead, user: CurrentUser, runtime: RuntimeDep) -> Any:
    return await runtime.social.notifications.mark_read(user, None if body.all else body.ids)
