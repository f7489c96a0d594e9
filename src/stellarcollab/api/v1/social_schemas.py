"""Request and response shapes of the social routes (direct messages, status, activity,
comments, notifications, announcements)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints, model_validator


class Actor(BaseModel):
    user_id: int
    username: str
    display_name: str


class TextBody(BaseModel):
    text: Annotated[str, StringConstraints(max_length=20000)]


class DirectMessageOut(BaseModel):
    message_id: int
    sender_id: int
    sender_username: str
    sender_display_name: str
    recipient_id: int
    message_text: str
    created_at: str


class DirectMessagePage(BaseModel):
    items: list[DirectMessageOut]
    has_more: bool
    peer_read_up_to: int


class ConversationOut(BaseModel):
    user: Actor
    last_message: DirectMessageOut
    unread_count: int
    read_up_to: int


class ConversationList(BaseModel):
    items: list[ConversationOut]
    unread_total: int


class ReadRequest(BaseModel):
    up_to_message_id: int = Field(ge=1)


class ReadOut(BaseModel):
    user_id: int
    peer_id: int
    up_to_message_id: int
    unread_count: int


class BlockOut(BaseModel):
    user_id: int
    blocked: bool


class StatusIn(BaseModel):
    status: Literal["online", "away", "busy", "invisible"]
    status_message: Annotated[str, StringConstraints(max_length=200)] | None = None
    emoji: Annotated[str, StringConstraints(max_length=64)] | None = None


class StatusOut(BaseModel):
    user_id: int
    status: str
    status_message: str | None
    emoji: str | None


class ProfileOut(BaseModel):
    id: int
    username: str
    display_name: str
    created_at: str
    status: str
    status_message: str | None
    emoji: str | None
    blocked: bool


class ActivityOut(BaseModel):
    activity_id: int
    kind: str
    actor: Actor
    canvas_id: int
    tile_id: int | None
    created_at: str


class ActivityPage(BaseModel):
    items: list[ActivityOut]
    has_more: bool


class CommentOut(BaseModel):
    comment_id: int
    tile_id: int
    canvas_id: int
    author_id: int
    author_username: str
    author_display_name: str
    text: str
    created_at: str


class CommentPage(BaseModel):
    items: list[CommentOut]
    has_more: bool


class NotificationOut(BaseModel):
    notification_id: int
    kind: str
    actor: Actor | None
    actors: list[Actor]
    count: int
    canvas_id: int | None
    tile_id: int | None
    message_id: str | None
    is_read: bool
    created_at: str
    updated_at: str


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    has_more: bool
    unread_count: int


class NotificationsRead(BaseModel):
    ids: list[int] | None = Field(None, max_length=1000)
    all: bool = False

    @model_validator(mode="after")
    def _one_of(self) -> NotificationsRead:
        if (self.ids is None) == (not self.all):
            raise ValueError("give either ids or all: true")
        return self


class UnreadOut(BaseModel):
    unread_count: int


class AnnouncementIn(BaseModel):
    text: Annotated[str, StringConstraints(max_length=5000)]
    canvas_id: int | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime


class AnnouncementOut(BaseModel):
    announcement_id: int
    text: str
    canvas_id: int | None
    starts_at: str
    ends_at: str
