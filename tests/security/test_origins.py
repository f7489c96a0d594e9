"""Origins: normalisation, the server's own origin (and behind a trusted proxy), lists."""

from __future__ import annotations

from typing import Any

from stellarcollab.security.origins import OriginPolicy, normalize, own_origin


def scope(origin: str | None = None, host: str = "canvas.example:8000", scheme: str = "http",
          **headers: str) -> dict[str, Any]:
    raw = [(b"host", host.encode())]
    if origin is not None:
        raw.append((b"origin", origin.encode()))
    raw += [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return {"type": "websocket", "scheme": scheme, "headers": raw}


def test_normalize_drops_default_ports_case_and_ws_schemes() -> None:
    assert normalize("HTTPS://Canvas.Example:443/") == "https://canvas.example"
    assert normalize("ws://a.example:80") == "http://a.example"
    assert normalize("wss://a.example:8443") == "https://a.example:8443"


def test_default_allows_only_the_own_origin_and_no_origin() -> None:
    policy = OriginPolicy([], trust_proxy=False)
    assert policy.allows(scope("http://canvas.example:8000"))
    assert policy.allows(scope(None))
    assert not policy.allows(scope("https://evil.example"))
    assert not policy.allows(scope("http://canvas.example:9000"))
    assert not policy.allows(scope("null"))


def test_forwarded_headers_count_only_when_the_proxy_is_trusted() -> None:
    behind = scope("https://canvas.example", host="10.0.0.5:8000",
                   x_forwarded_proto="https", x_forwarded_host="canvas.example")
    assert own_origin(behind, trust_proxy=True) == "https://canvas.example"
    assert OriginPolicy([], trust_proxy=True).allows(behind)
    assert not OriginPolicy([], trust_proxy=False).allows(behind)


def test_listed_origins_and_star() -> None:
    policy = OriginPolicy(["https://good.example"], trust_proxy=False)
    assert policy.allows(scope("https://good.example"))
    assert not policy.allows(scope("https://bad.example"))
    assert policy.cors_options()["allow_origins"] == ["https://good.example"]
    assert OriginPolicy(["*"], trust_proxy=False).allows(scope("https://any.example"))
