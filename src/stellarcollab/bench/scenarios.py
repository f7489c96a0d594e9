"""The five scenarios: plan the accounts, canvases and clients, drive the load-generator
processes through ready → go → measured → stop, read the server from /proc around the
measured window, and turn it all into one result dictionary.

Counting rules (PROTOCOL.md 2.2): chat reaches everyone on the canvas, the sender's
connection included; ``tile_highlight`` and status ``user_presence_update`` reach everyone
but the sender's connection. Publishers are connections of their own, not counted as
subscribers, except in ``rooms`` where every client both sends and receives.
"""

from __future__ import annotations

import contextlib
import math
import os
import queue
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from stellarcollab.bench.arrival_floor import ArrivalFloor
from stellarcollab.bench.server_process import (
    BenchServer,
    ProcSample,
    get_json,
    own_cpu_seconds,
    read_machine_cpu,
    read_proc,
    spawn,
    stop_process,
    wait_for_quiet,
)
from stellarcollab.bench.setup import (
    Account,
    RestClient,
    create_canvases,
    register_users,
    run_id,
    seed_users,
)
from stellarcollab.bench.stats import Histogram, latency_summary_ms

SCENARIOS = ("fanout", "saturate", "rooms", "storm", "reconnect", "chat-persist")
#: scenarios about arrivals: one account per connection unless ``--users`` says otherwise
DISTINCT_USERS = ("storm", "reconnect", "rooms")
EXCLUDES_SENDER = {"chat": False, "tile": True, "status": True}

DEFAULTS: dict[str, dict[str, Any]] = {
    "fanout": {"n": 1000, "rate": 50.0, "duration": 10.0, "publishers": 1, "event": "chat",
               "latency_every": 10},
    "saturate": {"n": 1000, "duration": 10.0, "publishers": 4, "event": "tile", "window": 16,
                 "latency_every": 10},
    "rooms": {"n": 1000, "rate": 1.0, "duration": 10.0, "event": "status", "room_size": 4},
    "storm": {"n": 1000},
    "reconnect": {"n": 1000, "rate": 50.0, "event": "chat"},
    "chat-persist": {"n": 100, "duration": 10.0, "publishers": 4, "event": "chat",
                     "window": 4},
    "floor": {"n": 1000, "rate": 50.0, "duration": 10.0},
}


@dataclass
class Options:
    scenario: str
    n: int = 1000
    rate: float = 50.0
    duration: float = 10.0
    publishers: int = 1
    event: str = "chat"
    window: int = 16
    room_size: int = 4
    users: int | None = None
    procs: int = 1
    pin: bool = False
    url: str | None = None
    server_pid: int | None = None
    connect_concurrency: int = 256
    hold: float = 2.0
    #: storm: arrivals and departures a second, one at a time, during the hold
    churn: float = 0.0
    drain_timeout: float = 5.0
    warmup: int = 20
    latency_every: int = 1
    progress: bool = True
    wait_idle: float = 0.0
    profile: str | None = None
    server_env: dict[str, str] = field(default_factory=dict)
    #: how clients ask for presence: "diff" (the web page) or "guide" (nothing asked)
    presence: str = "diff"
    #: storm: canvases the clients are spread over (in equal blocks)
    canvases: int = 1
    settle_timeout: float = 15.0
    #: reconnect: messages sent while the clients are away, and the web page's backoff
    messages: int = 20
    reconnect_delay: float = 5.0
    reconnect_max_delay: float = 60.0
    jitter: float = 0.2

    def params(self) -> dict[str, Any]:
        keep = {"scenario", "n", "duration", "procs", "pin", "users"}
        if self.scenario in ("fanout", "rooms"):
            keep |= {"rate"}
        if self.scenario in ("fanout", "saturate", "chat-persist"):
            keep |= {"publishers"}
        if self.scenario != "storm":
            keep |= {"event"}
        if self.scenario in ("saturate", "chat-persist"):
            keep |= {"window"}
        if self.scenario == "rooms":
            keep |= {"room_size"}
        if self.scenario == "storm":
            keep = {"scenario", "n", "hold", "procs", "pin", "users", "connect_concurrency",
                    "warmup", "presence", "canvases"} | ({"churn"} if self.churn else set())
        if self.scenario == "reconnect":
            keep = {"scenario", "n", "procs", "pin", "users", "connect_concurrency",
                    "presence", "messages", "rate", "reconnect_delay", "jitter"}
        if self.scenario in ("fanout", "saturate"):
            keep |= {"latency_every"}
        values = asdict(self)
        return {k: values[k] for k in sorted(keep)}


