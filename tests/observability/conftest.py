"""Observability tests: the session's PostgreSQL and Redis for the process tests."""

from __future__ import annotations

from tests.support.postgres import postgres_server
from tests.support.redis import redis_server

__all__ = ["postgres_server", "redis_server"]
