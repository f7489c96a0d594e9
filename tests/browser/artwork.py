"""Small pixel-art scenes, cut into tiles, so screenshots show a canvas people drew on."""

from __future__ import annotations

import base64
import random
from collections.abc import Callable, Iterator

from PIL import Image, ImageDraw

Scene = Callable[[ImageDraw.ImageDraw, int, int], None]

HILL = (46, 125, 50)
ROCKET_CELL = (9, 5)  # for night_sky on 16 px tiles


def night_sky(draw: ImageDraw.ImageDraw, width: int, height: int) -> None:
    """A galaxy mural: gradient sky, stars, a ringed planet, a moon, hills, a rocket."""
    for y in range(height):
        t = y / max(1, height - 1)
        draw.line([(0, y), (width, y)], fill=(int(18 + 60 * t), int(16 + 24 * t), int(58 + 70 * t)))
    rng = random.Random(7)
    for _ in range(width * height // 90):
        x, y = rng.randrange(width), rng.randrange(int(height * 0.75))
        draw.point((x, y), fill=rng.choice([(255, 255, 255), (255, 236, 160), (180, 210, 255)]))
    # ringed planet
    px, py, r = int(width * 0.28), int(height * 0.36), int(height * 0.17)
    draw.ellipse([px - r, py - r, px + r, py + r], fill=(251, 140, 0))
    draw.ellipse([px - r + 4, py - r + 3, px + r - 10, py - 2], fill=(255, 183, 77))
    ring = [px - int(r * 1.8), py - 4, px + int(r * 1.8), py + 6]
    draw.ellipse(ring, outline=(255, 224, 178), width=2)
    # moon
    mx, my, mr = int(width * 0.8), int(height * 0.2), int(height * 0.09)
    draw.ellipse([mx - mr, my - mr, mx + mr, my + mr], fill=(245, 245, 220))
    draw.ellipse([mx - mr + 6, my - mr - 2, mx + mr + 6, my + mr - 2], fill=(40, 30, 90))
    # hills
    draw.ellipse([-width // 4, int(height * 0.78), width // 2, height + 60], fill=HILL)
    draw.ellipse([width // 3, int(height * 0.82), width + width // 4, height + 70],
                 fill=(67, 160, 71))
    # rocket, its body and window in the middle of one cell
    rx, ry = ROCKET_CELL[0] * 16 + 8, ROCKET_CELL[1] * 16 + 4
    draw.polygon([(rx, ry - 18), (rx - 6, ry - 6), (rx + 6, ry - 6)], fill=(229, 57, 53))
    draw.rectangle([rx - 6, ry - 6, rx + 6, ry + 14], fill=(236, 239, 241))
    draw.ellipse([rx - 3, ry - 1, rx + 3, ry + 5], fill=(0, 172, 193))
    draw.polygon([(rx - 6, ry + 6), (rx - 12, ry + 16), (rx - 6, ry + 14)], fill=(229, 57, 53))
    draw.polygon([(rx + 6, ry + 6), (rx + 12, ry + 16), (rx + 6, ry + 14)], fill=(229, 57, 53))
    draw.polygon([(rx - 4, ry + 14), (rx + 4, ry + 14), (rx, ry + 24)], fill=(253, 216, 53))


def garden(draw: ImageDraw.ImageDraw, width: int, height: int) -> None:
    draw.rectangle([0, 0, width, height], fill=(187, 222, 251))
    draw.rectangle([0, int(height * 0.7), width, height], fill=(124, 179, 66))
    rng = random.Random(3)
    for i in range(6):
        x = int((i + 0.5) * width / 6)
        top = int(height * (0.35 + 0.15 * rng.random()))
        draw.line([(x, top), (x, int(height * 0.72))], fill=(56, 142, 60), width=2)
        colour = rng.choice([(216, 27, 96), (253, 216, 53), (142, 36, 170), (229, 57, 53)])
        draw.ellipse([x - 5, top - 5, x + 5, top + 5], fill=colour)
        draw.ellipse([x - 2, top - 2, x + 2, top + 2], fill=(255, 241, 118))
    draw.ellipse([width - 26, 4, width - 6, 24], fill=(255, 213, 79))


def sprites(draw: ImageDraw.ImageDraw, width: int, height: int) -> None:
    draw.rectangle([0, 0, width, height], fill=(38, 50, 56))
    heart = [".XX.XX.", "XXXXXXX", "XXXXXXX", ".XXXXX.", "..XXX..", "...X..."]
    for row, line in enumerate(heart):
        for col, cell in enumerate(line):
            if cell == "X":
                draw.rectangle([8 + col * 3, 8 + row * 3, 10 + col * 3, 10 + row * 3],
                               fill=(229, 57, 53))
    draw.ellipse([width - 40, 10, width - 10, 36], fill=(229, 57, 53))
    for cx in (width - 33, width - 20):
        draw.ellipse([cx, 16, cx + 6, 22], fill=(255, 255, 255))
    draw.rectangle([width - 32, 34, width - 18, 46], fill=(255, 224, 178))


def tiles_of(scene: Scene, columns: int, rows: int, tile_size: int,
             keep: Callable[[int, int], bool] = lambda x, y: True
             ) -> Iterator[tuple[int, int, str]]:
    """(x, y, base64 RGBA pixels) for each kept cell of the scene."""
    image = Image.new("RGBA", (columns * tile_size, rows * tile_size), (0, 0, 0, 0))
    scene(ImageDraw.Draw(image), image.width, image.height)
    for y in range(rows):
        for x in range(columns):
            if not keep(x, y):
                continue
            box = (x * tile_size, y * tile_size, (x + 1) * tile_size, (y + 1) * tile_size)
            yield x, y, base64.b64encode(image.crop(box).tobytes()).decode()
