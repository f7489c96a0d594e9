"""Domain rules for user-supplied values, defined once for the socket parsers and REST.

Each rule returns the cleaned value or raises ``RuleViolation``, whose ``problem`` reads
after the name of the field (``"text must not be empty"``), so every caller words its own
error (``error`` message on the socket, 422 detail over REST) from the same rule.
"""

from __future__ import annotations

import re

CHAT_MAX_LENGTH = 2000
STATUS_MAX_LENGTH = 20
STATUS_MESSAGE_MAX_LENGTH = 100
MENTION_MAX_LENGTH = 280
MENTION_MIN_DURATION_MS = 500
MENTION_MAX_DURATION_MS = 10_000
MENTION_DEFAULT_DURATION_MS = 3000
HIGHLIGHT_TYPE_MAX_LENGTH = 20
HIGHLIGHT_TYPE_DEFAULT = "mention"
TOKEN_MAX_LENGTH = 4096
CANVAS_MAX_SIDE = 256
"""Canvases are at most this many cells wide and high, so a cell coordinate is below it."""


class RuleViolation(ValueError):
    """A value breaks a rule. ``code`` is the socket's error code for it."""

    def __init__(self, problem: str, code: str = "invalid_message") -> None:
        super().__init__(problem)
        self.problem = problem
        self.code = code


def refuse_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; stored, it would fail its whole commit batch.
    if "\x00" in value:
        raise RuleViolation("must not contain NUL characters")
    return value


def clean_text(value: str, max_length: int, *, allow_empty: bool = False) -> str:
    """Trimmed, without NUL, not empty (unless allowed), at most ``max_length`` long."""
    cleaned = refuse_nul(value.strip())
    if not cleaned and not allow_empty:
        raise RuleViolation("must not be empty")
    if len(cleaned) > max_length:
        raise RuleViolation(f"must be at most {max_length} characters")
    return cleaned


def chat_text(value: str, max_length: int = CHAT_MAX_LENGTH) -> str:
    """A chat message: 1 to ``max_length`` characters after trimming."""
    return clean_text(value, max_length)


CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def client_id(value: str) -> str:
    """A sender's own id for one chat message (a retry repeats it): 1-64 characters of
    letters, digits and ``._:-``."""
    if not CLIENT_ID.fullmatch(value):
        raise RuleViolation("must be 1-64 letters, digits or ._:-")
    return value


def status_text(value: str) -> str:
    """A presence status word (``online``, ``away``...): 1-20 characters."""
    return clean_text(value, STATUS_MAX_LENGTH)


def status_message(value: str | None) -> str | None:
    """The free text beside a status: up to 100 characters; empty means none."""
    if value is None:
        return None
    return clean_text(value, STATUS_MESSAGE_MAX_LENGTH, allow_empty=True) or None


def highlight_type(value: str) -> str:
    return clean_text(value, HIGHLIGHT_TYPE_MAX_LENGTH)


def mention_message(value: str) -> str:
    """What a tile mention says: up to 280 characters, may be empty."""
    return clean_text(value, MENTION_MAX_LENGTH, allow_empty=True)


def mention_duration(milliseconds: int) -> int:
    """How long a highlight shows: clamped (not refused) to 500-10000 ms."""
    return min(max(milliseconds, MENTION_MIN_DURATION_MS), MENTION_MAX_DURATION_MS)


def cell_in_bounds(x: int, y: int, width: int, height: int) -> tuple[int, int]:
    """A cell of a ``width`` x ``height`` canvas; the problem reads after "tile"."""
    if not (0 <= x < width and 0 <= y < height):
        raise RuleViolation(
            f"({x}, {y}) is outside the canvas ({width}x{height})", "out_of_bounds"
        )
    return x, y


# ----- the social layer -------------------------------------------------------------------

CUSTOM_STATUSES = ("online", "away", "busy", "invisible")
"""Statuses that are stored per user; any other ``status_change`` word is only relayed."""
CUSTOM_STATUS_MESSAGE_MAX_LENGTH = 80
EMOJI_MAX_LENGTH = 16
COMMENT_MAX_LENGTH = 500
ANNOUNCEMENT_MAX_LENGTH = 500


def custom_status_message(value: str | None) -> str | None:
    """The message beside a stored status: up to 80 characters; empty means none."""
    if value is None:
        return None
    return clean_text(value, CUSTOM_STATUS_MESSAGE_MAX_LENGTH, allow_empty=True) or None


def status_emoji(value: str | None) -> str | None:
    """One emoji (a few code points at most), no spaces; empty means none."""
    if value is None:
        return None
    cleaned = clean_text(value, EMOJI_MAX_LENGTH, allow_empty=True)
    if any(ch.isspace() for ch in cleaned):
        raise RuleViolation("must not contain spaces")
    return cleaned or None


def comment_text(value: str) -> str:
    return clean_text(value, COMMENT_MAX_LENGTH)


def announcement_text(value: str) -> str:
    return clean_text(value, ANNOUNCEMENT_MAX_LENGTH)
