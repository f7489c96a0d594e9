"""The client message parsers: typed commands, limits, stable error codes. No network."""

from __future__ import annotations

import json

import pytest

from stellarcollab.wire.client import (
    AuthCommand,
    CanvasBounds,
    ChatCommand,
    ClientCommand,
    EditingCommand,
    HeartbeatCommand,
    MentionCommand,
    PingCommand,
    StatusCommand,
    TypingCommand,
    client_message,
    client_message_types,
    parse_client_message,
)
from stellarcollab.wire.errors import ProtocolError

BOUNDS = CanvasBounds(canvas_id=7, width=32, height=16)


def parse(message: object, chat_max_length: int = 2000) -> ClientCommand:
    return parse_client_message(json.dumps(message), BOUNDS, chat_max_length)


def code_of(message: object) -> tuple[str, str, str | None]:
    with pytest.raises(ProtocolError) as caught:
        parse(message)
    return caught.value.code, caught.value.message, caught.value.request_type


def test_guide_messages_parse_to_commands() -> None:
    assert parse({"type": "canvas_chat", "text": " Hello everyone! ", "canvas_id": 7}) == (
        ChatCommand("Hello everyone!"))
    assert parse({"type": "user_presence", "presence_type": "typing", "is_typing": True}) == (
        TypingCommand(True))
    assert parse({"type": "user_presence", "presence_type": "editing_tile", "tile_x": 15,
                  "tile_y": 10, "is_editing": True}) == EditingCommand(15, 10, True)
    assert parse({"type": "user_presence", "presence_type": "status_change",
                  "status": " away ", "status_message": "back soon"}) == StatusCommand(
        "away", "back soon")
    assert parse({"type": "tile_mention", "tile_x": 20, "tile_y": 15,
                  "highlight_type": "mention", "message": "Check out this tile!",
                  "duration": 3000}) == MentionCommand(20, 15, "mention",
                                                       "Check out this tile!", 3000)
    assert parse({"type": "ping", "id": "x"}) == PingCommand("x")
    assert parse({"type": "auth", "token": "t"}) == AuthCommand("t")


def test_heartbeat_is_a_command_not_an_error() -> None:
    command = parse({"type": "user_presence", "presence_type": "heartbeat"})
    assert command == HeartbeatCommand()
    assert command.request_type == "user_presence"


def test_each_command_names_the_type_it_came_as() -> None:
    assert parse({"type": "canvas_chat", "text": "hi"}).request_type == "canvas_chat"
    assert parse({"type": "tile_mention", "tile_x": 0, "tile_y": 0}).request_type == (
        "tile_mention")
    assert parse({"type": "ping"}).request_type == "ping"


def test_mention_defaults_and_clamping() -> None:
    base = {"type": "tile_mention", "tile_x": 0, "tile_y": 0}
    assert parse(base) == MentionCommand(0, 0, "mention", "", 3000)
    assert parse({**base, "duration": 10**9}) == MentionCommand(0, 0, "mention", "", 10_000)
    assert parse({**base, "duration": -5}) == MentionCommand(0, 0, "mention", "", 500)
    assert code_of({**base, "message": "m" * 281})[:2] == (
        "invalid_message", "message must be at most 280 characters")
    assert code_of({**base, "highlight_type": ""})[:2] == (
        "invalid_message", "highlight_type must not be empty")


def test_status_limits_and_empty_message() -> None:
    status = {"type": "user_presence", "presence_type": "status_change"}
    assert parse({**status, "status": "busy", "status_message": "  "}) == StatusCommand(
        "busy", None)
    assert code_of({**status, "status": "s" * 21})[1] == "status must be at most 20 characters"
    assert code_of({**status, "status": "ok", "status_message": "m" * 101})[1] == (
        "status_message must be at most 100 characters")
    assert code_of({**status, "status": "ok", "status_message": 5})[1] == (
        "status_message must be a string")


@pytest.mark.parametrize(("raw", "code"), [
    ("{", "invalid_json"),
    ('"text"', "invalid_json"),
    ("{}", "unknown_type"),
    ('{"type": 3}', "unknown_type"),
    ('{"type": "nope"}', "unknown_type"),
    ('{"type": "canvas_chat", "text": ""}', "invalid_message"),
    ('{"type": "canvas_chat", "text": 5}', "invalid_message"),
    ('{"type": "canvas_chat", "text": "a\\u0000b"}', "invalid_message"),
    ('{"type": "canvas_chat", "text": "hi", "canvas_id": 8}', "wrong_canvas"),
    ('{"type": "user_presence", "presence_type": "editing_tile", "tile_x": 32, "tile_y": 0,'
     ' "is_editing": true}', "out_of_bounds"),
    ('{"type": "user_presence", "presence_type": "editing_tile", "tile_x": 0, "tile_y": 16,'
     ' "is_editing": true}', "out_of_bounds"),
    ('{"type": "tile_mention", "tile_x": -1, "tile_y": 0}', "out_of_bounds"),
    ('{"type": "user_presence", "presence_type": "editing_tile", "tile_x": true, "tile_y": 0,'
     ' "is_editing": true}', "invalid_message"),
    ('{"type": "user_presence", "presence_type": "typing", "is_typing": 1}', "invalid_message"),
    ('{"type": "user_presence", "presence_type": "dancing"}', "invalid_message"),
    ('{"type": "auth", "token": ""}', "invalid_message"),
])
def test_invalid_messages_raise_with_stable_codes(raw: str, code: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_client_message(raw, BOUNDS)
    assert caught.value.code == code
    event = caught.value.to_event()
    assert event["type"] == "error" and event["code"] == code and event["message"]


def test_errors_name_the_field_and_the_request_type() -> None:
    assert code_of({"type": "canvas_chat", "text": "a\x00b"}) == (
        "invalid_message", "text must not contain NUL characters", "canvas_chat")
    assert code_of({"type": "user_presence", "presence_type": "editing_tile", "tile_x": 40,
                    "tile_y": 1, "is_editing": True}) == (
        "out_of_bounds", "tile (40, 1) is outside the canvas (32x16)", "user_presence")
    assert code_of({"type": "nope"}) == ("unknown_type", "unknown message type 'nope'", "nope")


def test_chat_length_limit_counts_after_trimming_and_follows_the_setting() -> None:
    assert parse({"type": "canvas_chat", "text": "  " + "a" * 2000 + "  "}) == ChatCommand(
        "a" * 2000)
    with pytest.raises(ProtocolError, match="text must be at most 2000 characters"):
        parse({"type": "canvas_chat", "text": "a" * 2001})
    with pytest.raises(ProtocolError, match="text must be at most 5 characters"):
        parse({"type": "canvas_chat", "text": "a" * 6}, chat_max_length=5)


def test_a_client_message_type_has_one_parser() -> None:
    assert client_message_types() >= {"canvas_chat", "user_presence", "tile_mention", "ping",
                                      "auth"}
    with pytest.raises(ValueError, match="two parsers"):
        client_message("ping")(lambda fields: PingCommand(None))
