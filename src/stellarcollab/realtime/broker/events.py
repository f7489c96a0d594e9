"""The event bus interface: topics carried between processes, canvas events numbered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from stellarcollab.realtime.broker.base import ControlReceiver, DeliveryReceiver
from stellarcollab.realtime.recovery import Replay, Resync


class EventBus(Protocol):
    """Carries events on topics (``realtime.topics``) to every process subscribed to them.

    ``canvas:{id}`` events get the canvas's next ``seq``, are kept in its recent history
    for ``recover`` and reach receivers in ``seq`` order; events of other topics are not
    numbered (``seq`` 0) nor kept. A process subscribes (reference-counted) only to the
    topics it has sockets on. Receivers are plain functions that must not block.
    """

    epoch: str

    def set_receivers(self, deliveries: DeliveryReceiver, control: ControlReceiver) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def ping(self) -> None:
        """Return once the broker answered; raise when it is unreachable (readiness)."""
        ...

    async def subscribe(self, topic: str) -> None: ...

    async def unsubscribe(self, topic: str) -> None: ...

    async def publish(
        self,
        topic: str,
        event: dict[str, Any],
        *,
        exclude_user: int | None = None,
        exclude_connection: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> int:
        """Encode once and send; the canvas ``seq`` (set on ``event`` too), else 0.
        ``meta`` (JSON-serialisable) travels beside the payload as ``Delivery.meta`` of
        the live delivery (a replay carries the payload only: what the event did was
        applied when it was delivered)."""
        ...

    async def publish_control(self, message: dict[str, Any]) -> None: ...

    async def current_seq(self, canvas_id: int) -> int: ...

    async def recover(self, canvas_id: int, since: int, epoch: str | None,
                      skip: frozenset[str] = frozenset()) -> Replay | Resync:
        """Replay (without the event types in ``skip``) or resync for a resuming socket."""
        ...
