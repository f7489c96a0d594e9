"""Prometheus metrics of one server process.

The hot paths (fan-out, message handling, socket open and close) add to plain ints in
``COUNTERS``; ``sync`` copies them into prometheus_client metrics when /metrics is
scraped, so a frame costs no Counter call. Histograms (broadcast latency, loop lag,
database and broker latency) are observed directly: once per event or query, not per frame.

With several worker processes (``PROMETHEUS_MULTIPROC_DIR`` set before this module is
imported) the values live in prometheus_client's shared files, every process syncs its
counters once a second, and a scrape aggregates all processes.
"""

from __future__ import annotations

import asyncio
import os
import resource
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from sqlalchemy.engine import Engine

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
#: canvases are counted in these buckets of their local connection count
CANVAS_SIZE_BUCKETS = (1, 10, 100, 1000)
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                   2.5, 5.0)
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class ConnectionCensus(Protocol):
    """What the metrics read from a ConnectionManager at scrape time."""

    @property
    def total_connections(self) -> int: ...

    def connections_per_canvas(self) -> Iterable[int]: ...


class HotCounters:
    """Plain ints the hot paths add to; nothing here takes a lock or allocates."""

    def __init__(self) -> None:
        self.connects = 0
        self.closes: dict[int, int] = {}
        self.messages_in: dict[str, int] = {}
        self.messages_out: dict[str, int] = {}
        self.fanout_deliveries = 0
        self.bytes_written = 0
        self.slow_consumer_closes = 0
        self.rate_limited: dict[str, int] = {}
        self.recovery_replays = 0
        self.recovery_resyncs = 0
        self.db_errors = 0
        self.broker_errors = 0
        #: arrival storms during which young garbage collections were held back
        self.gc_storms = 0
        #: the clock that the broker's ``published_at`` comes from
        self.publish_clock: Callable[[], float] = time.monotonic

    def fanned_out(self, event_type: str, deliveries: int, frame_bytes: int,
                   published_at: float) -> None:
        """One event handed to ``deliveries`` local sockets (once per event)."""
        self.fanout_deliveries += deliveries
        self.bytes_written += deliveries * frame_bytes
        out = self.messages_out
        out[event_type] = out.get(event_type, 0) + deliveries
        if published_at:
            FAMILIES.broadcast_latency.observe(max(0.0, self.publish_clock() - published_at))

    def sent(self, event_type: str, frame_bytes: int) -> None:
        """A message for one socket alone (canvas_state, pong, error...)."""
        self.bytes_written += frame_bytes
        out = self.messages_out
        out[event_type] = out.get(event_type, 0) + 1

    def received(self, message_type: str) -> None:
        self.messages_in[message_type] = self.messages_in.get(message_type, 0) + 1

    def closed(self, code: int) -> None:
        self.closes[code] = self.closes.get(code, 0) + 1

    def limited(self, kind: str) -> None:
        self.rate_limited[kind] = self.rate_limited.get(kind, 0) + 1


COUNTERS = HotCounters()


