"""Keeps clients from filling the log.

Records that only say a client sent something malformed (invalid UTF-8, a bad HTTP
request) lose their traceback, become warnings and are counted. Warnings and errors that
repeat for the same source (the same message template with the same first argument, e.g.
a connection id) are limited to a few per minute; the next one let through says how many
were dropped.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

from stellarcollab.security.local_buckets import LocalBuckets

#: messages of the server's libraries that describe a client's mistake, not a fault
CLIENT_MISTAKES = {
    "Invalid UTF-8 sequence received from client.": "invalid_utf8",
    "Invalid HTTP request received.": "invalid_http",
    "Unsupported upgrade request.": "unsupported_upgrade",
}
GUARDED_LOGGERS = ("uvicorn", "uvicorn.error")


class FloodGuard(logging.Filter):
    def __init__(self, lines_per_minute: int, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        super().__init__()
        self.lines_per_minute = lines_per_minute
        self._buckets = LocalBuckets(clock, max_keys=10_000)
        self.suppressed: Counter[str] = Counter()
        self.client_mistakes: Counter[str] = Counter()

    def client_mistake_counts(self) -> dict[str, int]:
        """By short name (``invalid_utf8``...), for the health report."""
        return {CLIENT_MISTAKES[msg]: count for msg, count in self.client_mistakes.items()}

    def filter(self, record: logging.LogRecord) -> bool:
        template = str(record.msg)
        if template in CLIENT_MISTAKES:
            self.client_mistakes[template] += 1
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        if record.levelno < logging.WARNING:
            return True
        key = f"{record.name}\x00{template}\x00{_source(record)}"
        if self._buckets.take(key, self.lines_per_minute / 60, self.lines_per_minute):
            self.suppressed[key] += 1
            return False
        dropped = self.suppressed.pop(key, 0)
        if dropped:
            record.msg = f"{record.getMessage()} ({dropped} similar lines suppressed)"
            record.args = None
        return True


def _source(record: logging.LogRecord) -> str:
    args = record.args
    if isinstance(args, tuple) and args:
        return str(args[0])[:100]
    return ""


def install(lines_per_minute: int) -> FloodGuard:
    """Attach one guard to uvicorn's loggers and every ``stellarcollab`` logger."""
    names = set(GUARDED_LOGGERS) | {
        name for name in logging.root.manager.loggerDict if name.startswith("stellarcollab")
    }
    guard = _existing_guard() or FloodGuard(lines_per_minute)
    guard.lines_per_minute = lines_per_minute
    for name in names:
        logger = logging.getLogger(name)
        if guard not in logger.filters:
            logger.addFilter(guard)
    return guard


def _existing_guard() -> FloodGuard | None:
    for existing in logging.getLogger("uvicorn.error").filters:
        if isinstance(existing, FloodGuard):
            return existing
    return None
