"""``stellarcollab demo``: a small living canvas for a newcomer to open first.

Three people, a picture (a harbour at dusk) drawn as tiles by all three, a few likes and
a short chat, made through the same services the API uses. Idempotent: every step skips
what is already there, so a second run (or one after an interrupted run) changes nothing
but what is missing. ``--if-empty`` (``make run``) seeds only a database without users.
"""

from __future__ import annotations

import base64
import contextlib
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from stellarcollab.auth.passwords import PasswordHasher
from stellarcollab.auth.tokens import TokenService
from stellarcollab.config import Settings
from stellarcollab.db.engine import Database
from stellarcollab.db.models import Canvas, ChatMessage, Like, Tile, User
from stellarcollab.services.canvases import CanvasService, CanvasSpec
from stellarcollab.services.chat import ChatService
from stellarcollab.services.errors import Conflict
from stellarcollab.services.events import Origin, RecordingSink
from stellarcollab.services.tiles import TileService
from stellarcollab.services.users import UserService

CANVAS_NAME = "Welcome: the harbour at dusk"
CANVAS_DESCRIPTION = ("A demo canvas drawn by three people. Sign up, open it, and add a tile "
                      "of your own on an empty cell.")
WIDTH, HEIGHT, TILE = 12, 8, 16
PEOPLE = (("ada", "Ada"), ("hokusai", "Hokusai"), ("frida", "Frida"))
CHAT = (
    ("ada", "Evening! I started the sky up here."),
    ("hokusai", "I'll take the sea: waves from the left edge."),
    ("frida", "Boat and lighthouse are mine. Who wants the moon?"),
    ("ada", "Done. Point at a tile with @x,y to show it to everyone, like @9,2."),
)
LIKES = (("hokusai", 9, 2), ("frida", 1, 5), ("ada", 6, 4))
Progress = Callable[[str], None]
RGBA = tuple[int, int, int, int]


def _mix(a: RGBA, b: RGBA, t: float) -> RGBA:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t),
            round(a[2] + (b[2] - a[2]) * t), 255)


