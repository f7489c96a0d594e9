"""Tile routes: create, read, redraw, delete, like, unlike."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from stellarcollab.api.v1.deps import CurrentUser, OriginDep, RuntimeDep
from stellarcollab.api.v1.schemas import LikeOut, TileCreate, TileOut, TileUpdate

router = APIRouter(prefix="/tiles", tags=["tiles"])


@router.post("", response_model=TileOut, status_code=status.HTTP_201_CREATED)
async def create_tile(
    body: TileCreate, user: CurrentUser, origin: OriginDep, runtime: RuntimeDep
) -> Any:
    return await runtime.tiles.create(user, body.canvas_id, body.x, body.y, body.pixels, origin)


@router.get("/{tile_id}", response_model=TileOut)
async def get_tile(tile_id: int, user: CurrentUser, runtime: RuntimeDep) -> Any:
    return await runtime.tiles.get(user, tile_id)


@router.put("/{tile_id}", response_model=TileOut)
async def update_tile(
    tile_id: int, body: TileUpdate, user: CurrentUser, origin: OriginDep, runtime: RuntimeDep
) -> Any:
    return await runtime.tiles.update(user, tile_id, body.pixels, body.version, origin)


@router.delete("/{tile_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_tile(
    tile_id: int, user: CurrentUser, origin: OriginDep, runtime: RuntimeDep
) -> Response:
    await runtime.tiles.delete(user, tile_id, origin)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{tile_id}/like", response_model=LikeOut)
async def like_tile(
    tile_id: int, user: CurrentUser, origin: OriginDep, runtime: RuntimeDep
) -> Any:
    return await runtime.tiles.like(user, tile_id, origin)


@router.delete("/{tile_id}/like", response_model=LikeOut)
async def unlike_tile(
    tile_id: int, user: CurrentUser, origin: OriginDep, runtime: RuntimeDep
) -> Any:
    return await runtime.tiles.unlike(user, tile_id, origin)
