"""Hypothesis strategies for hostile client frames: every client message type with its
fields kept, dropped or replaced by arbitrary JSON, unknown fields, and raw frames
(garbage text, binary, invalid UTF-8, deep nesting, NUL, over-size)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

HUGE = 2**70


MAX_MESSAGE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Frame:
    data: str | bytes
    #: a text frame whose bytes are not UTF-8
    invalid_text: bool = False

    def expected_close(self) -> int | None:
        """The close code this frame must get (1007 invalid UTF-8, 1009 too big)."""
        if self.invalid_text:
            return 1007
        size = len(self.data.encode() if isinstance(self.data, str) else self.data)
        return 1009 if size > MAX_MESSAGE_BYTES else None


def bases(canvas_id: int) -> list[dict[str, Any]]:
    """A valid message of every client type the guide names."""
    return [
        {"type": "canvas_chat", "text": "hello", "canvas_id": canvas_id},
        {"type": "user_presence", "presence_type": "typing", "is_typing": True},
        {"type": "user_presence", "presence_type": "editing_tile", "tile_x": 1, "tile_y": 1,
         "is_editing": True},
        {"type": "user_presence", "presence_type": "status_change", "status": "away",
         "status_message": "brb"},
        {"type": "user_presence", "presence_type": "heartbeat"},
        {"type": "tile_mention", "tile_x": 2, "tile_y": 2, "highlight_type": "mention",
         "message": "look", "duration": 1000},
        {"type": "ping", "id": 7},
        {"type": "auth", "token": "not-a-token"},
        {"type": "direct_message", "to_user_id": 1, "text": "psst"},
        {"type": "report", "target_type": "user", "target_id": 1, "reason": "spam"},
        {"type": "moderation", "action": "mute", "user_id": 2, "duration_s": 60,
         "reason": "noise"},
        {"type": "admin_broadcast", "text": "hello all", "level": "info", "canvas_id": canvas_id},
    ]


NASTY_VALUES: list[Any] = [
    None, True, False, 0, -1, HUGE, -HUGE, 2**63, 1.5, -1e308, "", " ", "\x00", "a\x00b",
    "x" * 5000, "🎨" * 300, [], {}, [[[[[]]]]], {"a": {"b": {"c": None}}}, "[" * 40,
]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-HUGE, max_value=HUGE),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
    st.sampled_from(NASTY_VALUES),
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


def encode(message: Any) -> str:
    return json.dumps(message, ensure_ascii=False)


def perturbed_messages(canvas_id: int) -> st.SearchStrategy[Frame]:
    @st.composite
    def perturb(draw: st.DrawFn) -> Frame:
        message = dict(draw(st.sampled_from(bases(canvas_id))))
        for field in list(message):
            action = draw(st.sampled_from(["keep", "keep", "replace", "drop"]))
            if action == "replace":
                message[field] = draw(json_values)
            elif action == "drop":
                del message[field]
        if draw(st.booleans()):
            message[draw(st.text(max_size=12))] = draw(json_values)
        return Frame(encode(message))

    return perturb()


def nested(depth: int, inner: str = "") -> str:
    return "[" * depth + inner + "]" * depth


raw_frames = st.one_of(
    st.text(max_size=200).map(Frame),
    st.binary(max_size=200).map(Frame),
    st.binary(max_size=60).map(lambda b: Frame(b + b"\xff\xfe", invalid_text=True)),
    st.integers(1, 3000).map(lambda d: Frame(nested(d))),
    st.integers(1, 3000).map(lambda d: Frame('{"type": "ping", "id": ' + nested(d) + "}")),
    st.integers(1, 500).map(lambda d: Frame('{"type": "canvas_chat", "text": "'
                                            + "\\u0000" * d + '"}')),
    st.sampled_from([Frame("x" * 70_000), Frame("{}" * 40_000), Frame("null"), Frame("[]"),
                     Frame('{"type": null}'), Frame('{"type": "' + "t" * 10_000 + '"}')]),
)


def frames(canvas_id: int) -> st.SearchStrategy[Frame]:
    return st.one_of(perturbed_messages(canvas_id), perturbed_messages(canvas_id), raw_frames)


def field_sweep(canvas_id: int) -> list[Frame]:
    """Every field of every message type replaced by each nasty value, and dropped."""
    sweep = []
    for base in bases(canvas_id):
        for field in base:
            for value in NASTY_VALUES:
                sweep.append(Frame(encode({**base, field: value})))
            sweep.append(Frame(encode({k: v for k, v in base.items() if k != field})))
    return sweep
