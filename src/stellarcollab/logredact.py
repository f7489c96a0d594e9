"""Keeps credentials out of log lines: ``token=`` and ``ticket=`` values, bearer tokens
(``Authorization: Bearer ...``, the ``bearer.<token>`` subprotocol) and anything shaped
like a JWT are masked in every record of the loggers it is attached to (uvicorn's access
and error logs print request paths with their query strings, and its debug log prints
handshake headers)."""

from __future__ import annotations

import logging
import re

SECRET_PARAM = re.compile(r"((?:access_)?token|ticket)=[^&\s\"']+", re.IGNORECASE)
REDACTED = r"\1=[redacted]"
BEARER = re.compile(r"(bearer[.\s]+)[\w\-.~+/]+=*", re.IGNORECASE)
JWT = re.compile(r"eyJ[\w-]*\.[\w-]+\.[\w-]+")
LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn", "stellarcollab")


def redact(text: str) -> str:
    text = SECRET_PARAM.sub(REDACTED, text)
    text = BEARER.sub(r"\1[redacted]", text)
    return JWT.sub("[redacted]", text)


class RedactCredentials(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


def install() -> None:
    redactor = RedactCredentials()
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactCredentials) for f in logger.filters):
            logger.addFilter(redactor)
