"""Error bodies: a 500 says nothing of the server's insides; 422 inputs are clipped."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from stellarcollab.main import create_app
from stellarcollab.security.error_bodies import brief_errors, clip
from tests.support.live_server import test_settings


def test_an_unexpected_exception_is_a_bare_500(tmp_path: Path) -> None:
    app = create_app(test_settings(tmp_path))

    async def explode() -> None:
        raise RuntimeError("secret internal detail at /srv/app/thing.py")

    app.add_api_route("/explode", explode)
    app.router.routes.insert(0, app.router.routes.pop())  # before the page's catch-all

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/explode")
    assert answer.status_code == 500
    assert answer.json() == {"detail": "Internal server error"}
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_clip_cuts_text_and_names_containers() -> None:
    assert clip("x" * 500, 10) == "x" * 10 + "…"
    assert clip([1, 2, 3], 10) == "<list of 3>"
    assert clip({"a": 1}, 10) == "<dict of 1>"
    assert clip(12, 10) == 12 and clip(None, 10) is None
    many = [{"loc": ("body", "f"), "msg": "bad", "type": "t", "input": "y" * 999}] * 50
    brief = brief_errors(many, 20)
    assert len(brief) == 20 and brief[0]["input"] == "y" * 20 + "…"
