"""A full-canvas picture to seed with: a coloured Mandelbrot set cut into tiles."""

from __future__ import annotations

from collections.abc import Iterator

from PIL import Image, ImageOps

DETAIL = 4  # canvas pixels per picture pixel: blocky, like pixel art


def palette_picture(width: int, height: int) -> Image.Image:
    """An RGBA picture of width x height pixels with detail at every scale."""
    size = (max(1, width // DETAIL), max(1, height // DETAIL))
    base = Image.effect_mandelbrot(size, (-2.2, -1.3, 0.8, 1.3), 60)
    coloured = ImageOps.colorize(base, black="#10123a", white="#ffe9a8", mid="#d6336c",
                                 midpoint=110)
    # A light grain, as hand-placed pixels have: it keeps the images from compressing
    # better than real drawings would.
    grain = ImageOps.colorize(Image.effect_noise(size, 40).convert("L"), black="#000000",
                              white="#ffffff")
    textured = Image.blend(coloured, grain, 0.10)
    return textured.resize((width, height), Image.Resampling.NEAREST).convert("RGBA")


def tiles_of(picture: Image.Image, tile_size: int) -> Iterator[tuple[int, int, bytes]]:
    """(x, y, RGBA bytes) of every tile_size x tile_size cell of the picture, row by row."""
    columns, rows = picture.width // tile_size, picture.height // tile_size
    for y in range(rows):
        strip = picture.crop((0, y * tile_size, picture.width, (y + 1) * tile_size))
        for x in range(columns):
            cell = strip.crop((x * tile_size, 0, (x + 1) * tile_size, tile_size))
            yield x, y, cell.tobytes()
