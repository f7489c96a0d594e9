"""Request and response shapes of the REST API (they are also its OpenAPI schemas)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, EmailStr, Field, StringConstraints

from stellarcollab.wire import rules


def _refuse_nul(value: str | None) -> str | None:
    # A RuleViolation is a ValueError: pydantic reports it as a 422.
    return None if value is None else rules.refuse_nul(value)


NoNul = AfterValidator(_refuse_nul)

Username = Annotated[
    str, StringConstraints(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]


class RegisterRequest(BaseModel):
    username: Username
    email: EmailStr
    password: Password
    display_name: Annotated[str | None, StringConstraints(max_length=64), NoNul] = None


class PasswordChangeRequest(BaseModel):
    current_password: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    new_password: Password


class LoginRequest(BaseModel):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64), NoNul]
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class UserOut(BaseModel):
    id: int
    username: str
    email: str
    display_name: str
    is_admin: bool
    created_at: str


class TokenOut(BaseModel):
    access_token: str
    token_type: str
    expires_in: int
    user: UserOut


class CanvasCreate(BaseModel):
    name: Annotated[
        str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True), NoNul
    ]
    description: Annotated[str, StringConstraints(max_length=2000), NoNul] = ""
    width: int = Field(32, ge=1, le=rules.CANVAS_MAX_SIDE)
    height: int = Field(32, ge=1, le=rules.CANVAS_MAX_SIDE)
    tile_size: Literal[16, 32, 64] = 32
    max_tiles_per_user: int = Field(10, ge=1, le=65536)
    collaboration_mode: Literal["free", "owner"] = "free"
    visibility: Literal["public", "private"] = "public"


class CanvasUpdate(BaseModel):
    name: (
        Annotated[
            str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True), NoNul
        ]
        | None
    ) = None
    description: Annotated[str, StringConstraints(max_length=2000), NoNul] | None = None
    max_tiles_per_user: int | None = Field(None, ge=1, le=65536)
    collaboration_mode: Literal["free", "owner"] | None = None
    visibility: Literal["public", "private"] | None = None


class CanvasOut(BaseModel):
    id: int
    name: str
    description: str
    width: int
    height: int
    tile_size: int
    max_tiles_per_user: int
    collaboration_mode: str
    visibility: str
    is_active: bool
    owner_id: int
    owner_username: str
    tile_count: int
    created_at: str
    updated_at: str


class CanvasPage(BaseModel):
    items: list[CanvasOut]
    total: int
    limit: int
    offset: int


class MemberAdd(BaseModel):
    username: Annotated[str, StringConstraints(min_length=1, max_length=32), NoNul]


class MemberOut(BaseModel):
    canvas_id: int
    user_id: int
    username: str


class TileCreate(BaseModel):
    canvas_id: int
    x: int = Field(ge=0, le=rules.CANVAS_MAX_SIDE - 1)
    y: int = Field(ge=0, le=rules.CANVAS_MAX_SIDE - 1)
    pixels: str = Field(description="base64 of tile_size*tile_size*4 RGBA bytes, row by row")


class TileUpdate(BaseModel):
    pixels: str
    version: int | None = Field(None, ge=1)


class TileOut(BaseModel):
    id: int
    canvas_id: int
    x: int
    y: int
    pixels: str
    version: int
    like_count: int
    creator_id: int
    creator_username: str
    created_at: str
    updated_at: str


class LikeOut(BaseModel):
    tile_id: int
    like_count: int
    liked: bool


class LeaseOut(BaseModel):
    canvas_id: int
    x: int
    y: int
    user_id: int
    username: str
    display_name: str
    expires_at: str
    ttl_seconds: float


class ChatSend(BaseModel):
    text: Annotated[str, StringConstraints(max_length=20000)]
    #: the sender's own id for this message: a retry with the same one returns the
    #: stored message instead of storing it twice
    client_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,64}$")] | None = None


class ChatMessageOut(BaseModel):
    id: str
    canvas_id: int
    sender_id: int
    sender_username: str
    sender_display_name: str
    text: str
    created_at: str
    client_id: str | None = None


class ChatPage(BaseModel):
    items: list[ChatMessageOut]
    has_more: bool


class EditingTile(BaseModel):
    tile_x: int
    tile_y: int


class ActiveUserOut(BaseModel):
    user_id: int
    username: str
    display_name: str
    is_active: bool
    status: str
    status_message: str | None
    emoji: str | None = None
    is_typing: bool
    editing_tile: EditingTile | None
    connections: int
    connected_at: str


class TicketOut(BaseModel):
    ticket: str
    expires_in: float


class ErrorOut(BaseModel):
    detail: str
