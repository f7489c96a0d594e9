"""Accounts: registration, sign-in, token issue and revocation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import configure_mappers

from stellarcollab.auth.passwords import PasswordHasher
from stellarcollab.auth.tokens import InvalidTokenError, TokenClaims, TokenService
from stellarcollab.db.engine import Database
from stellarcollab.db.models import RevokedToken, User
from stellarcollab.db.moderation import TokenCutoff
from stellarcollab.services.errors import Conflict, NotFound, Unauthorized
from stellarcollab.services.views import user_view

BAD_CREDENTIALS = "Incorrect username or password"


# The stub below reads its attributes through the mapped class's descriptors, which work
# once the mappers are configured (the models have no relationships: nothing to wait for).
configure_mappers()
_new_user = User.__mapper__.class_manager.new_instance


def account_stub(user_id: int, username: str, display_name: str) -> User:
    """A detached User carrying only who someone is, for events about a user whose
    identity is already known (e.g. from an admitted socket); never stored.

    Made without the ORM's attribute events (a fifth of the time of ``User(...)``, which
    records each value as a change to flush): a socket's messages make one each."""
    user: User = _new_user()
    user.__dict__.update(id=user_id, username=username, display_name=display_name)
    return user


class UserService:
    def __init__(self, db: Database, hasher: PasswordHasher, tokens: TokenService) -> None:
        self.db = db
        self.hasher = hasher
        self.tokens = tokens

    async def register(
        self, username: str, email: str, password: str, display_name: str | None
    ) -> User:
        password_hash = await self.hasher.hash(password)
        await self._refuse_taken(username, email)
        user = User(
            username=username,
            username_key=username.lower(),
            email=email.lower(),
            display_name=(display_name or username).strip() or username,
            password_hash=password_hash,
        )
        try:
            async with self.db.transaction() as session:
                session.add(user)
        except IntegrityError as exc:
            await self._refuse_taken(username, email)  # lost a race: say which one
            raise Conflict("Username or email already registered") from exc
        return user

    async def _refuse_taken(self, username: str, email: str) -> None:
        """Conflict naming what is taken: the username first, else the email."""
        async with self.db.read() as session:
            rows = (await session.execute(
                select(User.username_key, User.email).where(
                    or_(User.username_key == username.lower(), User.email == email.lower())
                )
            )).all()
        if any(key == username.lower() for key, _email in rows):
            raise Conflict("Username already registered")
        if rows:
            raise Conflict("Email already registered")

    async def authenticate(self, username: str, password: str) -> User:
        async with self.db.read() as session:
            user = await session.scalar(select(User).where(User.username_key == username.lower()))
        if user is None:
            await self.hasher.verify_nobody(password)
            raise Unauthorized(BAD_CREDENTIALS)
        if not await self.hasher.verify(user.password_hash, password) or not user.is_active:
            raise Unauthorized(BAD_CREDENTIALS)
        return user

    def token_response(self, user: User, auth_time: int | None = None) -> dict[str, Any]:
        """A new token; ``auth_time`` carries a refreshed session's sign-in time over."""
        token, _claims = self.tokens.issue(user.id, self.tokens.stamp_for(user.password_hash),
                                           auth_time)
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self.tokens.lifetime_seconds,
            "user": user_view(user),
        }

    async def user_for_token(self, token: str) -> tuple[User, TokenClaims]:
        """The active user a valid, unrevoked token stands for."""
        try:
            claims = self.tokens.decode(token)
        except InvalidTokenError as exc:
            raise Unauthorized("Could not validate credentials") from exc
        async with self.db.read() as session:
            if await session.get(RevokedToken, claims.jti) is not None:
                raise Unauthorized("Token has been revoked")
            user = await session.get(User, claims.user_id)
            cutoff = await session.get(TokenCutoff, claims.user_id)
        if cutoff is not None and claims.issued_at < cutoff.not_before:
            raise Unauthorized("Token has been revoked")
        if user is None or not user.is_active:
            raise Unauthorized("Could not validate credentials")
        if claims.stamp != self.tokens.stamp_for(user.password_hash):
            raise Unauthorized("Token has been revoked")
        return user, claims

    async def revoke(self, claims: TokenClaims) -> None:
        expires = datetime.fromtimestamp(claims.expires_at, UTC)
        async with self.db.transaction() as session:
            if await session.get(RevokedToken, claims.jti) is None:
                session.add(RevokedToken(jti=claims.jti, expires_at=expires))
            await session.execute(
                delete(RevokedToken).where(
                    RevokedToken.expires_at < datetime.fromtimestamp(self.tokens.clock.time(), UTC)
                )
            )

    async def change_password(self, user_id: int, current: str, new: str) -> User:
        """Unauthorized if ``current`` is wrong; the new hash makes older tokens stale."""
        user = await self.get(user_id)
        if user is None or not await self.hasher.verify(user.password_hash, current):
            raise Unauthorized("Incorrect password")
        new_hash = await self.hasher.hash(new)
        async with self.db.transaction() as session:
            stored = await session.get(User, user_id)
            if stored is None:
                raise NotFound("User not found")
            stored.password_hash = new_hash
        user.password_hash = new_hash
        return user

    async def set_admin(self, username: str, is_admin: bool) -> User:
        async with self.db.transaction() as session:
            user = await session.scalar(select(User).where(User.username_key == username.lower()))
            if user is None:
                raise NotFound("User not found")
            user.is_admin = is_admin
        return user

    async def get(self, user_id: int) -> User | None:
        async with self.db.read() as session:
            return await session.get(User, user_id)
