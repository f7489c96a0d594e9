"""Socket admission with its batched account reads and caches: a token is admitted
again from the cache, and its expiry and revocation are still checked on every use."""

from __future__ import annotations

import pytest

from stellarcollab.auth.tokens import TokenService
from stellarcollab.clock import ManualClock
from stellarcollab.services.admission import SocketAdmission
from stellarcollab.services.canvases import CanvasSpec
from stellarcollab.services.errors import Unauthorized
from tests.services.conftest import Services


class CountingTokens(TokenService):
    decoded = 0

    def decode(self, token: str):  # type: ignore[no-untyped-def]
        self.decoded += 1
        return super().decode(token)


async def test_a_cached_account_still_checks_expiry_and_revocation(
    services: Services
) -> None:
    clock = ManualClock(1_000_000.0)
    tokens = CountingTokens("admission-test-secret-key-long-enough", 60, clock)
    admission = SocketAdmission(services.db, tokens, ttl=3600)
    user = await services.user()
    canvas = await services.canvases.create(user, CanvasSpec(name="admission"))
    stamp = tokens.stamp_for(user.password_hash)
    token, claims = tokens.issue(user.id, stamp)

    for _ in range(3):
        admitted = await admission.admit(token, canvas["id"])
        assert admitted.user.id == user.id and admitted.canvas is not None

    other, other_claims = tokens.issue(user.id, stamp)
    await admission.admit_user(other)
    admission.note_revoked(other_claims.jti, float(other_claims.expires_at))
    with pytest.raises(Unauthorized):
        await admission.admit_user(other)

    clock.advance(61)
    with pytest.raises(Unauthorized):
        await admission.admit_user(token)
    assert claims.jti not in admission.revoked
