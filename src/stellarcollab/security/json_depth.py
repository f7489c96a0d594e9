"""How deep parsed JSON nests, checked without recursion (a client may send 100,000 ``[``)."""

from __future__ import annotations

from typing import Any

MAX_JSON_DEPTH = 32


def exceeds_depth(value: Any, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """True if containers nest more than ``max_depth`` levels (the top level is 1)."""
    if not isinstance(value, (dict, list)):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, (dict, list)))
    return False
