"""The server process: after startup, what it loaded is hidden from the collector, and
young collections are spaced out."""

from __future__ import annotations

import asyncio
import gc
import socket
from pathlib import Path

from stellarcollab.db.migrate import upgrade
from stellarcollab.server import GC_THRESHOLDS, StellarServer, uvicorn_config
from tests.support.live_server import test_settings
from tests.support.timeouts import scaled


async def test_startup_freezes_what_it_loaded(tmp_path: Path) -> None:
    settings = test_settings(tmp_path)
    upgrade(settings.resolved_database_url())
    server = StellarServer(uvicorn_config(settings, "127.0.0.1", 0))
    started = asyncio.Event()
    startup = server.startup

    async def startup_then_signal(sockets: list[socket.socket] | None = None) -> None:
        await startup(sockets)
        started.set()

    server.startup = startup_then_signal  # type: ignore[method-assign]
    gc.unfreeze()
    thresholds = gc.get_threshold()
    running = asyncio.ensure_future(server.serve())
    try:
        await asyncio.wait_for(started.wait(), scaled(10))
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        server.should_exit = True
        await asyncio.wait_for(running, scaled(10))
        gc.unfreeze()
        gc.set_threshold(*thresholds)
