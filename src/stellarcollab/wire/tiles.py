"""Server messages about tiles: drawn, redrawn, deleted, liked, unliked.

Flat, as in the guide, plus what a client needs to draw without refetching: every one
carries the tile's ``TileFacts``, ``user_id`` (who caused the change; ``creator_id`` is
who drew the tile first) and ``timestamp``.
"""

from __future__ import annotations

from typing import Any, TypedDict

from stellarcollab.wire.registry import server_message


class TileFacts(TypedDict):
    """What every tile message says about the tile, spread flat into the message."""

    tile_id: int
    canvas_id: int
    creator_id: int
    creator_username: str
    x: int
    y: int
    like_count: int
    version: int


_TILE: TileFacts = {
    "tile_id": 456, "canvas_id": 1, "creator_id": 123, "creator_username": "stellarsarah",
    "x": 15, "y": 10, "like_count": 5, "version": 2,
}
_NOW = "2026-12-01T20:15:03.123Z"
_DRAWN = {"tile": _TILE, "pixels": "AAAA/w==", "user_id": 123, "timestamp": _NOW}
_TOUCHED = {"tile": _TILE, "user_id": 77, "timestamp": _NOW}


def _tile_event(message_type: str, tile: TileFacts, user_id: int,
                timestamp: str) -> dict[str, Any]:
    return {"type": message_type, **tile, "user_id": user_id, "timestamp": timestamp}


@server_message("tile_created", numbered=True, example=_DRAWN)
def tile_created(*, tile: TileFacts, pixels: str, user_id: int, timestamp: str) -> dict[str, Any]:
    """``pixels``: base64 RGBA of the whole tile."""
    return {**_tile_event("tile_created", tile, user_id, timestamp), "pixels": pixels}


@server_message("tile_updated", numbered=True, example=_DRAWN)
def tile_updated(*, tile: TileFacts, pixels: str, user_id: int, timestamp: str) -> dict[str, Any]:
    return {**_tile_event("tile_updated", tile, user_id, timestamp), "pixels": pixels}


@server_message("tile_deleted", numbered=True, example=_TOUCHED)
def tile_deleted(*, tile: TileFacts, user_id: int, timestamp: str) -> dict[str, Any]:
    return _tile_event("tile_deleted", tile, user_id, timestamp)


@server_message("tile_liked", numbered=True, example=_TOUCHED)
def tile_liked(*, tile: TileFacts, user_id: int, timestamp: str) -> dict[str, Any]:
    """``like_count`` is the count after the like; ``user_id`` the user who liked."""
    return _tile_event("tile_liked", tile, user_id, timestamp)


@server_message("tile_unliked", numbered=True, example=_TOUCHED)
def tile_unliked(*, tile: TileFacts, user_id: int, timestamp: str) -> dict[str, Any]:
    return _tile_event("tile_unliked", tile, user_id, timestamp)
