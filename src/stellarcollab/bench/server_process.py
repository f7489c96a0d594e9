"""A StellarCollab server in a child process, configured for benchmarking, and the
/proc readings the bench takes of it (CPU time, resident memory).

The child dies with its parent (``PR_SET_PDEATHSIG``), listens on 127.0.0.1 only, keeps
its SQLite database in a temporary directory of its own and is stopped by PID.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
PR_SET_PDEATHSIG = 1
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ProcSample:
    """One reading of a process: CPU seconds (user + system, all threads), RSS, wall time."""

    cpu_s: float
    rss_bytes: int
    wall_s: float


#: security limits lifted for the bench server (docs/SECURITY.md)
BENCH_UNLIMITED = (
    "CHAT_PER_SECOND", "CHAT_BURST", "PRESENCE_PER_SECOND", "PRESENCE_BURST",
    "MENTIONS_PER_SECOND", "MENTIONS_BURST", "RATE_LIMIT_STRIKES_BEFORE_CLOSE",
    "REGISTRATIONS_PER_IP_PER_HOUR", "LOGIN_ATTEMPTS_PER_IP_PER_MINUTE",
    "TICKETS_PER_USER_PER_MINUTE", "WEBSOCKET_CONNECTIONS_PER_IP",
    "WEBSOCKET_CONNECTS_PER_IP_PER_MINUTE",
)


def read_proc(pid: int) -> ProcSample:
    """utime + stime from ``/proc/<pid>/stat`` (they include every thread, live or gone)
    and VmRSS from ``/proc/<pid>/status``."""
    wall = time.monotonic()
    with open(f"/proc/{pid}/stat", "rb") as handle:
        stat = handle.read()
    # the command name may contain spaces: fields start after the last ')'
    fields = stat[stat.rindex(b")") + 2:].split()
    utime, stime = int(fields[11]), int(fields[12])
    rss = 0
    with open(f"/proc/{pid}/status", "rb") as handle:
        for line in handle:
            if line.startswith(b"VmRSS:"):
                rss = int(line.split()[1]) * 1024
                break
    return ProcSample((utime + stime) / CLOCK_TICKS, rss, wall)


def read_machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from ``/proc/stat``;
    busy counts user, nice, system, irq, softirq and steal."""
    with open("/proc/stat", "rb") as handle:
        fields = [int(v) for v in handle.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq + steal
    return busy / CLOCK_TICKS, (busy + idle + iowait) / CLOCK_TICKS


def own_cpu_seconds() -> float:
    """CPU seconds of this process (all threads)."""
    times = os.times()
    return times.user + times.system


def wait_for_quiet(max_wait: float, threshold: float = 0.15, interval: float = 1.0) -> float:
    """Wait (at most ``max_wait`` s) until the machine's busy CPU over ``interval`` is
    below ``threshold`` cores; returns the last reading in cores."""
    deadline = time.monotonic() + max_wait
    while True:
        busy0, _ = read_machine_cpu()
        mine0 = own_cpu_seconds()
        time.sleep(interval)
        busy1, _ = read_machine_cpu()
        load = (busy1 - busy0 - (own_cpu_seconds() - mine0)) / interval
        if load < threshold or time.monotonic() >= deadline:
            return load


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """Runs in the child before exec: take SIGTERM when the parent goes away."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def spawn(argv: list[str], *, env: dict[str, str] | None = None, cpus: set[int] | None = None,
          stdin: int | None = None, stdout: Any = None, stderr: Any = None,
          ) -> subprocess.Popen[bytes]:
    """Start a child that dies with this process, pinned to ``cpus`` when given."""
    process = subprocess.Popen(
        argv, env=env, stdin=stdin, stdout=stdout, stderr=stderr,
        preexec_fn=_die_with_parent, close_fds=True,
    )
    if cpus:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(process.pid, cpus)
    return process


def stop_process(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after ``timeout``; only ever the process we started."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait(5)


def bench_server_env(data_dir: Path, *, mode: str, max_connections: int,
                     extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of a bench server: cheap password hashing so registering many users
    is quick, per-user and rate limits out of the way, a connection cap above the run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STELLAR_")}
    env.update({
        "STELLAR_DATA_DIR": str(data_dir),
        "STELLAR_DATABASE_URL": f"sqlite+aiosqlite:///{(data_dir / 'bench.db').as_posix()}",
        "STELLAR_SECRET_KEY": secrets.token_urlsafe(32),
        "STELLAR_PASSWORD_HASH_TIME_COST": "1",
        "STELLAR_PASSWORD_HASH_MEMORY_KIB": "1024",
        "STELLAR_BROADCAST_MODE": mode,
        "STELLAR_WEBSOCKET_MAX_CONNECTIONS": str(max_connections),
        "STELLAR_WEBSOCKET_MAX_CONNECTIONS_PER_USER": "1000000",
        "STELLAR_RATE_LIMIT_MESSAGES_PER_SECOND": "1000000",
        "STELLAR_RATE_LIMIT_BURST": "1000000",
        "STELLAR_RATE_LIMIT_CONNECTS_PER_MINUTE": "100000000",
        # the load comes from one address and floods on purpose: no abuse limits
        **{f"STELLAR_{name}": "1000000000" for name in BENCH_UNLIMITED},
        "STELLAR_LOG_LEVEL": "warning",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra or {})
    return env


def get_json(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


class BenchServer:
    """``stellarcollab serve`` on a free loopback port, in a fresh data directory."""

    def __init__(self, *, mode: str = "fast", max_connections: int = 1000,
                 cpus: set[int] | None = None, extra_env: dict[str, str] | None = None,
                 start_timeout: float = 60.0) -> None:
        if mode not in ("fast", "naive"):
            raise ValueError("mode must be 'fast' or 'naive'")
        self.mode = mode
        self.max_connections = max_connections
        self.cpus = cpus
        self.extra_env = extra_env
        self.start_timeout = start_timeout
        self.port = 0
        self.data_dir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("server not started")
        return self.process.pid

    @property
    def database_path(self) -> Path | None:
        return None if self.data_dir is None else self.data_dir / "bench.db"

    def start(self) -> BenchServer:
        self.data_dir = Path(tempfile.mkdtemp(prefix="stellar-bench-"))
        self.port = free_port()
        env = bench_server_env(self.data_dir, mode=self.mode,
                               max_connections=self.max_connections, extra=self.extra_env)
        self._log = open(self.data_dir / "server.log", "wb")  # noqa: SIM115 (closed in stop)
        argv = [sys.executable, "-m", "stellarcollab.cli", "serve", "--host", LOOPBACK,
                "--port", str(self.port), "--no-access-log"]
        self.process = spawn(argv, env=env, cpus=self.cpus, stdin=subprocess.DEVNULL,
                             stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bench server exited early:\n{self.log_tail()}")
            try:
                if get_json(self.base_url + "/api/v1/health", 2.0).get("status") == "ok":
                    return self
            except (OSError, urllib.error.URLError, ValueError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"bench server did not become healthy:\n{self.log_tail()}")

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = get_json(self.base_url + "/api/v1/health")
        return result

    def sample(self) -> ProcSample:
        return read_proc(self.pid)

    def log_tail(self, lines: int = 30) -> str:
        if self.data_dir is None:
            return ""
        path = self.data_dir / "server.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None

    def __enter__(self) -> BenchServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
