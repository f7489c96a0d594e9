"""Level-of-detail rasters of a canvas: regions of REGION_CELLS x REGION_CELLS cells drawn at
a chosen number of pixels per cell, and the overview composed of small region rasters.

Pure and synchronous (Pillow); callers run it in a worker thread.
"""

from __future__ import annotations

import io

from PIL import Image

REGION_CELLS = 16
OVERVIEW_MAX_SIDE = 1024
TRANSPARENT = (0, 0, 0, 0)

CellPixels = tuple[int, int, bytes]  # x, y within the canvas, RGBA bytes


def scales_for(tile_size: int) -> list[int]:
    """The pixels-per-cell levels a region can be drawn at: powers of two up to tile_size."""
    levels, scale = [], 1
    while scale <= tile_size:
        levels.append(scale)
        scale *= 2
    return levels


def overview_scale(width: int, height: int, tile_size: int) -> int:
    """The largest level whose whole-canvas image fits in OVERVIEW_MAX_SIDE pixels."""
    fitting = [s for s in scales_for(tile_size) if max(width, height) * s <= OVERVIEW_MAX_SIDE]
    return fitting[-1] if fitting else 1


def region_count(width: int, height: int) -> tuple[int, int]:
    """Regions across and down."""
    return -(-width // REGION_CELLS), -(-height // REGION_CELLS)


def region_cells(width: int, height: int, rx: int, ry: int) -> tuple[int, int, int, int]:
    """Inclusive cell bounds (x0, y0, x1, y1) of region (rx, ry), clipped to the canvas."""
    x0, y0 = rx * REGION_CELLS, ry * REGION_CELLS
    return x0, y0, min(width, x0 + REGION_CELLS) - 1, min(height, y0 + REGION_CELLS) - 1


def render_region(
    bounds: tuple[int, int, int, int], tile_size: int, cells: list[CellPixels], scale: int
) -> Image.Image:
    """The region's cells at ``scale`` pixels per cell (box-averaged below full size).

    Each row of cells is stacked into one tall strip (tiles are stored row by row, so their
    bytes simply follow each other), reduced in one call, then its tiles are laid side by
    side by re-slicing rows: no per-tile image objects."""
    x0, y0, x1, y1 = bounds
    columns, rows = x1 - x0 + 1, y1 - y0 + 1
    blank = bytes(tile_size * tile_size * 4)
    grid: list[list[bytes]] = [[blank] * columns for _ in range(rows)]
    for x, y, pixels in cells:
        grid[y - y0][x - x0] = pixels
    factor = tile_size // scale
    row_bytes = scale * 4
    out: list[bytes] = []
    for tiles in grid:
        strip = Image.frombytes("RGBA", (tile_size, tile_size * columns), b"".join(tiles))
        data = (strip.reduce(factor) if factor > 1 else strip).tobytes()
        for line in range(scale):
            out.extend(data[(i * scale + line) * row_bytes:(i * scale + line + 1) * row_bytes]
                       for i in range(columns))
    return Image.frombytes("RGBA", (columns * scale, rows * scale), b"".join(out))


def compose_overview(
    width: int, height: int, scale: int, chunks: dict[tuple[int, int], Image.Image]
) -> Image.Image:
    """The whole canvas from its region rasters (all drawn at ``scale``)."""
    overview = Image.new("RGBA", (width * scale, height * scale), TRANSPARENT)
    step = REGION_CELLS * scale
    for (rx, ry), chunk in chunks.items():
        overview.paste(chunk, (rx * step, ry * step))
    return overview


def encode_png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()
