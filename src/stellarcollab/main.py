"""The ASGI application: routes, error shapes, the web page, and the runtime's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from stellarcollab import __version__, logredact
from stellarcollab.api import health as health_routes
from stellarcollab.api.docs_pages import install_offline_docs
from stellarcollab.api.v1 import (
    admin,
    auth,
    canvases,
    chat,
    echo,
    locks,
    moderation,
    regions,
    reports,
    tiles,
    websockets,
)
from stellarcollab.api.v1.social_routes import SOCIAL_ROUTERS
from stellarcollab.clock import Clock
from stellarcollab.config import Settings, get_settings
from stellarcollab.runtime import Runtime
from stellarcollab.security import error_bodies, log_guard
from stellarcollab.security.body_limit import BodyLimit
from stellarcollab.security.headers import SecurityHeaders
from stellarcollab.security.policies import origin_policy
from stellarcollab.services.errors import DomainError
from stellarcollab.services.events import PublishFailed

WEB_DIR = Path(__file__).with_name("web")


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """``clock``: what every TTL is measured with (the system's unless a test injects one)."""
    settings = settings or get_settings()
    logredact.install()
    flood_guard = log_guard.install(settings.client_log_lines_per_minute)
    runtime = Runtime(settings, clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title="StellarCollab", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.state.runtime = runtime
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5,
                       exclude_content_types=("text/event-stream", "image/png"))
    app.add_middleware(CORSMiddleware, **origin_policy(settings).cors_options())
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_body_bytes)
    app.add_middleware(SecurityHeaders, trust_proxy=settings.trust_proxy)
    error_bodies.install(app, settings.max_error_echo_chars)

    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        body = {"detail": exc.detail, **exc.extra}
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        if "retry_after" in exc.extra:
            headers = {"Retry-After": str(exc.extra["retry_after"])}
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

    @app.exception_handler(PublishFailed)
    async def publish_failed(_request: Request, _exc: PublishFailed) -> JSONResponse:
        return JSONResponse({"detail": "Message broker unavailable; try again shortly"},
                            status_code=503, headers={"Retry-After": "1"})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    api = APIRouter(prefix="/api/v1")
    for module in (auth, canvases, regions, tiles, locks, chat, websockets, moderation, reports,
                   admin):
        api.include_router(module.router)
    for router in SOCIAL_ROUTERS:
        api.include_router(router)
    if settings.websocket_echo_endpoint:
        api.include_router(echo.router)

    @api.get("/health", tags=["health"])
    async def health() -> dict[str, object]:
        return {"status": "ok", "version": __version__, **runtime.manager.stats(),
                "client_errors": {**runtime.message_guard.client_errors,
                                  **flood_guard.client_mistake_counts()}}

    app.include_router(api)
    app.include_router(health_routes.router)
    install_offline_docs(app)
    if WEB_DIR.is_dir():
        app.mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web")
    return app
