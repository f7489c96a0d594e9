"""Request and response shapes of the moderation, report and admin routes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from stellarcollab.api.v1.schemas import NoNul
from stellarcollab.wire.moderation import (
    BROADCAST_MAX_LENGTH,
    MAX_DURATION_S,
    REASON_MAX_LENGTH,
    REPORT_REASON_MAX_LENGTH,
    TARGET_ID_MAX_LENGTH,
)

Reason = Annotated[str, StringConstraints(max_length=REASON_MAX_LENGTH, strip_whitespace=True),
                   NoNul]


class ModerationRequest(BaseModel):
    action: Literal["mute", "unmute", "kick", "ban", "unban"]
    user_id: int
    duration_s: int | None = Field(None, ge=1, le=MAX_DURATION_S)
    reason: Reason = ""


class ModerationActionOut(BaseModel):
    type: str
    action: str
    canvas_id: int
    user_id: int
    username: str
    by_user_id: int
    by_username: str
    until: str | None
    reason: str
    timestamp: str


class ModeratorOut(BaseModel):
    canvas_id: int
    user_id: int
    username: str
    display_name: str
    is_moderator: bool


class SanctionOut(BaseModel):
    user_id: int
    username: str
    kind: str
    until: str | None
    by_user_id: int
    reason: str
    created_at: str


class UserBrief(BaseModel):
    user_id: int
    username: str
    display_name: str


class ModerationOverview(BaseModel):
    canvas_id: int
    role: Literal["user", "moderator", "owner", "admin"]
    muted: SanctionOut | None
    banned: SanctionOut | None
    moderators: list[UserBrief]
    sanctions: list[SanctionOut]


class TileVersionOut(BaseModel):
    tile_id: int
    version: int
    pixels: str
    editor_id: int
    editor_username: str
    created_at: str


class TileVersionPage(BaseModel):
    items: list[TileVersionOut]
    has_more: bool


class RevertRequest(BaseModel):
    version: int = Field(ge=1)
    reason: Reason = ""


class BulkDeleteOut(BaseModel):
    canvas_id: int
    creator_id: int
    deleted: int
    tile_ids: list[int]


class ReportCreate(BaseModel):
    target_type: Literal["message", "tile", "comment", "user"]
    target_id: Annotated[str, StringConstraints(min_length=1,
                                                max_length=TARGET_ID_MAX_LENGTH)] | int
    reason: Annotated[str, StringConstraints(min_length=1, max_length=REPORT_REASON_MAX_LENGTH,
                                             strip_whitespace=True), NoNul]


class ReportOut(BaseModel):
    id: int
    reporter_id: int
    reporter_username: str
    target_type: str
    target_id: str
    target_summary: str
    canvas_id: int | None
    reason: str
    status: str
    resolution_note: str
    resolved_by: int | None
    resolved_at: str | None
    created_at: str


class ReportPage(BaseModel):
    items: list[ReportOut]
    has_more: bool


class ReportClose(BaseModel):
    resolution: Literal["resolved", "dismissed"]
    note: Reason = ""


class AdminUserOut(BaseModel):
    id: int
    username: str
    display_name: str
    email: str
    is_admin: bool
    is_active: bool
    created_at: str


class AdminUserPage(BaseModel):
    items: list[AdminUserOut]
    total: int
    limit: int
    offset: int


class AdminUserChange(BaseModel):
    is_admin: bool | None = None
    is_active: bool | None = None
    reason: Reason = ""


class AuditEntryOut(BaseModel):
    id: int
    actor_id: int
    actor_username: str
    action: str
    target_type: str
    target_id: str
    canvas_id: int | None
    reason: str
    details: dict[str, Any]
    created_at: str


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    has_more: bool


class BroadcastRequest(BaseModel):
    text: Annotated[str, StringConstraints(min_length=1, max_length=4 * BROADCAST_MAX_LENGTH),
                    NoNul]  # the service trims, then applies the broadcast rule
    level: Literal["info", "warning", "critical"] = "info"
    canvas_id: int | None = None


class AdminMessageOut(BaseModel):
    type: str
    text: str
    level: str
    canvas_id: int | None
    sender: UserBrief
    timestamp: str