class BenchError(RuntimeError):
    pass


# ----- progress ------------------------------------------------------------------------


class Progress:
    """A one-line progress bar on stderr when it is a terminal; phase lines otherwise."""

    def __init__(self, enabled: bool, label: str) -> None:
        self.enabled = enabled
        self.tty = enabled and sys.stderr.isatty()
        self.label = label
        self.last_phase = ""
        self.last_draw = 0.0

    def update(self, phase: str, fraction: float, detail: str = "") -> None:
        if not self.enabled:
            return
        if not self.tty:
            if phase != self.last_phase:
                self.last_phase = phase
                print(f"  {self.label}: {phase}", file=sys.stderr, flush=True)
            return
        now = time.monotonic()
        if now - self.last_draw < 0.1 and phase == self.last_phase:
            return
        self.last_draw, self.last_phase = now, phase
        fraction = min(max(fraction, 0.0), 1.0)
        width = 28
        filled = int(width * fraction)
        bar = "#" * filled + "." * (width - filled)
        line = f"\r  {self.label:<22} [{bar}] {fraction * 100:5.1f}% {phase:<9} {detail}"
        sys.stderr.write(line[:150].ljust(100))
        sys.stderr.flush()

    def done(self) -> None:
        if self.tty:
            sys.stderr.write("\r" + " " * 150 + "\r")
            sys.stderr.flush()


# ----- the load-generator processes ----------------------------------------------------


class LoadGenProcess:
    def __init__(self, index: int, config: dict[str, Any], cpus: set[int] | None,
                 events: queue.Queue[tuple[int, dict[str, Any]]]) -> None:
        self.index = index
        self.log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.process = spawn([sys.executable, "-m", "stellarcollab.bench.loadgen"],
                             cpus=cpus, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=self.log)
        assert self.process.stdin is not None
        self.process.stdin.write(orjson.dumps(config) + b"\n")
        self.process.stdin.flush()
        self.thread = threading.Thread(target=self._read, args=(events,), daemon=True)
        self.thread.start()

    def _read(self, events: queue.Queue[tuple[int, dict[str, Any]]]) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with contextlib.suppress(orjson.JSONDecodeError):
                events.put((self.index, orjson.loads(line)))
        events.put((self.index, {"event": "exit"}))

    def command(self, word: str) -> None:
        assert self.process.stdin is not None
        with contextlib.suppress(BrokenPipeError, OSError):
            self.process.stdin.write(word.encode() + b"\n")
            self.process.stdin.flush()

    def stderr_tail(self) -> str:
        self.log.seek(0)
        return "\n".join(self.log.read().decode(errors="replace").splitlines()[-20:])

    def stop(self) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        stop_process(self.process, timeout=5)
        self.log.close()


def loadgen_cpus(pin: bool) -> tuple[set[int] | None, set[int] | None]:
    """(server cores, load-generator cores) for ``--pin``: server on core 0, the load
    generator on the others."""
    if not pin:
        return None, None
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None, None
    return {available[0]}, set(available[1:])


# ----- planning ----------------------------------------------------------------------------


@dataclass
class Plan:
    canvases: list[int]
    clients: list[dict[str, Any]]
    subs_per_canvas: Counter[int]
    pub_canvas: dict[int, int]
    pub_is_sub: dict[int, bool]
    loadgen_mode: str
    warmup: list[dict[str, Any]] = field(default_factory=list)


