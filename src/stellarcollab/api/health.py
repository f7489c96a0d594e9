"""Operator endpoints at the root: ``/healthz`` (alive), ``/readyz`` (may take traffic)
and ``/metrics`` (Prometheus text; for an admin's token or the metrics token only, and not
at all on this port when a separate metrics listener is configured)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST

from stellarcollab.api.v1.deps import RuntimeDep, bearer
from stellarcollab.observability import metrics
from stellarcollab.observability.health import check_readiness
from stellarcollab.services.errors import DomainError, Forbidden, NotFound, Unauthorized

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Alive: answers without touching the database or the broker."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "draining, or a dependency is down"}})
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    readiness = await check_readiness(runtime.db, runtime.brokers.events, runtime.draining,
                                      runtime.settings.readiness_timeout_seconds)
    if readiness.ready:
        return JSONResponse({"status": "ready", "checks": readiness.checks})
    return JSONResponse({"detail": readiness.reason, "checks": readiness.checks},
                        status_code=503)


async def _may_scrape(runtime: RuntimeDep,
                      credentials: Annotated[HTTPAuthorizationCredentials | None,
                                             Depends(bearer)]) -> None:
    settings = runtime.settings
    if settings.metrics_bind:
        raise NotFound("Not Found")  # served on the metrics listener only
    if credentials is None:
        raise Unauthorized("Not authenticated")
    token = credentials.credentials
    if settings.metrics_token and secrets.compare_digest(token, settings.metrics_token):
        return
    try:
        user, _claims = await runtime.users.user_for_token(token)
    except DomainError:
        raise Unauthorized("Not authenticated") from None
    if not user.is_admin:
        raise Forbidden("Metrics are for admins")


@router.get("/metrics", dependencies=[Depends(_may_scrape)],
            response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics_text() -> Response:
    return Response(metrics.scrape(), media_type=CONTENT_TYPE_LATEST)
