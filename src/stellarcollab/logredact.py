"""Keeps credentials out of log lines: ``token=`` and ``ticket=`` values are masked in
every record of the loggers it is attached to (uvicorn's access and error logs print
request paths with their query strings)."""

from __future__ import annotations

import logging
import re

SECRET_PARAM = re.compile(r"((?:access_)?token|ticket)=[^&\s\"']+", re.IGNORECASE)
REDACTED = r"\1=[redacted]"
LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn", "stellarcollab")


class RedactCredentials(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if SECRET_PARAM.search(message):
            record.msg = SECRET_PARAM.sub(REDACTED, message)
            record.args = None
        return True


def install() -> None:
    redactor = RedactCredentials()
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactCredentials) for f in logger.filters):
            logger.addFilter(redactor)
