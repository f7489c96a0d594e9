"""The moderation messages on the wire: parsers of moderation, report and admin_broadcast,
their limits and error codes, and the constructors' shapes. No network."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stellarcollab.wire.client import CanvasBounds, ClientCommand, parse_client_message
from stellarcollab.wire.errors import ProtocolError
from stellarcollab.wire.moderation import (
    AdminBroadcastCommand,
    ModerationCommand,
    ReportCommand,
    admin_message,
    canvas_admin_message,
    muted_error,
)

BOUNDS = CanvasBounds(canvas_id=7, width=32, height=16)


def parse(message: dict[str, Any]) -> ClientCommand:
    return parse_client_message(json.dumps(message), BOUNDS)


def refused(message: dict[str, Any]) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        parse(message)
    return caught.value


def test_moderation_is_parsed_with_its_defaults() -> None:
    assert parse({"type": "moderation", "action": "kick", "user_id": 4}) == ModerationCommand(
        "kick", 4, None, "")
    assert parse({"type": "moderation", "action": "mute", "user_id": 4, "duration_s": 60,
                  "reason": "  flood  "}) == ModerationCommand("mute", 4, 60, "flood")


@pytest.mark.parametrize(("message", "text"), [
    ({"action": "explode", "user_id": 4}, "action must be one of mute, unmute, kick, ban, unban"),
    ({"action": "ban", "user_id": "4"}, "user_id must be an integer"),
    ({"action": "ban", "user_id": 4, "duration_s": 0}, "duration_s must be between 1 and 31622400"),
    ({"action": "ban", "user_id": 4, "reason": "x" * 501},
     "reason must be at most 500 characters"),
])
def test_bad_moderation_messages(message: dict[str, Any], text: str) -> None:
    error = refused({"type": "moderation", **message})
    assert (error.code, error.message, error.request_type) == (
        "invalid_message", text, "moderation")


def test_report_takes_integer_and_string_ids() -> None:
    assert parse({"type": "report", "target_type": "tile", "target_id": 12,
                  "reason": "rude"}) == ReportCommand("tile", "12", "rude")
    assert parse({"type": "report", "target_type": "message", "target_id": "abc-1",
                  "reason": "spam"}) == ReportCommand("message", "abc-1", "spam")
    assert refused({"type": "report", "target_type": "canvas", "target_id": 1,
                    "reason": "x"}).message == (
        "target_type must be one of message, tile, comment, user")
    assert refused({"type": "report", "target_type": "tile", "target_id": 1,
                    "reason": " "}).message == "reason must not be empty"


def test_admin_broadcast_defaults_to_info_for_everyone() -> None:
    assert parse({"type": "admin_broadcast", "text": "hi"}) == AdminBroadcastCommand(
        "hi", "info", None)
    assert parse({"type": "admin_broadcast", "text": "hi", "level": "critical",
                  "canvas_id": 3}) == AdminBroadcastCommand("hi", "critical", 3)
    assert refused({"type": "admin_broadcast", "text": "hi", "level": "loud"}).message == (
        "level must be one of info, warning, critical")


def test_constructors() -> None:
    sender = {"user_id": 1, "username": "admin", "display_name": "Admin"}
    assert admin_message(text="t", level="info", sender=sender, timestamp="now")["canvas_id"] \
        is None
    assert canvas_admin_message(text="t", level="info", canvas_id=3, sender=sender,
                                timestamp="now")["canvas_id"] == 3
    assert muted_error(message="m", request_type="canvas_chat", until=None) == {
        "type": "error", "code": "muted", "message": "m", "request_type": "canvas_chat",
        "until": None}
