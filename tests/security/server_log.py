"""Records what a server in this process logs, to assert that nothing alarming was."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


class RecordingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not any(seen is record for seen in self.records[-5:]):  # reached by two paths
            self.records.append(record)

    def tracebacks(self) -> list[str]:
        return [f"{r.name}: {r.getMessage()}" for r in self.records if r.exc_info]

    def errors(self) -> list[str]:
        return [f"{r.name}: {r.getMessage()}" for r in self.records
                if r.levelno >= logging.ERROR]


@contextmanager
def recorded_log() -> Iterator[RecordingHandler]:
    """Every record reaching the root logger or uvicorn's (which do not propagate)."""
    handler = RecordingHandler()
    loggers = [logging.getLogger(), logging.getLogger("uvicorn.error"),
               logging.getLogger("uvicorn")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
