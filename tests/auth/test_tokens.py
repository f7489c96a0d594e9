"""Access tokens and one-time WebSocket tickets."""

from __future__ import annotations

import time

import jwt
import pytest

from stellarcollab.auth.tokens import ALGORITHM, InvalidTokenError, TicketService, TokenService
from stellarcollab.realtime.broker import MemoryBroker

SECRET = "a-test-secret-key-of-enough-length"


def test_issued_token_decodes_to_its_claims() -> None:
    tokens = TokenService(SECRET, 60)
    token, claims = tokens.issue(7)
    decoded = tokens.decode(token)
    assert decoded == claims
    assert decoded.user_id == 7 and 59 < decoded.expires_at - decoded.issued_at <= 60


def test_expired_foreign_and_unsigned_tokens_are_refused() -> None:
    tokens = TokenService(SECRET, 60)
    now = int(time.time())
    expired = jwt.encode({"sub": "1", "jti": "j", "iat": now - 120, "exp": now - 60,
                          "typ": "access"}, SECRET, algorithm=ALGORITHM)
    other_secret = "another-secret-key-entirely-different"
    foreign = jwt.encode({"sub": "1", "jti": "j", "iat": now, "exp": now + 60,
                          "typ": "access"}, other_secret, algorithm=ALGORITHM)
    unsigned = jwt.encode({"sub": "1", "jti": "j", "iat": now, "exp": now + 60,
                           "typ": "access"}, None, algorithm="none")
    wrong_kind = jwt.encode({"sub": "1", "jti": "j", "iat": now, "exp": now + 60,
                             "typ": "refresh"}, SECRET, algorithm=ALGORITHM)
    for token in (expired, foreign, unsigned, wrong_kind, "not.a.token"):
        with pytest.raises(InvalidTokenError):
            tokens.decode(token)


async def test_ticket_service_issues_unguessable_tickets_through_its_store() -> None:
    service = TicketService(MemoryBroker(), ttl_seconds=30)
    first, second = await service.issue("token-a"), await service.issue("token-a")
    assert first != second and len(first) >= 32
    assert await service.redeem(first) == "token-a"
    assert await service.redeem(first) is None
    assert await service.redeem(second) == "token-a"
