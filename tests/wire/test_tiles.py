"""Constructors of the tile messages: flat, with pixels only when drawn."""

from __future__ import annotations

import pytest

from stellarcollab.wire import tiles
from stellarcollab.wire.registry import Builder

TILE: tiles.TileFacts = {
    "tile_id": 456, "canvas_id": 1, "creator_id": 123, "creator_username": "stellarsarah",
    "x": 15, "y": 10, "like_count": 5, "version": 2,
}
NOW = "2026-12-01T20:15:03.123Z"


@pytest.mark.parametrize("build", [tiles.tile_created, tiles.tile_updated])
def test_drawn_tiles_carry_pixels(build: Builder) -> None:
    assert build(tile=TILE, pixels="AAAA", user_id=77, timestamp=NOW) == {
        "type": build.__name__, **TILE, "user_id": 77, "timestamp": NOW, "pixels": "AAAA"}


@pytest.mark.parametrize("build", [tiles.tile_deleted, tiles.tile_liked, tiles.tile_unliked])
def test_other_tile_events_carry_no_pixels(build: Builder) -> None:
    assert build(tile=TILE, user_id=77, timestamp=NOW) == {
        "type": build.__name__, **TILE, "user_id": 77, "timestamp": NOW}
