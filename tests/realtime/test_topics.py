"""Topic names: built, parsed and refused without a broker."""

from __future__ import annotations

import pytest

from stellarcollab.realtime.topics import (
    ADMINS,
    GLOBAL,
    InvalidTopic,
    Topic,
    TopicKind,
    canvas_of,
    canvas_topic,
    parse_topic,
    user_topic,
)


def test_names_are_built_and_parsed_back() -> None:
    assert canvas_topic(12) == "canvas:12" and user_topic(5) == "user:5"
    assert (ADMINS, GLOBAL) == ("admins", "global")
    assert parse_topic("canvas:12") == Topic(TopicKind.CANVAS, 12)
    assert parse_topic("user:5") == Topic(TopicKind.USER, 5)
    assert parse_topic("admins") == Topic(TopicKind.ADMINS)
    assert parse_topic("global") == Topic(TopicKind.GLOBAL)
    for name in ("canvas:12", "user:5", "admins", "global"):
        assert parse_topic(name).name == name


def test_only_canvas_topics_name_a_canvas() -> None:
    assert canvas_of("canvas:3") == 3
    assert canvas_of("user:3") is None and canvas_of(GLOBAL) is None


@pytest.mark.parametrize("name", [
    "canvas:", "canvas:0", "canvas:-1", "canvas:007", "canvas:+7", "canvas:1.5", "canvas:٣",
    "user:abc", "user: 5", "Global", "admins:1", "control", "", "canvas:1:extra",
])
def test_malformed_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidTopic):
        parse_topic(name)


def test_a_canvas_is_named_by_one_string() -> None:
    # every event kept in a canvas's history holds its topic: one object, not a copy each
    assert canvas_topic(7) is canvas_topic(7) == "canvas:7"


@pytest.mark.parametrize("bad", [0, -3, True, 1.0, "4"])
def test_ids_must_be_positive_integers(bad: object) -> None:
    with pytest.raises(InvalidTopic):
        canvas_topic(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidTopic):
        user_topic(bad)  # type: ignore[arg-type]
