"""The first check of a WebSocket handshake, before any database work: the Origin, the
client address's open connections and its connect rate.

``enter`` and ``leave`` count a client address's open sockets for as long as
its endpoint runs; ``refusal`` answers the close code for a handshake to refuse, or None.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.types import Scope

from stellarcollab.realtime.closecodes import CloseCode
from stellarcollab.security.local_buckets import LocalBuckets
from stellarcollab.security.origins import OriginPolicy, header

log = logging.getLogger(__name__)


def client_address(scope: Scope) -> str:
    """The peer's address (uvicorn puts the forwarded one here behind a trusted proxy)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class SocketGuard:
    def __init__(self, origins: OriginPolicy, connections_per_ip: int,
                 connects_per_ip_per_minute: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.origins = origins
        self.connections_per_ip = connections_per_ip
        self.connects_per_minute = connects_per_ip_per_minute
        self.open_by_ip: dict[str, int] = {}
        self._connects = LocalBuckets(clock)

    def enter(self, scope: Scope) -> str:
        """Count one more open socket for the scope's address; returns the address, for
        ``leave``."""
        address = client_address(scope)
        self.open_by_ip[address] = self.open_by_ip.get(address, 0) + 1
        return address

    def leave(self, address: str) -> None:
        left = self.open_by_ip[address] - 1
        if left:
            self.open_by_ip[address] = left
        else:
            del self.open_by_ip[address]

    def refusal(self, scope: Scope) -> CloseCode | None:
        address = client_address(scope)
        if not self.origins.allows(scope):
            # the Origin and the path are logged; never the query string (credentials)
            log.warning("refused a socket from %s: origin %r is not allowed on %s",
                        address, (header(scope, b"origin") or "")[:100],
                        str(scope.get("path", ""))[:100])
            return CloseCode.FORBIDDEN
        if self.open_by_ip.get(address, 0) > self.connections_per_ip:
            return CloseCode.TRY_AGAIN_LATER
        rate = self.connects_per_minute
        if self._connects.take(address, rate / 60, rate):
            return CloseCode.RATE_LIMITED
        return None
