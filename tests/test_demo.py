"""``stellarcollab demo``: the demo canvas is made once, completed if a run was cut short,
and ``--if-empty`` (what ``make run`` calls) leaves a used database alone."""

from __future__ import annotations

import base64
import sqlite3
import subprocess
import sys
from pathlib import Path

from stellarcollab.demo import CHAT, HEIGHT, LIKES, PEOPLE, TILE, WIDTH, tile_pixels
from tests.support.server_process import server_env
from tests.support.timeouts import scaled


def _cli(data_dir: Path, *args: str, **settings: object) -> subprocess.CompletedProcess[str]:
    env = server_env(data_dir, **settings)
    return subprocess.run([sys.executable, "-m", "stellarcollab.cli", *args], env=env,
                          capture_output=True, text=True, timeout=scaled(120), check=True)


def _counts(data_dir: Path) -> dict[str, int]:
    with sqlite3.connect(data_dir / "server.db") as db:
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("users", "canvases", "tiles", "chat_messages", "likes")}


EXPECTED = {"users": len(PEOPLE), "canvases": 1, "tiles": WIDTH * HEIGHT,
            "chat_messages": len(CHAT), "likes": len(LIKES)}


def test_tiles_are_the_picture_cut_in_squares() -> None:
    raw = base64.b64decode(tile_pixels(0, 0))
    assert len(raw) == TILE * TILE * 4
    assert len({raw[i:i + 4] for i in range(0, len(raw), 4)}) > 1  # not a flat colour
    assert tile_pixels(0, 0) != tile_pixels(0, HEIGHT - 1)  # sky above, sea below


def test_demo_is_idempotent_and_shows_progress(tmp_path: Path) -> None:
    _cli(tmp_path, "db", "upgrade")
    first = _cli(tmp_path, "demo")
    assert f"demo: tiles: {WIDTH * HEIGHT}/{WIDTH * HEIGHT}" in first.stderr
    assert _counts(tmp_path) == EXPECTED
    _cli(tmp_path, "demo")
    assert _counts(tmp_path) == EXPECTED
    with sqlite3.connect(tmp_path / "server.db") as db:  # as if a run had been cut short
        db.execute("DELETE FROM tiles WHERE y >= 4")
    _cli(tmp_path, "demo")
    assert _counts(tmp_path) == EXPECTED


def test_if_empty_seeds_only_an_empty_database(tmp_path: Path) -> None:
    off, on = tmp_path / "off", tmp_path / "on"
    for data_dir in (off, on):
        _cli(data_dir, "db", "upgrade")
    _cli(off, "demo", "--if-empty", demo="0")
    assert _counts(off)["users"] == 0
    _cli(on, "demo", "--if-empty")
    assert _counts(on) == EXPECTED
    with sqlite3.connect(on / "server.db") as db:
        db.execute("DELETE FROM chat_messages")
    _cli(on, "demo", "--if-empty")  # not empty (it has users): left alone
    assert _counts(on)["chat_messages"] == 0


def test_help_lists_every_command_with_a_line_each(tmp_path: Path) -> None:
    lines = _cli(tmp_path, "--help").stdout.splitlines()
    for command in ("serve", "db", "demo", "admin", "bench"):
        described = [line for line in lines if line.strip().startswith(command + " ")]
        assert described and len(described[0].split()) > 2, command
