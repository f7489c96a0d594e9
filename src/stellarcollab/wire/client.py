"""Client messages: one parser per message type, each turning JSON into a typed command.

``parse_client_message`` decodes a frame and hands it to the parser registered for its
``type`` (``@client_message``); a message that cannot be applied raises ``ProtocolError``
with a stable code. Value rules come from ``wire.rules``, shared with REST.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson

from stellarcollab.security.json_depth import MAX_JSON_DEPTH, exceeds_depth
from stellarcollab.wire import rules
from stellarcollab.wire.errors import ProtocolError
from stellarcollab.wire.registry import load_all


@dataclass(frozen=True, slots=True)
class CanvasBounds:
    canvas_id: int
    width: int
    height: int


class ClientCommand:
    """A parsed client message; ``request_type`` is the ``type`` it came as."""

    __slots__ = ()
    request_type: ClassVar[str]


Command = ClientCommand


@dataclass(frozen=True, slots=True)
class ChatCommand(ClientCommand):
    request_type = "canvas_chat"
    text: str
    client_id: str | None = None


@dataclass(frozen=True, slots=True)
class TypingCommand(ClientCommand):
    request_type = "user_presence"
    is_typing: bool


@dataclass(frozen=True, slots=True)
class EditingCommand(ClientCommand):
    request_type = "user_presence"
    tile_x: int
    tile_y: int
    is_editing: bool


@dataclass(frozen=True, slots=True)
class StatusCommand(ClientCommand):
    request_type = "user_presence"
    status: str
    status_message: str | None
    emoji: str | None = None


@dataclass(frozen=True, slots=True)
class HeartbeatCommand(ClientCommand):
    """The guide client's periodic "still here"; answered by nothing."""

    request_type = "user_presence"


@dataclass(frozen=True, slots=True)
class MentionCommand(ClientCommand):
    request_type = "tile_mention"
    tile_x: int
    tile_y: int
    highlight_type: str
    message: str
    duration: int


@dataclass(frozen=True, slots=True)
class PingCommand(ClientCommand):
    request_type = "ping"
    request_id: Any


@dataclass(frozen=True, slots=True)
class AuthCommand(ClientCommand):
    request_type = "auth"
    token: str


class Fields:
    """Typed access to one message's fields, raising ProtocolError on misuse."""

    __slots__ = ("bounds", "chat_max_length", "data", "request_type")

    def __init__(self, data: dict[str, Any], request_type: str, bounds: CanvasBounds | None,
                 chat_max_length: int) -> None:
        self.data = data
        self.request_type = request_type
        self.bounds = bounds
        self.chat_max_length = chat_max_length

    def fail(self, message: str, code: str = "invalid_message") -> ProtocolError:
        return ProtocolError(code, message, self.request_type)

    def canvas(self) -> CanvasBounds:
        """The socket's canvas; a user socket (``/ws/user``) has none."""
        if self.bounds is None:
            raise self.fail(f"'{self.request_type}' is sent on a canvas socket, not the "
                            "user socket")
        return self.bounds

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

    def text(self, name: str, rule: Callable[[str], str], default: str | None = None) -> str:
        """The string field ``name``, cleaned by ``rule`` (one of ``wire.rules``)."""
        value = self.data.get(name, default)
        if not isinstance(value, str):
            raise self.fail(f"{name} must be a string")
        try:
            return rule(value)
        except rules.RuleViolation as violation:
            raise self.fail(f"{name} {violation.problem}", violation.code) from None

    def optional_text(self, name: str, rule: Callable[[str | None], str | None]) -> str | None:
        value = self.data.get(name)
        if value is not None and not isinstance(value, str):
            raise self.fail(f"{name} must be a string")
        try:
            return rule(value)
        except rules.RuleViolation as violation:
            raise self.fail(f"{name} {violation.problem}", violation.code) from None

    def cell(self) -> tuple[int, int]:
        x, y = self.integer("tile_x"), self.integer("tile_y")
        try:
            bounds = self.canvas()
            return rules.cell_in_bounds(x, y, bounds.width, bounds.height)
        except rules.RuleViolation as violation:
            raise self.fail(f"tile {violation.problem}", violation.code) from None


