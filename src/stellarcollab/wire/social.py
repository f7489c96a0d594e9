"""Messages of the social layer. Server: direct messages and read receipts, notifications
(to one user's sockets), activity entries, tile comments and stored-status changes (on a
canvas), announcements (to every socket or one canvas's). Client: ``direct_message``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from stellarcollab.wire import rules
from stellarcollab.wire.client import ClientCommand, Fields, client_message
from stellarcollab.wire.registry import server_message


class Actor(TypedDict):
    user_id: int
    username: str
    display_name: str


_NOW = "2026-12-01T20:15:03.123Z"
_SARAH: Actor = {"user_id": 123, "username": "stellarsarah", "display_name": "Sarah Johnson"}
_MIKE: Actor = {"user_id": 77, "username": "mike", "display_name": "Mike"}


@server_message("direct_message", example={
    "message_id": 901, "sender_id": 123, "sender_username": "stellarsarah",
    "sender_display_name": "Sarah Johnson", "recipient_id": 77,
    "message_text": "Love your nebula!", "created_at": _NOW})
def direct_message(*, message_id: int, sender_id: int, sender_username: str,
                   sender_display_name: str, recipient_id: int, message_text: str,
                   created_at: str) -> dict[str, Any]:
    """Sent to every socket of both users; the sender's copy is the ack."""
    return {"type": "direct_message", "message_id": message_id, "sender_id": sender_id,
            "sender_username": sender_username, "sender_display_name": sender_display_name,
            "recipient_id": recipient_id, "message_text": message_text,
            "created_at": created_at}


@server_message("direct_message_read", example={
    "user_id": 77, "peer_id": 123, "up_to_message_id": 901})
def direct_message_read(*, user_id: int, peer_id: int, up_to_message_id: int) -> dict[str, Any]:
    """``user_id`` has read every message ``peer_id`` sent them up to the given id."""
    return {"type": "direct_message_read", "user_id": user_id, "peer_id": peer_id,
            "up_to_message_id": up_to_message_id}


@server_message("notification", example={
    "notification_id": 5, "kind": "tile_liked", "actor": _MIKE, "actors": [_MIKE, _SARAH],
    "count": 2, "canvas_id": 1, "tile_id": 456, "message_id": None, "is_read": False,
    "created_at": _NOW, "updated_at": _NOW})
def notification(*, notification_id: int, kind: str, actor: Actor | None, actors: list[Actor],
                 count: int, canvas_id: int | None, tile_id: int | None,
                 message_id: str | None, is_read: bool, created_at: str,
                 updated_at: str) -> dict[str, Any]:
    """A new or merged (same id, higher ``count``) notification, to its user only."""
    return {"type": "notification", "notification_id": notification_id, "kind": kind,
            "actor": actor, "actors": actors, "count": count, "canvas_id": canvas_id,
            "tile_id": tile_id, "message_id": message_id, "is_read": is_read,
            "created_at": created_at, "updated_at": updated_at}


@server_message("activity", numbered=True, example={
    "activity_id": 31, "kind": "tile_liked", "actor": _MIKE, "canvas_id": 1, "tile_id": 456,
    "created_at": _NOW})
def activity(*, activity_id: int, kind: str, actor: Actor, canvas_id: int,
             tile_id: int | None, created_at: str) -> dict[str, Any]:
    return {"type": "activity", "activity_id": activity_id, "kind": kind, "actor": actor,
            "canvas_id": canvas_id, "tile_id": tile_id, "created_at": created_at}


@server_message("tile_comment", numbered=True, example={
    "comment_id": 12, "tile_id": 456, "canvas_id": 1, "author_id": 77,
    "author_username": "mike", "author_display_name": "Mike", "text": "Stellar work!",
    "created_at": _NOW})
def tile_comment(*, comment_id: int, tile_id: int, canvas_id: int, author_id: int,
                 author_username: str, author_display_name: str, text: str,
                 created_at: str) -> dict[str, Any]:
    return {"type": "tile_comment", "comment_id": comment_id, "tile_id": tile_id,
            "canvas_id": canvas_id, "author_id": author_id, "author_username": author_username,
            "author_display_name": author_display_name, "text": text,
            "created_at": created_at}


@server_message("tile_comment_deleted", numbered=True, example={
    "comment_id": 12, "tile_id": 456, "canvas_id": 1})
def tile_comment_deleted(*, comment_id: int, tile_id: int, canvas_id: int) -> dict[str, Any]:
    return {"type": "tile_comment_deleted", "comment_id": comment_id, "tile_id": tile_id,
            "canvas_id": canvas_id}


@server_message("announcement", example={
    "announcement_id": 3, "text": "Maintenance at 22:00 UTC", "canvas_id": None,
    "starts_at": _NOW, "ends_at": _NOW})
def announcement(*, announcement_id: int, text: str, canvas_id: int | None, starts_at: str,
                 ends_at: str) -> dict[str, Any]:
    """Global (``canvas_id`` null) or for one canvas; live when its window opens, and to
    each socket that connects while it is open, right after ``canvas_state``."""
    return {"type": "announcement", "announcement_id": announcement_id, "text": text,
            "canvas_id": canvas_id, "starts_at": starts_at, "ends_at": ends_at}


@server_message("user_presence_update", numbered=True,
                # the publisher adds the user's editing cell, as to every presence update
                filled_on_publish=frozenset({"tile_x", "tile_y", "is_editing"}), example={
    "user_id": 123, "username": "stellarsarah", "display_name": "Sarah Johnson",
    "status": "busy", "status_message": "drawing a dragon", "emoji": "🐉",
    "timestamp": _NOW})
def custom_status_changed(*, user_id: int, username: str, display_name: str, status: str,
                          status_message: str | None, emoji: str | None,
                          timestamp: str) -> dict[str, Any]:
    """A user's stored status changed (over REST or ``status_change``); sent to every
    canvas the user is on. ``presence_type`` says which kind of presence update it is."""
    return {"type": "user_presence_update", "user_id": user_id, "username": username,
            "display_name": display_name, "presence_type": "status_change",
            "status": status, "status_message": status_message, "emoji": emoji,
            "timestamp": timestamp}


@dataclass(frozen=True, slots=True)
class DirectMessageCommand(ClientCommand):
    request_type = "direct_message"
    to_user_id: int
    text: str


@client_message("direct_message")
def parse_direct_message(f: Fields) -> ClientCommand:
    """``{type: "direct_message", to_user_id, text}``: the same rules as chat text."""
    to_user_id = f.integer("to_user_id")
    if to_user_id < 1:
        raise f.fail("to_user_id must be a positive integer")
    return DirectMessageCommand(
        to_user_id, f.text("text", lambda text: rules.chat_text(text, f.chat_max_length)))
