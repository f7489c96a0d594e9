"""The bare relay's frames (the floor scenario itself runs in the smoke tests)."""

from __future__ import annotations

from stellarcollab.bench.floor import FRAME, STAMP_DIGITS, frame_for


def test_floor_frames_are_fixed_size_and_carry_their_stamp() -> None:
    frame = frame_for(1234567890123)
    assert len(frame) == FRAME and frame[0] == 0x81 and frame[1] == 126
    assert int.from_bytes(frame[2:4], "big") == FRAME - 4
    assert int(frame[4:4 + STAMP_DIGITS]) == 1234567890123
