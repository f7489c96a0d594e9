"""``stellarcollab serve --workers N``: N server processes on one listening socket.

The supervisor binds the port once and hands the socket to N spawned workers (the kernel
spreads new connections between them); they share canvases through PostgreSQL and Redis,
so SQLite or the in-process broker is refused. Metrics use prometheus_client's
multiprocess mode: the supervisor points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh
directory before any worker starts, and serves ``STELLAR_METRICS_BIND`` itself.

Signals: the first SIGTERM or SIGINT is passed to every worker, which drains and exits;
a second one is passed on too (the workers then exit at once) and the supervisor exits.
A worker that dies while nobody asked it to stop is started again.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import time
from multiprocessing.context import SpawnProcess
from types import FrameType
from wsgiref.simple_server import WSGIServer

from stellarcollab.config import Settings

log = logging.getLogger(__name__)
MONITOR_INTERVAL = 0.2
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


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _run_worker(sock: socket.socket, host: str, port: int, access_log: bool) -> None:
    from stellarcollab.server import serve

    serve(Settings(), host, port, access_log=access_log, sockets=[sock])


class Supervisor:
    def __init__(self, settings: Settings, host: str, port: int, workers: int,
                 access_log: bool) -> None:
        self.settings = settings
        self.workers = workers
        self.access_log = access_log
        self.sock = bind(host, port)
        self.host, self.port = host, self.sock.getsockname()[1]
        self.processes: list[SpawnProcess] = []
        self.signals = 0
        self.context = multiprocessing.get_context("spawn")

    def _spawn(self) -> SpawnProcess:
        process = self.context.Process(
            target=_run_worker, args=(self.sock, self.host, self.port, self.access_log),
            name="stellarcollab-worker")
        process.start()
        return process

    def _on_signal(self, sig: int, _frame: FrameType | None) -> None:
        self.signals += 1
        log.info("signal %d: %s the workers", sig,
                 "draining" if self.signals == 1 else "stopping at once")
        for process in self.processes:
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signal.SIGTERM)

    def run(self) -> int:
        multiprocessing.allow_connection_pickling()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        self.processes = [self._spawn() for _ in range(self.workers)]
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
                self.processes[index] = self._spawn()


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
