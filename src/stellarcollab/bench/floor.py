"""``stellarcollab bench floor``: what one write per subscriber per message costs on this
machine when nothing else runs, the lower bound for any server that fans out that way.

A bare relay (uvloop, no WebSocket library, no application) accepts N loopback TCP
connections from a reader process and, at the fan-out scenario's rate, writes one
pre-encoded 154-byte WebSocket text frame to every connection in a plain loop. Each frame
carries the time of its round, so the reader measures latency exactly as the load
generator does for the real server. The relay's CPU time per write is the kernel's price
of a loopback ``send`` plus a Python loop, with no protocol, framing or bookkeeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import resource
import time
from multiprocessing.connection import Connection
from typing import Any, cast

from stellarcollab.bench.scenarios import BenchError, Options, loadgen_cpus
from stellarcollab.bench.stats import Histogram, latency_summary_ms

PAYLOAD_BYTES = 150
FRAME = 4 + PAYLOAD_BYTES  # 0x81, 126, two length bytes, payload
STAMP_DIGITS = 20
DRAIN_SECONDS = 5.0


def frame_for(stamp_ns: int) -> bytes:
    """A server-style (unmasked) text frame whose payload starts with ``stamp_ns``."""
    payload = str(stamp_ns).zfill(STAMP_DIGITS).encode().ljust(PAYLOAD_BYTES, b".")
    return bytes((0x81, 126)) + PAYLOAD_BYTES.to_bytes(2, "big") + payload


def _pin(cpus: set[int] | None) -> None:
    if cpus:
        os.sched_setaffinity(0, cpus)


def _run_loop(main: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


# ----- the reader (stands where the load generator stands) --------------------------------


class _Tally:
    """The reader's shared count: ``complete`` is set once ``expected`` frames arrived."""

    def __init__(self) -> None:
        self.histogram = Histogram()
        self.expected: int | None = None
        self.complete = asyncio.Event()

    def check(self) -> None:
        if self.expected is not None and self.histogram.total >= self.expected:
            self.complete.set()


class _Reader(asyncio.Protocol):
    __slots__ = ("buffer", "histogram", "tally")

    def __init__(self, tally: _Tally) -> None:
        self.tally = tally
        self.histogram = tally.histogram
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        now_us = time.monotonic_ns() // 1000
        data = self.buffer + data if self.buffer else data
        usable = len(data) - len(data) % FRAME
        for start in range(0, usable, FRAME):
            stamp = int(data[start + 4:start + 4 + STAMP_DIGITS])
            self.histogram.record(now_us - stamp // 1000)
        self.buffer = data[usable:]
        if self.tally.expected is not None:
            self.tally.check()


def _reader_main(port: int, n: int, cpus: set[int] | None, pipe: Connection) -> None:
    _pin(cpus)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        tally = _Tally()
        transports = []
        for _ in range(n):
            transport, _protocol = await loop.create_connection(
                lambda: _Reader(tally), "127.0.0.1", port)
            transports.append(transport)
        pipe.send("connected")
        # the relay has finished: wait (a little) for its last frames, then report
        tally.expected = await loop.run_in_executor(None, pipe.recv)
        tally.check()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(tally.complete.wait(), timeout=DRAIN_SECONDS)
        pipe.send(tally.histogram.to_json())
        for transport in transports:
            transport.close()

    _run_loop(main())


# ----- the relay (stands where the server stands) -----------------------------------------


def _relay_main(n: int, rate: float, duration: float, cpus: set[int] | None,
                pipe: Connection) -> None:
    _pin(cpus)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        transports: list[asyncio.Transport] = []
        everyone = asyncio.Event()

        class Accepted(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                transports.append(cast(asyncio.Transport, transport))
                if len(transports) >= n:
                    everyone.set()

        server = await loop.create_server(Accepted, "127.0.0.1", 0, backlog=4096)
        pipe.send(server.sockets[0].getsockname()[1])
        await loop.run_in_executor(None, pipe.recv)  # "go": the reader is connected
        await asyncio.wait_for(everyone.wait(), timeout=30)
        rounds = max(1, int(rate * duration))
        before, started = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        for index in range(rounds):
            delay = started + index / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            frame = frame_for(time.monotonic_ns())
            for transport in transports:
                transport.write(frame)
        elapsed = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        pipe.send({
            "rounds": rounds, "connections": len(transports), "elapsed_s": elapsed,
            "user_s": after.ru_utime - before.ru_utime,
            "system_s": after.ru_stime - before.ru_stime,
        })
        await loop.run_in_executor(None, pipe.recv)  # "stop": the reader has counted
        server.close()
        for transport in transports:
            transport.abort()

    _run_loop(main())


def _expect(pipe: Connection, timeout: float, what: str) -> Any:
    if not pipe.poll(timeout):
        raise BenchError(f"floor: no {what} within {timeout:.0f} s")
    return pipe.recv()


def run_floor(opts: Options) -> dict[str, Any]:
    """The floor at ``opts.n`` subscribers and ``opts.rate`` messages/s (loopback only):
    relay on the server's core, reader on the load generator's (with ``--pin``)."""
    relay_cpus, reader_cpus = loadgen_cpus(opts.pin)
    context = multiprocessing.get_context("spawn")
    relay_pipe, relay_end = context.Pipe()
    reader_pipe, reader_end = context.Pipe()
    relay = context.Process(target=_relay_main, daemon=True, args=(
        opts.n, opts.rate, opts.duration, relay_cpus, relay_end))
    relay.start()
    reader: multiprocessing.process.BaseProcess | None = None
    try:
        port = _expect(relay_pipe, 60, "relay port")
        reader = context.Process(target=_reader_main, daemon=True,
                                 args=(port, opts.n, reader_cpus, reader_end))
        reader.start()
        _expect(reader_pipe, 120, "reader connections")
        relay_pipe.send("go")
        run = _expect(relay_pipe, opts.duration + 60, "relay result")
        reader_pipe.send(run["rounds"] * run["connections"])
        histogram = Histogram.from_json(
            _expect(reader_pipe, DRAIN_SECONDS + 30, "reader histogram"))
        relay_pipe.send("stop")
    finally:
        for process in (relay, reader):
            if process is not None:
                process.join(timeout=10)
                if process.is_alive():
                    process.kill()
    expected = run["rounds"] * opts.n
    cpu = run["user_s"] + run["system_s"]
    elapsed = run["elapsed_s"]
    return {
        "scenario": "floor", "server_mode": "bare-relay",
        "params": {"n": opts.n, "rate": opts.rate, "duration": opts.duration, "pin": opts.pin},
        "clients": run["connections"], "published": run["rounds"], "expected": expected,
        "received": histogram.total, "lost": expected - histogram.total,
        "delivered_per_s": round(histogram.total / elapsed, 1),
        "latency_ms": latency_summary_ms(histogram),
        "server_cpu_util": round(cpu / elapsed, 3),
        "server_cpu_us_per_frame": round(cpu / expected * 1e6, 3),
        "server_sys_us_per_frame": round(run["system_s"] / expected * 1e6, 3),
    }
