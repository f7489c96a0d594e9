"""Canvas activity feed route."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from stellarcollab.api.v1.deps import CurrentUser, RuntimeDep
from stellarcollab.api.v1.social_schemas import ActivityPage

router = APIRouter(prefix="/canvases", tags=["activity"])


@router.get("/{canvas_id}/activity", response_model=ActivityPage)
async def canvas_activity(canvas_id: int, user: CurrentUser, runtime: RuntimeDep,
                          limit: int = Query(50, ge=1, le=200),
                          before: int | None = Query(None, ge=1)) -> Any:
    return await runtime.social.activity.for_canvas(user, canvas_id, limit, before)
