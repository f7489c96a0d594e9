"""Socket admission with its batched account and canvas reads and its caches: a token is
admitted again from the cache (decoded once), and its expiry, revocation, cutoff and the
canvas bans are still checked on every use."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from stellarcollab.auth.tokens import TokenService
from stellarcollab.clock import ManualClock
from stellarcollab.db.models import User
from stellarcollab.db.moderation import CanvasSanction, TokenCutoff
from stellarcollab.db.types import utcnow
from stellarcollab.services.admission import Admission, ExpiringCache, SocketAdmission
from stellarcollab.services.canvases import CanvasAccessDenied, CanvasSpec
from stellarcollab.services.errors import NotFound, Unauthorized
from stellarcollab.services.sanctions import BAN, Banned
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
        # checked against the stamp once; neither the cache nor the socket keeps the hash
        assert admitted.user.password_hash == ""

    other, other_claims = tokens.issue(user.id, stamp)
    await admission.admit_user(other)
    admission.note_revoked(other_claims.jti, float(other_claims.expires_at))
    with pytest.raises(Unauthorized):
        await admission.admit_user(other)

    clock.advance(61)
    with pytest.raises(Unauthorized):
        await admission.admit_user(token)
    assert claims.jti not in admission.revoked


async def test_a_token_is_decoded_once_and_its_cutoff_still_holds(services: Services) -> None:
    clock = ManualClock(1_000_000.0)
    tokens = CountingTokens("admission-test-secret-key-long-enough", 600, clock)
    admission = SocketAdmission(services.db, tokens, ttl=3600)
    user = await services.user()
    canvas = await services.canvases.create(user, CanvasSpec(name="decoded once"))
    token, claims = tokens.issue(user.id, tokens.stamp_for(user.password_hash))

    for _ in range(3):
        await admission.admit(token, canvas["id"])
    assert tokens.decoded == 1

    # a moderator's cutoff, seen on the next connect once the account is forgotten (as
    # the cutoff's control message makes every process do)
    async with services.db.transaction() as session:
        session.add(TokenCutoff(user_id=user.id, not_before=claims.issued_at + 1))
    admission.forget_user(user.id)
    with pytest.raises(Unauthorized):
        await admission.admit(token, canvas["id"])
    assert tokens.decoded == 1


async def test_a_tampered_token_is_not_taken_from_the_cache(services: Services) -> None:
    tokens = TokenService("admission-test-secret-key-long-enough", 600)
    admission = SocketAdmission(services.db, tokens, ttl=3600)
    user = await services.user()
    token, _ = tokens.issue(user.id, tokens.stamp_for(user.password_hash))
    await admission.admit_user(token)
    header, payload, signature = token.split(".")
    # another first character: all six of its bits are the signature's (the last
    # character's low bits are padding, so changing it may decode to the same bytes)
    tampered = ("B" if signature[0] == "A" else "A") + signature[1:]
    with pytest.raises(Unauthorized):
        await admission.admit_user(f"{header}.{payload}.{tampered}")


async def test_a_ban_is_seen_on_the_next_connect(services: Services) -> None:
    tokens = TokenService("admission-test-secret-key-long-enough", 600)
    admission = SocketAdmission(services.db, tokens, ttl=3600)
    owner, user = await services.user(), await services.user()
    canvas = await services.canvases.create(owner, CanvasSpec(name="bans"))
    token, _ = tokens.issue(user.id, tokens.stamp_for(user.password_hash))
    await admission.admit(token, canvas["id"])

    async with services.db.transaction() as session:
        session.add(CanvasSanction(canvas_id=canvas["id"], user_id=user.id, kind=BAN,
                                   until=None, by_user_id=owner.id))
    admission.forget_access(user.id, canvas["id"])  # what a ban tells every process
    with pytest.raises(Banned):
        await admission.admit(token, canvas["id"])
    with pytest.raises(Banned):  # a ban is never cached as admitted
        await admission.admit(token, canvas["id"])

    async with services.db.transaction() as session:  # an expired ban no longer holds
        await session.execute(update(CanvasSanction).values(until=utcnow() - timedelta(1)))
    assert (await admission.admit(token, canvas["id"])).user.id == user.id


async def test_arrivals_together_share_one_canvas_read_and_keep_their_own_access(
    services: Services
) -> None:
    tokens = TokenService("admission-test-secret-key-long-enough", 600)
    admission = SocketAdmission(services.db, tokens, ttl=3600)
    owner = await services.user()
    guests = [await services.user() for _ in range(4)]
    public = await services.canvases.create(owner, CanvasSpec(name="public"))
    private = await services.canvases.create(
        owner, CanvasSpec(name="private", visibility="private"))
    async with services.db.transaction() as session:
        session.add(CanvasSanction(canvas_id=public["id"], user_id=guests[1].id, kind=BAN,
                                   until=None, by_user_id=owner.id))
    batches: list[int] = []
    query = admission.access_reader._query

    async def counted(keys: list[tuple[int, int]]) -> dict[tuple[int, int], Any]:
        batches.append(len(keys))
        return await query(keys)

    admission.access_reader._reads.query = counted
    stamp = {g.id: tokens.stamp_for(g.password_hash) for g in [owner, *guests]}
    tries = [(tokens.issue(g.id, stamp[g.id])[0], public["id"]) for g in guests]
    tries += [(tokens.issue(owner.id, stamp[owner.id])[0], private["id"]),
              (tokens.issue(guests[0].id, stamp[guests[0].id])[0], private["id"]),
              (tokens.issue(guests[0].id, stamp[guests[0].id])[0], 999_999)]
    results = await asyncio.gather(*(admission.admit(t, c) for t, c in tries),
                                   return_exceptions=True)

    assert batches == [len(tries)]  # one read for all seven arrivals
    admitted = [r.user.id if isinstance(r, Admission) else type(r) for r in results]
    assert admitted == [guests[0].id, Banned, guests[2].id, guests[3].id, owner.id,
                        CanvasAccessDenied, NotFound]
    first = results[0]
    assert isinstance(first, Admission) and first.canvas is not None
    assert (first.canvas.width, first.canvas.height) == (public["width"], public["height"])
    # the sockets admitted by one read share the canvas's bounds, not a copy each
    third = results[2]
    assert isinstance(third, Admission) and third.canvas is not None
    assert third.canvas.bounds is first.canvas.bounds
    assert first.canvas.bounds.width == public["width"]


async def test_an_arrival_asks_for_its_account_and_its_canvas_access_at_once(
    services: Services
) -> None:
    """The canvas access is not read after the account but beside it, so both share a
    round trip; when the account is refused, the access read asked for is dropped."""
    tokens = TokenService("admission-test-secret-key-long-enough", 600)
    admission = SocketAdmission(services.db, tokens, ttl=3600)
    owner, guest = await services.user(), await services.user()
    canvas = await services.canvases.create(owner, CanvasSpec(name="together"))
    account_query = admission.reader._query
    access_asked = asyncio.Event()
    access_query = admission.access_reader._query

    async def account_after_access(keys: list[tuple[int, str]]) -> Any:
        # the account's answer waits until the canvas access has been asked for
        await asyncio.wait_for(access_asked.wait(), timeout=5)
        return await account_query(keys)

    async def access_noted(keys: list[tuple[int, int]]) -> Any:
        access_asked.set()
        return await access_query(keys)

    admission.reader._query = account_after_access  # type: ignore[method-assign]
    admission.access_reader._reads.query = access_noted
    token, _ = tokens.issue(guest.id, tokens.stamp_for(guest.password_hash))
    admitted = await asyncio.wait_for(admission.admit(token, canvas["id"]), timeout=10)
    assert admitted.user.id == guest.id and admitted.canvas is not None

    async with services.db.transaction() as session:  # a refused account: nothing kept
        await session.execute(update(User).where(User.id == owner.id).values(is_active=False))
    refused, _ = tokens.issue(owner.id, tokens.stamp_for(owner.password_hash))
    with pytest.raises(Unauthorized):
        await admission.admit(refused, canvas["id"])
    assert admission.canvases.get((canvas["id"], owner.id)) is None


def test_the_expiring_cache_forgets_what_expired_and_keeps_within_its_bound() -> None:
    clock = ManualClock(100.0)
    cache: ExpiringCache[str, str | None] = ExpiringCache(5.0, 3, clock.monotonic)
    cache.put("a", "A")
    cache.put("none", None)
    assert cache.get("a") == "A" and cache.get("none") is None and cache.get("b") is None
    clock.advance(5.0)
    assert cache.get("a") == "A"  # still within its ttl
    clock.advance(0.1)
    assert cache.get("a") is None and len(cache) == 1  # expired: gone once read
    cache.put("b", "B")  # the sweep (once per ttl) takes the expired entry no one read
    assert len(cache) == 1 and cache.get("b") == "B"
    cache.put("c", "C")
    cache.put("d", "D")
    cache.put("e", "E")  # at its bound with nothing expired: it starts over
    assert len(cache) == 1 and cache.get("e") == "E" and cache.get("b") is None
    cache.put("f", "F")
    cache.drop(lambda key: key == "e")
    assert cache.get("e") is None and cache.get("f") == "F" and len(cache) == 1
