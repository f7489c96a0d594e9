"""One WebSocket connection of one user, to one canvas or to the user's own topics, and
its explicit lifecycle."""

from __future__ import annotations

import secrets
from enum import Enum
from typing import Any

from starlette.websockets import WebSocket

from stellarcollab.observability.metrics import COUNTERS
from stellarcollab.realtime.closecodes import CloseCode
from stellarcollab.realtime.protocol import CanvasBounds, encode_event, text_frame
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
        "bounds", "canvas_id", "display_name", "expires_at", "held", "id", "is_admin", "jti",
        "last_seq", "presence_diff", "rate_strikes", "socket_leases", "state",
        "user_id", "username", "websocket", "writer",
    )

    def __init__(
        self,
        websocket: WebSocket,
        writer: FrameWriter,
        user: dict[str, Any],
        bounds: CanvasBounds | None,
        jti: str,
        expires_at: float,
        connection_id: str | None = None,
        *,
        is_admin: bool = False,
    ) -> None:
        self.id = connection_id or secrets.token_hex(8)
        self.websocket = websocket
        self.writer = writer
        self.user_id: int = user["user_id"]
        self.username: str = user["username"]
        self.display_name: str = user["display_name"]
        self.is_admin = is_admin
        #: the canvas this socket is on; None for a user socket (``/ws/user``)
        self.bounds = bounds
        self.canvas_id: int | None = bounds.canvas_id if bounds is not None else None
        self.jti = jti
        self.expires_at = expires_at
        #: messages refused by the rate limits in a row (the limits themselves are the
        #: message guard's, per user and kind)
        self.rate_strikes = 0
        self.state = ConnectionState.JOINING
        self.held: list[tuple[Delivery, bytes]] | None = []
        self.last_seq = 0
        #: cells whose editing lease this socket took, with the expiry last set: such a
        #: lease lives as long as the socket does (a guide client never renews it)
        self.socket_leases: dict[tuple[int, int], float] | None = None
        #: the client asked for batched presence (``?presence=diff``): ``presence_diff``
        #: messages instead of ``user_joined``/``user_left``
        self.presence_diff = False

    def hold_lease(self, cell: tuple[int, int], expires_at: float) -> None:
        if self.socket_leases is None:
            self.socket_leases = {}
        self.socket_leases[cell] = expires_at

    def drop_lease(self, cell: tuple[int, int]) -> None:
        if self.socket_leases is not None:
            self.socket_leases.pop(cell, None)
            if not self.socket_leases:
                self.socket_leases = None

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
        """One event for this connection; never blocks. ``Fanout._canvas_loop`` inlines
        these lines for canvas events, for speed: keep the two in step."""
        if self.held is not None:
            self.held.append((delivery, frame))
            return
        if not delivery.seq:  # not a canvas event: unnumbered, nothing to order against
            self.writer.send(delivery.payload, frame)
        elif delivery.seq > self.last_seq:
            self.last_seq = delivery.seq
            self.writer.send(delivery.payload, frame)

    def send_event(self, event: dict[str, Any]) -> None:
        """A message for this connection alone (no seq): state, pong, error."""
        if self.is_live:
            payload = encode_event(event)
            frame = text_frame(payload)
            COUNTERS.sent(event["type"], len(frame))
            self.writer.send(payload, frame)

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

    def close_slow_consumer(self) -> None:
        """Its writer's budget overflowed: the socket is closed (4008) and nobody waits."""
        COUNTERS.slow_consumer_closes += 1
        self.close(int(CloseCode.POLICY), "slow consumer")

    def close(self, code: int, reason: str) -> None:
        if self.is_live:
            self.transition(ConnectionState.CLOSING)
            self.writer.close(code, reason)
