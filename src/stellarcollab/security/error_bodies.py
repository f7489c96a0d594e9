"""Error bodies that repeat little of the request and nothing of the server's insides.

A 422 lists each problem's location, message and type, with the offending input cut
to a few characters; any unexpected exception is a bare 500 ``{"detail": ...}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

MAX_ERRORS = 20


def clip(value: Any, max_chars: int) -> Any:
    """Scalars as they are, text cut to ``max_chars``; containers are not repeated."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (dict, list, tuple, set)):
        return f"<{type(value).__name__} of {len(value)}>"
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= max_chars else text[:max_chars] + "…"


def brief_errors(errors: list[Any], max_chars: int) -> list[dict[str, Any]]:
    brief = []
    for error in errors[:MAX_ERRORS]:
        item: dict[str, Any] = {
            "loc": [clip(part, 100) for part in error.get("loc", ())][:10],
            "msg": clip(error.get("msg", ""), max_chars),
            "type": clip(error.get("type", ""), 100),
        }
        if "input" in error:
            item["input"] = clip(error["input"], max_chars)
        brief.append(item)
    return brief


def install(app: FastAPI, max_echo_chars: int) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": brief_errors(list(exc.errors()), max_echo_chars)},
                            status_code=422)

    @app.exception_handler(Exception)
    async def unexpected_error(_request: Request, _exc: Exception) -> JSONResponse:
        # the server log has the traceback (uvicorn writes it); the client gets none
        # answered outside the middleware stack: the one header that matters for JSON
        return JSONResponse({"detail": "Internal server error"}, status_code=500,
                            headers={"X-Content-Type-Options": "nosniff"})
