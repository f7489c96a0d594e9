"""The social layer's text rules (defined once in ``wire.rules``) as the services apply
them: a broken rule is a 422 whose detail names the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from stellarcollab.services.errors import Invalid
from stellarcollab.wire.rules import RuleViolation

T = TypeVar("T", str, str | None)


def checked(rule: Callable[[T], T], value: T, what: str) -> T:
    """``rule(value)``, or Invalid("<what> <problem>")."""
    try:
        return rule(value)
    except RuleViolation as violation:
        raise Invalid(f"{what} {violation.problem}") from None
