"""The fan-out: hands each delivery from the broker to the local sockets it is for.

The only owner of the delivery rule (skip the excluded user or connection, hold events
for a joining socket, never send a canvas event twice or out of ``seq`` order). Every
delivery is encoded once into one frame that all its sockets share, and handing it to N
sockets is N non-blocking appends (or, when the server is quiet, N direct writes):
nothing here awaits a subscriber, so one slow client never slows the others.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from stellarcollab.observability.metrics import COUNTERS
from stellarcollab.realtime.connection import Connection
from stellarcollab.realtime.protocol import text_frame
from stellarcollab.realtime.recovery import Delivery
from stellarcollab.realtime.registry import ConnectionRegistry
from stellarcollab.realtime.topics import ADMINS, CANVAS_PREFIX, GLOBAL, USER_PREFIX
from stellarcollab.realtime.writers import FlushScheduler


class Fanout:
    def __init__(self, registry: ConnectionRegistry) -> None:
        self.registry = registry
        #: the writers' flush scheduler: tells the fan-out when it may write at once
        self.scheduler: FlushScheduler | None = None
        #: called after a canvas delivery reached its local sockets (lease bookkeeping)
        self.after_canvas_delivery: Callable[[Delivery], None] | None = None

    def deliver(self, delivery: Delivery) -> None:
        """The broker's delivery receiver: synchronous, never blocks."""
        topic = delivery.topic
        if topic.startswith(CANVAS_PREFIX):
            self._to_canvas(delivery)
        else:
            self._to_sockets(self._sockets_of(topic), delivery)

    def _sockets_of(self, topic: str) -> Iterable[Connection]:
        registry = self.registry
        if topic == GLOBAL:
            return list(registry.everyone.values())
        if topic == ADMINS:
            return list(registry.admins.values())
        if topic.startswith(USER_PREFIX):
            return list(registry.users.get(int(topic[len(USER_PREFIX):]), {}).values())
        return ()

    def _to_sockets(self, sockets: Iterable[Connection], delivery: Delivery) -> None:
        """Events of the user, admins and global topics: few sockets each, unnumbered."""
        frame = text_frame(delivery.payload)
        delivered = 0
        for connection in sockets:
            if delivery.is_for(connection.user_id, connection.id) and connection.is_live:
                connection.deliver(delivery, frame)
                delivered += 1
        COUNTERS.fanned_out(delivery.event_type, delivered, len(frame), delivery.published_at)

    def _to_canvas(self, delivery: Delivery) -> None:
        conns = self.registry.canvases.get(delivery.canvas_id)
        if conns is not None:
            self._canvas_loop(conns.values(), delivery)
        if self.after_canvas_delivery is not None:
            self.after_canvas_delivery(delivery)

    def _canvas_loop(self, conns: Collection[Connection], delivery: Delivery) -> None:
        payload = delivery.payload
        frame = text_frame(payload)  # encoded once: the same bytes go to every subscriber
        seq = delivery.seq
        exclude_user, exclude_connection = delivery.exclude_user, delivery.exclude_connection
        scheduler = self.scheduler
        direct = scheduler is not None and scheduler.is_quiet()
        skipped = 0  # counted on the rare branches only: the common one stays as it was
        # The hot loop: Connection.deliver inlined, one append (or, when the server is
        # quiet, one write) per subscriber, no await.
        for connection in conns:
            if connection.user_id == exclude_user or connection.id == exclude_connection:
                skipped += 1
                continue
            if connection.held is not None:
                connection.held.append((delivery, frame))
            elif seq > connection.last_seq:
                connection.last_seq = seq
                if direct:
                    connection.writer.send_now(payload, frame)
                else:
                    connection.writer.send(payload, frame)
            else:
                skipped += 1
        if direct and scheduler is not None:
            scheduler.note_busy()
        # Once per event, not per frame: plain ints, exported when /metrics is scraped.
        COUNTERS.fanned_out(delivery.event_type, len(conns) - skipped, len(frame),
                            delivery.published_at)
