"""Canvas moderation routes: sanctions, moderators, message deletion, tile history and
revert, bulk deletion of one creator's tiles."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response, status

from stellarcollab.api.v1.deps import CurrentUser, OriginDep, RuntimeDep
from stellarcollab.api.v1.moderation_schemas import (
    BulkDeleteOut,
    ModerationActionOut,
    ModerationOverview,
    ModerationRequest,
    ModeratorOut,
    Reason,
    RevertRequest,
    TileVersionPage,
)
from stellarcollab.api.v1.schemas import TileOut
from stellarcollab.db.types import MAX_INT

router = APIRouter(tags=["moderation"])


@router.post("/canvases/{canvas_id}/moderation", response_model=ModerationActionOut)
async def moderate(canvas_id: int, body: ModerationRequest, user: CurrentUser,
                   runtime: RuntimeDep) -> Any:
    return await runtime.moderation.actions.apply(
        user, canvas_id, body.action, body.user_id, body.duration_s, body.reason)


@router.get("/canvases/{canvas_id}/moderation", response_model=ModerationOverview)
async def moderation_overview(canvas_id: int, user: CurrentUser, runtime: RuntimeDep) -> Any:
    return await runtime.moderation.actions.overview(user, canvas_id)


@router.post("/canvases/{canvas_id}/moderators/{user_id}", response_model=ModeratorOut)
async def appoint_moderator(canvas_id: int, user_id: int, user: CurrentUser,
                            runtime: RuntimeDep) -> Any:
    return await runtime.moderation.actions.appoint(user, canvas_id, user_id, True)


@router.delete("/canvases/{canvas_id}/moderators/{user_id}", response_model=ModeratorOut)
async def remove_moderator(canvas_id: int, user_id: int, user: CurrentUser,
                           runtime: RuntimeDep) -> Any:
    return await runtime.moderation.actions.appoint(user, canvas_id, user_id, False)


@router.delete("/chat/messages/{message_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_message(message_id: str, user: CurrentUser, runtime: RuntimeDep,
                         reason: Reason = Query("")) -> Response:
    await runtime.moderation.chat_deletion.delete(user, message_id[:64], reason)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/tiles/{tile_id}/versions", response_model=TileVersionPage)
async def tile_versions(tile_id: int, user: CurrentUser, runtime: RuntimeDep,
                        limit: int = Query(20, ge=1, le=100),
                        before: int | None = Query(None, ge=1, le=MAX_INT)) -> Any:
    return await runtime.moderation.tile_versions.history(user, tile_id, limit, before)


@router.post("/tiles/{tile_id}/revert", response_model=TileOut)
async def revert_tile(tile_id: int, body: RevertRequest, user: CurrentUser, origin: OriginDep,
                      runtime: RuntimeDep) -> Any:
    return await runtime.moderation.tile_versions.revert(
        user, tile_id, body.version, body.reason, origin)


@router.delete("/canvases/{canvas_id}/tiles", response_model=BulkDeleteOut)
async def delete_tiles_of_creator(canvas_id: int, user: CurrentUser, origin: OriginDep,
                                  runtime: RuntimeDep,
                                  creator_id: int = Query(ge=1, le=MAX_INT),
                                  reason: Reason = Query("")) -> Any:
    return await runtime.moderation.tile_cleanup.delete_by_creator(
        user, canvas_id, creator_id, reason, origin)
