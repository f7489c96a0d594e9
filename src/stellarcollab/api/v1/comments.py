"""Tile comment routes: list, add, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response, status

from stellarcollab.api.v1.deps import CurrentUser, RuntimeDep
from stellarcollab.api.v1.social_schemas import CommentOut, CommentPage, TextBody

router = APIRouter(tags=["comments"])


@router.get("/tiles/{tile_id}/comments", response_model=CommentPage)
async def list_comments(tile_id: int, user: CurrentUser, runtime: RuntimeDep,
                        limit: int = Query(50, ge=1, le=200),
                        before: int | None = Query(None, ge=1)) -> Any:
    return await runtime.social.comments.list_for_tile(user, tile_id, limit, before)


@router.post("/tiles/{tile_id}/comments", response_model=CommentOut,
             status_code=status.HTTP_201_CREATED)
async def add_comment(tile_id: int, body: TextBody, user: CurrentUser,
                      runtime: RuntimeDep) -> Any:
    return await runtime.social.comments.add(user, tile_id, body.text)


@router.delete("/comments/{comment_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_comment(comment_id: int, user: CurrentUser, runtime: RuntimeDep) -> Response:
    await runtime.social.comments.delete(user, comment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
