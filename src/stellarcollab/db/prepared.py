"""A statement compiled once for one database, to run on a bare SQLite connection: its
text, its parameters in order with each one's conversion to what the driver takes, and
its columns' conversions back. SQLAlchemy does the same work on every execution; the hot
reads and writes of an arrival storm (``key_reads``, ``lean_writes``) do it once.

A list given for a parameter is one value: a JSON array (``JsonArray``), which the
statement reads with ``json_each`` (a batch of keys; rows to write are a ``JsonArray``
that converts each value by its column's type first, ``lean_writes.JsonRows``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

import orjson
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import Compiled
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import Text, TypeDecorator

Row = tuple[Any, ...]
Processor = Callable[[Any], Any] | None


def driver_error(exc: Exception, sql: str, parameters: Sequence[Any]) -> Exception:
    """What ``exc`` of a bare sqlite3 connection is through the engine (SQLAlchemy's
    ``IntegrityError``, ``OperationalError``, ..), so callers catch one kind of error
    whichever connection ran the statement; any other exception as it is."""
    if not isinstance(exc, sqlite3.Error):
        return exc
    return DBAPIError.instance(sql, parameters, exc, sqlite3.Error)


def json_array(values: Iterable[Any]) -> str:
    """A list of keys or rows as ``json_each`` reads it."""
    return orjson.dumps(list(values)).decode()


class JsonArray(TypeDecorator[Any]):
    """A list bound as one JSON array (a text already encoded goes as it is)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None or isinstance(value, str):
            return value
        return json_array(value)


class Prepared:
    """``statement`` compiled for ``dialect``; ``bare`` prepares the conversions a bare
    connection needs (without them only the text and the statement are kept)."""

    def __init__(self, statement: Executable, dialect: Dialect, bare: bool) -> None:
        self.statement = statement
        compiled: Compiled = cast(ClauseElement, statement).compile(dialect=dialect)
        self.sql = compiled.string
        self.names: tuple[str, ...] = tuple(getattr(compiled, "positiontup", None) or ())
        #: each parameter's conversion to what the driver takes
        self.binders: dict[str, Processor] = {}
        #: the statement's own values (e.g. a kind it compares with), converted once
        self.constants: dict[str, Any] = {}
        #: each column's conversion from what sqlite3 returns
        self.processors: list[Processor] = []
        if not bare:
            return
        for name, bound in compiled.binds.items():  # type: ignore[attr-defined]
            process = bound.type.dialect_impl(dialect).bind_processor(dialect)
            self.binders[name] = process
            if bound.value is not None:
                self.constants[name] = process(bound.value) if process else bound.value
        self.processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in getattr(statement, "exported_columns", ())]

    def parameters(self, values: Mapping[str, Any]) -> list[Any]:
        """The positional parameters for ``values`` by name, each converted by its type."""
        out = []
        for name in self.names:
            if name not in values:
                out.append(self.constants[name])
                continue
            value, process = values[name], self.binders[name]
            out.append(value if process is None or value is None else process(value))
        return out

    def rows(self, raw: Iterable[Sequence[Any]]) -> list[Row]:
        """``raw`` rows with each column converted as the engine would."""
        processors = self.processors
        if not any(processors):
            return [tuple(row) for row in raw]
        return [tuple(value if process is None else process(value)
                      for process, value in zip(processors, row, strict=True))
                for row in raw]
