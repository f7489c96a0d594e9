"""Plain-dict views of the models, shared by REST responses and realtime events (whose
shapes are the wire constructors')."""

from __future__ import annotations

import base64
from typing import Any

from stellarcollab.db.models import Canvas, ChatMessage, Tile, User
from stellarcollab.db.types import isoformat_z, utcnow
from stellarcollab.wire.canvas import canvas_chat_message
from stellarcollab.wire.tiles import TileFacts


def now_iso() -> str:
    return isoformat_z(utcnow())


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "display_name": user.display_name,
        "is_admin": user.is_admin,
        "created_at": isoformat_z(user.created_at),
    }


def user_brief(user: User) -> dict[str, Any]:
    return {"user_id": user.id, "username": user.username, "display_name": user.display_name}


def canvas_view(canvas: Canvas, owner_username: str, tile_count: int) -> dict[str, Any]:
    return {
        "id": canvas.id,
        "name": canvas.name,
        "description": canvas.description,
        "width": canvas.width,
        "height": canvas.height,
        "tile_size": canvas.tile_size,
        "max_tiles_per_user": canvas.max_tiles_per_user,
        "collaboration_mode": canvas.collaboration_mode,
        "visibility": canvas.visibility,
        "is_active": canvas.is_active,
        "owner_id": canvas.owner_id,
        "owner_username": owner_username,
        "tile_count": tile_count,
        "created_at": isoformat_z(canvas.created_at),
        "updated_at": isoformat_z(canvas.updated_at),
    }


def tile_view(tile: Tile, creator_username: str) -> dict[str, Any]:
    return {
        "id": tile.id,
        "canvas_id": tile.canvas_id,
        "x": tile.x,
        "y": tile.y,
        "pixels": pixels_text(tile),
        "version": tile.version,
        "like_count": tile.like_count,
        "creator_id": tile.creator_id,
        "creator_username": creator_username,
        "created_at": isoformat_z(tile.created_at),
        "updated_at": isoformat_z(tile.updated_at),
    }


def tile_facts(tile: Tile, creator_username: str) -> TileFacts:
    """What every tile message says about ``tile``."""
    return {
        "tile_id": tile.id,
        "canvas_id": tile.canvas_id,
        "creator_id": tile.creator_id,
        "creator_username": creator_username,
        "x": tile.x,
        "y": tile.y,
        "like_count": tile.like_count,
        "version": tile.version,
    }


def pixels_text(tile: Tile) -> str:
    return base64.b64encode(tile.pixels).decode("ascii")


def message_view(message: ChatMessage, sender: User) -> dict[str, Any]:
    return {
        "id": message.id,
        "canvas_id": message.canvas_id,
        "sender_id": sender.id,
        "sender_username": sender.username,
        "sender_display_name": sender.display_name,
        "text": message.text,
        "created_at": isoformat_z(message.created_at),
        "client_id": message.client_id,
    }


def chat_event(message: ChatMessage, sender: User) -> dict[str, Any]:
    return canvas_chat_message(
        message_id=message.id,
        canvas_id=message.canvas_id,
        sender_id=sender.id,
        sender_username=sender.username,
        sender_display_name=sender.display_name,
        message_text=message.text,
        created_at=isoformat_z(message.created_at),
        client_id=message.client_id,
    )
