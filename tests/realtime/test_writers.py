"""Per-connection buffers: coalescing, budgets, slow consumers. The socket is a fake here
because only a fake can hold its write buffer full on demand (the real one's behaviour is
pinned in test_transport.py)."""

from __future__ import annotations

import asyncio

from stellarcollab.realtime.writers import QUIET_SECONDS, FlushScheduler, TransportWriter


class FakeSocket:
    """A ``WireSocket`` that is its own transport: its buffer fills on demand and its
    writes are recorded."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.buffered = 0
        self.closed = False
        self.closed_with: tuple[int, str] | None = None
        self.last_seen = 0.0

    @property
    def transport(self) -> FakeSocket:
        return self

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def is_closing(self) -> bool:
        return False

    def close(self, code: int, reason: str) -> None:
        self.closed_with = (code, reason)
        self.closed = True

    def ping_if_quiet(self, now: float, interval: float) -> bool:
        return False


def make_writer(budget: int = 1000) -> tuple[TransportWriter, FakeSocket, list[str]]:
    link = FakeSocket()
    overflows: list[str] = []
    writer = TransportWriter(link, FlushScheduler(asyncio.get_running_loop()), budget,
                             lambda: overflows.append("overflow"))
    return writer, link, overflows


async def next_iteration() -> None:
    await asyncio.sleep(0)


async def test_frames_of_one_iteration_go_out_in_one_write() -> None:
    writer, protocol, _ = make_writer()
    for frame in (b"a", b"bb", b"ccc"):
        writer.send(b"", frame)
    assert protocol.writes == []  # nothing written synchronously
    await next_iteration()
    assert protocol.writes == [b"abbccc"]
    writer.send(b"", b"d")
    await next_iteration()
    assert protocol.writes == [b"abbccc", b"d"]


async def test_one_flush_serves_every_dirty_writer() -> None:
    loop = asyncio.get_running_loop()
    scheduler = FlushScheduler(loop)
    protocols = [FakeSocket() for _ in range(3)]
    writers = [TransportWriter(p, scheduler, 1000, lambda: None) for p in protocols]
    for writer in writers:
        writer.send(b"", b"x")
    assert len(scheduler.dirty) == 3 and scheduler.scheduled
    await next_iteration()
    assert [p.writes for p in protocols] == [[b"x"]] * 3


async def test_stalled_socket_overflows_its_budget_and_nobody_waits() -> None:
    writer, protocol, overflows = make_writer(budget=100)
    protocol.buffered = 90  # the kernel and the transport hold what it has not read
    writer.send(b"", b"y" * 20)
    await next_iteration()
    assert overflows == ["overflow"]
    assert protocol.writes == []


async def test_close_flushes_what_was_queued_first() -> None:
    writer, protocol, _ = make_writer()
    writer.send(b"", b"last words")
    writer.close(4004, "canvas deleted")
    assert protocol.writes == [b"last words"]
    assert protocol.closed_with == (4004, "canvas deleted")


async def test_nothing_is_written_after_the_socket_closed() -> None:
    writer, protocol, _ = make_writer()
    protocol.closed = True
    writer.send(b"", b"late")
    await next_iteration()
    assert protocol.writes == []


async def test_send_now_writes_at_once_unless_frames_wait() -> None:
    writer, protocol, _ = make_writer()
    writer.send_now(b"", b"now")
    assert protocol.writes == [b"now"]  # synchronously, no flush needed
    writer.send(b"", b"queued")
    writer.send_now(b"", b"behind")  # must not overtake what waits
    assert protocol.writes == [b"now"]
    await next_iteration()
    assert protocol.writes == [b"now", b"queuedbehind"]


async def test_send_now_keeps_the_budget_and_skips_a_closed_socket() -> None:
    writer, protocol, overflows = make_writer(budget=100)
    protocol.buffered = 90
    writer.send_now(b"", b"z" * 20)
    assert overflows == ["overflow"] and protocol.writes == []
    protocol.buffered = 0
    protocol.closed = True
    writer.send_now(b"", b"late")
    assert protocol.writes == []


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_the_server_is_quiet_only_when_nothing_waits_and_no_fanout_just_ended() -> None:
    clock = FakeClock()
    scheduler = FlushScheduler(asyncio.get_running_loop(), clock)
    assert scheduler.is_quiet()
    scheduler.note_busy()  # a direct fan-out just ended
    assert not scheduler.is_quiet()
    clock.now += QUIET_SECONDS * 2
    assert scheduler.is_quiet()
    writer = TransportWriter(FakeSocket(), scheduler, 1000, lambda: None)
    writer.send(b"", b"x")  # a flush is due this iteration
    assert not scheduler.is_quiet()
    await next_iteration()
    assert not scheduler.is_quiet()  # the flush itself was a fan-out
    clock.now += QUIET_SECONDS * 2
    assert scheduler.is_quiet()
