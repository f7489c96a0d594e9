"""Readiness: may this process take new work now? Not while it drains, nor while its
database or its broker does not answer within the timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import text

from stellarcollab.db.engine import Database
from stellarcollab.realtime.broker.events import EventBus


@dataclass
class Readiness:
    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return all(result == "ok" for result in self.checks.values())

    @property
    def reason(self) -> str:
        """The first failed check, as the stable ``detail`` of a 503."""
        for name, result in self.checks.items():
            if result != "ok":
                return "draining" if name == "process" else f"{name} unreachable"
        return ""


async def _probe(check: Callable[[], Awaitable[None]], within: float) -> str:
    try:
        await asyncio.wait_for(check(), within)
    except TimeoutError:
        return f"no answer within {within:g} s"
    except Exception as exc:
        return type(exc).__name__
    return "ok"


async def check_readiness(db: Database, events: EventBus, draining: bool,
                          within: float) -> Readiness:
    async def database() -> None:
        async with db.read() as session:
            await session.execute(text("SELECT 1"))

    db_result, broker_result = await asyncio.gather(
        _probe(database, within), _probe(events.ping, within))
    return Readiness({"process": "draining" if draining else "ok",
                      "database": db_result, "broker": broker_result})
