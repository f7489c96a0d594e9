"""Signed access tokens (PyJWT, HS256) and single-use WebSocket tickets."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass

import jwt

ALGORITHM = "HS256"


class InvalidTokenError(Exception):
    """The token is malformed, badly signed, expired or of the wrong kind."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    jti: str
    issued_at: int
    expires_at: int


class TokenService:
    def __init__(self, secret_key: str, lifetime_seconds: int) -> None:
        self._secret = secret_key
        self.lifetime_seconds = lifetime_seconds

    def issue(self, user_id: int) -> tuple[str, TokenClaims]:
        now = int(time.time())
        claims = TokenClaims(user_id, uuid.uuid4().hex, now, now + self.lifetime_seconds)
        payload = {
            "sub": str(user_id),
            "jti": claims.jti,
            "iat": claims.issued_at,
            "exp": claims.expires_at,
            "typ": "access",
        }
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM), claims

    def decode(self, token: str) -> TokenClaims:
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": ["sub", "jti", "iat", "exp"]},
            )
            if payload.get("typ") != "access":
                raise InvalidTokenError("not an access token")
            return TokenClaims(
                int(payload["sub"]), str(payload["jti"]), int(payload["iat"]), int(payload["exp"])
            )
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise InvalidTokenError(str(exc)) from exc


class TicketBook:
    """One-time tickets that stand for a token on a WebSocket URL for a few seconds.

    Held in this process's memory: a ticket is redeemed on the process that issued it,
    which holds for one process and for sticky load balancing; the broker can hold them
    for a cluster.
    """

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._tickets: dict[str, tuple[str, float]] = {}

    def issue(self, token: str, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        self._expire(now)
        ticket = secrets.token_urlsafe(24)
        self._tickets[ticket] = (token, now + self.ttl_seconds)
        return ticket

    def redeem(self, ticket: str, now: float | None = None) -> str | None:
        now = time.monotonic() if now is None else now
        entry = self._tickets.pop(ticket, None)
        if entry is None or entry[1] < now:
            return None
        return entry[0]

    def _expire(self, now: float) -> None:
        if len(self._tickets) > 1000:
            for key in [k for k, (_, exp) in self._tickets.items() if exp < now]:
                del self._tickets[key]
