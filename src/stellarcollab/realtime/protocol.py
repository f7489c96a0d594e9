"""The message protocol: parsing and validating client messages, encoding server frames.

Pure: no asyncio, no Starlette, no sockets. Parsing turns text into one typed command or
raises ProtocolError with a stable code; encoding turns an event into JSON bytes once and
into one unmasked WebSocket text frame that can be written unchanged to every subscriber.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import orjson

from stellarcollab.security.json_depth import MAX_JSON_DEPTH, exceeds_depth

CHAT_MAX_LENGTH = 2000
MENTION_MAX_LENGTH = 280
MENTION_MIN_DURATION_MS = 500
MENTION_MAX_DURATION_MS = 10_000
MENTION_DEFAULT_DURATION_MS = 3000
STATUS_MAX_LENGTH = 20
STATUS_MESSAGE_MAX_LENGTH = 100
HIGHLIGHT_TYPE_MAX_LENGTH = 20


class ProtocolError(Exception):
    """A client message that cannot be applied; the connection stays open."""

    def __init__(self, code: str, message: str, request_type: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_type = request_type

    def to_event(self) -> dict[str, Any]:
        return {
            "type": "error",
            "code": self.code,
            "message": self.message,
            "request_type": self.request_type,
        }


@dataclass(frozen=True, slots=True)
class CanvasBounds:
    canvas_id: int
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class ChatCommand:
    text: str


@dataclass(frozen=True, slots=True)
class TypingCommand:
    is_typing: bool


@dataclass(frozen=True, slots=True)
class EditingCommand:
    tile_x: int
    tile_y: int
    is_editing: bool


@dataclass(frozen=True, slots=True)
class StatusCommand:
    status: str
    status_message: str | None


@dataclass(frozen=True, slots=True)
class MentionCommand:
    tile_x: int
    tile_y: int
    highlight_type: str
    message: str
    duration: int


@dataclass(frozen=True, slots=True)
class PingCommand:
    request_id: Any


@dataclass(frozen=True, slots=True)
class AuthCommand:
    token: str


Command = (
    ChatCommand | TypingCommand | EditingCommand | StatusCommand | MentionCommand
    | PingCommand | AuthCommand
)


class _Fields:
    """Typed access to one message's fields, raising ProtocolError on misuse."""

    def __init__(self, data: dict[str, Any], request_type: str) -> None:
        self.data = data
        self.request_type = request_type

    def fail(self, message: str, code: str = "invalid_message") -> ProtocolError:
        return ProtocolError(code, message, self.request_type)

    def boolean(self, name: str) -> bool:
        value = self.data.get(name)
        if not isinstance(value, bool):
            raise self.fail(f"{name} must be true or false")
        return value

    def integer(self, name: str, default: int | None = None) -> int:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{name} must be an integer")
        return value

    def text(self, name: str, max_length: int, *, default: str | None = None,
             allow_empty: bool = False) -> str:
        value = self.data.get(name, default)
        if not isinstance(value, str):
            raise self.fail(f"{name} must be a string")
        value = value.strip()
        if "\x00" in value:
            raise self.fail(f"{name} must not contain NUL characters")
        if not value and not allow_empty:
            raise self.fail(f"{name} must not be empty")
        if len(value) > max_length:
            raise self.fail(f"{name} must be at most {max_length} characters")
        return value

    def optional_text(self, name: str, max_length: int) -> str | None:
        if self.data.get(name) is None:
            return None
        return self.text(name, max_length, allow_empty=True) or None

    def cell(self, bounds: CanvasBounds) -> tuple[int, int]:
        x, y = self.integer("tile_x"), self.integer("tile_y")
        if not (0 <= x < bounds.width and 0 <= y < bounds.height):
            raise self.fail(
                f"tile ({x}, {y}) is outside the canvas ({bounds.width}x{bounds.height})",
                "out_of_bounds",
            )
        return x, y


def parse_client_message(raw: str | bytes, bounds: CanvasBounds,
                         chat_max_length: int = CHAT_MAX_LENGTH) -> Command:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ProtocolError("invalid_json", "message is not valid JSON") from None
    if exceeds_depth(data, MAX_JSON_DEPTH):
        raise ProtocolError("invalid_json",
                            f"message nests deeper than {MAX_JSON_DEPTH} levels")
    if not isinstance(data, dict):
        raise ProtocolError("invalid_json", "message must be a JSON object")
    message_type = data.get("type")
    if not isinstance(message_type, str):
        raise ProtocolError("unknown_type", "message has no string 'type'")
    parser = _PARSERS.get(message_type)
    if parser is None:
        raise ProtocolError("unknown_type", f"unknown message type '{message_type[:40]}'",
                            message_type[:40])
    fields = _Fields(data, message_type)
    return parser(fields, bounds, chat_max_length)


def _parse_chat(f: _Fields, bounds: CanvasBounds, chat_max_length: int) -> Command:
    canvas_id = f.data.get("canvas_id")
    if canvas_id is not None and canvas_id != bounds.canvas_id:
        raise f.fail("canvas_id does not match this connection's canvas", "wrong_canvas")
    return ChatCommand(f.text("text", chat_max_length))


def _parse_presence(f: _Fields, bounds: CanvasBounds, _chat: int) -> Command:
    presence_type = f.data.get("presence_type")
    if presence_type == "typing":
        return TypingCommand(f.boolean("is_typing"))
    if presence_type == "editing_tile":
        x, y = f.cell(bounds)
        return EditingCommand(x, y, f.boolean("is_editing"))
    if presence_type == "status_change":
        return StatusCommand(
            f.text("status", STATUS_MAX_LENGTH),
            f.optional_text("status_message", STATUS_MESSAGE_MAX_LENGTH),
        )
    raise f.fail("presence_type must be 'typing', 'editing_tile' or 'status_change'")


def _parse_mention(f: _Fields, bounds: CanvasBounds, _chat: int) -> Command:
    x, y = f.cell(bounds)
    duration = f.integer("duration", MENTION_DEFAULT_DURATION_MS)
    return MentionCommand(
        x,
        y,
        f.text("highlight_type", HIGHLIGHT_TYPE_MAX_LENGTH, default="mention"),
        f.text("message", MENTION_MAX_LENGTH, default="", allow_empty=True),
        min(max(duration, MENTION_MIN_DURATION_MS), MENTION_MAX_DURATION_MS),
    )


def _parse_ping(f: _Fields, _bounds: CanvasBounds, _chat: int) -> Command:
    return PingCommand(f.data.get("id"))


def _parse_auth(f: _Fields, _bounds: CanvasBounds, _chat: int) -> Command:
    return AuthCommand(f.text("token", 4096))


_PARSERS = {
    "canvas_chat": _parse_chat,
    "user_presence": _parse_presence,
    "tile_mention": _parse_mention,
    "ping": _parse_ping,
    "auth": _parse_auth,
}


def encode_event(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event)


def text_frame(payload: bytes) -> bytes:
    """One unmasked, unfragmented RFC 6455 text frame. Server frames are never masked,
    so the same bytes serve every subscriber."""
    length = len(payload)
    if length < 126:
        header = bytes((0x81, length))
    elif length < 65536:
        header = struct.pack("!BBH", 0x81, 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 127, length)
    return header + payload
