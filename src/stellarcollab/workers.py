"""``stellarcollab serve --workers N``: N server processes on one port.

Each spawned worker binds the port with SO_REUSEPORT and listens once its app has started,
and the kernel spreads new connections evenly between the listening sockets; a worker that
is still starting gets none. The supervisor holds the port (bound, not listening) so
``--port 0`` resolves once for all. The workers share canvases through
PostgreSQL and Redis, so SQLite or the in-process broker is refused. Metrics use
prometheus_client's multiprocess mode: the supervisor points ``PROMETHEUS_MULTIPROC_DIR``
at a fresh directory before any worker starts, and serves ``STELLAR_METRICS_BIND`` itself.

Signals: the first SIGTERM or SIGINT is passed to every worker, which drains and exits;
a second one is passed on too (the workers then exit at once) and the supervisor exits.
A worker that dies while nobody asked it to stop is started again.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import time
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Event
from types import FrameType
from wsgiref.simple_server import WSGIServer

from stellarcollab.config import Settings

log = logging.getLogger(__name__)
MONITOR_INTERVAL = 0.2
STARTUP_SECONDS = 120
PR_SET_PDEATHSIG = 1
RESTART_BACKOFF_SECONDS = 1.0


class ClusterSettingsError(ValueError):
    """Several workers were asked for with settings that only one process can use."""


def check_cluster_settings(settings: Settings, workers: int) -> None:
    if workers <= 1:
        return
    problems = []
    if settings.resolved_database_url().startswith("sqlite"):
        problems.append("STELLAR_DATABASE_URL is SQLite (use postgresql+asyncpg://...)")
    if settings.broker_url.startswith("memory"):
        problems.append("STELLAR_BROKER_URL is memory:// (use redis://...)")
    if problems:
        raise ClusterSettingsError(
            f"--workers {workers} needs PostgreSQL and Redis, which the processes share: "
            + "; ".join(problems))


def reuse_port(host: str, port: int) -> socket.socket:
    """A socket bound to the port with SO_REUSEPORT (only listening ones get connections)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _die_with_parent() -> None:
    """Linux: the kernel sends SIGTERM to this worker when the supervisor dies, however
    it died, so no orphan keeps serving."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _run_worker(host: str, port: int, access_log: bool, started: Event) -> None:
    from stellarcollab.server import serve

    _die_with_parent()
    # Bound now; the server listens (asyncio's create_server) only after the app's startup,
    # so while this worker imports and connects, new connections go to the others.
    sock = reuse_port(host, port)
    serve(Settings(), host, port, access_log=access_log, sockets=[sock], on_started=started.set)


class Supervisor:
    def __init__(self, settings: Settings, host: str, port: int, workers: int,
                 access_log: bool) -> None:
        self.settings = settings
        self.workers = workers
        self.access_log = access_log
        self.holder = reuse_port(host, port)
        self.host, self.port = host, self.holder.getsockname()[1]
        self.processes: list[SpawnProcess] = []
        #: each worker's "listening" event; kept while the worker lives, or its semaphore
        #: would be gone before the spawned child unpickled it
        self.started: list[Event] = []
        #: workers started again that do not listen yet
        self.restarting: set[int] = set()
        self.signals = 0
        self.context = multiprocessing.get_context("spawn")

    def _spawn(self) -> tuple[SpawnProcess, Event]:
        started = self.context.Event()
        process = self.context.Process(
            target=_run_worker, args=(self.host, self.port, self.access_log, started),
            name="stellarcollab-worker")
        process.start()
        return process, started

    def _on_signal(self, sig: int, _frame: FrameType | None) -> None:
        self.signals += 1
        log.info("signal %d: %s the workers", sig,
                 "draining" if self.signals == 1 else "stopping at once")
        for process in self.processes:
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signal.SIGTERM)

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        spawned = [self._spawn() for _ in range(self.workers)]
        self.processes = [process for process, _ in spawned]
        self.started = [started for _, started in spawned]
        deadline = time.monotonic() + STARTUP_SECONDS
        for process, started in spawned:  # every worker listening, or one gave up
            while not started.wait(MONITOR_INTERVAL) and process.is_alive() \
                    and not self.signals and time.monotonic() < deadline:
                pass
        if all(started.is_set() for _, started in spawned):
            log.info("StellarCollab running on http://%s:%d with %d workers", self.host,
                     self.port, self.workers, extra={"workers": self.workers})
        while any(process.is_alive() for process in self.processes):
            if self.signals > 1:
                return 1
            if not self.signals:
                self._restart_dead()
            time.sleep(MONITOR_INTERVAL)
        codes = [process.exitcode for process in self.processes]
        log.info("workers exited with %s", codes)
        return 0 if all(code == 0 for code in codes) else 1

    def _restart_dead(self) -> None:
        for index, process in enumerate(self.processes):
            if not process.is_alive() and not self.signals:
                from prometheus_client import multiprocess

                multiprocess.mark_process_dead(process.pid)  # type: ignore[no-untyped-call]
                log.warning("worker %s exited with %s; starting another", process.pid,
                            process.exitcode, extra={"pid": process.pid})
                time.sleep(RESTART_BACKOFF_SECONDS)
                self.processes[index], self.started[index] = self._spawn()
                self.restarting.add(index)
        for index in [i for i in self.restarting if self.started[i].is_set()]:
            self.restarting.discard(index)
            pid = self.processes[index].pid
            log.info("worker %s is serving", pid, extra={"pid": pid})


def serve_workers(settings: Settings, host: str, port: int, workers: int,
                  access_log: bool) -> int:
    """Run the supervisor; its metrics directory lives as long as it does."""
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    own_dir = metrics_dir is None
    if own_dir:
        metrics_dir = tempfile.mkdtemp(prefix="stellarcollab-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        listener = None
        if settings.metrics_bind:
            listener = _serve_cluster_metrics(settings.metrics_bind)
        code = Supervisor(settings, host, port, workers, access_log).run()
        if listener is not None:
            listener.shutdown()
        return code
    finally:
        if own_dir and metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _serve_cluster_metrics(bind: str) -> WSGIServer:
    """prometheus_client's own HTTP server, in a thread, over every worker's files.
    Imported only now: the multiprocess directory must be set first."""
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    from stellarcollab.observability.exposition import parse_bind

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    host, port = parse_bind(bind)
    server, _thread = start_http_server(port, host, registry=registry)
    return server
