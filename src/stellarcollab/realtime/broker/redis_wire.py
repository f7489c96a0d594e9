"""The Redis broker's wire format (pure): events encoded once with a stand-in for their
seq, the envelope a stored or published event travels in, a user's presence entry, and
how long Redis keeps a key after its logical TTL (a garbage-collection backstop only)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import orjson

from stellarcollab.realtime.presence import UserPresence
from stellarcollab.realtime.protocol import encode_event
from stellarcollab.realtime.recovery import Delivery

# The publisher encodes the event once with this stand-in for its seq; the publish script
# splices the real number in. `"seq":` cannot occur inside a JSON string (its quotes would
# be escaped), so the mark is found only where the event's own "seq" key is.
_SEQ_PLACEHOLDER = -7_355_608_107_301_937
_SEQ_MARK = b'"seq":' + str(_SEQ_PLACEHOLDER).encode()


def split_payload(event: dict[str, Any], canvas_id: int) -> tuple[bytes, bytes]:
    """Encode the event once, exactly as the memory broker does, split where its seq
    goes. Sets the placeholder seq (and ``canvas_id`` when absent) on ``event``."""
    event["seq"] = _SEQ_PLACEHOLDER
    event.setdefault("canvas_id", canvas_id)
    head, mark, tail = encode_event(event).partition(_SEQ_MARK)
    if not mark:
        raise ValueError("the encoded event lost its seq")
    return head + b'"seq":', tail


# A stored or published event is "<seq> <published at> <meta JSON>\n<payload>": the meta
# JSON (event type, exclusions, the publisher's typed meta) has no raw newline.
def encode_meta(event_type: str, exclude_user: int | None, exclude_connection: str | None,
                meta: Mapping[str, Any] | None = None) -> bytes:
    typed = meta if meta is None or isinstance(meta, dict) else dict(meta)
    return orjson.dumps([event_type, exclude_user, exclude_connection, typed])


def encode_time(seconds: float) -> str:
    return f"{seconds:.6f}"


def encode_envelope(published_at: float, meta: bytes, payload: bytes) -> bytes:
    """An unnumbered event (seq 0); numbered ones are put together by the publish script."""
    return b"0 " + encode_time(published_at).encode() + b" " + meta + b"\n" + payload


def decode_envelope(topic: str, canvas_id: int, data: bytes) -> Delivery:
    """A stored or published message as the Delivery every receiver gets."""
    head, _, payload = data.partition(b"\n")
    seq, published_at, meta = head.split(b" ", 2)
    event_type, exclude_user, exclude_connection, typed = orjson.loads(meta)
    return Delivery(canvas_id, int(seq), str(event_type), payload, exclude_user,
                    exclude_connection, float(published_at), topic, typed)


def backstop_ms(ttl_seconds: float) -> int:
    """Redis's own expiry for a key whose logical TTL the injected clock decides: far
    beyond it, so it only collects what no process will ever look at again."""
    return math.ceil((10 * ttl_seconds + 3600) * 1000)


def to_ms(seconds: float) -> int:
    return math.floor(seconds * 1000)


def encode_entry(entry: UserPresence) -> bytes:
    """A user's shared presence state; connections are kept apart, per connection."""
    return orjson.dumps({
        "username": entry.username,
        "display_name": entry.display_name,
        "connected_at": entry.connected_at,
        "status": entry.status,
        "status_message": entry.status_message,
        "is_typing": entry.is_typing,
        "editing_tile": list(entry.editing_tile) if entry.editing_tile else None,
        "emoji": entry.emoji,
    })


def decode_entry(user_id: int, data: bytes, connections: set[str]) -> UserPresence:
    fields = orjson.loads(data)
    tile = fields["editing_tile"]
    return UserPresence(
        user_id, fields["username"], fields["display_name"], fields["connected_at"],
        connections, fields["status"], fields["status_message"], fields["is_typing"],
        (tile[0], tile[1]) if tile else None, fields.get("emoji"),
    )


def describe(url: str) -> str:
    """host:port/db of a Redis URL, for logs: never its credentials."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}{parts.path or ''}"
