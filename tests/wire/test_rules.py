"""The value rules shared by the socket parsers and REST."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from stellarcollab.wire import rules


def problem(call: Callable[..., object], *args: object) -> tuple[str, str]:
    with pytest.raises(rules.RuleViolation) as caught:
        call(*args)
    return caught.value.problem, caught.value.code


def test_chat_text_is_trimmed_not_empty_and_bounded() -> None:
    assert rules.chat_text("  hi \n") == "hi"
    assert rules.chat_text(" " + "x" * 2000 + " ") == "x" * 2000
    assert problem(rules.chat_text, " \t\n ") == ("must not be empty", "invalid_message")
    assert problem(rules.chat_text, "x" * 2001) == ("must be at most 2000 characters",
                                                    "invalid_message")
    assert problem(rules.chat_text, "x" * 11, 10)[0] == "must be at most 10 characters"
    assert problem(rules.chat_text, "a\x00b")[0] == "must not contain NUL characters"


def test_status_text_and_message() -> None:
    assert rules.status_text(" away ") == "away"
    assert problem(rules.status_text, "")[0] == "must not be empty"
    assert problem(rules.status_text, "s" * 21)[0] == "must be at most 20 characters"
    assert rules.status_message(None) is None
    assert rules.status_message("   ") is None
    assert rules.status_message(" back soon ") == "back soon"
    assert problem(rules.status_message, "m" * 101)[0] == "must be at most 100 characters"


def test_mention_rules() -> None:
    assert rules.mention_message("") == ""
    assert problem(rules.mention_message, "m" * 281)[0] == "must be at most 280 characters"
    assert problem(rules.highlight_type, "h" * 21)[0] == "must be at most 20 characters"
    assert [rules.mention_duration(ms) for ms in (-1, 499, 500, 3000, 10_000, 10**9)] == [
        500, 500, 500, 3000, 10_000, 10_000]


def test_refuse_nul_is_a_value_error() -> None:
    assert rules.refuse_nul("fine") == "fine"
    with pytest.raises(ValueError, match="must not contain NUL characters"):
        rules.refuse_nul("\x00")


@pytest.mark.parametrize(("x", "y"), [(0, 0), (2, 1), (2, 0), (0, 1)])
def test_cells_inside_the_canvas(x: int, y: int) -> None:
    assert rules.cell_in_bounds(x, y, 3, 2) == (x, y)


@pytest.mark.parametrize(("x", "y"), [(3, 0), (0, 2), (-1, 0), (0, -1)])
def test_cells_outside_the_canvas(x: int, y: int) -> None:
    assert problem(rules.cell_in_bounds, x, y, 3, 2) == (
        f"({x}, {y}) is outside the canvas (3x2)", "out_of_bounds")
