"""Level-of-detail reads of a canvas: the overview image, region images at a chosen
scale, and the tile facts of a region. Images carry an ETag; a matching If-None-Match
gets 304 without the image being drawn or sent again."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response, status
from pydantic import BaseModel

from stellarcollab.api.v1.deps import CurrentUser, RuntimeDep
from stellarcollab.db.types import MAX_INT
from stellarcollab.services.region_images import CanvasImage


class RegionBounds(BaseModel):
    rx: int
    ry: int
    x0: int
    y0: int
    x1: int
    y1: int


class TileFactsOut(BaseModel):
    id: int
    canvas_id: int
    x: int
    y: int
    version: int
    like_count: int
    creator_id: int
    creator_username: str
    created_at: str
    updated_at: str


class RegionTilesOut(BaseModel):
    region: RegionBounds
    tiles: list[TileFactsOut]


router = APIRouter(prefix="/canvases", tags=["regions"])

CACHE_CONTROL = "private, no-cache"
PNG_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {}}, "description": "The image, with its ETag"},
    304: {"description": "Unchanged since the ETag given in If-None-Match"},
}
RegionIndex = Annotated[int, Path(ge=0, le=MAX_INT)]
IfNoneMatch = Annotated[str | None, Header(max_length=512)]


def first_etag(if_none_match: str | None) -> str | None:
    """The first entity tag of an If-None-Match header (weak or strong), or None."""
    if not if_none_match:
        return None
    tag = if_none_match.split(",")[0].strip()
    return tag.removeprefix("W/") or None


def image_response(image: CanvasImage, if_none_match: str | None) -> Response:
    headers = {"ETag": image.etag, "Cache-Control": CACHE_CONTROL}
    if image.png is None or image.etag in (if_none_match or ""):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(image.png, media_type="image/png", headers=headers)


@router.get("/{canvas_id}/overview.png", response_class=Response, responses=PNG_RESPONSES)
async def canvas_overview(
    canvas_id: int, user: CurrentUser, runtime: RuntimeDep, if_none_match: IfNoneMatch = None
) -> Response:
    image = await runtime.region_images.overview(user, canvas_id, first_etag(if_none_match))
    return image_response(image, if_none_match)


@router.get("/{canvas_id}/regions/{rx}/{ry}.png", response_class=Response,
            responses=PNG_RESPONSES)
async def region_image(
    canvas_id: int,
    rx: RegionIndex,
    ry: RegionIndex,
    user: CurrentUser,
    runtime: RuntimeDep,
    scale: int | None = Query(None, ge=1, le=64,
                              description="pixels per cell; default: the tile size"),
    if_none_match: IfNoneMatch = None,
) -> Response:
    image = await runtime.region_images.region(
        user, canvas_id, rx, ry, scale, first_etag(if_none_match)
    )
    return image_response(image, if_none_match)


@router.get("/{canvas_id}/regions/{rx}/{ry}/tiles", response_model=RegionTilesOut)
async def region_tiles(
    canvas_id: int, rx: RegionIndex, ry: RegionIndex, user: CurrentUser, runtime: RuntimeDep
) -> Any:
    return await runtime.region_tiles.facts(user, canvas_id, rx, ry)
