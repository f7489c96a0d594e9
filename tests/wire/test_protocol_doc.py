"""docs/PROTOCOL.md and the server's message constructors agree, field by field."""

from __future__ import annotations

import inspect
from collections import defaultdict
from typing import Any

import pytest

from stellarcollab.wire.registry import ServerMessage, all_messages
from tests.wire.protocol_doc import documented_messages

DOCUMENTED = documented_messages()
VARIANTS: dict[str, list[ServerMessage]] = defaultdict(list)
for _message in all_messages():
    VARIANTS[_message.type].append(_message)


def minimal_sample(message: ServerMessage) -> dict[str, Any]:
    """Built from the example without the arguments that have defaults."""
    parameters = inspect.signature(message.build).parameters
    required = {name: value for name, value in message.example.items()
                if parameters[name].default is inspect.Parameter.empty}
    return message.build(**required)


def test_every_documented_message_has_a_constructor() -> None:
    assert sorted(set(DOCUMENTED) - set(VARIANTS)) == []


def test_every_constructed_message_is_documented() -> None:
    assert sorted(set(VARIANTS) - set(DOCUMENTED)) == []


@pytest.mark.parametrize("message_type", sorted(VARIANTS))
def test_documented_fields_are_the_constructed_fields(message_type: str) -> None:
    documented = DOCUMENTED[message_type]
    constructed: set[str] = set()
    for message in VARIANTS[message_type]:
        constructed |= message.wire_fields(message.sample())
    assert sorted(documented.fields - constructed) == [], "documented, never constructed"
    assert sorted(constructed - documented.fields) == [], "constructed, undocumented"


@pytest.mark.parametrize("message_type", sorted(VARIANTS))
def test_fields_not_marked_optional_are_always_there(message_type: str) -> None:
    documented = DOCUMENTED[message_type]
    always: set[str] | None = None
    for message in VARIANTS[message_type]:
        present = message.wire_fields(minimal_sample(message))
        assert sorted(documented.required - present) == [], message.name
        always = present if always is None else always & present
    assert always is not None
    assert sorted(documented.optional & always) == [], "marked optional, always sent"


@pytest.mark.parametrize("message_type", sorted(DOCUMENTED))
def test_each_message_has_a_matching_example(message_type: str) -> None:
    documented = DOCUMENTED[message_type]
    examples = [e for e in documented.examples if e.get("type") == message_type]
    assert examples, f"no example of {message_type}"
    for example in examples:
        assert sorted(documented.required - set(example)) == []
        assert sorted(set(example) - documented.fields) == []
