"""The ``error`` message and ``ProtocolError``, the exception that becomes one.

A client's mistake is answered with ``error`` and the connection stays open; the codes
are stable (docs/PROTOCOL.md, section 2.3).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stellarcollab.wire.registry import server_message


@server_message("error", example={
    "code": "tile_locked", "message": "Tile is being edited by another user",
    "request_type": "user_presence",
    "holder": {"user_id": 9, "username": "pixelpete", "display_name": "Pete"},
    "retry_after": 200,
})
def error(
    *, code: str, message: str, request_type: str | None,
    holder: Mapping[str, Any] | None = None, retry_after: int | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "error", "code": code, "message": message, "request_type": request_type,
    }
    if holder is not None:
        event["holder"] = dict(holder)
    if retry_after is not None:
        event["retry_after"] = retry_after  # ms, with code rate_limited
    return event


class ProtocolError(Exception):
    """A client message that cannot be applied; the connection stays open."""

    def __init__(self, code: str, message: str, request_type: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_type = request_type

    def to_event(self) -> dict[str, Any]:
        return error(code=self.code, message=self.message, request_type=self.request_type)
