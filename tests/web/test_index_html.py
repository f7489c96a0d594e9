"""index.html: every JavaScript module is preloaded (so the page does not discover them
import by import), and nothing inline that a strict Content-Security-Policy would block."""

from __future__ import annotations

import re
from pathlib import Path

from stellarcollab.main import WEB_DIR

INDEX = (WEB_DIR / "index.html").read_text(encoding="utf-8")


def test_every_module_is_preloaded() -> None:
    modules = {p.relative_to(WEB_DIR).as_posix() for p in (WEB_DIR / "js").rglob("*.js")}
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', INDEX))
    assert preloaded == modules - {"js/app.js"}
    assert all((WEB_DIR / Path(href)).is_file() for href in preloaded)


def test_no_inline_script_handler_or_style() -> None:
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", INDEX) == []
    assert re.findall(r"\son[a-z]+\s*=", INDEX) == []
    assert re.findall(r"\sstyle\s*=", INDEX) == []
    assert "data:" not in INDEX and "http" not in INDEX.replace("http://www.w3.org", "")
