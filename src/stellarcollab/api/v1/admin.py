"""Admin routes: users (search, admin flag, deactivation), the audit log, broadcast.
Every one of them is refused (403) to anyone who is not an admin."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from stellarcollab.api.v1.deps import CurrentUser, RuntimeDep
from stellarcollab.api.v1.moderation_schemas import (
    AdminMessageOut,
    AdminUserChange,
    AdminUserOut,
    AdminUserPage,
    AuditPage,
    BroadcastRequest,
)
from stellarcollab.db.types import MAX_INT

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/users", response_model=AdminUserPage)
async def search_users(user: CurrentUser, runtime: RuntimeDep,
                       q: str | None = Query(None, max_length=64),
                       limit: int = Query(50, ge=1, le=200),
                       offset: int = Query(0, ge=0, le=MAX_INT)) -> Any:
    return await runtime.moderation.admin_users.search(user, q, limit, offset)


@router.patch("/users/{user_id}", response_model=AdminUserOut)
async def change_user(user_id: int, body: AdminUserChange, user: CurrentUser,
                      runtime: RuntimeDep) -> Any:
    return await runtime.moderation.admin_users.change(
        user, user_id, body.is_admin, body.is_active, body.reason)


@router.get("/audit", response_model=AuditPage)
async def audit_log(user: CurrentUser, runtime: RuntimeDep,
                    before: int | None = Query(None, ge=1, le=MAX_INT),
                    limit: int = Query(50, ge=1, le=200),
                    actor_id: int | None = Query(None, ge=1, le=MAX_INT),
                    target_type: str | None = Query(None, max_length=16),
                    target_id: str | None = Query(None, max_length=64),
                    action: str | None = Query(None, max_length=32)) -> Any:
    return await runtime.moderation.audit.page(
        user, limit=limit, before=before, actor_id=actor_id, target_type=target_type,
        target_id=target_id, action=action)


@router.post("/broadcast", response_model=AdminMessageOut)
async def broadcast(body: BroadcastRequest, user: CurrentUser, runtime: RuntimeDep) -> Any:
    return await runtime.moderation.broadcast.send(user, body.text, body.level, body.canvas_id)
