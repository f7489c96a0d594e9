"""Names of the topics events travel on: ``canvas:{id}`` (numbered, recoverable),
``user:{id}``, ``admins`` and ``global`` (not numbered). Pure: builds, parses and
validates names; knows nothing of brokers or sockets."""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass

ADMINS = "admins"
GLOBAL = "global"
CANVAS_PREFIX = "canvas:"
USER_PREFIX = "user:"


class InvalidTopic(ValueError):
    """A topic name (or id) that no topic has."""


class TopicKind(enum.Enum):
    CANVAS = "canvas"
    USER = "user"
    ADMINS = "admins"
    GLOBAL = "global"


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic: ``id`` is the canvas's or user's, None for ``admins``/``global``."""

    kind: TopicKind
    id: int | None = None

    @property
    def name(self) -> str:
        return self.kind.value if self.id is None else f"{self.kind.value}:{self.id}"


def _checked_id(value: object) -> int:
    if type(value) is not int or value < 1:  # bool, a subclass of int, is no id
        raise InvalidTopic(f"a topic id is a positive integer, not {value!r}")
    return value


@functools.lru_cache(maxsize=65_536, typed=True)
def canvas_topic(canvas_id: int) -> str:
    """One string per canvas, however many events and sockets name it (each event kept
    in a canvas's history holds its topic)."""
    return f"{CANVAS_PREFIX}{_checked_id(canvas_id)}"


def user_topic(user_id: int) -> str:
    return f"{USER_PREFIX}{_checked_id(user_id)}"


def _parse_id(text: str, topic: str) -> int:
    # Canonical digits only: "canvas:007" or "canvas:+7" would name canvas 7 twice.
    if not text.isascii() or not text.isdigit() or str(int(text)) != text:
        raise InvalidTopic(f"unknown topic {topic!r}")
    return _checked_id(int(text))


def parse_topic(topic: str) -> Topic:
    """The topic a name stands for; ``InvalidTopic`` for anything else."""
    if topic == ADMINS:
        return Topic(TopicKind.ADMINS)
    if topic == GLOBAL:
        return Topic(TopicKind.GLOBAL)
    if topic.startswith(CANVAS_PREFIX):
        return Topic(TopicKind.CANVAS, _parse_id(topic[len(CANVAS_PREFIX):], topic))
    if topic.startswith(USER_PREFIX):
        return Topic(TopicKind.USER, _parse_id(topic[len(USER_PREFIX):], topic))
    raise InvalidTopic(f"unknown topic {topic!r}")


def canvas_of(topic: str) -> int | None:
    """The canvas id of a ``canvas:{id}`` topic, None for every other valid topic."""
    parsed = parse_topic(topic)
    return parsed.id if parsed.kind is TopicKind.CANVAS else None
