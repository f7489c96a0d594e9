"""Signed access tokens (PyJWT, HS256) and single-use WebSocket tickets."""

from __future__ import annotations

import math
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Protocol

import jwt

ALGORITHM = "HS256"


class InvalidTokenError(Exception):
    """The token is malformed, badly signed, expired or of the wrong kind."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    jti: str
    issued_at: float  # epoch seconds to the millisecond: a revocation cut-off is that fine
    expires_at: int


class TokenService:
    def __init__(self, secret_key: str, lifetime_seconds: int) -> None:
        self._secret = secret_key
        self.lifetime_seconds = lifetime_seconds

    def issue(self, user_id: int) -> tuple[str, TokenClaims]:
        now = time.time()
        claims = TokenClaims(user_id, uuid.uuid4().hex, math.floor(now * 1000) / 1000,
                             int(now) + self.lifetime_seconds)
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
                int(payload["sub"]), str(payload["jti"]), float(payload["iat"]), int(payload["exp"])
            )
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise InvalidTokenError(str(exc)) from exc


class TicketStore(Protocol):
    """Where tickets live: the broker (in memory, or in Redis for a cluster)."""

    async def put_ticket(self, ticket: str, token: str, ttl_seconds: float) -> None: ...

    async def take_ticket(self, ticket: str) -> str | None: ...


class TicketService:
    """One-time tickets that stand for a token on a WebSocket URL for a few seconds.

    Kept by the broker, so with Redis a ticket issued by one process is redeemed by any
    process, and only once."""

    def __init__(self, store: TicketStore, ttl_seconds: float) -> None:
        self.store = store
        self.ttl_seconds = ttl_seconds

    async def issue(self, token: str) -> str:
        ticket = secrets.token_urlsafe(24)
        await self.store.put_ticket(ticket, token, self.ttl_seconds)
        return ticket

    async def redeem(self, ticket: str) -> str | None:
        return await self.store.take_ticket(ticket)
