"""Domain errors. Each carries a stable detail message and the HTTP status it maps to;
the WebSocket layer maps the same errors to ``error`` codes."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400
    ws_code = "invalid_message"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class BadRequest(DomainError):
    status_code = 400
    ws_code = "invalid_message"


class OutOfBounds(DomainError):
    status_code = 400
    ws_code = "out_of_bounds"


class Unauthorized(DomainError):
    status_code = 401
    ws_code = "unauthorized"


class Forbidden(DomainError):
    status_code = 403
    ws_code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    ws_code = "not_found"


class Conflict(DomainError):
    status_code = 409
    ws_code = "conflict"


class TileLocked(Conflict):
    ws_code = "tile_locked"


class Invalid(DomainError):
    status_code = 422
    ws_code = "invalid_message"
