"""The routers of the social layer, in one list for the app to include."""

from __future__ import annotations

from fastapi import APIRouter

from stellarcollab.api.v1 import (
    activity,
    announcements,
    comments,
    direct_messages,
    notifications,
    users,
)

SOCIAL_ROUTERS: tuple[APIRouter, ...] = tuple(
    module.router
    for module in (direct_messages, users, activity, comments, notifications, announcements)
)
