"""The one table of WebSocket close codes (mirrored in the web page's config.js)."""

from __future__ import annotations

from enum import IntEnum


class CloseCode(IntEnum):
    NORMAL = 1000
    GOING_AWAY = 1001
    MESSAGE_TOO_BIG = 1009
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    UNAUTHORIZED = 4001
    FORBIDDEN = 4003
    NOT_FOUND = 4004
    POLICY = 4008
    KICKED = 4010
    RATE_LIMITED = 4029


CLOSE_REASONS: dict[CloseCode, str] = {
    CloseCode.NORMAL: "normal closure",
    CloseCode.GOING_AWAY: "going away",
    CloseCode.MESSAGE_TOO_BIG: "message too big",
    CloseCode.INTERNAL_ERROR: "internal error",
    CloseCode.SERVICE_RESTART: "server restarting",
    CloseCode.TRY_AGAIN_LATER: "server full",
    CloseCode.UNAUTHORIZED: "invalid or expired token",
    CloseCode.FORBIDDEN: "no access to this canvas",
    CloseCode.NOT_FOUND: "canvas not found",
    CloseCode.POLICY: "policy violation",
    CloseCode.KICKED: "kicked from this canvas",
    CloseCode.RATE_LIMITED: "rate limited",
}
