"""Nesting depth of parsed JSON, without recursion."""

from __future__ import annotations

import orjson

from stellarcollab.security.json_depth import exceeds_depth


def nested(depth: int) -> object:
    return orjson.loads("[" * depth + "]" * depth)


def test_depth_limit_is_inclusive() -> None:
    assert not exceeds_depth(nested(32), 32)
    assert exceeds_depth(nested(33), 32)
    assert not exceeds_depth({"a": [{"b": 1}]}, 3)
    assert exceeds_depth({"a": [{"b": []}]}, 3)
    assert not exceeds_depth("text", 0)


def test_very_deep_input_does_not_recurse() -> None:
    deep: object = []
    for _ in range(100_000):
        deep = [deep]
    assert exceeds_depth(deep, 32)
