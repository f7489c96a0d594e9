"""Builds the security parts from the settings, so the runtime wires each in one line."""

from __future__ import annotations

from stellarcollab.config import Settings
from stellarcollab.realtime.broker.limits import LimitStore
from stellarcollab.realtime.message_limits import (
    OTHER,
    DuplicateFilter,
    MessageGuard,
    MessageLimiter,
    Rate,
)
from stellarcollab.security.origins import OriginPolicy
from stellarcollab.security.socket_guard import SocketGuard
from stellarcollab.security.throttle import AuthThrottle, ThrottleLimits


def message_guard(settings: Settings) -> MessageGuard:
    s = settings
    rates = {
        "chat": Rate(s.chat_per_second, s.chat_burst),
        "presence": Rate(s.presence_per_second, s.presence_burst),
        "mention": Rate(s.mentions_per_second, s.mentions_burst),
        "direct_message": Rate(s.direct_messages_per_second, s.direct_messages_burst),
        "report": Rate(s.reports_per_minute / 60, s.reports_burst),
        OTHER: Rate(s.rate_limit_messages_per_second, s.rate_limit_burst),
    }
    return MessageGuard(MessageLimiter(rates), DuplicateFilter(s.duplicate_window_seconds),
                        s.rate_limit_strikes_before_close)


def origin_policy(settings: Settings) -> OriginPolicy:
    return OriginPolicy(settings.allowed_origins, settings.trust_proxy)


def socket_guard(settings: Settings) -> SocketGuard:
    return SocketGuard(origin_policy(settings), settings.websocket_connections_per_ip,
                       settings.websocket_connects_per_ip_per_minute)


def auth_throttle(settings: Settings, store: LimitStore) -> AuthThrottle:
    s = settings
    return AuthThrottle(store, ThrottleLimits(
        login_failures_per_account=s.login_failures_per_account,
        login_lockout_seconds=s.login_lockout_seconds,
        login_attempts_per_ip_per_minute=s.login_attempts_per_ip_per_minute,
        registrations_per_ip_per_hour=s.registrations_per_ip_per_hour,
        tickets_per_user_per_minute=s.tickets_per_user_per_minute,
        refreshes_per_user_per_minute=s.refreshes_per_user_per_minute,
    ))