class Families:
    """The prometheus_client metrics. In one process they sit in ``registry``; with
    several, in the shared files (a scrape reads them through MultiProcessCollector)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        reg = None if MULTIPROCESS else self.registry
        self.connections_open = Gauge(
            "stellar_connections_open", "Open canvas sockets", registry=reg,
            multiprocess_mode="livesum")
        self.process_connections = Gauge(
            "stellar_process_connections_open", "Open canvas sockets of each process",
            registry=reg, multiprocess_mode="liveall")
        self.canvases_by_size = Gauge(
            "stellar_canvases_by_connections",
            "Canvases with at most `le` open sockets (cumulative, like histogram buckets)",
            ["le"], registry=reg, multiprocess_mode="livesum")
        self.connects = Counter("stellar_socket_connects", "Canvas sockets accepted",
                                registry=reg)
        self.closes = Counter("stellar_socket_closes", "Canvas sockets closed, by close code",
                              ["code"], registry=reg)
        self.messages_in = Counter("stellar_messages_in", "Client messages, by type",
                                   ["type"], registry=reg)
        self.messages_out = Counter("stellar_messages_out", "Server messages sent, by type",
                                    ["type"], registry=reg)
        self.fanout = Counter("stellar_fanout_deliveries",
                              "Broadcast frames handed to local sockets", registry=reg)
        self.bytes_written = Counter("stellar_bytes_written",
                                     "WebSocket frame bytes written", registry=reg)
        self.slow_consumers = Counter("stellar_slow_consumer_closes",
                                      "Sockets closed because they did not drain", registry=reg)
        self.rate_limited = Counter("stellar_rate_limited",
                                    "Rate-limit hits (message: per socket; connect: per user)",
                                    ["kind"], registry=reg)
        self.replays = Counter("stellar_recovery_replays",
                               "Reconnects answered with the missed events", registry=reg)
        self.resyncs = Counter("stellar_recovery_resyncs",
                               "Reconnects answered with resync_required", registry=reg)
        self.db_errors = Counter("stellar_db_errors", "Failed database statements",
                                 registry=reg)
        self.broker_errors = Counter("stellar_broker_errors", "Failed broker publishes",
                                     registry=reg)
        self.gc_storms = Counter(
            "stellar_gc_arrival_storms",
            "Arrival storms during which young garbage collections were held back",
            registry=reg)
        self.broadcast_latency = Histogram(
            "stellar_broadcast_latency_seconds",
            "From the broker's publish to the event handed to this process's sockets",
            buckets=LATENCY_BUCKETS, registry=reg)
        self.loop_lag = Histogram("stellar_event_loop_lag_seconds",
                                  "How late the event loop ran a timer", buckets=LATENCY_BUCKETS,
                                  registry=reg)
        self.db_seconds = Histogram("stellar_db_statement_seconds", "Database statement time",
                                    buckets=LATENCY_BUCKETS, registry=reg)
        self.broker_seconds = Histogram(
            "stellar_broker_publish_seconds",
            "Broker time per broadcast (presence, numbering, history, publish)",
            buckets=LATENCY_BUCKETS, registry=reg)
        self.rss = Gauge("stellar_process_resident_memory_bytes", "Resident memory",
                         registry=reg, multiprocess_mode="liveall")
        self.cpu = Gauge("stellar_process_cpu_seconds", "CPU time used (user + system)",
                         registry=reg, multiprocess_mode="liveall")


FAMILIES = Families()


class Exporter:
    """Copies COUNTERS (as deltas) and the connection census into FAMILIES."""

    def __init__(self, counters: HotCounters, families: Families) -> None:
        self.counters = counters
        self.families = families
        self.census: list[ConnectionCensus] = []
        self._exported: dict[tuple[int, str], int] = {}

    def sync(self) -> None:
        c, f = self.counters, self.families
        self._add(f.connects, "", c.connects)
        self._add(f.fanout, "", c.fanout_deliveries)
        self._add(f.bytes_written, "", c.bytes_written)
        self._add(f.slow_consumers, "", c.slow_consumer_closes)
        self._add(f.replays, "", c.recovery_replays)
        self._add(f.resyncs, "", c.recovery_resyncs)
        self._add(f.db_errors, "", c.db_errors)
        self._add(f.broker_errors, "", c.broker_errors)
        self._add(f.gc_storms, "", c.gc_storms)
        for family, values in ((f.closes, c.closes), (f.messages_in, c.messages_in),
                               (f.messages_out, c.messages_out),
                               (f.rate_limited, c.rate_limited)):
            for label, value in dict(values).items():
                self._add(family, str(label), value)
        self._census()
        self._process()

    def _add(self, family: Counter, label: str, value: int) -> None:
        key = (id(family), label)
        delta = value - self._exported.get(key, 0)
        if delta:
            (family.labels(label) if label else family).inc(delta)
            self._exported[key] = value

    def _census(self) -> None:
        sizes = [size for census in self.census for size in census.connections_per_canvas()]
        total = sum(census.total_connections for census in self.census)
        self.families.connections_open.set(total)
        self.families.process_connections.set(total)
        for bound in CANVAS_SIZE_BUCKETS:
            self.families.canvases_by_size.labels(str(bound)).set(
                sum(1 for size in sizes if size <= bound))
        self.families.canvases_by_size.labels("+Inf").set(len(sizes))

    def _process(self) -> None:
        with open("/proc/self/statm") as statm:
            self.families.rss.set(int(statm.read().split()[1]) * PAGE_SIZE)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self.families.cpu.set(usage.ru_utime + usage.ru_stime)


EXPORTER = Exporter(COUNTERS, FAMILIES)


def scrape() -> bytes:
    """The Prometheus text of this process (or, with several, of all of them)."""
    EXPORTER.sync()
    if not MULTIPROCESS:
        return generate_latest(FAMILIES.registry)
    return generate_latest(multiprocess_registry())


def multiprocess_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


async def sync_forever(interval: float = 1.0) -> None:
    """With several processes: keep this one's share of the shared files current."""
    while True:
        await asyncio.sleep(interval)
        EXPORTER.sync()


async def watch_loop_lag(interval: float = 0.5) -> None:
    """Observe how much later than asked a timer fires: the event loop's lag."""
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        await asyncio.sleep(interval)
        FAMILIES.loop_lag.observe(max(0.0, loop.time() - started - interval))


def instrument_engine(engine: Engine) -> None:
    """Time every statement and count the failed ones (listeners on the sync engine)."""

    def before(_conn: object, _cursor: object, _statement: object, _params: object,
               context: object, _many: object) -> None:
        context._stellar_started = time.perf_counter()  # type: ignore[attr-defined]

    def after(_conn: object, _cursor: object, _statement: object, _params: object,
              context: object, _many: object) -> None:
        started = getattr(context, "_stellar_started", None)
        if started is not None:
            FAMILIES.db_seconds.observe(time.perf_counter() - started)

    def failed(_context: object) -> None:
        COUNTERS.db_errors += 1

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "handle_error", failed)


def mark_process_dead() -> None:
    """A worker that stops removes its live gauges from the shared files."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
