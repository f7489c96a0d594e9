"""The registry of server message constructors, so tests and docs can walk every one.

A constructor registers itself with ``@server_message(type, example=...)``; the example
is the keyword arguments of a full sample (optional arguments included). ``all_messages``
imports every module of this package first, so a new module registers without being
named anywhere else.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

PACKAGE = "stellarcollab.wire"
Builder = Callable[..., dict[str, Any]]
B = TypeVar("B", bound=Builder)

PUBLISH_ENVELOPE = frozenset({"canvas_id", "seq"})
"""Fields the broker adds to every event published on a canvas (``seq`` numbers it)."""


@dataclass(frozen=True, slots=True)
class ServerMessage:
    type: str
    name: str
    build: Builder
    example: Mapping[str, Any]
    #: published on a canvas, so it reaches clients with the PUBLISH_ENVELOPE
    numbered: bool
    #: fields the publisher fills in beside the envelope (documented, not constructed)
    filled_on_publish: frozenset[str]

    def sample(self) -> dict[str, Any]:
        return self.build(**self.example)

    def wire_fields(self, built: Mapping[str, Any]) -> set[str]:
        """The fields a client sees for ``built``: what was constructed plus what the
        publisher adds on the way."""
        added = (PUBLISH_ENVELOPE if self.numbered else frozenset()) | self.filled_on_publish
        return set(built) | added


_SERVER_MESSAGES: dict[str, ServerMessage] = {}


def server_message(
    message_type: str,
    *,
    example: Mapping[str, Any],
    numbered: bool = False,
    filled_on_publish: frozenset[str] = frozenset(),
) -> Callable[[B], B]:
    """Register a constructor of ``message_type``; the constructor itself is unchanged.
    Several constructors may build one type (variants of one message)."""

    def register(build: B) -> B:
        name = f"{build.__module__}.{build.__qualname__}"
        if name in _SERVER_MESSAGES:
            raise ValueError(f"server message constructor {name} registered twice")
        _SERVER_MESSAGES[name] = ServerMessage(
            message_type, name, build, example, numbered, filled_on_publish
        )
        return build

    return register


def load_all() -> None:
    """Import every module of the package, so each one's constructors are registered."""
    package = importlib.import_module(PACKAGE)
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{PACKAGE}.{module.name}")


def all_messages() -> list[ServerMessage]:
    load_all()
    return sorted(_SERVER_MESSAGES.values(), key=lambda m: (m.type, m.name))


def message_types() -> set[str]:
    return {message.type for message in all_messages()}
