"""Encoding server frames: an event into JSON bytes once, and into one unmasked WebSocket
text frame that can be written unchanged to every subscriber.

Pure: no asyncio, no Starlette, no sockets. The messages themselves (constructors,
client parsers, ``ProtocolError``) live in ``stellarcollab.wire``; the parsing names are
re-exported here for existing importers.
"""

from __future__ import annotations

import struct
from typing import Any

import orjson

from stellarcollab.wire.client import (
    AuthCommand,
    CanvasBounds,
    ChatCommand,
    Command,
    EditingCommand,
    HeartbeatCommand,
    MentionCommand,
    PingCommand,
    StatusCommand,
    TypingCommand,
    parse_client_message,
)
from stellarcollab.wire.errors import ProtocolError

__all__ = [
    "AuthCommand",
    "CanvasBounds",
    "ChatCommand",
    "Command",
    "EditingCommand",
    "HeartbeatCommand",
    "MentionCommand",
    "PingCommand",
    "ProtocolError",
    "StatusCommand",
    "TypingCommand",
    "encode_event",
    "parse_client_message",
    "text_frame",
]


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
