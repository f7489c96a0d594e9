"""Fixtures of the bench tests: a Redis server for runs on the Redis broker."""

from tests.support.redis import redis_server

__all__ = ["redis_server"]
