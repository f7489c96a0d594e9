"""The pure protocol module: parsing, validation limits, frame encoding. No network."""

from __future__ import annotations

import json

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from stellarcollab.realtime.protocol import (
    AuthCommand,
    CanvasBounds,
    ChatCommand,
    EditingCommand,
    MentionCommand,
    PingCommand,
    ProtocolError,
    StatusCommand,
    TypingCommand,
    encode_event,
    parse_client_message,
    text_frame,
)

BOUNDS = CanvasBounds(canvas_id=7, width=32, height=16)


def parse(message: object) -> object:
    return parse_client_message(json.dumps(message), BOUNDS)


def test_guide_messages_parse_to_commands() -> None:
    assert parse({"type": "canvas_chat", "text": " Hello everyone! ", "canvas_id": 7}) == (
        ChatCommand("Hello everyone!"))
    assert parse({"type": "user_presence", "presence_type": "typing", "is_typing": True}) == (
        TypingCommand(True))
    assert parse({"type": "user_presence", "presence_type": "editing_tile", "tile_x": 15,
                  "tile_y": 10, "is_editing": True}) == EditingCommand(15, 10, True)
    assert parse({"type": "user_presence", "presence_type": "status_change",
                  "status": "away"}) == StatusCommand("away", None)
    assert parse({"type": "tile_mention", "tile_x": 20, "tile_y": 15,
                  "highlight_type": "mention", "message": "Check out this tile!",
                  "duration": 3000}) == MentionCommand(20, 15, "mention",
                                                       "Check out this tile!", 3000)
    assert parse({"type": "ping", "id": "x"}) == PingCommand("x")
    assert parse({"type": "auth", "token": "t"}) == AuthCommand("t")


def test_mention_defaults_and_clamping() -> None:
    assert parse({"type": "tile_mention", "tile_x": 0, "tile_y": 0}) == MentionCommand(
        0, 0, "mention", "", 3000)
    assert parse({"type": "tile_mention", "tile_x": 0, "tile_y": 0, "duration": 10**9}) == (
        MentionCommand(0, 0, "mention", "", 10_000))
    assert parse({"type": "tile_mention", "tile_x": 0, "tile_y": 0, "duration": -5}) == (
        MentionCommand(0, 0, "mention", "", 500))


@pytest.mark.parametrize(("raw", "code"), [
    ("{", "invalid_json"),
    ('"text"', "invalid_json"),
    ("{}", "unknown_type"),
    ('{"type": 3}', "unknown_type"),
    ('{"type": "nope"}', "unknown_type"),
    ('{"type": "canvas_chat", "text": ""}', "invalid_message"),
    ('{"type": "canvas_chat", "text": "hi", "canvas_id": 8}', "wrong_canvas"),
    ('{"type": "user_presence", "presence_type": "editing_tile", "tile_x": 32, "tile_y": 0,'
     ' "is_editing": true}', "out_of_bounds"),
    ('{"type": "user_presence", "presence_type": "editing_tile", "tile_x": 0, "tile_y": 16,'
     ' "is_editing": true}', "out_of_bounds"),
    ('{"type": "user_presence", "presence_type": "editing_tile", "tile_x": true, "tile_y": 0,'
     ' "is_editing": true}', "invalid_message"),
    ('{"type": "user_presence", "presence_type": "typing", "is_typing": 1}', "invalid_message"),
    ('{"type": "user_presence", "presence_type": "dancing"}', "invalid_message"),
])
def test_invalid_messages_raise_with_stable_codes(raw: str, code: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_client_message(raw, BOUNDS)
    assert caught.value.code == code
    event = caught.value.to_event()
    assert event["type"] == "error" and event["code"] == code and event["message"]


def test_chat_length_limit_counts_after_trimming() -> None:
    assert parse({"type": "canvas_chat", "text": "  " + "a" * 2000 + "  "}) == ChatCommand(
        "a" * 2000)
    with pytest.raises(ProtocolError, match="at most 2000"):
        parse({"type": "canvas_chat", "text": "a" * 2001})


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 70000])
def test_text_frame_is_a_valid_unmasked_frame(size: int) -> None:
    payload = encode_event({"type": "x", "pad": "p" * size})
    reader = StreamReader()
    reader.feed_data(text_frame(payload))
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame = done.value
    else:  # pragma: no cover - the whole frame was fed
        raise AssertionError("frame was incomplete")
    assert frame.opcode is Opcode.TEXT and frame.fin
    assert frame.data == payload
