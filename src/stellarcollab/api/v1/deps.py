"""Request dependencies: the runtime, the signed-in user, the origin of a change."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from stellarcollab.auth.tokens import TokenClaims
from stellarcollab.db.models import User
from stellarcollab.runtime import Runtime
from stellarcollab.services.errors import Unauthorized
from stellarcollab.services.events import Origin

bearer = HTTPBearer(auto_error=False)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_session_user(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> tuple[User, TokenClaims, str]:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Not authenticated")
    user, claims = await runtime.users.user_for_token(credentials.credentials)
    return user, claims, credentials.credentials


SessionUser = Annotated[tuple[User, TokenClaims, str], Depends(get_session_user)]


async def get_current_user(session: SessionUser) -> User:
    return session[0]


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_origin(
    user: CurrentUser,
    x_connection_id: Annotated[str | None, Header(max_length=64)] = None,
) -> Origin:
    return Origin(user.id, x_connection_id)


OriginDep = Annotated[Origin, Depends(get_origin)]
