"""Per-connection outgoing buffers.

``TransportWriter`` (the fast path) appends frames to a bounded pending list; one flush per
event-loop iteration writes everything a connection got in that iteration with a single
``transport.write``. When the server is quiet (nothing pending, no fan-out in the last
millisecond), a broadcast is written to each socket at once instead (``send_now``): the
message could not have been coalesced with another, and a second pass over every
subscriber would cost more than it saves. A connection whose socket stops draining
overflows its budget and is closed with 4008; nobody else waits for it. ``QueueWriter`` is
the portable fallback for servers without the transport extension: a bounded queue
drained by its own task.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from starlette.websockets import WebSocket

from stellarcollab.realtime.transport import WireSocket


class FrameWriter(Protocol):
    #: called when the socket's budget overflows (the connection closes itself)
    on_overflow: Callable[[], None]

    def send(self, payload: bytes, frame: bytes) -> None: ...

    def send_now(self, payload: bytes, frame: bytes) -> None: ...

    def close(self, code: int, reason: str) -> None: ...

    def last_seen(self) -> float | None: ...

    def ping_if_quiet(self, now: float, interval: float) -> None: ...


OverflowCallback = Callable[[], None]


#: A fan-out that starts this long after the previous one ended writes at once.
QUIET_SECONDS = 0.001


class FlushScheduler:
    """Collects writers with pending frames; flushes them all in one callback per loop
    iteration, so a burst of events costs one write per connection, not one per event.

    It also tells the fan-out whether the server is quiet: nothing waits to be flushed
    and no fan-out ended within ``QUIET_SECONDS``. Under load, fan-outs follow each other
    closely, so everything is coalesced; a message arriving after a pause is written
    directly, in one pass."""

    def __init__(self, loop: asyncio.AbstractEventLoop,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.loop = loop
        self.clock = clock
        self.dirty: list[TransportWriter] = []
        self.scheduled = False
        self.busy_until = -QUIET_SECONDS

    def is_quiet(self) -> bool:
        return not self.scheduled and self.clock() - self.busy_until > QUIET_SECONDS

    def note_busy(self) -> None:
        self.busy_until = self.clock()

    def mark(self, writer: TransportWriter) -> None:
        self.dirty.append(writer)
        if not self.scheduled:
            self.scheduled = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        self.scheduled = False
        dirty, self.dirty = self.dirty, []
        for writer in dirty:
            writer.flush()
        self.busy_until = self.clock()


class TransportWriter:
    """The fast path. ``send`` is one list append (the hot loop runs it once per
    subscriber per event); ``flush`` checks the budget and writes once per iteration."""

    __slots__ = ("budget", "link", "on_overflow", "pending", "scheduler", "transport")

    def __init__(self, link: WireSocket, scheduler: FlushScheduler,
                 budget: int, on_overflow: OverflowCallback) -> None:
        self.link = link
        self.transport = link.transport
        self.scheduler = scheduler
        self.budget = budget
        self.on_overflow = on_overflow
        self.pending: list[bytes] = []

    def send(self, payload: bytes, frame: bytes) -> None:
        pending = self.pending
        if not pending:
            self.scheduler.mark(self)
        pending.append(frame)

    def send_now(self, payload: bytes, frame: bytes) -> None:
        """Write at once, unless frames already wait (then queue behind them). Run once
        per subscriber per quiet broadcast, so ``_write`` is inlined."""
        if self.pending:
            self.pending.append(frame)
            return
        transport = self.transport
        if self.link.closed or transport.is_closing():
            return
        if transport.get_write_buffer_size() + len(frame) > self.budget:
            self.on_overflow()
            return
        transport.write(frame)

    def flush(self) -> None:
        frames = self.pending
        if not frames:
            return
        data = frames[0] if len(frames) == 1 else b"".join(frames)
        frames.clear()
        if not (self.link.closed or self.transport.is_closing()):
            self._write(data)

    def _write(self, data: bytes) -> None:
        transport = self.transport
        if transport.get_write_buffer_size() + len(data) > self.budget:
            self.on_overflow()
            return
        transport.write(data)

    def close(self, code: int, reason: str) -> None:
        # What was queued before the close still goes out first (e.g. canvas_deleted).
        self.flush()
        self.link.close(code, reason)

    def last_seen(self) -> float | None:
        return self.link.last_seen

    def ping_if_quiet(self, now: float, interval: float) -> None:
        self.link.ping_if_quiet(now, interval)


class QueueWriter:
    """Fallback writer over plain ASGI ``send``; bounded by bytes like the fast one."""

    def __init__(self, websocket: WebSocket, budget: int, on_overflow: OverflowCallback) -> None:
        self.websocket = websocket
        self.budget = budget
        self.on_overflow = on_overflow
        self.queue: deque[bytes] = deque()
        self.queued_bytes = 0
        self.wakeup = asyncio.Event()
        self.closing: tuple[int, str] | None = None
        self.task = asyncio.get_running_loop().create_task(self._drain())

    def send(self, payload: bytes, frame: bytes) -> None:
        if self.closing:
            return
        self.queue.append(payload)
        self.queued_bytes += len(payload)
        if self.queued_bytes > self.budget:
            self.on_overflow()
            return
        self.wakeup.set()

    send_now = send  # the drain task writes in order either way

    def close(self, code: int, reason: str) -> None:
        if self.closing is None:
            self.closing = (code, reason)
            self.queue.clear()
            self.wakeup.set()

    def last_seen(self) -> float | None:
        return None

    def ping_if_quiet(self, now: float, interval: float) -> None:
        return None  # a server without the transport extension pings on its own timers

    async def _drain(self) -> None:
        send: Callable[[dict[str, Any]], Any] = self.websocket.send
        with contextlib.suppress(Exception):
            while True:
                await self.wakeup.wait()
                self.wakeup.clear()
                while self.queue and self.closing is None:
                    payload = self.queue.popleft()
                    self.queued_bytes -= len(payload)
                    await send({"type": "websocket.send", "text": payload.decode()})
                if self.closing is not None:
                    code, reason = self.closing
                    await self.websocket.close(code, reason)
                    return
