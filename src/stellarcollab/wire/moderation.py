"""Moderation and administration on the wire: the server messages (sanctions, deleted
messages, reports, admin broadcasts, the ``muted`` error), the client messages
``moderation``, ``report`` and ``admin_broadcast``, and their value rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stellarcollab.wire import rules
from stellarcollab.wire.client import ClientCommand, Fields, client_message
from stellarcollab.wire.registry import server_message

ACTIONS = ("mute", "unmute", "kick", "ban", "unban")
TARGET_TYPES = ("message", "tile", "comment", "user")
LEVELS = ("info", "warning", "critical")
REASON_MAX_LENGTH = 500
REPORT_REASON_MAX_LENGTH = 1000
BROADCAST_MAX_LENGTH = 500
MAX_DURATION_S = 366 * 24 * 3600
TARGET_ID_MAX_LENGTH = 64

_NOW = "2026-12-02T10:00:00.000Z"
_SARAH = {"user_id": 123, "username": "stellarsarah", "display_name": "Sarah Johnson"}
_REPORT = {
    "id": 17, "reporter_id": 123, "reporter_username": "stellarsarah", "target_type": "message",
    "target_id": "0b7d3c0e-4c1e-4b43-9d55-3f1f0c2a9e11", "target_summary": "buy cheap pixels",
    "canvas_id": 1, "reason": "spam", "status": "open", "resolution_note": "",
    "resolved_by": None, "resolved_at": None, "created_at": _NOW,
}


# ----- value rules (shared by the socket parsers and REST) ---------------------------

def reason_text(value: str) -> str:
    """Why a moderator acted: up to 500 characters, may be empty."""
    return rules.clean_text(value, REASON_MAX_LENGTH, allow_empty=True)


def report_reason(value: str) -> str:
    """Why a user reports something: 1-1000 characters."""
    return rules.clean_text(value, REPORT_REASON_MAX_LENGTH)


def broadcast_text(value: str) -> str:
    return rules.clean_text(value, BROADCAST_MAX_LENGTH)


def one_of(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise rules.RuleViolation(f"must be one of {', '.join(allowed)}")
    return value


# ----- server messages ---------------------------------------------------------------

@server_message("moderation_action", numbered=True, example={
    "action": "mute", "canvas_id": 1, "user_id": 45, "username": "spammer",
    "by_user_id": 123, "by_username": "stellarsarah", "until": "2026-12-02T10:10:00.000Z",
    "reason": "flooding the chat", "timestamp": _NOW,
})
def moderation_action(*, action: str, canvas_id: int, user_id: int, username: str,
                      by_user_id: int, by_username: str, until: str | None, reason: str,
                      timestamp: str) -> dict[str, Any]:
    """A moderator muted, unmuted, kicked, banned or unbanned ``user_id`` on the canvas;
    ``until`` is when a mute or ban ends (null: until lifted, or a kick)."""
    return {"type": "moderation_action", "action": action, "canvas_id": canvas_id,
            "user_id": user_id, "username": username, "by_user_id": by_user_id,
            "by_username": by_username, "until": until, "reason": reason,
            "timestamp": timestamp}


@server_message("chat_message_deleted", numbered=True, example={
    "message_id": "0b7d3c0e-4c1e-4b43-9d55-3f1f0c2a9e11", "canvas_id": 1, "by_user_id": 123,
    "timestamp": _NOW,
})
def chat_message_deleted(*, message_id: str, canvas_id: int, by_user_id: int,
                         timestamp: str) -> dict[str, Any]:
    """The message is gone from the history; clients remove it."""
    return {"type": "chat_message_deleted", "message_id": message_id, "canvas_id": canvas_id,
            "by_user_id": by_user_id, "timestamp": timestamp}


@server_message("report_created", example={"report": _REPORT, "reporter": _SARAH})
def report_created(*, report: Mapping[str, Any], reporter: Mapping[str, Any]) -> dict[str, Any]:
    """To ``admins``, and to the owner and moderators of the reported content's canvas.
    ``report`` is the REST report object."""
    return {"type": "report_created", "report_id": report["id"],
            "target_type": report["target_type"], "target_id": report["target_id"],
            "canvas_id": report["canvas_id"], "reason": report["reason"],
            "created_at": report["created_at"], "reporter": dict(reporter),
            "report": dict(report)}


@server_message("report_closed", example={
    "report": {**_REPORT, "status": "resolved", "resolved_by": 1, "resolved_at": _NOW}})
def report_closed(*, report: Mapping[str, Any]) -> dict[str, Any]:
    """To ``admins``: a report was resolved or dismissed (admin pages drop it)."""
    return {"type": "report_closed", "report": dict(report)}


@server_message("admin_message", example={
    "text": "Maintenance at 22:00 UTC", "level": "warning", "sender": _SARAH,
    "timestamp": _NOW,
})
def admin_message(*, text: str, level: str, sender: Mapping[str, Any],
                  timestamp: str) -> dict[str, Any]:
    """An admin's broadcast to every socket (``canvas_id`` null)."""
    return {"type": "admin_message", "text": text, "level": level, "canvas_id": None,
            "sender": dict(sender), "timestamp": timestamp}


