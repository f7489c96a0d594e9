"""The Redis broker's wire format, without Redis: what the publish script splices and
what every receiving process decodes."""

from __future__ import annotations

from types import MappingProxyType

from stellarcollab.realtime.broker.redis_wire import (
    backstop_ms,
    decode_entry,
    decode_envelope,
    describe,
    encode_entry,
    encode_envelope,
    encode_meta,
    split_payload,
)
from stellarcollab.realtime.presence import UserPresence


def test_the_seq_is_spliced_into_the_event_encoded_once() -> None:
    event = {"type": "chat", "text": 'a "seq":1 inside a string', "seq": None}
    head, tail = split_payload(event, canvas_id=7)
    assert head + b"42" + tail == (
        b'{"type":"chat","text":"a \\"seq\\":1 inside a string","seq":42,"canvas_id":7}')


def test_an_envelope_decodes_into_the_delivery_receivers_get() -> None:
    meta = encode_meta("tile_highlight", 3, 'conn "x"', {"lease": {"tile_x": 1}})
    delivery = decode_envelope("canvas:7", 7,
                               b"12 1700000000.250000 " + meta + b'\n{"seq":12}')
    assert (delivery.canvas_id, delivery.seq, delivery.event_type) == (7, 12, "tile_highlight")
    assert delivery.payload == b'{"seq":12}'
    assert (delivery.exclude_user, delivery.exclude_connection) == (3, 'conn "x"')
    assert delivery.published_at == 1700000000.25
    assert (delivery.topic, delivery.meta) == ("canvas:7", {"lease": {"tile_x": 1}})


def test_an_unnumbered_envelope_round_trips() -> None:
    meta = encode_meta("notification", None, None, MappingProxyType({"n": [1, 2]}))
    data = encode_envelope(1700000000.5, meta, b'{"type":"notification"}')
    assert b"\n" not in data.partition(b"\n")[0]
    delivery = decode_envelope("user:4", 0, data)
    assert (delivery.seq, delivery.topic, delivery.meta) == (0, "user:4", {"n": [1, 2]})
    assert delivery.payload == b'{"type":"notification"}'
    assert delivery.published_at == 1700000000.5


def test_redis_expiry_is_only_a_backstop_far_beyond_the_logical_ttl() -> None:
    assert backstop_ms(30) >= 10 * 30_000 + 3_600_000


def test_a_presence_entry_round_trips_without_its_connections() -> None:
    entry = UserPresence(5, "ana", "Ana", "2026-01-01T00:00:00.000Z", {"c1"}, "away",
                         "lunch", True, (2, 3))
    back = decode_entry(5, encode_entry(entry), {"c1", "c2"})
    assert back == UserPresence(5, "ana", "Ana", "2026-01-01T00:00:00.000Z", {"c1", "c2"},
                                "away", "lunch", True, (2, 3))


def test_logs_name_the_redis_without_its_password() -> None:
    assert describe("redis://user:secret@cache.internal:6380/2") == "cache.internal:6380/2"
