"""What one bench client knows of who is on its canvas, built from the server's presence
messages the way the web page builds it (``canvas_state``, then ``user_joined`` /
``user_left`` or the batched ``presence_diff``, and ``presence_count``), so the bench can
check after a storm that every client agrees with the server, and where a client that
skips arrivals and departures resumes from (``resume_seq``)."""

from __future__ import annotations

from typing import Any

PRESENCE_MARKERS = (b'"canvas_state"', b'"user_joined"', b'"user_left"', b'"presence_diff"',
                    b'"presence_count"')


class PresenceView:
    __slots__ = ("active", "complete", "users")

    def __init__(self) -> None:
        self.users: set[int] = set()
        self.active = 0
        #: ``users`` is the whole list (false after a truncated snapshot or a count)
        self.complete = False

    def apply(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "canvas_state":
            self.users = {int(u["user_id"]) for u in message.get("users", ())}
            self.users.add(int(message["you"]["user_id"]))
            self.complete = not message.get("users_truncated", False)
        elif kind == "user_joined":
            self.users.add(int(message["user_id"]))
        elif kind == "user_left":
            self.users.discard(int(message["user_id"]))
        elif kind == "presence_diff":
            if message.get("reset"):
                self.users, self.complete = set(), True
            self.users.update(int(u["user_id"]) for u in message.get("joins", ()))
            self.users.difference_update(int(u["user_id"]) for u in message.get("leaves", ()))
        elif kind == "presence_count":
            self.complete = False
        else:
            return
        if isinstance(message.get("active_users"), int):
            self.active = int(message["active_users"])

    def problems(self, expected: set[int]) -> tuple[bool, bool]:
        """(count wrong, list wrong) against who the server says is here."""
        return self.active != len(expected), self.complete and self.users != expected


def resume_seq(message: dict[str, Any]) -> int:
    """The canvas ``seq`` a ``presence_diff`` or ``presence_count`` stands for
    (``through_seq``: the arrivals and departures it folds in, which the client never sees
    one by one), 0 for any other message; a client resumes from the highest it saw."""
    if message.get("type") not in ("presence_diff", "presence_count"):
        return 0
    through = message.get("through_seq")
    return through if isinstance(through, int) else 0


def is_presence(payload: bytes) -> bool:
    head = payload[:40]
    return any(marker in head for marker in PRESENCE_MARKERS)
