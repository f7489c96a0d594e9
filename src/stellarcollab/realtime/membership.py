"""Who is on each canvas, as every client sees it: the snapshot a socket gets on joining,
``user_joined`` / ``user_left``, and presence updates completed with the user's state.

Presence is per user (a user with two tabs is one entry): the broker's presence store
holds it for every process; this module decides what is announced and when.

An ``invisible`` user (a stored status) is left out of what others see: the snapshot, the
users list, the counts, and their own ``user_joined`` / ``user_left``. This process knows
who is invisible from the stored status when a socket joins and from every status change
(``hide`` / ``show``); their own sockets still receive everything.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from stellarcollab.realtime.broker.base import PRESENCE_EXPIRED
from stellarcollab.realtime.broker.events import EventBus
from stellarcollab.realtime.broker.presence import PresenceStore
from stellarcollab.realtime.connection import Connection
from stellarcollab.realtime.leases import LeaseBook
from stellarcollab.realtime.presence import UserPresence
from stellarcollab.realtime.presence_batch import MEMBERSHIP_META, PresencePolicy
from stellarcollab.services.views import now_iso
from stellarcollab.wire import canvas, presence

log = logging.getLogger(__name__)

Publish = Callable[..., Awaitable[int]]
LeaseReleaser = Callable[[int, dict[str, Any]], Awaitable[None]]
#: fields every ``user_presence_update`` carries, filled from the user's presence entry
#: when the event itself does not set them (the guide's example has them all)
PRESENCE_FIELDS = ("status", "status_message", "tile_x", "tile_y", "is_editing")
INVISIBLE = "invisible"
StoredStatus = Callable[[int], Awaitable[dict[str, Any] | None]]


async def no_stored_status(_user_id: int) -> dict[str, Any] | None:
    return None


def presence_fields(entry: UserPresence | None) -> dict[str, Any]:
    """The user's current status and editing cell, as a presence update states them."""
    if entry is None:
        return {"status": "online", "status_message": None, "tile_x": None, "tile_y": None,
                "is_editing": False}
    cell = entry.editing_tile
    return {"status": entry.status, "status_message": entry.status_message,
            "tile_x": cell[0] if cell else None, "tile_y": cell[1] if cell else None,
            "is_editing": cell is not None}


