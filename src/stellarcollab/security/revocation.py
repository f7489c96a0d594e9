"""When an account's tokens stop being valid (password changed, account deactivated):
every process forgets the account's cached admission and closes the user's sockets
(4001), both through the broker's control channel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stellarcollab.realtime.closecodes import CloseCode
from stellarcollab.realtime.manager import ConnectionManager
from stellarcollab.services.admission import SocketAdmission

USER_REVOKED = "user_revoked"


def user_revoked(user_id: int) -> dict[str, Any]:
    return {"type": USER_REVOKED, "user_id": user_id}


async def revoke(manager: ConnectionManager, user_id: int, reason: str) -> None:
    """The cache first (a reconnect must meet the database's answer), then the sockets;
    the control channel keeps the two in order on every process."""
    await manager.events.publish_control(user_revoked(user_id))
    await manager.close_sockets(user_id, None, CloseCode.UNAUTHORIZED, reason)


def listener(admission: SocketAdmission) -> Callable[[dict[str, Any]], None]:
    def on_control(message: dict[str, Any]) -> None:
        if message.get("type") == USER_REVOKED:
            admission.forget_user(int(message["user_id"]))

    return on_control