Parser = Callable[[Fields], ClientCommand]
_PARSERS: dict[str, Parser] = {}


def client_message(message_type: str) -> Callable[[Parser], Parser]:
    """Register the parser of one client message type."""

    def register(parser: Parser) -> Parser:
        if message_type in _PARSERS:
            raise ValueError(f"client message '{message_type}' has two parsers")
        _PARSERS[message_type] = parser
        return parser

    return register


def client_message_types() -> set[str]:
    load_all()
    return set(_PARSERS)


def _parser_from_other_modules(message_type: str) -> Parser | None:
    """Parsers of other wire modules register when their module is imported: import
    them all (once, and only when a type is not known yet)."""
    load_all()
    return _PARSERS.get(message_type)


def parse_client_message(raw: str | bytes, bounds: CanvasBounds | None,
                         chat_max_length: int = rules.CHAT_MAX_LENGTH) -> ClientCommand:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ProtocolError("invalid_json", "message is not valid JSON") from None
    if exceeds_depth(data, MAX_JSON_DEPTH):
        raise ProtocolError("invalid_json", f"message nests deeper than {MAX_JSON_DEPTH} levels")
    if not isinstance(data, dict):
        raise ProtocolError("invalid_json", "message must be a JSON object")
    message_type = data.get("type")
    if not isinstance(message_type, str):
        raise ProtocolError("unknown_type", "message has no string 'type'")
    parser = _PARSERS.get(message_type) or _parser_from_other_modules(message_type)
    if parser is None:
        raise ProtocolError("unknown_type", f"unknown message type '{message_type[:40]}'",
                            message_type[:40])
    return parser(Fields(data, message_type, bounds, chat_max_length))


@client_message("canvas_chat")
def parse_chat(f: Fields) -> ClientCommand:
    canvas_id = f.data.get("canvas_id")
    if canvas_id is not None and canvas_id != f.canvas().canvas_id:
        raise f.fail("canvas_id does not match this connection's canvas", "wrong_canvas")
    text = f.text("text", lambda text: rules.chat_text(text, f.chat_max_length))
    if f.data.get("client_id") is None:
        return ChatCommand(text)
    return ChatCommand(text, f.text("client_id", rules.client_id))


@client_message("user_presence")
def parse_presence(f: Fields) -> ClientCommand:
    presence_type = f.data.get("presence_type")
    if presence_type == "typing":
        return TypingCommand(f.boolean("is_typing"))
    if presence_type == "editing_tile":
        x, y = f.cell()
        return EditingCommand(x, y, f.boolean("is_editing"))
    if presence_type == "status_change":
        return StatusCommand(f.text("status", rules.status_text),
                             f.optional_text("status_message", rules.status_message),
                             f.optional_text("emoji", rules.status_emoji))
    if presence_type == "heartbeat":
        return HeartbeatCommand()
    raise f.fail(
        "presence_type must be 'typing', 'editing_tile', 'status_change' or 'heartbeat'")


@client_message("tile_mention")
def parse_mention(f: Fields) -> ClientCommand:
    x, y = f.cell()
    duration = f.integer("duration", rules.MENTION_DEFAULT_DURATION_MS)
    return MentionCommand(
        x,
        y,
        f.text("highlight_type", rules.highlight_type, default=rules.HIGHLIGHT_TYPE_DEFAULT),
        f.text("message", rules.mention_message, default=""),
        rules.mention_duration(duration),
    )


@client_message("ping")
def parse_ping(f: Fields) -> ClientCommand:
    return PingCommand(f.data.get("id"))


@client_message("auth")
def parse_auth(f: Fields) -> ClientCommand:
    return AuthCommand(f.text("token", lambda token: rules.clean_text(token,
                                                                      rules.TOKEN_MAX_LENGTH)))