class Membership:
    def __init__(self, events: EventBus, presence: PresenceStore, leases: LeaseBook,
                 publish: Publish, release_leases: LeaseReleaser,
                 stored_status: StoredStatus = no_stored_status,
                 policy: PresencePolicy | None = None) -> None:
        self.events = events
        self.presence = presence
        self.leases = leases
        self.publish = publish
        self.release_leases = release_leases
        self.stored_status = stored_status
        #: users known to be invisible (their status is theirs everywhere, not per canvas)
        self.hidden: set[int] = set()
        self.policy = policy or PresencePolicy()
        #: per canvas, the views of the first ``detail_limit`` visible users (what
        #: canvas_state lists) and their JSON: an arrival on a large canvas does not change
        #: them, so a storm of arrivals reuses one list instead of rebuilding it per socket
        self._listed: dict[int, tuple[list[dict[str, Any]], orjson.Fragment]] = {}

    def hide(self, user_id: int) -> None:
        self.hidden.add(user_id)

    def show(self, user_id: int) -> None:
        self.hidden.discard(user_id)

    async def restore_status(self, canvas_id: int, user: dict[str, Any]) -> None:
        """On a user's first socket on the canvas: their presence entry takes the stored
        status (and whether they are hidden), before anyone is told of them."""
        stored = await self.stored_status(user["user_id"])
        if stored is None:
            return
        if stored["status"] == INVISIBLE:
            self.hide(user["user_id"])
        else:
            self.show(user["user_id"])
        if stored["status"] != "online" or stored.get("emoji") or stored.get("status_message"):
            await self.presence.presence_apply(canvas_id, {
                "type": "user_presence_update", "user_id": user["user_id"],
                "status": stored["status"], "status_message": stored.get("status_message"),
                "emoji": stored.get("emoji"),
            })

    async def _visible(self, canvas_id: int, viewer_id: int | None = None) -> list[UserPresence]:
        entries = await self.presence.presence(canvas_id)
        if not self.hidden:  # nobody invisible: no pass over thousands of entries
            return entries
        return [p for p in entries if p.status != INVISIBLE or p.user_id == viewer_id]

    async def _visible_count(self, canvas_id: int) -> int:
        if not self.hidden:  # a count, not a read of every entry (Redis: one HLEN)
            return await self.presence.user_count(canvas_id)
        return len(await self._visible(canvas_id))

    async def membership_event(self, kind: str, canvas_id: int,
                               user: dict[str, Any]) -> dict[str, Any]:
        # active_users counts the canvas's users in every process (the broker's presence).
        return (await self.notice(kind, canvas_id, user))[0]

    async def notice(self, kind: str, canvas_id: int,
                     user: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """The notice and the number of (visible) users on the canvas in every process."""
        build = presence.user_joined if kind == "user_joined" else presence.user_left
        count = await self._visible_count(canvas_id)
        event = build(
            user_id=user["user_id"], username=user["username"],
            display_name=user["display_name"], active_users=count, timestamp=now_iso(),
        )
        return event, count

    async def canvas_state(self, connection: Connection, canvas_id: int,
                           seq: int) -> dict[str, Any]:
        if connection.user_id in self.hidden:  # sees their own entry: a list of its own
            entries = await self._visible(canvas_id, connection.user_id)
            listed, encoded = self._listing(entries)
            active_users = len(entries)
        else:
            listed, encoded, active_users = await self._listed_users(canvas_id)
        state = canvas.canvas_state(
            canvas_id=canvas_id, seq=seq, epoch=self.events.epoch,
            connection_id=connection.id, you=connection.brief(),
            users=listed, active_users=active_users, locks=self.leases.views(canvas_id),
        )
        state["users"] = encoded  # the same list, encoded once for every arrival
        return state

    async def _listed_users(
        self, canvas_id: int
    ) -> tuple[list[dict[str, Any]], orjson.Fragment, int]:
        """The listed users (kept, encoded once, until presence changes) and how many
        users the canvas has: every entry is read only when the list must be rebuilt."""
        cached = self._listed.get(canvas_id)
        if cached is not None:
            return cached[0], cached[1], await self._visible_count(canvas_id)
        entries = await self._visible(canvas_id)
        listed, encoded = self._listed[canvas_id] = self._listing(entries)
        return listed, encoded, len(entries)

    def _listing(
        self, entries: list[UserPresence]
    ) -> tuple[list[dict[str, Any]], orjson.Fragment]:
        """The first ``detail_limit`` users as ``canvas_state`` lists them, and encoded."""
        listed = [p.view() for p in entries[:self.policy.detail_limit]]
        return listed, orjson.Fragment(orjson.dumps(listed))

    def presence_changed(self, canvas_id: int, event_type: str) -> None:
        """A presence event of the canvas (from any process): the listed users may have
        changed, unless it is an arrival on a canvas already listing its limit."""
        cached = self._listed.get(canvas_id)
        if cached is not None and (event_type != "user_joined"
                                   or len(cached[0]) < self.policy.detail_limit):
            del self._listed[canvas_id]

    async def announce_arrival(self, canvas_id: int, user: dict[str, Any]) -> None:
        if user["user_id"] in self.hidden:
            return
        # Excluding the user (not just this connection: it is their only one) keeps a
        # later replay to any of their connections from echoing their own arrival.
        self.presence_changed(canvas_id, "user_joined")
        event, count = await self.notice("user_joined", canvas_id, user)
        await self.publish(canvas_id, event, exclude_user=user["user_id"],
                           meta=_fact("join", user, count))

    async def announce_departure(self, canvas_id: int, user: dict[str, Any]) -> None:
        """The user's last socket on the canvas closed: their leases go, then the notice.
        (Most users leave holding none: the lease book, when it follows the canvas, spares
        them the database.)"""
        try:
            if self.leases.may_hold(canvas_id, user["user_id"]):
                await self.release_leases(canvas_id, user)
        except Exception:
            log.exception("releasing leases of user %s failed", user["user_id"])
        self.presence_changed(canvas_id, "user_left")
        if user["user_id"] in self.hidden:
            return
        event, count = await self.notice("user_left", canvas_id, user)
        await self.publish(canvas_id, event, meta=_fact("leave", user, count))

    async def announce_presence_change(self, kind: str, canvas_id: int,
                                       users: list[dict[str, Any]]) -> None:
        """Users the broker purged (their process died: ``user_left``, and their leases
        go) or re-added (``user_joined``), announced by this process alone."""
        for user in users:
            try:
                if kind == PRESENCE_EXPIRED:
                    await self.announce_departure(canvas_id, user)
                else:
                    await self.announce_arrival(canvas_id, user)
            except Exception:
                log.exception("announcing %s of user %s failed", kind, user.get("user_id"))

    async def complete_update(self, canvas_id: int, message: dict[str, Any]) -> None:
        """Give a ``user_presence_update`` every field of the user's current presence that
        it does not set itself: a status change keeps the editing outline on other
        screens, and a lease event states the status."""
        if all(field in message for field in PRESENCE_FIELDS):
            return
        entry = None
        for candidate in await self.presence.presence(canvas_id):
            if candidate.user_id == message.get("user_id"):
                entry = candidate
        for field, value in presence_fields(entry).items():
            message.setdefault(field, value)

    async def active_users(self, canvas_id: int, offset: int = 0,
                           limit: int | None = None) -> list[dict[str, Any]]:
        """Who is on the canvas, oldest first; a page of them with ``offset``/``limit``."""
        presence = sorted(await self._visible(canvas_id), key=lambda p: p.connected_at)
        end = None if limit is None else offset + limit
        return [p.view() for p in presence[offset:end]]


def _fact(kind: str, user: dict[str, Any], active_users: int) -> dict[str, Any]:
    """The membership fact the fan-out and the presence batcher read (never the payload)."""
    return {MEMBERSHIP_META: {"kind": kind, "user": dict(user), "active_users": active_users}}
