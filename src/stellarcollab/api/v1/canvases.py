"""Canvas routes: CRUD, membership, region reads, the rendered image, who is here."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response, status

from stellarcollab.api.v1.deps import CurrentUser, RuntimeDep
from stellarcollab.api.v1.schemas import (
    ActiveUserOut,
    CanvasCreate,
    CanvasOut,
    CanvasPage,
    CanvasUpdate,
    MemberAdd,
    MemberOut,
    TileOut,
)
from stellarcollab.db.types import MAX_INT
from stellarcollab.services.canvases import CanvasSpec

router = APIRouter(prefix="/canvases", tags=["canvases"])


@router.get("", response_model=CanvasPage)
async def list_canvases(
    user: CurrentUser,
    runtime: RuntimeDep,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=MAX_INT),
) -> dict[str, Any]:
    return await runtime.canvases.list_for(user, limit, offset)


@router.post("", response_model=CanvasOut, status_code=status.HTTP_201_CREATED)
async def create_canvas(body: CanvasCreate, user: CurrentUser, runtime: RuntimeDep) -> Any:
    return await runtime.canvases.create(user, CanvasSpec(**body.model_dump()))


@router.get("/{canvas_id}", response_model=CanvasOut)
async def get_canvas(canvas_id: int, user: CurrentUser, runtime: RuntimeDep) -> Any:
    return await runtime.canvases.get(user, canvas_id)


@router.patch("/{canvas_id}", response_model=CanvasOut)
async def update_canvas(
    canvas_id: int, body: CanvasUpdate, user: CurrentUser, runtime: RuntimeDep
) -> Any:
    return await runtime.canvases.update(user, canvas_id, body.model_dump(exclude_unset=True))


@router.delete("/{canvas_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_canvas(canvas_id: int, user: CurrentUser, runtime: RuntimeDep) -> Response:
    await runtime.canvases.delete(user, canvas_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{canvas_id}/members", response_model=MemberOut,
             status_code=status.HTTP_201_CREATED)
async def add_member(
    canvas_id: int, body: MemberAdd, user: CurrentUser, runtime: RuntimeDep
) -> Any:
    return await runtime.canvases.add_member(user, canvas_id, body.username)


@router.delete("/{canvas_id}/members/{member_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(
    canvas_id: int, member_id: int, user: CurrentUser, runtime: RuntimeDep
) -> Response:
    await runtime.canvases.remove_member(user, canvas_id, member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{canvas_id}/tiles", response_model=list[TileOut])
async def canvas_tiles(
    canvas_id: int,
    user: CurrentUser,
    runtime: RuntimeDep,
    x0: int | None = Query(None, ge=0),
    y0: int | None = Query(None, ge=0),
    x1: int | None = Query(None, ge=0),
    y1: int | None = Query(None, ge=0),
) -> Any:
    corners = (x0, y0, x1, y1)
    bounds = None
    if any(c is not None for c in corners):
        bounds = (x0 or 0, y0 or 0, 255 if x1 is None else x1, 255 if y1 is None else y1)
    return await runtime.tiles.region(user, canvas_id, bounds)


@router.get(
    "/{canvas_id}/image.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
async def canvas_image(canvas_id: int, user: CurrentUser, runtime: RuntimeDep) -> Response:
    png = await runtime.images.png(user, canvas_id)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-cache"})


@router.get("/{canvas_id}/users", response_model=list[ActiveUserOut])
async def canvas_users(
    canvas_id: int, user: CurrentUser, runtime: RuntimeDep,
    offset: int = Query(0, ge=0, le=MAX_INT),
    limit: int | None = Query(None, ge=1, le=10_000),
) -> Any:
    """Who is here, oldest first; ``offset``/``limit`` page a large canvas's list (its
    ``canvas_state`` lists only the first users)."""
    await runtime.canvases.canvas_for(user, canvas_id)
    return await runtime.manager.get_canvas_active_users(canvas_id, offset, limit)
