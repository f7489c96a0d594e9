"""Admission of a WebSocket: token, account and canvas access checked in one short read.

Connecting is hot (a reconnect storm after a restart brings everyone back at once), so the
checks the REST dependencies make in several sessions are made here in one, two queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select

from stellarcollab.auth.tokens import InvalidTokenError, TokenClaims, TokenService
from stellarcollab.db.engine import Database
from stellarcollab.db.models import Canvas, CanvasMember, RevokedToken, User
from stellarcollab.services.canvases import CANVAS_NOT_FOUND, CanvasAccessDenied
from stellarcollab.services.errors import NotFound, Unauthorized


@dataclass(frozen=True, slots=True)
class Admission:
    user: User
    claims: TokenClaims
    canvas: Canvas


class SocketAdmission:
    def __init__(self, db: Database, tokens: TokenService) -> None:
        self.db = db
        self.tokens = tokens

    async def admit(self, token: str, canvas_id: int) -> Admission:
        """Unauthorized (bad, expired or revoked token; inactive account), NotFound
        (missing or inactive canvas) or CanvasAccessDenied (private, not a member)."""
        try:
            claims = self.tokens.decode(token)
        except InvalidTokenError as exc:
            raise Unauthorized("Could not validate credentials") from exc
        async with self.db.read() as session:
            account = (await session.execute(
                select(User, RevokedToken.jti)
                .outerjoin(RevokedToken, RevokedToken.jti == claims.jti)
                .where(User.id == claims.user_id)
            )).first()
            if account is None or not account[0].is_active:
                raise Unauthorized("Could not validate credentials")
            user, revoked = account
            if revoked is not None:
                raise Unauthorized("Token has been revoked")
            found = (await session.execute(
                select(Canvas, CanvasMember.user_id)
                .outerjoin(CanvasMember, and_(CanvasMember.canvas_id == Canvas.id,
                                              CanvasMember.user_id == user.id))
                .where(Canvas.id == canvas_id)
            )).first()
        if found is None or not found[0].is_active:
            raise NotFound(CANVAS_NOT_FOUND)
        canvas, membership = found
        if not (canvas.visibility == "public" or canvas.owner_id == user.id or user.is_admin
                or membership is not None):
            raise CanvasAccessDenied(CANVAS_NOT_FOUND)
        return Admission(user, claims, canvas)
