"""The error message and ProtocolError."""

from __future__ import annotations

from stellarcollab.wire.errors import ProtocolError, error


def test_error_carries_a_holder_only_when_given() -> None:
    assert error(code="forbidden", message="no", request_type=None) == {
        "type": "error", "code": "forbidden", "message": "no", "request_type": None}
    holder = {"user_id": 9, "username": "pete", "display_name": "Pete"}
    assert error(code="tile_locked", message="busy", request_type="user_presence",
                 holder=holder)["holder"] == holder


def test_protocol_error_becomes_an_error_message() -> None:
    problem = ProtocolError("wrong_canvas", "canvas_id does not match", "canvas_chat")
    assert problem.to_event() == error(code="wrong_canvas", message="canvas_id does not match",
                                       request_type="canvas_chat")
    assert str(problem) == "canvas_id does not match"