def pixel_at(x: int, y: int, width: int, height: int) -> RGBA:
    """The picture, one pixel at a time: sky, moon, hills, lighthouse, sea, boat."""
    horizon = height * 0.55
    if math.hypot(x - width * 0.78, y - height * 0.22) < height * 0.09:
        return (250, 244, 214, 255)  # the moon
    if 0.08 * width < x < 0.11 * width and horizon - height * 0.25 < y < horizon:
        stripe = int((y - horizon) // (height * 0.04)) % 2
        return (236, 236, 236, 255) if stripe else (200, 40, 50, 255)  # the lighthouse
    hill = horizon - height * 0.08 * (1 + math.sin(x / width * 7.0))
    if y < horizon and y > hill:
        return (40, 38, 70, 255)
    if y < horizon:
        return _mix((24, 28, 72, 255), (244, 150, 90, 255), (y / horizon) ** 1.6)
    boat_x, boat_y = width * 0.55, horizon + height * 0.12
    if abs(y - boat_y) < height * 0.025 and abs(x - boat_x) < width * 0.06 - (y - boat_y):
        return (110, 60, 30, 255)  # the hull
    if boat_y - height * 0.15 < y < boat_y - height * 0.02 and 0 < x - boat_x < (
            y - (boat_y - height * 0.15)) * 0.6:
        return (245, 240, 230, 255)  # the sail
    wave = math.sin(x / 5.0 + y / 2.0) > 0.85
    depth = (y - horizon) / (height - horizon)
    return (160, 200, 230, 255) if wave else _mix((50, 90, 150, 255), (12, 30, 70, 255), depth)


def tile_pixels(tx: int, ty: int) -> str:
    """The base64 RGBA of tile (tx, ty) of the picture."""
    width, height = WIDTH * TILE, HEIGHT * TILE
    raw = bytearray()
    for y in range(ty * TILE, (ty + 1) * TILE):
        for x in range(tx * TILE, (tx + 1) * TILE):
            raw.extend(pixel_at(x, y, width, height))
    return base64.b64encode(bytes(raw)).decode()


@dataclass
class DemoServices:
    db: Database
    users: UserService
    canvases: CanvasService
    tiles: TileService
    chat: ChatService

    @classmethod
    def open(cls, settings: Settings) -> DemoServices:
        db = Database(settings.resolved_database_url())
        sink = RecordingSink()  # no server runs here: nothing to broadcast to
        hasher = PasswordHasher(settings.password_hash_time_cost,
                                settings.password_hash_memory_kib,
                                settings.password_hash_parallelism, 1)
        tokens = TokenService(settings.resolved_secret_key(), 60)
        return cls(db, UserService(db, hasher, tokens), CanvasService(db, sink),
                   TileService(db, sink), ChatService(db, sink, settings.chat_max_length))

    async def close(self) -> None:
        await self.chat.writer.stop()
        await self.db.dispose()


async def database_is_empty(db: Database) -> bool:
    async with db.read() as session:
        return not await session.scalar(select(func.count(User.id)))


async def seed(services: DemoServices, progress: Progress) -> int:
    """Make (or complete) the demo canvas; return its id."""
    people = {name: await _person(services, name, display) for name, display in PEOPLE}
    progress(f"people: {', '.join(people)}")
    canvas_id = await _canvas(services, people["ada"])
    await _draw(services, canvas_id, list(people.values()), progress)
    await _like(services, canvas_id, people)
    await _chat(services, canvas_id, people)
    progress(f"chat and likes: done; the demo canvas is number {canvas_id}")
    return canvas_id


async def _person(services: DemoServices, name: str, display: str) -> User:
    async with services.db.read() as session:
        user = await session.scalar(select(User).where(User.username_key == name))
    if user is not None:
        return user
    # Nobody signs in as them: a random password that is never shown.
    return await services.users.register(name, f"{name}@demo.invalid",
                                         secrets.token_urlsafe(24), display)


async def _canvas(services: DemoServices, owner: User) -> int:
    async with services.db.read() as session:
        existing = await session.scalar(select(Canvas.id).where(
            Canvas.name == CANVAS_NAME, Canvas.owner_id == owner.id))
    if existing is not None:
        return int(existing)
    view = await services.canvases.create(owner, CanvasSpec(
        name=CANVAS_NAME, description=CANVAS_DESCRIPTION, width=WIDTH, height=HEIGHT,
        tile_size=TILE, max_tiles_per_user=WIDTH * HEIGHT))
    return int(view["id"])


async def _draw(services: DemoServices, canvas_id: int, people: list[User],
                progress: Progress) -> None:
    async with services.db.read() as session:
        drawn = set((await session.execute(
            select(Tile.x, Tile.y).where(Tile.canvas_id == canvas_id))).tuples())
    cells = [(x, y) for y in range(HEIGHT) for x in range(WIDTH)]
    for index, (x, y) in enumerate(cells, 1):
        if (x, y) not in drawn:
            artist = people[(x * len(people)) // WIDTH]  # each draws a third, left to right
            with contextlib.suppress(Conflict):  # drawn meanwhile
                await services.tiles.create(artist, canvas_id, x, y, tile_pixels(x, y),
                                            Origin(artist.id))
        if index % WIDTH == 0:
            progress(f"tiles: {index}/{len(cells)}")


async def _like(services: DemoServices, canvas_id: int, people: dict[str, User]) -> None:
    for name, x, y in LIKES:
        async with services.db.read() as session:
            tile_id = await session.scalar(select(Tile.id).where(
                Tile.canvas_id == canvas_id, Tile.x == x, Tile.y == y))
            liked = await session.scalar(select(Like.tile_id).where(
                Like.tile_id == tile_id, Like.user_id == people[name].id))
        if tile_id is not None and liked is None:
            await services.tiles.like(people[name], tile_id, Origin(people[name].id))


async def _chat(services: DemoServices, canvas_id: int, people: dict[str, User]) -> None:
    async with services.db.read() as session:
        said = await session.scalar(select(func.count(ChatMessage.pk)).where(
            ChatMessage.canvas_id == canvas_id))
    for name, text in CHAT[said or 0:]:
        await services.chat.send(people[name], canvas_id, text)
