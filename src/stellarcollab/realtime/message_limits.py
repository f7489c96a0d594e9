"""Per-type limits on what one user may send over sockets, and refusal of repeated lines.

Each message type belongs to a kind (chat, presence, mention, direct message, report,
other) with a token bucket per user; the clock is injected. ``DuplicateFilter`` refuses
the same text from the same user within a short window. Pure and synchronous: both run
on every client message of this process; ``MessageGuard`` applies them to a socket.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from stellarcollab.observability.metrics import COUNTERS
from stellarcollab.realtime.closecodes import CloseCode
from stellarcollab.realtime.connection import Connection
from stellarcollab.security.local_buckets import LocalBuckets
from stellarcollab.wire.errors import error

#: message type -> kind; message types added later register here
KIND_OF_TYPE: dict[str, str] = {
    "canvas_chat": "chat",
    "user_presence": "presence",
    "tile_mention": "mention",
    "direct_message": "direct_message",
    "report": "report",
}
OTHER = "other"


@dataclass(frozen=True, slots=True)
class Rate:
    per_second: float
    burst: float


class MessageLimiter:
    """One bucket per (user, kind); kinds without a rate of their own use ``other``."""

    def __init__(self, rates: dict[str, Rate], clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 200_000) -> None:
        if OTHER not in rates:
            raise ValueError("a rate for 'other' is required")
        self.rates = rates
        self._buckets = LocalBuckets(clock, max_keys)

    def kind_of(self, message_type: str | None) -> str:
        kind = KIND_OF_TYPE.get(message_type or "", OTHER)
        return kind if kind in self.rates else OTHER

    def check(self, user_id: int, message_type: str | None) -> float:
        """0.0 when allowed (and counted), else the seconds until it would be."""
        kind = self.kind_of(message_type)
        rate = self.rates[kind]
        return self._buckets.take(f"{user_id}:{kind}", rate.per_second, rate.burst)


class DuplicateFilter:
    """Remembers a digest of each user's recent texts for ``window`` seconds."""

    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic,
                 max_users: int = 100_000, per_user: int = 20) -> None:
        self.window = window
        self.clock = clock
        self.max_users = max_users
        self.per_user = per_user
        #: per user, per text digest: when it was last sent, and the client id it carried
        self._recent: dict[int, dict[bytes, tuple[float, str | None]]] = {}

    def is_repeat(self, user_id: int, scope: str, text: str,
                  client_id: str | None = None) -> bool:
        """True if ``text`` was sent by this user in ``scope`` within the window; else
        remembers it and answers False. A retry carrying the client id of the message it
        repeats is no repeat: the retry is answered with the stored message."""
        now = self.clock()
        digest = hashlib.blake2b(f"{scope}\x00{text.casefold()}".encode(),
                                 digest_size=16).digest()
        recent = self._recent.get(user_id)
        if recent is None:
            if len(self._recent) >= self.max_users:
                self._forget_stale(now)
            recent = self._recent[user_id] = {}
        seen = recent.get(digest)
        if seen is not None and now - seen[0] < self.window:
            return client_id is None or seen[1] != client_id
        if len(recent) >= self.per_user:
            oldest = min(recent, key=lambda key: recent[key][0])
            del recent[oldest]
        recent[digest] = (now, client_id)
        return False

    def _forget_stale(self, now: float) -> None:
        self._recent = {
            user: texts for user, texts in self._recent.items()
            if any(now - at < self.window for at, _client_id in texts.values())
        }
        if len(self._recent) >= self.max_users:
            self._recent.clear()


class MessageGuard:
    """What the message handler asks before applying a client message: within the
    limits? a repeat? It answers the refusals itself (``rate_limited`` with
    ``retry_after`` in ms; 4029 after ``strikes_before_close`` refusals in a row) and
    counts the client mistakes it is told of."""

    def __init__(self, limiter: MessageLimiter, duplicates: DuplicateFilter,
                 strikes_before_close: int) -> None:
        self.limiter = limiter
        self.duplicates = duplicates
        self.strikes_before_close = strikes_before_close
        self.client_errors: Counter[str] = Counter()

    def admit(self, connection: Connection, message_type: str | None) -> bool:
        wait = self.limiter.check(connection.user_id, message_type)
        if wait == 0.0:
            connection.rate_strikes = 0
            return True
        connection.rate_strikes += 1
        self.client_errors["rate_limited"] += 1
        COUNTERS.limited("message")
        if connection.rate_strikes >= self.strikes_before_close:
            connection.close(CloseCode.RATE_LIMITED, "rate limited")
            return False
        connection.send_event(error(code="rate_limited", message="too many messages; slow down",
                                    request_type=message_type,
                                    retry_after=max(1, math.ceil(wait * 1000))))
        return False

    def is_repeat(self, connection: Connection, scope: str, text: str,
                  client_id: str | None = None) -> bool:
        return self.duplicates.is_repeat(connection.user_id, scope, text, client_id)

    def count(self, error_code: str) -> None:
        self.client_errors[error_code] += 1
