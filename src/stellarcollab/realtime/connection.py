"""One WebSocket connection of one user to one canvas, and its explicit lifecycle."""

from __future__ import annotations

import secrets
from enum import Enum
from typing import Any

from starlette.websockets import WebSocket

from stellarcollab.realtime.protocol import CanvasBounds, encode_event, text_frame
from stellarcollab.realtime.ratelimit import TokenBucket
from stellarcollab.realtime.recovery import Delivery
from stellarcollab.realtime.writers import FrameWriter


class ConnectionState(Enum):
    JOINING = "joining"  # registered, live events held back until the snapshot is sent
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


class IllegalTransition(RuntimeError):
    pass


_ALLOWED = {
    ConnectionState.JOINING: {ConnectionState.OPEN, ConnectionState.CLOSING,
                              ConnectionState.CLOSED},
    ConnectionState.OPEN: {ConnectionState.CLOSING, ConnectionState.CLOSED},
    ConnectionState.CLOSING: {ConnectionState.CLOSED},
    ConnectionState.CLOSED: set(),
}


class Connection:
    __slots__ = (
        "bounds", "canvas_id", "display_name", "expires_at", "held", "id", "jti",
        "last_seq", "rate", "rate_strikes", "state", "user_id", "username", "websocket",
        "writer",
    )

    def __init__(
        self,
        websocket: WebSocket,
        writer: FrameWriter,
        user: dict[str, Any],
        bounds: CanvasBounds,
        jti: str,
        expires_at: float,
        rate: TokenBucket,
        connection_id: str | None = None,
    ) -> None:
        self.id = connection_id or secrets.token_hex(8)
        self.websocket = websocket
        self.writer = writer
        self.user_id: int = user["user_id"]
        self.username: str = user["username"]
        self.display_name: str = user["display_name"]
        self.bounds = bounds
        self.canvas_id = bounds.canvas_id
        self.jti = jti
        self.expires_at = expires_at
        self.rate = rate
        self.rate_strikes = 0
        self.state = ConnectionState.JOINING
        self.held: list[tuple[Delivery, bytes]] | None = []
        self.last_seq = 0

    def brief(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "username": self.username,
                "display_name": self.display_name}

    def transition(self, new: ConnectionState) -> None:
        if new not in _ALLOWED[self.state]:
            raise IllegalTransition(f"connection {self.id}: {self.state.value} -> {new.value}")
        self.state = new

    @property
    def is_live(self) -> bool:
        return self.state in (ConnectionState.JOINING, ConnectionState.OPEN)

    def deliver(self, delivery: Delivery, frame: bytes) -> None:
        """One event for this connection; never blocks. ConnectionManager._on_delivery
        inlines these lines in its fan-out loop for speed: keep the two in step."""
        if self.held is not None:
            self.held.append((delivery, frame))
            return
        if delivery.seq > self.last_seq:
            self.last_seq = delivery.seq
            self.writer.send(delivery.payload, frame)

    def send_event(self, event: dict[str, Any]) -> None:
        """A message for this connection alone (no seq): state, pong, error."""
        if self.is_live:
            payload = encode_event(event)
            self.writer.send(payload, text_frame(payload))

    def replay(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            if delivery.seq > self.last_seq and delivery.is_for(self.user_id, self.id):
                self.last_seq = delivery.seq
                self.writer.send(delivery.payload, text_frame(delivery.payload))

    def open(self, snapshot_seq: int) -> None:
        """Release the events held while joining, skipping what the snapshot covered."""
        held, self.held = self.held or [], None
        self.last_seq = max(self.last_seq, snapshot_seq)
        self.transition(ConnectionState.OPEN)
        for delivery, frame in held:
            self.deliver(delivery, frame)

    def close(self, code: int, reason: str) -> None:
        if self.is_live:
            self.transition(ConnectionState.CLOSING)
            self.writer.close(code, reason)
