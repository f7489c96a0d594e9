"""The pure moderation rules: roles, who may act on whom, who may do what."""

from __future__ import annotations

import pytest

from stellarcollab.realtime.enforcement import close_reason
from stellarcollab.services.broadcast import clean_broadcast
from stellarcollab.services.errors import Invalid
from stellarcollab.services.moderation_rules import (
    CanvasRole,
    ModerationRefused,
    canvas_role,
    check_may_act_on,
    check_may_appoint,
    check_may_bulk_delete,
    check_may_delete_message,
    check_may_moderate,
    check_may_see_report,
)

OWNER, MOD, USER, ADMIN = 1, 2, 3, 4
MODS = {MOD}
USER_ROLE, MOD_ROLE = CanvasRole.USER, CanvasRole.MODERATOR
OWNER_ROLE, ADMIN_ROLE = CanvasRole.OWNER, CanvasRole.ADMIN


def test_canvas_role_is_the_highest_that_applies() -> None:
    assert canvas_role(OWNER, False, OWNER, MODS) is OWNER_ROLE
    assert canvas_role(MOD, False, OWNER, MODS) is MOD_ROLE
    assert canvas_role(USER, False, OWNER, MODS) is USER_ROLE
    assert canvas_role(USER, True, OWNER, MODS) is ADMIN_ROLE
    assert canvas_role(OWNER, True, OWNER, {OWNER}) is ADMIN_ROLE  # an admin owning a canvas


def test_a_user_cannot_moderate_at_all() -> None:
    with pytest.raises(ModerationRefused, match="Only the canvas owner, its moderators or an "
                                                 "admin can do this"):
        check_may_moderate(USER_ROLE)
    for role in (MOD_ROLE, OWNER_ROLE, ADMIN_ROLE):
        check_may_moderate(role)
    with pytest.raises(ModerationRefused):
        check_may_act_on(USER_ROLE, USER, USER_ROLE, 99)


@pytest.mark.parametrize(("actor", "target"), [
    (MOD_ROLE, USER_ROLE), (OWNER_ROLE, USER_ROLE), (OWNER_ROLE, MOD_ROLE),
    (ADMIN_ROLE, USER_ROLE), (ADMIN_ROLE, MOD_ROLE), (ADMIN_ROLE, OWNER_ROLE),
])
def test_outranking_roles_may_act(actor: CanvasRole, target: CanvasRole) -> None:
    check_may_act_on(actor, 10, target, 20)


@pytest.mark.parametrize(("actor", "target", "message"), [
    (MOD_ROLE, OWNER_ROLE, "A moderator cannot act on an owner"),
    (MOD_ROLE, ADMIN_ROLE, "A moderator cannot act on an admin"),
    (MOD_ROLE, MOD_ROLE, "A moderator cannot act on a moderator"),
    (OWNER_ROLE, ADMIN_ROLE, "An owner cannot act on an admin"),
    (ADMIN_ROLE, ADMIN_ROLE, "An admin cannot act on an admin"),
])
def test_nobody_acts_on_an_equal_or_higher_role(
    actor: CanvasRole, target: CanvasRole, message: str
) -> None:
    with pytest.raises(ModerationRefused) as refused:
        check_may_act_on(actor, 10, target, 20)
    assert str(refused.value) == message


def test_nobody_moderates_themselves() -> None:
    with pytest.raises(ModerationRefused, match="You cannot moderate yourself"):
        check_may_act_on(ADMIN_ROLE, 7, USER_ROLE, 7)


def test_appointing_and_bulk_deleting_need_the_owner_or_an_admin() -> None:
    for check in (check_may_appoint, check_may_bulk_delete):
        check(OWNER_ROLE)
        check(ADMIN_ROLE)
        for role in (USER_ROLE, MOD_ROLE):
            with pytest.raises(ModerationRefused):
                check(role)


def test_a_message_is_deleted_by_its_author_or_a_moderator() -> None:
    check_may_delete_message(USER_ROLE, USER, USER)
    check_may_delete_message(MOD_ROLE, MOD, USER)
    with pytest.raises(ModerationRefused):
        check_may_delete_message(USER_ROLE, USER, MOD)


def test_reports_are_seen_by_admins_and_by_moderators_of_their_canvas() -> None:
    check_may_see_report(ADMIN_ROLE, None)
    check_may_see_report(ADMIN_ROLE, 5)
    check_may_see_report(MOD_ROLE, 5)
    check_may_see_report(OWNER_ROLE, 5)
    with pytest.raises(ModerationRefused):
        check_may_see_report(MOD_ROLE, None)  # a user report: admins only
    with pytest.raises(ModerationRefused):
        check_may_see_report(USER_ROLE, 5)


def test_close_reason_fits_a_close_frame() -> None:
    assert close_reason("banned: spam") == "banned: spam"
    long = close_reason("é" * 100)
    assert len(long.encode()) <= 123 and long == "é" * 61


def test_broadcast_text_and_level_are_checked() -> None:
    assert clean_broadcast("  Maintenance at noon ", "warning") == "Maintenance at noon"
    with pytest.raises(Invalid, match="must not be empty"):
        clean_broadcast("  ", "info")
    with pytest.raises(Invalid, match="level must be one of info, warning, critical"):
        clean_broadcast("hi", "loud")
    with pytest.raises(Invalid, match="at most 500"):
        clean_broadcast("x" * 501, "info")
