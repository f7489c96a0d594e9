"""Admission of a WebSocket: token, account and canvas access, checked against short-lived
caches first and one read of the database otherwise.

Connecting is hot: a restart or a network blip brings every client back at once, and the
same few users and canvases are checked again and again. Entries live ``ttl`` seconds;
changes made through this process (logout, canvas edits, membership) drop them at once,
and a revoked token is remembered for as long as it could still be presented.

A token whose signature was checked is kept (by a digest of the whole token) with its
claims for ``CLAIMS_SECONDS``, so a client that reconnects is not decoded again; its
expiry, its revocation, its account (with the account's token cutoff and credential
stamp) and the canvas bans are still checked on every use.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from stellarcollab.auth.tokens import InvalidTokenError, TokenClaims, TokenService
from stellarcollab.db.engine import Database
from stellarcollab.db.types import fits_int_column, utcnow
from stellarcollab.services.account_reads import AccountReader, AccountRecord
from stellarcollab.services.canvas_access_reads import (
    CanvasAccess,
    CanvasAccessReader,
    CanvasRecord,
)
from stellarcollab.services.canvases import CANVAS_NOT_FOUND, CanvasAccessDenied
from stellarcollab.services.errors import NotFound, Unauthorized
from stellarcollab.services.sanctions import BANNED, Banned, still_in_force

K = TypeVar("K")
V = TypeVar("V")
CACHE_SECONDS = 5.0
CLAIMS_SECONDS = 60.0
CACHE_ENTRIES = 50_000


class ExpiringCache(Generic[K, V]):
    """A bounded mapping whose entries expire; the clock is injectable. Values and
    expiry times are kept in two dicts, not as a pair per entry: a storm of new users
    fills these caches, and a pair holding a value is one more object per entry for the
    garbage collector to walk."""

    def __init__(self, ttl: float, max_entries: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.max_entries, self.clock = ttl, max_entries, clock
        self._items: dict[K, V] = {}
        self._expires: dict[K, float] = {}
        self._next_sweep = clock() + ttl

    def get(self, key: K) -> V | None:
        expires = self._expires.get(key)
        if expires is None:
            return None
        if expires < self.clock():
            del self._items[key], self._expires[key]
            return None
        return self._items[key]

    def put(self, key: K, value: V) -> None:
        now = self.clock()
        if len(self._items) >= self.max_entries or now >= self._next_sweep:
            # expired entries go at least once per ttl, not only when read again
            self._next_sweep = now + self.ttl
            self._expires = {k: t for k, t in self._expires.items() if t >= now}
            if len(self._expires) >= self.max_entries:
                self._expires.clear()
            items = self._items
            self._items = {k: items[k] for k in self._expires}
        self._items[key] = value
        self._expires[key] = now + self.ttl

    def __len__(self) -> int:
        return len(self._items)

    def drop(self, predicate: Callable[[K], bool]) -> None:
        for key in [k for k in self._items if predicate(k)]:
            del self._items[key], self._expires[key]


@dataclass(frozen=True, slots=True)
class Admission:
    user: AccountRecord
    claims: TokenClaims
    #: the canvas the socket is for; None for the user socket
    canvas: CanvasRecord | None = None


class SocketAdmission:
    def __init__(self, db: Database, tokens: TokenService, ttl: float = CACHE_SECONDS) -> None:
        self.db = db
        self.tokens = tokens
        clock = tokens.clock.monotonic
        self.accounts: ExpiringCache[tuple[int, str], AccountRecord] = ExpiringCache(
            ttl, CACHE_ENTRIES, clock)
        self.canvases: ExpiringCache[tuple[int, int], tuple[CanvasRecord, bool]] = (
            ExpiringCache(ttl, CACHE_ENTRIES, clock))
        #: claims of tokens whose signature was checked, by a digest of the token
        self.claims: ExpiringCache[bytes, TokenClaims] = ExpiringCache(
            max(ttl, CLAIMS_SECONDS), CACHE_ENTRIES, clock)
        self.revoked: dict[str, float] = {}
        #: accounts of sockets arriving together, read in one query
        self.reader = AccountReader(db)
        #: canvas access of sockets arriving together, read in one batch
        self.access_reader = CanvasAccessReader(db)

    def note_revoked(self, jti: str, expires_at: float) -> None:
        self.revoked[jti] = expires_at
        self.accounts.drop(lambda key: key[1] == jti)
        now = self.tokens.clock.time()
        if len(self.revoked) > CACHE_ENTRIES:
            self.revoked = {j: exp for j, exp in self.revoked.items() if exp > now}

    def forget_canvas(self, canvas_id: int) -> None:
        self.canvases.drop(lambda key: key[0] == canvas_id)

    def forget_user(self, user_id: int) -> None:
        self.accounts.drop(lambda key: key[0] == user_id)

    async def admit(self, token: str, canvas_id: int) -> Admission:
        """Unauthorized (bad, expired or revoked token; inactive account), NotFound
        (missing or inactive canvas), CanvasAccessDenied (private, not a member) or
        Banned (banned from this canvas)."""
        claims = self._claims(token)
        key = (canvas_id, claims.user_id)
        access = self.canvases.get(key)
        found: asyncio.Future[CanvasAccess | None] | None = None
        if access is None and fits_int_column(canvas_id):
            # asked now, beside the account's read: one round trip for both
            found = self.access_reader.request(canvas_id, claims.user_id)
        try:
            user = await self._account(claims)
        except BaseException:
            if found is not None:
                found.cancel()
            raise
        if access is None:
            access = await self._canvas_access(user, found)
            self.canvases.put(key, access)
        canvas, may_enter = access
        if not may_enter:
            raise CanvasAccessDenied(CANVAS_NOT_FOUND)
        return Admission(user, claims, canvas)

    async def admit_user(self, token: str) -> tuple[AccountRecord, TokenClaims]:
        """The account a socket's token stands for; Unauthorized as ``admit``."""
        claims = self._claims(token)
        return await self._account(claims), claims

    async def _account(self, claims: TokenClaims) -> AccountRecord:
        if claims.jti in self.revoked:
            raise Unauthorized("Token has been revoked")
        user = self.accounts.get((claims.user_id, claims.jti))
        if user is None:
            user = await self._load_account(claims)
            self.accounts.put((claims.user_id, claims.jti), user)
        return user

    def _claims(self, token: str) -> TokenClaims:
        """The token's claims, its signature checked once and its times on every use."""
        key = hashlib.blake2b(token.encode(), digest_size=16).digest()
        try:
            claims = self.claims.get(key)
            if claims is None:
                claims = self.tokens.decode(token)
                self.claims.put(key, claims)
            else:
                self.tokens.check_times(claims)
        except InvalidTokenError as exc:
            raise Unauthorized("Could not validate credentials") from exc
        return claims

    async def _load_account(self, claims: TokenClaims) -> AccountRecord:
        account = await self.reader.read(claims.user_id, claims.jti)
        user = account.user
        if user is None or not user.is_active:
            raise Unauthorized("Could not validate credentials")
        if user.not_before is not None and claims.issued_at < user.not_before:
            raise Unauthorized("Token has been revoked")
        if account.revoked or claims.stamp != self.tokens.stamp_for(user.password_hash):
            self.revoked[claims.jti] = float(claims.expires_at)
            raise Unauthorized("Token has been revoked")
        # Checked: the cache and the socket keep the record without the hash (about 150
        # bytes a user).
        return replace(user, password_hash="")

    async def _canvas_access(
        self, user: AccountRecord, reading: asyncio.Future[CanvasAccess | None] | None
    ) -> tuple[CanvasRecord, bool]:
        """The canvas and whether the user may enter, from the access ``reading`` asked
        for (None: no canvas could have this id)."""
        if reading is None:
            raise NotFound(CANVAS_NOT_FOUND)
        found = await reading
        if found is None or not found.canvas.is_active:
            raise NotFound(CANVAS_NOT_FOUND)
        canvas = found.canvas
        may_enter = (canvas.visibility == "public" or canvas.owner_id == user.id
                     or bool(user.is_admin) or found.is_member)
        if may_enter and found.banned and still_in_force(found.ban_until, utcnow()):
            raise Banned(BANNED)
        return canvas, may_enter

    def forget_access(self, user_id: int, canvas_id: int | None) -> None:
        """Drop what is cached about this user (on one canvas, or everywhere)."""
        self.accounts.drop(lambda key: key[0] == user_id)
        self.canvases.drop(lambda key: key[1] == user_id and canvas_id in (None, key[0]))
