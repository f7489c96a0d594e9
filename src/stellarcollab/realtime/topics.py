"""Topic names: where an event goes. ``canvas:{id}`` (numbered, recoverable),
``user:{id}`` (every socket of one user), ``admins`` (every admin's sockets), ``global``
(every socket)."""

from __future__ import annotations

ADMINS = "admins"
GLOBAL = "global"
CANVAS_PREFIX = "canvas:"
USER_PREFIX = "user:"


def canvas_topic(canvas_id: int) -> str:
    return f"{CANVAS_PREFIX}{canvas_id}"


def user_topic(user_id: int) -> str:
    return f"{USER_PREFIX}{user_id}"
