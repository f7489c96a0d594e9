"""Which browser origins may open a socket or call the API cross-origin.

The default list is empty, meaning the server's own origin: the scheme, host and port the
request reached it on (from X-Forwarded-Proto/-Host only when the proxy is trusted). A
request without an Origin header is not a browser's and is judged by its credential alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.types import Scope

DEFAULT_PORTS = {"http": "80", "https": "443"}
SECURE_SCHEMES = {"https", "wss"}


def normalize(origin: str) -> str:
    """``scheme://host[:port]`` in lower case, the default port left out."""
    scheme, _, rest = origin.strip().lower().partition("://")
    scheme = "https" if scheme in SECURE_SCHEMES else "http" if scheme == "ws" else scheme
    host, _, port = rest.rstrip("/").partition(":") if not rest.startswith("[") else (
        rest.rstrip("/"), "", "")
    if port and DEFAULT_PORTS.get(scheme) == port:
        port = ""
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def own_origin(scope: Scope, trust_proxy: bool) -> str | None:
    """The origin this request was addressed to, or None without a Host header."""
    host = (header(scope, b"x-forwarded-host") if trust_proxy else None) or header(scope, b"host")
    if not host:
        return None
    scheme = header(scope, b"x-forwarded-proto") if trust_proxy else None
    scheme = (scheme or str(scope.get("scheme", "http"))).split(",")[0].strip()
    return normalize(f"{scheme}://{host.split(',')[0].strip()}")


class OriginPolicy:
    def __init__(self, allowed: Iterable[str], trust_proxy: bool) -> None:
        listed = [item for item in allowed if item]
        self.any = "*" in listed
        self.allowed = frozenset(normalize(item) for item in listed if item != "*")
        self.trust_proxy = trust_proxy

    def allows(self, scope: Scope) -> bool:
        """True for a request with no Origin, or one from an allowed origin."""
        origin = header(scope, b"origin")
        if origin is None or self.any:
            return True
        origin = normalize(origin)
        return origin in self.allowed or origin == own_origin(scope, self.trust_proxy)

    def cors_options(self) -> dict[str, Any]:
        """CORSMiddleware options: only the listed origins (the own origin needs none)."""
        return {"allow_origins": ["*"] if self.any else sorted(self.allowed),
                "allow_methods": ["*"], "allow_headers": ["*"]}