@server_message("admin_message", numbered=True, example={
    "text": "This canvas closes tonight", "level": "info", "canvas_id": 1, "sender": _SARAH,
    "timestamp": _NOW,
})
def canvas_admin_message(*, text: str, level: str, canvas_id: int, sender: Mapping[str, Any],
                         timestamp: str) -> dict[str, Any]:
    """An admin's broadcast to one canvas."""
    return {"type": "admin_message", "text": text, "level": level, "canvas_id": canvas_id,
            "sender": dict(sender), "timestamp": timestamp}


@server_message("error", example={
    "message": "You are muted on this canvas until 2026-12-02T10:10:00.000Z",
    "request_type": "canvas_chat", "until": "2026-12-02T10:10:00.000Z",
})
def muted_error(*, message: str, request_type: str | None, until: str | None) -> dict[str, Any]:
    """``code: "muted"``: chat refused while muted; ``until`` null means until unmuted."""
    return {"type": "error", "code": "muted", "message": message,
            "request_type": request_type, "until": until}


# ----- client messages ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ModerationCommand(ClientCommand):
    request_type = "moderation"
    action: str
    user_id: int
    duration_s: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class ReportCommand(ClientCommand):
    request_type = "report"
    target_type: str
    target_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class AdminBroadcastCommand(ClientCommand):
    request_type = "admin_broadcast"
    text: str
    level: str
    canvas_id: int | None


def _optional_int(f: Fields, name: str) -> int | None:
    return None if f.data.get(name) is None else f.integer(name)


@client_message("moderation")
def parse_moderation(f: Fields) -> ClientCommand:
    action = f.text("action", lambda value: one_of(value, ACTIONS))
    duration = _optional_int(f, "duration_s")
    if duration is not None and not 1 <= duration <= MAX_DURATION_S:
        raise f.fail(f"duration_s must be between 1 and {MAX_DURATION_S}")
    return ModerationCommand(action, f.integer("user_id"), duration,
                             f.text("reason", reason_text, default=""))


@client_message("report")
def parse_report(f: Fields) -> ClientCommand:
    target_type = f.text("target_type", lambda value: one_of(value, TARGET_TYPES))
    raw_id = f.data.get("target_id")
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        target_id = str(raw_id)
    else:
        target_id = f.text("target_id", lambda v: rules.clean_text(v, TARGET_ID_MAX_LENGTH))
    return ReportCommand(target_type, target_id, f.text("reason", report_reason))


@client_message("admin_broadcast")
def parse_admin_broadcast(f: Fields) -> ClientCommand:
    return AdminBroadcastCommand(
        f.text("text", broadcast_text),
        f.text("level", lambda value: one_of(value, LEVELS), default="info"),
        _optional_int(f, "canvas_id"))


@server_message("report_filed", example={"report": _REPORT})
def report_filed(*, report: Mapping[str, Any]) -> dict[str, Any]:
    """The answer to a ``report`` socket message: the stored report (REST answers 201)."""
    return {"type": "report_filed", "report": dict(report)}
