"""index.html: every JavaScript module is preloaded (so the page does not discover them
import by import), and nothing inline that a strict Content-Security-Policy would block."""

from __future__ import annotations

import re
from pathlib import Path

from stellarcollab.main import WEB_DIR

INDEX = (WEB_DIR / "index.html").read_text(encoding="utf-8")


IMPORT = re.compile(r"""^\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]"""
                    r"""|^\s*import\s+['"](\.[^'"]+)['"]""", re.MULTILINE)


def modules_of(entry: Path) -> set[str]:
    """Every module the page's entry imports, directly or not (admin.html has its own)."""
    seen: set[Path] = set()
    todo = [entry.resolve()]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        for match in IMPORT.finditer(module.read_text(encoding="utf-8")):
            todo.append((module.parent / (match.group(1) or match.group(2))).resolve())
    return {m.relative_to(WEB_DIR.resolve()).as_posix() for m in seen}


def test_every_module_is_preloaded() -> None:
    modules = modules_of(WEB_DIR / "js" / "app.js")
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', INDEX))
    assert preloaded == modules - {"js/app.js"}
    assert all((WEB_DIR / Path(href)).is_file() for href in preloaded)


def test_no_inline_script_handler_or_style() -> None:
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", INDEX) == []
    assert re.findall(r"\son[a-z]+\s*=", INDEX) == []
    assert re.findall(r"\sstyle\s*=", INDEX) == []
    assert "data:" not in INDEX and "http" not in INDEX.replace("http://www.w3.org", "")
