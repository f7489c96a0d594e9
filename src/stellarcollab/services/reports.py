"""Reports: a user points at a message, tile, comment or user; admins (and the canvas's
moderators, for its content) see it live and resolve or dismiss it; the reporter is told.

One open report per reporter and target: the ``open_key`` UNIQUE constraint decides
between concurrent duplicates.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from stellarcollab.db.engine import Database
from stellarcollab.db.models import Canvas, User
from stellarcollab.db.moderation import CanvasModerator, Report
from stellarcollab.db.types import fits_int_column, isoformat_z, utcnow
from stellarcollab.realtime.topics import ADMINS, user_topic
from stellarcollab.services import audit
from stellarcollab.services.errors import Conflict, Forbidden, NotFound
from stellarcollab.services.events import EventSink
from stellarcollab.services.moderation import moderator_ids, refused
from stellarcollab.services.moderation_rules import (
    ModerationRefused,
    canvas_role,
    check_may_see_report,
)
from stellarcollab.services.notifications import record_notification
from stellarcollab.services.outbox import Outbox
from stellarcollab.services.report_targets import resolve_target
from stellarcollab.services.views import user_brief
from stellarcollab.wire.moderation import report_closed, report_created

REPORT_NOT_FOUND = "Report not found"
ALREADY_REPORTED = "You already have an open report about this"
STATUSES = ("open", "resolved", "dismissed")
CLOSE_ACTIONS = {"resolved": "resolve_report", "dismissed": "dismiss_report"}


def report_view(report: Report, reporter: str) -> dict[str, Any]:
    return {
        "id": report.id, "reporter_id": report.reporter_id, "reporter_username": reporter,
        "target_type": report.target_type, "target_id": report.target_id,
        "target_summary": report.target_summary, "canvas_id": report.canvas_id,
        "reason": report.reason, "status": report.status,
        "resolution_note": report.resolution_note, "resolved_by": report.resolved_by,
        "resolved_at": isoformat_z(report.resolved_at) if report.resolved_at else None,
        "created_at": isoformat_z(report.created_at),
    }


class ReportService:
    def __init__(self, db: Database, events: EventSink) -> None:
        self.db = db
        self.events = events

    async def create(self, reporter: User, target_type: str, target_id: str,
                     reason: str) -> dict[str, Any]:
        try:
            async with self.db.transaction() as session:
                target = await resolve_target(session, reporter, target_type, target_id)
                report = Report(
                    reporter_id=reporter.id, target_type=target.target_type,
                    target_id=target.target_id, canvas_id=target.canvas_id,
                    target_summary=target.summary, reason=reason, status="open",
                    open_key=f"{reporter.id}:{target.target_type}:{target.target_id}",
                    resolution_note="", created_at=utcnow())
                session.add(report)
                await session.flush()
                moderators = await self._canvas_moderators(session, target.canvas_id)
        except IntegrityError as exc:
            raise Conflict(ALREADY_REPORTED) from exc
        view = report_view(report, reporter.username)
        event = report_created(report=view, reporter=user_brief(reporter))
        await self.events.publish_to_topic(ADMINS, event)
        for moderator_id in sorted(moderators):
            await self.events.publish_to_topic(user_topic(moderator_id), event)
        return view

    async def _canvas_moderators(self, session: AsyncSession, canvas_id: int | None) -> set[int]:
        """Owner and moderators of the canvas who are not admins (admins hear it anyway)."""
        if canvas_id is None:
            return set()
        canvas = await session.get(Canvas, canvas_id)
        if canvas is None:
            return set()
        ids = await moderator_ids(session, canvas_id) | {canvas.owner_id}
        admins = set(await session.scalars(
            select(User.id).where(User.id.in_(ids), User.is_admin.is_(True))))
        return ids - admins

    async def page(self, user: User, status: str | None, limit: int,
                   offset: int) -> dict[str, Any]:
        """Admins see every report; owners and moderators those about their canvases."""
        reporter = aliased(User)
        query = select(Report, reporter.username).join(reporter, reporter.id == Report.reporter_id)
        if status is not None:
            query = query.where(Report.status == status)
        if not user.is_admin:
            moderated = select(CanvasModerator.canvas_id).where(CanvasModerator.user_id == user.id)
            owned = select(Canvas.id).where(Canvas.owner_id == user.id)
            query = query.where(or_(Report.canvas_id.in_(moderated), Report.canvas_id.in_(owned)))
        async with self.db.read() as session:
            if not user.is_admin and not await self._moderates_any(session, user):
                raise Forbidden("Only admins and canvas moderators can list reports")
            rows = (await session.execute(
                query.order_by(Report.id.desc()).limit(limit + 1).offset(offset))).all()
        return {"items": [report_view(r, name) for r, name in rows[:limit]],
                "has_more": len(rows) > limit}

    async def _moderates_any(self, session: AsyncSession, user: User) -> bool:
        moderates = await session.scalar(
            select(CanvasModerator.canvas_id).where(CanvasModerator.user_id == user.id).limit(1))
        owns = await session.scalar(select(Canvas.id).where(Canvas.owner_id == user.id).limit(1))
        return moderates is not None or owns is not None

    async def close(self, user: User, report_id: int, resolution: str,
                    note: str) -> dict[str, Any]:
        """Resolve or dismiss; the reporter gets a stored ``report_resolved`` notification."""
        told = Outbox()
        async with self.db.transaction() as session:
            report = await session.get(Report, report_id, with_for_update=True) \
                if fits_int_column(report_id) else None
            if report is None:
                raise NotFound(REPORT_NOT_FOUND)
            await self._check_may_handle(session, user, report)
            if report.status != "open":
                raise Conflict("Report is already closed")
            report.status, report.resolution_note, report.open_key = resolution, note, None
            report.resolved_by, report.resolved_at = user.id, utcnow()
            await record_notification(
                session, told, recipient_id=report.reporter_id, kind="report_resolved",
                actor=user, group_key=f"report:{report.id}", canvas_id=report.canvas_id)
            audit.record(session, user, CLOSE_ACTIONS[resolution], "report", report.id,
                         reason=note, canvas_id=report.canvas_id,
                         details={"target_type": report.target_type,
                                  "target_id": report.target_id})
            reporter = await session.get(User, report.reporter_id)
        view = report_view(report, reporter.username if reporter else "")
        for recipient_id, event in told.user_events:
            await self.events.publish_to_topic(user_topic(recipient_id), event)
        await self.events.publish_to_topic(ADMINS, report_closed(report=view))
        return view

    async def _check_may_handle(self, session: AsyncSession, user: User, report: Report) -> None:
        role = canvas_role(user.id, bool(user.is_admin), -1, set())
        if report.canvas_id is not None and not user.is_admin:
            canvas = await session.get(Canvas, report.canvas_id)
            if canvas is not None:
                role = canvas_role(user.id, False, canvas.owner_id,
                                   await moderator_ids(session, canvas.id))
        try:
            check_may_see_report(role, report.canvas_id)
        except ModerationRefused as exc:
            raise refused(exc) from None