def plan_clients(opts: Options, accounts: list[Account], canvases: list[int],
                 warm_accounts: list[Account] | None = None) -> Plan:
    warm_accounts = warm_accounts or []
    clients: list[dict[str, Any]] = []
    users = len(accounts)
    subs: Counter[int] = Counter()
    pub_canvas: dict[int, int] = {}
    pub_is_sub: dict[int, bool] = {}
    if opts.scenario == "rooms":
        size = max(1, opts.room_size)
        for index in range(opts.n):
            room, slot = divmod(index, size)
            canvas = canvases[room]
            account = accounts[(room * size + slot) % users]
            clients.append({"canvas": canvas, "token": account.token, "sub": True,
                            "pub": index, "rate": opts.rate, "measure": True})
            subs[canvas] += 1
            pub_canvas[index], pub_is_sub[index] = canvas, True
        return Plan(canvases, clients, subs, pub_canvas, pub_is_sub, "rate")
    canvas = canvases[0]
    every = 1 if opts.scenario == "reconnect" else max(1, opts.latency_every)
    per_canvas = math.ceil(opts.n / len(canvases))
    for index in range(opts.n):
        # storm --canvases K: the clients in K blocks, one canvas each
        on = canvases[index // per_canvas]
        clients.append({"canvas": on, "token": accounts[index % users].token,
                        "sub": True, "measure": index % every == 0})
        subs[on] += 1
    if opts.scenario == "storm":
        # warm-up connections, opened before the measured window, on accounts of their own
        warmup = [{"canvas": canvas, "token": warm_accounts[index % len(warm_accounts)].token}
                  for index in range(opts.warmup if warm_accounts else 0)]
        return Plan(canvases, clients, subs, pub_canvas, pub_is_sub, "storm", warmup)
    publishers = max(1, opts.publishers)
    for pub in range(publishers):
        account = accounts[(opts.n + pub) % users]
        clients.append({"canvas": canvas, "token": account.token, "sub": False, "pub": pub,
                        "rate": opts.rate / publishers, "measure": False})
        pub_canvas[pub], pub_is_sub[pub] = canvas, False
    mode = {"fanout": "rate", "reconnect": "reconnect"}.get(opts.scenario, "window")
    return Plan(canvases, clients, subs, pub_canvas, pub_is_sub, mode)


def split_clients(clients: list[dict[str, Any]], procs: int) -> list[list[dict[str, Any]]]:
    """Round-robin subscribers and publishers separately over the processes, so each
    process gets subscribers (one of which acknowledges for its publishers)."""
    parts: list[list[dict[str, Any]]] = [[] for _ in range(procs)]
    subs = [c for c in clients if c.get("pub", -1) < 0]
    pubs = [c for c in clients if c.get("pub", -1) >= 0]
    for index, client in enumerate(subs):
        parts[index % procs].append(client)
    for index, client in enumerate(pubs):
        parts[index % procs].append(client)
    return [part for part in parts if part]


# ----- one run -------------------------------------------------------------------------------


def start_profiler(path: str, pid: int | None, mode: str) -> subprocess.Popen[bytes] | None:
    """py-spy sampling the server for the measured window (``--profile FILE``): .svg is a
    flame graph, .json speedscope, anything else py-spy's raw collapsed stacks."""
    if pid is None:
        return None
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        print("  --profile: py-spy is not installed (pip install py-spy)", file=sys.stderr)
        return None
    target = Path(path)
    if mode != "fast":
        target = target.with_name(f"{target.stem}-{mode}{target.suffix}")
    fmt = {".svg": "flamegraph", ".json": "speedscope"}.get(target.suffix, "raw")
    return spawn([exe, "record", "--pid", str(pid), "--rate", "100", "--format", fmt,
                  "--output", str(target), "--nonblocking"],
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profiler(profiler: subprocess.Popen[bytes]) -> None:
    """SIGINT makes py-spy write what it sampled and exit."""
    with contextlib.suppress(ProcessLookupError):
        profiler.send_signal(signal.SIGINT)
    try:
        profiler.wait(30)
    except subprocess.TimeoutExpired:
        stop_process(profiler)


def count_chat_rows(database: Path | None) -> int | None:
    if database is None or not database.exists():
        return None
    with contextlib.closing(sqlite3.connect(database, timeout=10)) as connection:
        row = connection.execute("SELECT COUNT(*) FROM chat_messages").fetchone()
    return int(row[0])


#: how results name the server a run measured, by its mode
SIDE_NAMES = {"fast": "ours", "naive": "naive", "floor": "floor", "bare-relay": "floor"}


def side_name(mode: str) -> str:
    return SIDE_NAMES.get(mode, mode)


def _label(opts: Options, mode: str) -> str:
    return f"{opts.scenario} {side_name(mode)} n={opts.n}"


def run_scenario(opts: Options, mode: str = "fast",
                 on_event: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run one scenario once against a fresh server in ``mode`` ('fast' or 'naive'), or
    against ``opts.url``; a storm also against the bare arrival server (mode 'floor').
    Returns the measured figures."""
    if opts.scenario not in SCENARIOS:
        raise BenchError(f"unknown scenario {opts.scenario!r}")
    if mode == "floor" and (opts.scenario != "storm" or opts.url is not None):
        raise BenchError("the arrival floor runs the storm scenario, on a server of its own")
    server_cpus, gen_cpus = loadgen_cpus(opts.pin)
    progress = Progress(opts.progress, _label(opts, mode))
    server: BenchServer | None = None
    floor: ArrivalFloor | None = None
    total_clients = opts.n + (0 if opts.scenario in ("rooms", "storm") else opts.publishers) \
        + (opts.warmup if opts.scenario == "storm" else 0)
    started = time.monotonic()
    own_affinity = os.sched_getaffinity(0)
    server_pid: int | None
    try:
        if mode == "floor":
            floor = ArrivalFloor(server_cpus).start()
            base_url, server_pid = floor.base_url, floor.pid
        elif opts.url is None:
            progress.update("server", 0.0)
            server = BenchServer(mode=mode, max_connections=total_clients + 100,
                                 cpus=server_cpus, extra_env=opts.server_env).start()
            base_url, server_pid = server.base_url, server.pid
        else:
            base_url, server_pid = opts.url.rstrip("/"), opts.server_pid
        if gen_cpus:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(0, gen_cpus)
        result = _run(opts, mode, base_url, server_pid, server, gen_cpus, progress)
    finally:
        progress.done()
        if server is not None:
            server.stop()
        if floor is not None:
            floor.stop()
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, own_affinity)
    result["elapsed_s"] = round(time.monotonic() - started, 2)
    return result


def make_accounts(rest: RestClient, server: BenchServer | None, count: int, run: str,
                  progress: Progress) -> list[Account]:
    """``count`` accounts: over REST against a server given by URL; against our own bench
    server one over REST and the rest written into its database (no hashing each)."""
    database = server.database_path if server is not None else None
    if database is None or server is None or count <= 1:
        return register_users(rest, count, run, on_progress=lambda done: progress.update(
            "accounts", done / count, f"{done}/{count} users"))
    template = register_users(rest, 1, run)[0]
    return [template, *seed_users(database, server.secret_key, template, count - 1, run)]


def expected_presence(plan: Plan, accounts: list[Account]) -> dict[int, list[int]]:
    """Per canvas, the users its clients (and warm-up connections) belong to."""
    user_of = {account.token: account.user_id for account in accounts}
    expected: dict[int, set[int]] = {}
    for client in [*plan.clients, *plan.warmup]:
        expected.setdefault(int(client["canvas"]), set()).add(user_of[client["token"]])
    return {canvas: sorted(users) for canvas, users in expected.items()}


def server_presence(rest: RestClient, canvas_id: int, token: str) -> set[int] | None:
    """Who the server says is on the canvas (its REST list)."""
    with contextlib.suppress(Exception):
        status, body = rest.request("GET", f"/api/v1/canvases/{canvas_id}/users", token=token)
        if status == 200:
            return {int(user["user_id"]) for user in body}
    return None


def _run(opts: Options, mode: str, base_url: str, server_pid: int | None,
         server: BenchServer | None, gen_cpus: set[int] | None,
         progress: Progress) -> dict[str, Any]:
    rest = RestClient(base_url)
    run = run_id()
    rooms = {"rooms": math.ceil(opts.n / max(1, opts.room_size)),
             "storm": max(1, opts.canvases)}.get(opts.scenario, 1)
    publishers = 0 if opts.scenario in ("rooms", "storm") else max(1, opts.publishers)
    if opts.scenario in DISTINCT_USERS:
        users = opts.users or opts.n + publishers
    else:
        users = opts.users or max(1, min(opts.n + publishers, 50))
    warm_users = min(5, opts.warmup) if opts.scenario == "storm" else 0
    wanted = users + warm_users
    progress.update("accounts", 0.0)
    if mode == "floor":  # nobody to register with: made-up users the floor reads back
        accounts = [Account(user, f"floor{user}", token)
                    for user, token in ArrivalFloor.accounts(wanted)]
        canvases = list(range(1, rooms + 1))
    else:
        accounts = make_accounts(rest, server, wanted, run, progress)
        canvases = create_canvases(rest, accounts[0], rooms, run)
    plan = plan_clients(opts, accounts[:users], canvases, accounts[users:])
    expected = expected_presence(plan, accounts)
    ws_base = base_url.replace("http://", "ws://", 1) + "/api/v1/ws/canvas"
    parts = split_clients(plan.clients, max(1, opts.procs))
    connect_timeout = 60.0 + opts.n / 200.0  # one connection attempt
    phase_timeout = 60.0 + len(plan.clients) / 20.0  # all of them, at 20/s or better
    run_time = {"storm": opts.hold + opts.settle_timeout * (2 if opts.churn else 1),
                "reconnect": opts.reconnect_max_delay + 2 * opts.settle_timeout}.get(
        opts.scenario, opts.duration)
    measured_timeout = (phase_timeout if opts.scenario in ("storm", "reconnect") else 0.0) \
        + run_time \
        + opts.drain_timeout + 30.0
    events: queue.Queue[tuple[int, dict[str, Any]]] = queue.Queue()
    gens: list[LoadGenProcess] = []
    base_config = {
        "mode": plan.loadgen_mode, "ws_base": ws_base, "duration": opts.duration,
        "window": opts.window, "event": opts.event, "drain_timeout": opts.drain_timeout,
        "connect_concurrency": max(1, opts.connect_concurrency // max(1, len(parts))),
        "connect_timeout": connect_timeout, "hold": opts.hold,
        "churn": opts.churn / max(1, len(parts)),  # the rate is the whole canvas's
        "deadline_s": int(phase_timeout + measured_timeout + 120 + opts.wait_idle),
        "go_timeout": phase_timeout + 60 + opts.wait_idle, "stop_timeout": 60,
        "presence": opts.presence, "expected": {str(k): v for k, v in expected.items()},
        "settle_timeout": opts.settle_timeout,
        "reconnect": {"messages": opts.messages, "rate": opts.rate,
                      "initial": opts.reconnect_delay, "max": opts.reconnect_max_delay,
                      "factor": 2.0, "jitter": opts.jitter, "max_attempts": 5},
    }
    try:
        for index, part in enumerate(parts):
            config = {**base_config, "clients": part,
                      "warmup": plan.warmup if index == 0 else []}
            gens.append(LoadGenProcess(index, config, gen_cpus, events))
        total = len(plan.clients)
        ready = _collect(gens, events, "ready", phase_timeout + 30, lambda status:
                         progress.update("connect", status["connected"] / max(1, total),
                                         f"{status['connected']}/{total} connected"))
        connected_before = sum(int(r["connected"]) for r in ready.values())
        if opts.scenario != "storm" and connected_before < total:
            failures: Counter[str] = Counter()
            for r in ready.values():
                failures.update(r.get("failures", {}))
            raise BenchError(f"only {connected_before}/{total} clients connected: "
                             f"{dict(failures)}")
        quiet_before = None
        if opts.wait_idle > 0:
            progress.update("wait-idle", 0.0)
            quiet_before = wait_for_quiet(opts.wait_idle)
        machine_before, own_before = read_machine_cpu(), own_cpu_seconds()
        wall_before = time.monotonic()
        before = read_proc(server_pid) if server_pid else None
        profiler = start_profiler(opts.profile, server_pid, mode) if opts.profile else None
        for gen in gens:
            gen.command("go")
        go_wall = time.monotonic()
        marks: dict[str, ProcSample] = {}

        def on_progress(status: dict[str, Any]) -> None:
            if opts.scenario == "storm":
                progress.update("storm", status["connected"] / max(1, total),
                                f"{status['connected']}/{total} connected")
            else:
                elapsed = time.monotonic() - go_wall
                progress.update(status.get("phase", "run"), elapsed / max(run_time, 1e-9),
                                f"recv {status['received']:,}")

        def on_mark(name: str) -> None:
            if server_pid:
                marks[name] = read_proc(server_pid)

        mark_events: dict[str, dict[int, dict[str, Any]]] = {}
        measured = _collect(gens, events, "measured", measured_timeout, on_progress, on_mark,
                            mark_events)
        after = read_proc(server_pid) if server_pid else None
        machine_after, own_after = read_machine_cpu(), own_cpu_seconds()
        wall_after = time.monotonic()
        if profiler is not None:
            stop_profiler(profiler)
        health: dict[str, Any] | None = None
        on_server: dict[int, set[int] | None] | None = None
        if mode != "floor":  # the floor has no REST API
            with contextlib.suppress(Exception):
                health = get_json(base_url + "/api/v1/health")
            on_server = {canvas: server_presence(rest, canvas, accounts[0].token)
                         for canvas in expected} if opts.scenario in ("storm",
                                                                      "reconnect") else {}
        rest.close()
        stored = count_chat_rows(server.database_path) if (
            server is not None and opts.scenario == "chat-persist") else None
        for gen in gens:
            gen.command("stop")
        results = _collect(gens, events, "result", 60, lambda _s: None)
    except BenchError as exc:
        tails = "\n".join(g.stderr_tail() for g in gens)
        if server is not None:
            tails += "\n" + server.log_tail()
        raise BenchError(f"{exc}\n{tails}".rstrip()) from None
    finally:
        for gen in gens:
            gen.stop()
    result = summarize(opts, mode, plan, measured, results, before, after, marks,
                       mark_events.get("connected", {}), health, stored)
    if opts.scenario in ("storm", "reconnect"):
        result.update(arrival_figures(opts, list(measured.values()), before, marks,
                                      on_server, expected))
    # CPU that neither the server nor the load generators nor this process used: other
    # programs on the machine competing for the cores during the measured window
    ours_cpu = sum(float(item["cpu_s"]) for item in measured.values()) \
        + (own_after - own_before) \
        + ((after.cpu_s - before.cpu_s) if before is not None and after is not None else 0.0)
    wall = max(wall_after - wall_before, 1e-9)
    result["machine_busy_cores"] = round((machine_after[0] - machine_before[0]) / wall, 3)
    result["foreign_cpu_cores"] = round(
        max(0.0, (machine_after[0] - machine_before[0]) - ours_cpu) / wall, 3)
    if quiet_before is not None:
        result["foreign_cpu_cores_before"] = round(quiet_before, 3)
    return result


def _collect(gens: list[LoadGenProcess], events: queue.Queue[tuple[int, dict[str, Any]]],
             wanted: str, timeout: float, on_progress: Callable[[dict[str, Any]], None],
             on_mark: Callable[[str], None] | None = None,
             mark_events: dict[str, dict[int, dict[str, Any]]] | None = None,
             ) -> dict[int, dict[str, Any]]:
    """Wait until every load generator has sent ``wanted``; progress and marks between."""
    got: dict[int, dict[str, Any]] = {}
    status: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    if mark_events is None:
        mark_events = {}
    while len(got) < len(gens):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BenchError(f"timed out after {timeout:.0f} s waiting for '{wanted}'")
        try:
            index, event = events.get(timeout=min(remaining, 0.5))
        except queue.Empty:
            continue
        kind = event.get("event")
        if kind == wanted:
            got[index] = event
        elif kind == "progress":
            status[index] = event
            on_progress({
                "phase": event.get("phase"),
                "connected": sum(s["connected"] for s in status.values()),
                "received": sum(s["received"] for s in status.values()),
            })
        elif kind == "mark":
            name = str(event.get("name"))
            seen = mark_events.setdefault(name, {})
            seen[index] = event
            if on_mark is not None and len(seen) == len(gens):
                on_mark(name)
        elif kind == "result" and wanted != "result":
            raise BenchError(f"load generator {index} stopped early: {event.get('aborted')}")
        elif kind == "exit" and index not in got:
            raise BenchError(f"load generator {index} exited before '{wanted}'")
    return got


# ----- figures -------------------------------------------------------------------------------


def _latest(window: list[dict[str, Any]], key: str) -> float | None:
    """The largest of every load generator's figure; None when any lacks it."""
    values = [item.get(key) for item in window]
    numbers = [float(v) for v in values if isinstance(v, int | float)]
    return round(max(numbers), 3) if numbers and len(numbers) == len(values) else None


def arrival_figures(opts: Options, window: list[dict[str, Any]], before: ProcSample | None,
                    marks: dict[str, ProcSample],
                    on_server: dict[int, set[int] | None] | None,
                    expected: dict[int, list[int]]) -> dict[str, Any]:
    """Storm and reconnect: time until every client agrees on who is here, whether they
    all do (and with the server, unless it cannot be asked: None), server CPU to that
    point, memory during and after."""
    def total(key: str) -> int:
        return sum(int(item.get(key) or 0) for item in window)

    out: dict[str, Any] = {
        "settled_s": _latest(window, "settled_s"),
        "presence_wrong_count": total("presence_wrong_count"),
        "presence_wrong_list": total("presence_wrong_list"),
        "presence_lists_checked": total("presence_lists_checked"),
        "presence_expected_users": sum(len(users) for users in expected.values()),
        "server_presence_matches": None if on_server is None else all(
            on_server.get(canvas) == set(users) for canvas, users in expected.items()),
    }
    if opts.scenario == "reconnect":
        windows = [item.get("reconnect_window_s") or 0.0 for item in window]
        connected = total("connected")
        out.update({
            "dropped": total("dropped"), "back": total("back"),
            "duplicates": total("duplicates"), "gaps": total("gaps"),
            "all_back_s": _latest(window, "all_back_s"),
            "reconnect_window_s": round(max(windows), 3),
            "connects_per_s": round(connected / max(windows), 1) if max(windows) else None,
        })
    connected = total("connected")
    settle = marks.get("settled")
    if before is not None and settle is not None and connected:
        out["server_cpu_to_settle_s"] = round(settle.cpu_s - before.cpu_s, 3)
    churn_start, churn_end = marks.get("churn_start"), marks.get("churn_end")
    if churn_start is not None and churn_end is not None:
        out["churn_changes"] = total("churn_changes")
        out["presence_frames_per_client_s"] = _latest(window, "presence_frames_per_client_s")
        seconds = churn_end.wall_s - churn_start.wall_s
        out["server_cpu_util_churn"] = round((churn_end.cpu_s - churn_start.cpu_s) / seconds,
                                             3) if seconds > 0 else None
    during = marks.get("connected")
    if before is not None and during is not None and connected:
        out["bytes_per_connection_during"] = round((during.rss_bytes - before.rss_bytes)
                                                   / connected)
    return out


def _sum_counters(items: list[dict[str, Any]], key: str) -> dict[str, int]:
    total: Counter[str] = Counter()
    for item in items:
        total.update({str(k): int(v) for k, v in item.get(key, {}).items()})
    return dict(total)


def summarize(opts: Options, mode: str, plan: Plan,
              measured: dict[int, dict[str, Any]], results: dict[int, dict[str, Any]],
              before: ProcSample | None, after: ProcSample | None,
              marks: dict[str, ProcSample], connect_marks: dict[int, dict[str, Any]],
              health: dict[str, Any] | None, stored: int | None) -> dict[str, Any]:
    window = list(measured.values())
    out: dict[str, Any] = {"scenario": opts.scenario, "server_mode": mode,
                           "params": opts.params()}
    latency = Histogram()
    for item in window:
        latency.merge(Histogram.from_json(item["latency"]))
    go_ns = min(int(item["go_ns"]) for item in window)
    wall_s = max(float(item["wall_s"]) for item in window)
    loadgen_cpu = sum(float(item["cpu_s"]) for item in window)
    out["clients"] = len(plan.clients)
    # the load generators' own garbage collections in the window: 0 unless they paused
    out["loadgen_collections"] = sum(int(item.get("collections", 0)) for item in window)
    out["close_codes"] = _sum_counters(list(results.values()), "close_codes")
    if before is not None and after is not None:
        out["server_rss_bytes"] = after.rss_bytes
    if opts.scenario in ("storm", "reconnect"):
        connected = sum(int(item["connected"]) for item in window)
        elapsed = max((float(m["elapsed_s"]) for m in connect_marks.values()), default=wall_s)
        connect_latency = Histogram()
        for item in window:
            connect_latency.merge(Histogram.from_json(item["connect_latency"]))
        out.update({
            "connected": connected,
            "connect_failures": _sum_counters(window, "connect_failures"),
            "connect_time_s": round(elapsed, 3),
            "connects_per_s": round(connected / elapsed, 1) if elapsed > 0 else None,
            "connect_latency_ms": latency_summary_ms(connect_latency),
            "server_reported_connections": (health or {}).get("connections"),
            "warmup_connections": len(plan.warmup),
            "loadgen_cpu_util": round(loadgen_cpu / wall_s, 3) if wall_s else None,
            # the load generators' own cost of a connect: what bounds any server's rate
            "loadgen_cpu_us_per_connect": round(loadgen_cpu / connected * 1e6, 1)
            if connected else None,
        })
        if before is not None and after is not None:
            connected_sample = marks.get("connected", after)
            cpu = connected_sample.cpu_s - before.cpu_s
            out.update({
                "server_rss_before_bytes": before.rss_bytes,
                "server_rss_after_bytes": after.rss_bytes,
                "bytes_per_connection": (round((after.rss_bytes - before.rss_bytes) / connected)
                                         if connected else None),
                "server_cpu_s": round(cpu, 3),
                "server_cpu_us_per_connect": round(cpu * 1e6 / connected, 1)
                if connected else None,
                # to the end of the hold: work the server put off until the crowd was in
                # (a young garbage collection held back during the storm) counts here
                "server_cpu_with_hold_s": round(after.cpu_s - before.cpu_s, 3),
            })
        return out
    published = {int(k): int(v) for item in window for k, v in item["published"].items()}
    excludes = EXCLUDES_SENDER[opts.event]
    expected = 0
    for pub, count in published.items():
        canvas = plan.pub_canvas[pub]
        receivers = plan.subs_per_canvas[canvas]
        if excludes and plan.pub_is_sub[pub]:
            receivers -= 1
        expected += count * receivers
    received = sum(int(item["received"]) for item in window)
    end_ns = max(int(item["window_end_ns"]) for item in window)
    window_s = max((end_ns - go_ns) / 1e9, 1e-9)
    total_published = sum(published.values())
    out.update({
        "published": total_published,
        "published_per_s": round(total_published / opts.duration, 1),
        "expected": expected,
        "received": received,
        "lost": expected - received,
        "duplicates": sum(int(item["duplicates"]) for item in window),
        "gaps": sum(int(item["gaps"]) for item in window),
        "window_s": round(window_s, 3),
        "delivered_per_s": round(received / window_s, 1),
        "latency_ms": latency_summary_ms(latency),
        "loadgen_cpu_util": round(loadgen_cpu / wall_s, 3) if wall_s else None,
        "loadgen_limited": bool(wall_s and loadgen_cpu / wall_s >= 0.85),
        "disconnected_in_window": sum(int(item["disconnected_in_window"]) for item in window),
    })
    if before is not None and after is not None:
        cpu = after.cpu_s - before.cpu_s
        out.update({
            "server_cpu_s": round(cpu, 3),
            "server_cpu_util": round(cpu / max(after.wall_s - before.wall_s, 1e-9), 3),
            "server_cpu_us_per_frame": round(cpu * 1e6 / received, 3) if received else None,
        })
    if opts.scenario == "chat-persist":
        delivered_messages = total_published - (
            math.ceil((expected - received) / max(1, plan.subs_per_canvas[plan.canvases[0]]))
            if expected > received else 0)
        if stored is not None:
            delivered_messages = min(delivered_messages, stored)
        out.update({
            "stored_messages": stored,
            "persisted_messages": delivered_messages,
            "persisted_per_s": round(delivered_messages / window_s, 1),
        })
    return out
