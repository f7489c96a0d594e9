"""Security headers on every HTTP response, the page's and the API's.

The Content-Security-Policy allows scripts, styles and connections from the page's own
origin only (plus its WebSocket origin), no inline script, no eval, no framing. One
exception: ReDoc (/redoc) builds its styles at run time (inline <style>), so that page
alone may apply inline styles; its scripts stay as strict.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stellarcollab.security.origins import own_origin

INLINE_STYLE_PATHS = frozenset({"/redoc"})


def content_security_policy(ws_origin: str | None, inline_styles: bool = False) -> str:
    connect = "'self'" + (f" {ws_origin}" if ws_origin else "")
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'" if inline_styles else "style-src 'self'",
        "img-src 'self' data: blob:",
        f"connect-src {connect}",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def websocket_origin(http_origin: str | None) -> str | None:
    if http_origin is None:
        return None
    return "wss" + http_origin[5:] if http_origin.startswith("https") else "ws" + http_origin[4:]


class SecurityHeaders:
    def __init__(self, app: ASGIApp, trust_proxy: bool) -> None:
        self.app = app
        self.trust_proxy = trust_proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = content_security_policy(
            websocket_origin(own_origin(scope, self.trust_proxy)),
            inline_styles=scope.get("path") in INLINE_STYLE_PATHS,
        ).encode("latin-1")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", policy),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
