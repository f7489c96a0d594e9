"""Text rules of the social layer: trimmed, not empty, bounded, no NUL (which PostgreSQL
text cannot hold)."""

from __future__ import annotations

from stellarcollab.services.errors import Invalid

COMMENT_MAX_LENGTH = 500
STATUS_MESSAGE_MAX_LENGTH = 80
EMOJI_MAX_LENGTH = 16
ANNOUNCEMENT_MAX_LENGTH = 500


def clean_text(text: str, max_length: int, what: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise Invalid(f"{what} must not be empty")
    if len(cleaned) > max_length:
        raise Invalid(f"{what} must be at most {max_length} characters")
    if "\x00" in cleaned:
        raise Invalid(f"{what} must not contain NUL characters")
    return cleaned


def clean_optional(text: str | None, max_length: int, what: str) -> str | None:
    """Trimmed text, or None for nothing or only spaces."""
    if text is None or not text.strip():
        return None
    return clean_text(text, max_length, what)
