"""Swagger UI at /docs and ReDoc at /redoc, served from assets shipped with the
fastapi-offline package (no CDN), so the API documentation works without internet.

The pages hold no inline script or style: Swagger UI starts from a file of ours
(docs_init/swagger-init.js), ReDoc from its own element, so a strict
Content-Security-Policy (script-src 'self') leaves them working."""

from __future__ import annotations

from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_DIR = Path(fastapi_offline.__file__).with_name("static")
INIT_DIR = Path(__file__).with_name("docs_init")
ASSETS_PATH = "/docs-assets"
INIT_PATH = "/docs-init"


def swagger_page(title: str, openapi_url: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)}</title>
<link rel="icon" href="{ASSETS_PATH}/favicon.png">
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body data-openapi-url="{escape(openapi_url)}">
<div id="swagger-ui"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="{INIT_PATH}/swagger-init.js"></script>
</body>
</html>
"""


def redoc_page(title: str, openapi_url: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)}</title>
<link rel="icon" href="{ASSETS_PATH}/favicon.png">
</head>
<body>
<redoc spec-url="{escape(openapi_url)}"></redoc>
<script src="{ASSETS_PATH}/redoc.standalone.js"></script>
</body>
</html>
"""


def install_offline_docs(app: FastAPI, openapi_url: str = "/openapi.json") -> None:
    """Mounts the assets and the two pages; the app must be built with docs_url=None and
    redoc_url=None."""
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    app.mount(INIT_PATH, StaticFiles(directory=INIT_DIR), name="docs-init")
    title = f"{app.title} - API"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(swagger_page(title, openapi_url))

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return HTMLResponse(redoc_page(title, openapi_url))
