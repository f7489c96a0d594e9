"""Log output for ``stellarcollab serve``: readable lines by default, one JSON object per
line with ``STELLAR_LOG_FORMAT=json``. Both mask credentials (stellarcollab.logredact), and
only the fields named in ``FIELDS`` ever leave a record: no token, ticket, password or
secret reaches the output through ``extra``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

from stellarcollab.logredact import redact

#: extra fields a JSON line may carry (``log.info(..., extra={...})``)
FIELDS = ("user_id", "canvas_id", "connection_id", "close_code", "duration_ms", "reason",
          "pid", "workers", "sockets", "seconds")
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """The readable format, with credentials in URLs masked and the fields appended."""

    def format(self, record: logging.LogRecord) -> str:
        line = redact(super().format(record))
        fields = " ".join(f"{name}={getattr(record, name)}" for name in FIELDS
                          if getattr(record, name, None) is not None)
        return f"{line} [{fields}]" if fields else line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(line, default=str).decode()


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn's ``log_config``: every logger of the
    server writes through one formatter to stderr."""
    formatter = ("stellarcollab.observability.logging.JsonFormatter" if log_format == "json"
                 else "stellarcollab.observability.logging.RedactingFormatter")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": formatter, "fmt": TEXT_FORMAT}},
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "default",
                                 "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"level": level.upper(), "propagate": True},
            "uvicorn.error": {"level": level.upper(), "propagate": True},
            "uvicorn.access": {"level": level.upper(), "propagate": True},
        },
    }


def configure(log_format: str, level: str) -> None:
    """The same configuration outside uvicorn (the worker supervisor, the CLI)."""
    import logging.config

    logging.config.dictConfig(logging_config(log_format, level))
