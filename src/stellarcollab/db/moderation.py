"""Moderation tables: canvas moderators, mutes and bans, tile versions, reports, the audit
log and per-user token cut-offs. Same declarative Base as the core model."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from stellarcollab.db.models import Base
from stellarcollab.db.types import UTCDateTime, utcnow


class CanvasModerator(Base):
    __tablename__ = "canvas_moderators"

    canvas_id: Mapped[int] = mapped_column(
        ForeignKey("canvases.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    appointed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CanvasSanction(Base):
    """A mute or a ban of one user on one canvas; ``until`` None means until lifted."""

    __tablename__ = "canvas_sanctions"

    canvas_id: Mapped[int] = mapped_column(
        ForeignKey("canvases.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TileVersion(Base):
    """The pixels of every version a tile has had, kept so a moderator can revert."""

    __tablename__ = "tile_versions"
    __table_args__ = (UniqueConstraint("tile_id", "version", name="uq_tile_versions_tile_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tile_id: Mapped[int] = mapped_column(ForeignKey("tiles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    pixels: Mapped[bytes] = mapped_column(LargeBinary)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Report(Base):
    """A user's report of a message, tile, comment or user.

    ``open_key`` is set while the report is open and cleared when it is closed: its UNIQUE
    constraint allows one open report per reporter and target (NULLs never collide)."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(64))
    canvas_id: Mapped[int | None] = mapped_column(
        ForeignKey("canvases.id", ondelete="CASCADE"), nullable=True, index=True
    )
    target_summary: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    open_key: Mapped[str | None] = mapped_column(String(120), unique=True, nullable=True)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_actor", "actor_id", "id"),
        Index("ix_audit_entries_target", "target_type", "target_id", "id"),
        Index("ix_audit_entries_action", "action", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(64))
    canvas_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TokenCutoff(Base):
    """Tokens of this user issued before ``not_before`` (epoch seconds, to the
    millisecond as tokens carry it) are refused."""

    __tablename__ = "token_cutoffs"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    not_before: Mapped[float] = mapped_column(Float)
