"""Constructors of the messages to one socket: pong, auth_ok, resync_required."""

from __future__ import annotations

from stellarcollab.wire import session

NOW = "2026-12-01T20:15:03.123Z"


def test_pong_echoes_an_id_only_when_there_was_one() -> None:
    assert session.pong(timestamp=NOW) == {"type": "pong", "timestamp": NOW}
    assert session.pong(timestamp=NOW, request_id=0) == {"type": "pong", "timestamp": NOW,
                                                         "id": 0}
    assert session.pong(timestamp=NOW, request_id={"n": 1})["id"] == {"n": 1}


def test_auth_ok_and_resync_required() -> None:
    assert session.auth_ok(expires_at=NOW) == {"type": "auth_ok", "expires_at": NOW}
    assert session.resync_required(canvas_id=1, seq=51, epoch="e", reason="history_gone") == {
        "type": "resync_required", "canvas_id": 1, "seq": 51, "epoch": "e",
        "reason": "history_gone"}
