"""Announcement routes: admins create and delete; everyone lists the active ones."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response, status

from stellarcollab.api.v1.deps import CurrentUser, RuntimeDep
from stellarcollab.api.v1.social_schemas import AnnouncementIn, AnnouncementOut

router = APIRouter(tags=["announcements"])


@router.get("/announcements", response_model=list[AnnouncementOut])
async def active_announcements(user: CurrentUser, runtime: RuntimeDep,
                               canvas_id: int | None = Query(None)) -> Any:
    return await runtime.social.announcements.active(user, canvas_id)


@router.post("/admin/announcements", response_model=AnnouncementOut,
             status_code=status.HTTP_201_CREATED)
async def create_announcement(body: AnnouncementIn, user: CurrentUser,
                              runtime: RuntimeDep) -> Any:
    return await runtime.social.announcements.create(
        user, body.text, body.canvas_id, body.starts_at, body.ends_at)


@router.delete("/admin/announcements/{announcement_id}",
               status_code=status.HTTP_204_NO_CONTENT)
async def delete_announcement(announcement_id: int, user: CurrentUser,
                              runtime: RuntimeDep) -> Response:
    await runtime.social.announcements.delete(user, announcement_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
