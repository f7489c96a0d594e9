"""The pure rules behind the services: pixels, chat text, cells, rendering."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from PIL import Image

from stellarcollab.db.models import Canvas
from stellarcollab.db.types import isoformat_z
from stellarcollab.services.chat import clean_chat_text
from stellarcollab.services.errors import Invalid, OutOfBounds
from stellarcollab.services.images import render_png, tile_pixels_per_side
from stellarcollab.services.locks import check_cell
from stellarcollab.services.tiles import decode_pixels


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize("size", [16, 32, 64])
def test_decode_pixels_accepts_exactly_one_tile(size: int) -> None:
    raw = bytes(range(256)) * (size * size * 4 // 256)
    assert decode_pixels(b64(raw), size) == raw


@pytest.mark.parametrize(("raw_len", "size"), [(0, 16), (1023, 16), (1025, 16), (1024, 32)])
def test_decode_pixels_names_the_expected_size(raw_len: int, size: int) -> None:
    with pytest.raises(Invalid) as caught:
        decode_pixels(b64(bytes(raw_len)), size)
    assert caught.value.detail == (
        f"pixels must decode to {size * size * 4} bytes ({size}x{size} RGBA), got {raw_len}")
    assert caught.value.status_code == 422


@pytest.mark.parametrize("text", ["abc", "a b", "ab=c", "a" * 5, "é"])
def test_decode_pixels_refuses_non_base64(text: str) -> None:
    with pytest.raises(Invalid) as caught:
        decode_pixels(text, 16)
    assert caught.value.detail == "pixels must be base64-encoded RGBA bytes"


def test_clean_chat_text() -> None:
    assert clean_chat_text("  hi \n", 2000) == "hi"
    assert clean_chat_text(" " + "x" * 10 + " ", 10) == "x" * 10
    with pytest.raises(Invalid, match=r"^Message text must not be empty$"):
        clean_chat_text(" \t\n ", 2000)
    with pytest.raises(Invalid, match=r"^Message text must be at most 10 characters$"):
        clean_chat_text("x" * 11, 10)


def canvas(width: int, height: int, tile_size: int = 16) -> Canvas:
    return Canvas(width=width, height=height, tile_size=tile_size)


def test_check_cell_bounds() -> None:
    board = canvas(3, 2)
    for x, y in ((0, 0), (2, 1), (2, 0), (0, 1)):
        check_cell(board, x, y)
    for x, y in ((3, 0), (0, 2), (-1, 0), (0, -1)):
        with pytest.raises(OutOfBounds) as caught:
            check_cell(board, x, y)
        assert caught.value.detail == f"Tile position ({x}, {y}) is outside the canvas (3x2)"
        assert caught.value.status_code == 400


@pytest.mark.parametrize(("width", "height", "tile_size", "side"), [
    (32, 32, 32, 32), (256, 1, 16, 16), (256, 256, 64, 16), (100, 3, 64, 40), (1, 1, 64, 64),
])
def test_image_side_stays_within_4096(width: int, height: int, tile_size: int,
                                      side: int) -> None:
    assert tile_pixels_per_side(canvas(width, height, tile_size)) == side
    assert max(width, height) * side <= 4096


def test_render_png_places_tiles_and_leaves_the_rest_transparent() -> None:
    board = canvas(3, 2, 16)
    red = bytes((255, 0, 0, 255)) * 256
    half = bytes((0, 0, 255, 128)) * 256
    png = render_png(board, [(2, 1, red), (0, 0, half)])
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (48, 32) and image.mode == "RGBA"
    assert image.getpixel((40, 20)) == (255, 0, 0, 255)
    assert image.getpixel((5, 5)) == (0, 0, 255, 128)
    assert image.getpixel((20, 5)) == (0, 0, 0, 0)
    assert image.getpixel((47, 15)) == (0, 0, 0, 0)


def test_isoformat_z_is_utc_with_milliseconds() -> None:
    moment = datetime(2026, 12, 1, 20, 15, 3, 123456, tzinfo=UTC)
    assert isoformat_z(moment) == "2026-12-01T20:15:03.123Z"
    east = moment.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert isoformat_z(east) == "2026-12-01T20:15:03.123Z"
    # milliseconds always written, and cut (not rounded) from the microseconds
    assert isoformat_z(moment.replace(microsecond=0)) == "2026-12-01T20:15:03.000Z"
    assert isoformat_z(moment.replace(microsecond=999_999)) == "2026-12-01T20:15:03.999Z"
