"""The pure framing module: events encoded once into unmasked text frames. No network."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from stellarcollab.realtime import protocol
from stellarcollab.realtime.protocol import encode_event, text_frame
from stellarcollab.wire import client, errors


def test_parsing_names_are_still_importable_here() -> None:
    # Parsing lives in stellarcollab.wire (tested in tests/wire); this module re-exports it.
    assert protocol.parse_client_message is client.parse_client_message
    assert protocol.ProtocolError is errors.ProtocolError
    assert protocol.CanvasBounds is client.CanvasBounds
    assert protocol.HeartbeatCommand is client.HeartbeatCommand


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
