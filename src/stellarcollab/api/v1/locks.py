"""Editing-lease routes: take or renew, and release, the lease on one cell."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from stellarcollab.api.v1.deps import CurrentUser, RuntimeDep
from stellarcollab.api.v1.schemas import LeaseOut

router = APIRouter(prefix="/canvases", tags=["locks"])


@router.post("/{canvas_id}/locks/{x}/{y}", response_model=LeaseOut)
async def take_lock(canvas_id: int, x: int, y: int, user: CurrentUser, runtime: RuntimeDep) -> Any:
    lease = await runtime.locks.acquire(user, canvas_id, x, y)
    return {**lease.view(), "ttl_seconds": runtime.settings.lock_ttl_seconds}


@router.delete("/{canvas_id}/locks/{x}/{y}", status_code=status.HTTP_204_NO_CONTENT)
async def release_lock(
    canvas_id: int, x: int, y: int, user: CurrentUser, runtime: RuntimeDep
) -> Response:
    await runtime.locks.release(user, canvas_id, x, y)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
