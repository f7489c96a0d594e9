"""Announces a user's stored status change on every canvas the user is on, whichever
process their sockets are on, exactly once per canvas.

The change goes out as a control notice that every process receives. Each process looks
at the canvases where it holds sockets of that user, and announces on a canvas only when
it holds the user's first connection there (the smallest connection id in the shared
presence), so a user with sockets on one canvas through two processes is announced once.
Going ``invisible`` is announced as the user leaving, coming back as them arriving.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from stellarcollab.db.models import User
from stellarcollab.realtime.manager import ConnectionManager
from stellarcollab.realtime.membership import INVISIBLE
from stellarcollab.realtime.topics import user_topic
from stellarcollab.services.views import now_iso
from stellarcollab.wire.social import custom_status_changed

log = logging.getLogger(__name__)
NOTICE = "custom_status_changed"


class StatusRelay:
    def __init__(self, manager: ConnectionManager) -> None:
        self.manager = manager
        self._tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, user: User, status: dict[str, Any],
                       connection_id: str | None) -> None:
        """The status service's listener: tell every process."""
        event = custom_status_changed(
            user_id=user.id, username=user.username, display_name=user.display_name,
            status=status["status"], status_message=status["status_message"],
            emoji=status["emoji"], timestamp=now_iso())
        await self.manager.events.publish_control(
            {"type": NOTICE, "event": event, "exclude_connection": connection_id})
        if status["status"] == INVISIBLE:
            # The canvases hear nothing of it: the user's own sockets learn it here.
            await self.manager.publish_to_topic(user_topic(user.id), event)

    def on_control(self, message: dict[str, Any]) -> None:
        if message.get("type") != NOTICE:
            return
        task = asyncio.get_running_loop().create_task(self._announce(
            message["event"], message.get("exclude_connection")))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _announce(self, event: dict[str, Any], exclude_connection: str | None) -> None:
        user_id = event["user_id"]
        membership = self.manager.membership
        invisible = event["status"] == INVISIBLE
        was_hidden = user_id in membership.hidden
        if invisible:
            membership.hide(user_id)
        else:
            membership.show(user_id)
        local_canvases = {c.canvas_id for c in self.manager.registry.of_user(user_id)
                          if c.canvas_id is not None}
        for canvas_id in sorted(local_canvases):
            try:
                if await self._holds_first_connection(canvas_id, user_id):
                    await self._announce_on(canvas_id, event, exclude_connection,
                                            invisible=invisible, was_hidden=was_hidden)
            except Exception:
                log.exception("announcing the status of user %s failed", user_id)

    async def _announce_on(self, canvas_id: int, event: dict[str, Any],
                           exclude_connection: str | None, *, invisible: bool,
                           was_hidden: bool) -> None:
        """Visible to visible: the update. Going invisible: the entry takes the status
        quietly and the others see the user leave. Coming back: they see them arrive,
        then the update."""
        user = {key: event[key] for key in ("user_id", "username", "display_name")}
        membership = self.manager.membership
        if invisible:
            await self.manager.presence.presence_apply(canvas_id, dict(event))
            if not was_hidden:
                await self.manager.broadcast_to_canvas(
                    canvas_id, await membership.membership_event("user_left", canvas_id, user),
                    exclude_user=user["user_id"])
            return
        if was_hidden:
            await self.manager.presence.presence_apply(canvas_id, dict(event))
            await self.manager.broadcast_to_canvas(
                canvas_id, await membership.membership_event("user_joined", canvas_id, user),
                exclude_user=user["user_id"])
        await self.manager.broadcast_to_canvas(canvas_id, dict(event),
                                               exclude_connection=exclude_connection)

    async def _holds_first_connection(self, canvas_id: int, user_id: int) -> bool:
        local = self.manager.registry.on_canvas(canvas_id)
        for entry in await self.manager.presence.presence(canvas_id):
            if entry.user_id == user_id and entry.connections:
                return min(entry.connections) in local
        return False
