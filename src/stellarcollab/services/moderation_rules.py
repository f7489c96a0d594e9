"""Who may moderate whom: pure rules over roles, no database and no I/O.

A canvas role is the highest that applies: admin (global), the canvas owner, a moderator
the owner appointed, or a plain user. Moderating needs at least moderator; acting on
someone needs a strictly higher role than theirs, so a moderator cannot act on the owner,
another moderator or an admin, and nobody acts on themselves.
"""

from __future__ import annotations

from enum import IntEnum

SANCTION_ACTIONS = ("mute", "unmute", "kick", "ban", "unban")


class CanvasRole(IntEnum):
    USER = 0
    MODERATOR = 1
    OWNER = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def with_article(self) -> str:
        return ("an " if self.label[0] in "aeiou" else "a ") + self.label


class ModerationRefused(Exception):
    """The rule that refused the action, in words a client can show."""


def canvas_role(user_id: int, is_admin: bool, owner_id: int,
                moderator_ids: frozenset[int] | set[int]) -> CanvasRole:
    if is_admin:
        return CanvasRole.ADMIN
    if user_id == owner_id:
        return CanvasRole.OWNER
    if user_id in moderator_ids:
        return CanvasRole.MODERATOR
    return CanvasRole.USER


def check_may_moderate(actor: CanvasRole) -> None:
    if actor < CanvasRole.MODERATOR:
        raise ModerationRefused("Only the canvas owner, its moderators or an admin can do this")


def check_may_act_on(actor: CanvasRole, actor_id: int, target: CanvasRole,
                     target_id: int) -> None:
    """The actor may moderate the canvas and outranks the target."""
    check_may_moderate(actor)
    if actor_id == target_id:
        raise ModerationRefused("You cannot moderate yourself")
    if target >= actor:
        raise ModerationRefused(f"{actor.with_article.capitalize()} cannot act on "
                                f"{target.with_article}")


def check_may_appoint(actor: CanvasRole) -> None:
    if actor < CanvasRole.OWNER:
        raise ModerationRefused("Only the canvas owner or an admin can appoint moderators")


def check_may_bulk_delete(actor: CanvasRole) -> None:
    if actor < CanvasRole.OWNER:
        raise ModerationRefused("Only the canvas owner or an admin can delete tiles in bulk")


def check_may_delete_message(actor: CanvasRole, actor_id: int, author_id: int) -> None:
    if actor_id != author_id and actor < CanvasRole.MODERATOR:
        raise ModerationRefused(
            "Only the author, the canvas owner, its moderators or an admin can delete this")


def check_may_see_report(actor: CanvasRole, report_canvas_id: int | None) -> None:
    """Admins see every report; owners and moderators those about their canvas's content."""
    if actor is CanvasRole.ADMIN:
        return
    if report_canvas_id is None or actor < CanvasRole.MODERATOR:
        raise ModerationRefused("Only an admin or the canvas's moderators can handle this report")
