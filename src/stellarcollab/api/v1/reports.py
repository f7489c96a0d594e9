"""Report routes: file a report; list, resolve and dismiss them (admins and moderators)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, status

from stellarcollab.api.v1.deps import CurrentUser, RuntimeDep
from stellarcollab.api.v1.moderation_schemas import ReportClose, ReportCreate, ReportOut, ReportPage
from stellarcollab.db.types import MAX_INT

router = APIRouter(tags=["reports"])


@router.post("/reports", response_model=ReportOut, status_code=status.HTTP_201_CREATED)
async def create_report(body: ReportCreate, user: CurrentUser, runtime: RuntimeDep) -> Any:
    return await runtime.moderation.reports.create(
        user, body.target_type, str(body.target_id), body.reason)


@router.get("/admin/reports", response_model=ReportPage)
async def list_reports(user: CurrentUser, runtime: RuntimeDep,
                       status: Literal["open", "resolved", "dismissed"] | None = None,
                       limit: int = Query(50, ge=1, le=200),
                       offset: int = Query(0, ge=0, le=MAX_INT)) -> Any:
    return await runtime.moderation.reports.page(user, status, limit, offset)


@router.post("/admin/reports/{report_id}/resolve", response_model=ReportOut)
async def close_report(report_id: int, body: ReportClose, user: CurrentUser,
                       runtime: RuntimeDep) -> Any:
    return await runtime.moderation.reports.close(user, report_id, body.resolution, body.note)
