"""A throwaway PostgreSQL server for the suite: initdb + pg_ctl in a temporary directory,
listening on a free loopback port, stopped by its PID when the session ends.

PostgreSQL refuses to run as root, so when the suite runs as root the server commands run
as the ``postgres`` OS user (``runuser -u postgres --``) and the directory is given to it.
Without the binaries the fixture skips locally and fails when ``CI`` is set.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")
SUPERUSER = "postgres"
OS_USER = "postgres"
# Durability is worthless for a throwaway test server; speed is not.
SERVER_OPTIONS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=200 -c shared_buffers=32MB"
)


def find_bin_dir() -> Path | None:
    """Where initdb, pg_ctl and postgres live: $STELLAR_PG_BIN, Debian's versioned
    directories (newest first), or the PATH."""
    candidates: list[Path] = []
    if os.environ.get("STELLAR_PG_BIN"):
        candidates.append(Path(os.environ["STELLAR_PG_BIN"]))
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates.extend(versions)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for candidate in candidates:
        if all((candidate / name).is_file() for name in SERVER_BINARIES):
            return candidate
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresServer:
    """One running cluster; hands out fresh databases."""

    _names = itertools.count(1)

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="stellar-pg-"))
        self.data_dir = self.root / "data"
        self.log_file = self.root / "server.log"
        self.port = 0
        self.pid: int | None = None
        self.as_root = os.geteuid() == 0
        self.url = ""

    # ----- commands ---------------------------------------------------------------------

    def _server_command(self, *args: str) -> list[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_root:
            return ["runuser", "-u", OS_USER, "--", *command]
        return command

    def _run(self, command: list[str], timeout: float = 60) -> None:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                check=False, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n"
                f"{result.stderr}\n{self._log_tail()}"
            )

    def _log_tail(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    # ----- lifecycle --------------------------------------------------------------------

    def start(self) -> PostgresServer:
        if self.as_root:
            account = pwd.getpwnam(OS_USER)
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self._run(self._server_command(
            "initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        ), timeout=120)
        last_error: Exception | None = None
        for _attempt in range(5):  # the free port may be taken before the server binds it
            self.port = free_port()
            options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
                       f"{SERVER_OPTIONS}")
            try:
                self._run(self._server_command(
                    "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data_dir),
                    "-l", str(self.log_file), "-o", options,
                ), timeout=90)
            except RuntimeError as exc:
                last_error = exc
                continue
            break
        else:
            raise RuntimeError(f"PostgreSQL did not start: {last_error}")
        self.pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        self.url = self.create_database("stellarcollab_test")
        return self

    def stop(self) -> None:
        """Fast shutdown by PID (SIGINT), then SIGKILL if it lingers; remove the files."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGINT)
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline and _alive(self.pid):
                    time.sleep(0.05)
                if _alive(self.pid):
                    os.kill(self.pid, signal.SIGKILL)
            self.pid = None
        shutil.rmtree(self.root, ignore_errors=True)

    # ----- databases --------------------------------------------------------------------

    def url_for(self, database: str) -> str:
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new, empty database; returns its SQLAlchemy URL."""
        name = name or f"stellar_{os.getpid()}_{next(self._names)}"
        psql = self.bin_dir / "psql"
        self._run([str(psql), "-X", "-q", "-h", "127.0.0.1", "-p", str(self.port),
                   "-U", SUPERUSER, "-d", "postgres", "-v", "ON_ERROR_STOP=1",
                   "-c", f'CREATE DATABASE "{name}"'])
        return self.url_for(name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); the server is not our child (pg_ctl forks it).
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except OSError:
        return True


def unavailable(reason: str) -> None:
    """Skip locally; fail in CI, where the PostgreSQL run is part of the contract."""
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL not available: {reason}")


_lock = threading.Lock()
_starter: threading.Thread | None = None
_shared: PostgresServer | None = None
_start_error: BaseException | None = None
_users = 0


def _availability() -> tuple[Path | None, str]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        return None, "initdb, pg_ctl and postgres were not found"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(OS_USER)
        except KeyError:
            return None, f"running as root and there is no {OS_USER!r} OS user"
    return bin_dir, ""


def _start_shared(bin_dir: Path) -> None:
    global _shared, _start_error
    server = PostgresServer(bin_dir)
    try:
        _shared = server.start()
    except BaseException as exc:
        server.stop()
        _start_error = exc


def _stop_shared() -> None:
    global _shared
    if _starter is not None:
        _starter.join(120)
    if _shared is not None:
        _shared.stop()
        _shared = None


def prestart() -> None:
    """Start the shared server in the background, so initdb overlaps other tests.
    Does nothing when PostgreSQL is not available (the fixture then skips or fails)."""
    global _starter
    with _lock:
        if _starter is not None:
            return
        bin_dir, _reason = _availability()
        if bin_dir is None:
            return
        _starter = threading.Thread(target=_start_shared, args=(bin_dir,), daemon=True,
                                    name="postgres-start")
        _starter.start()
        atexit.register(_stop_shared)  # never leave a server behind


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One server for the whole session, however many conftests import this fixture."""
    global _users
    bin_dir, reason = _availability()
    if bin_dir is None:
        unavailable(reason)
    prestart()
    assert _starter is not None
    _starter.join()
    if _start_error is not None:
        raise RuntimeError("PostgreSQL did not start") from _start_error
    assert _shared is not None
    _users += 1
    try:
        yield _shared
    finally:
        _users -= 1
        if _users == 0:
            _stop_shared()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of the session's database: postgresql+asyncpg://postgres@127.0.0.1:PORT/DB."""
    return postgres_server.url
