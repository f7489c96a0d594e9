"""Watches every log record of a test run for credentials: a JWT, the suite's password
or its secret key. Attached as a handler to the root logger (what propagates) and as a
filter to uvicorn's loggers (which do not propagate, and whose filters survive uvicorn's
logging set-up); the session fails at its end if anything leaked."""

from __future__ import annotations

import logging
import re

from stellarcollab.logredact import JWT, RedactCredentials, redact

SUITE_SECRETS = re.compile(
    rf"{JWT.pattern}|correct-horse|test-secret-key-that-is-long-enough")
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class SecretGuard(logging.Handler, logging.Filter):
    def __init__(self) -> None:
        logging.Handler.__init__(self)
        self.leaks: list[str] = []

    def _inspect(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += " " + str(record.exc_info[1])
        if SUITE_SECRETS.search(text):
            self.leaks.append(f"{record.name}: {SUITE_SECRETS.sub('<SECRET>', text)[:300]}")

    def emit(self, record: logging.LogRecord) -> None:
        self._inspect(record)

    def filter(self, record: logging.LogRecord) -> bool:
        # As a filter it may run before the logger's redacting filter: judge the record
        # as the handlers will get it.
        if any(isinstance(f, RedactCredentials) for f in logging.getLogger(record.name).filters):
            record = logging.makeLogRecord({**record.__dict__, "msg": redact(record.getMessage()),
                                            "args": None})
        self._inspect(record)
        return True

    def install(self) -> None:
        logging.getLogger().addHandler(self)
        for name in UVICORN_LOGGERS:
            logging.getLogger(name).addFilter(self)
