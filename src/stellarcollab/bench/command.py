"""``stellarcollab bench``: load-test a StellarCollab server on this machine.

    stellarcollab bench SCENARIO [-n N] [--rate R] [--duration S] [--publishers P] [--pin]
                       [--url URL] [--json FILE] [--compare-naive]

SCENARIO is one of fanout, saturate, rooms, storm, reconnect, chat-persist; ``all`` (the
default) runs the six in turn, ``sweep`` runs fanout, saturate and floor for several N and plots
them. ``floor`` measures a bare relay that only writes one pre-encoded frame per
subscriber per message (no server, no protocol): the lower bound of fan-out cost and
latency on this machine. ``storm-floor`` runs the storm scenario against a bare arrival
server (a 101 and a ``canvas_state`` per connection, presence counts at the real server's
cadence, nothing else): the lower bound of a crowd's arrival on this machine.
Without ``--url`` each run starts a fresh server on 127.0.0.1 (SQLite in a temporary
directory); ``--compare-naive`` also runs the same scenario against a server using the
sequential-await broadcast (``STELLAR_BROADCAST_MODE=naive``) and prints ours/naive.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from stellarcollab.bench.floor import run_floor
from stellarcollab.bench.scenarios import (
    DEFAULTS,
    SCENARIOS,
    BenchError,
    Options,
    run_scenario,
    side_name,
)

# (label, dotted key, higher is better)
METRICS: list[tuple[str, str, bool]] = [
    ("clients", "clients", True),
    ("published msgs", "published", True),
    ("expected deliveries", "expected", True),
    ("received", "received", True),
    ("lost", "lost", False),
    ("delivered frames/s", "delivered_per_s", True),
    ("latency p50 ms", "latency_ms.p50", False),
    ("latency p90 ms", "latency_ms.p90", False),
    ("latency p99 ms", "latency_ms.p99", False),
    ("latency max ms", "latency_ms.max", False),
    ("server CPU util", "server_cpu_util", False),
    ("server CPU us/frame", "server_cpu_us_per_frame", False),
    ("load-gen CPU util", "loadgen_cpu_util", False),
    ("load-gen CPU us/connect", "loadgen_cpu_us_per_connect", False),
    ("load-gen collections", "loadgen_collections", False),
    ("connected", "connected", True),
    ("connects/s", "connects_per_s", True),
    ("connect p50 ms", "connect_latency_ms.p50", False),
    ("connect p99 ms", "connect_latency_ms.p99", False),
    ("all settled s", "settled_s", False),
    ("all back s", "all_back_s", False),
    ("dropped", "dropped", True),
    ("back with every message", "back", True),
    ("presence wrong (count)", "presence_wrong_count", False),
    ("presence wrong (list)", "presence_wrong_list", False),
    ("full lists checked", "presence_lists_checked", True),
    ("server presence right", "server_presence_matches", True),
    ("server CPU s", "server_cpu_s", False),
    ("server CPU s to settle", "server_cpu_to_settle_s", False),
    ("server CPU s with hold", "server_cpu_with_hold_s", False),
    ("server CPU us/connect", "server_cpu_us_per_connect", False),
    ("bytes/connection", "bytes_per_connection", False),
    ("bytes/connection during", "bytes_per_connection_during", False),
    ("churn changes", "churn_changes", True),
    ("presence frames/client/s", "presence_frames_per_client_s", False),
    ("server CPU util in churn", "server_cpu_util_churn", False),
    ("server connections", "server_reported_connections", True),
    ("stored msgs", "stored_messages", True),
    ("persisted msgs/s", "persisted_per_s", True),
    ("server RSS MiB", "server_rss_mib", False),
    ("other load (cores)", "foreign_cpu_cores", False),
]
FOREIGN_WARNING = 0.15
LOADGEN_WARNING = 0.85
RATIO_KEYS = ("delivered_per_s", "latency_ms.p50", "latency_ms.p99", "latency_ms.max",
              "server_cpu_us_per_frame", "connects_per_s", "bytes_per_connection",
              "persisted_per_s", "server_cpu_us_per_connect", "settled_s", "all_back_s",
              "server_cpu_s", "bytes_per_connection_during")
SWEEP_NS = (100, 500, 1000, 2000, 5000)


def dig(data: dict[str, Any], dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def ratios(ours: dict[str, Any], naive: dict[str, Any]) -> dict[str, float]:
    """ours / naive for every figure both runs measured."""
    out: dict[str, float] = {}
    for key in RATIO_KEYS:
        a, b = dig(ours, key), dig(naive, key)
        if isinstance(a, int | float) and isinstance(b, int | float) and b:
            out[key] = round(a / b, 4)
    return out


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render_table(result: dict[str, Any]) -> str:
    ours = result
    naive = result.get("naive")
    for side in (ours, naive):
        if side and side.get("server_rss_bytes"):
            side["server_rss_mib"] = round(side["server_rss_bytes"] / 2**20, 1)
    own = side_name(str(ours.get("server_mode", "fast")))
    header = ["metric", own] + (["naive", "ours/naive"] if naive else [])
    rows = [header]
    for label, key, _higher in METRICS:
        a = dig(ours, key)
        b = dig(naive, key) if naive else None
        if a is None and b is None:
            continue
        row = [label, _fmt(a)]
        if naive:
            ratio = result.get("ratios", {}).get(key)
            row += [_fmt(b), "-" if ratio is None else f"{ratio:.3g}x"]
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:],
                                                                      strict=True)]
        lines.append("  ".join(cells))
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    for side, name in ((ours, own), (naive, "naive")):
        foreign = dig(side, "foreign_cpu_cores") if side else None
        if isinstance(foreign, int | float) and foreign > FOREIGN_WARNING:
            lines.append(f"warning: other processes used {foreign:.2f} cores during the "
                         f"{name} run; its figures are disturbed")
    for side, name in ((ours, own), (naive, "naive")):
        util = dig(side, "loadgen_cpu_util") if side else None
        if isinstance(util, int | float) and util >= LOADGEN_WARNING:
            lines.append(f"note: the load generator used {util:.2f} of its core in the {name} "
                         "run; it may be what limits the rate")
    params = " ".join(f"{k}={v}" for k, v in result.get("params", {}).items()
                      if k != "scenario" and v is not None)
    return f"\n== {result['scenario']} ({params})\n" + "\n".join(lines)


def source_revision() -> dict[str, Any] | None:
    """The git commit of the server code under test, and whether it had local changes."""
    package = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=package, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        changes = subprocess.run(["git", "status", "--porcelain", "--", str(package)],
                                 cwd=package, capture_output=True, text=True, timeout=10,
                                 check=True).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "locally_changed_files": len(changes)}


def machine_info() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = None
    try:
        with open("/proc/meminfo") as handle:
            memory = int(handle.readline().split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    versions: dict[str, str | None] = {}
    for package in ("stellarcollab", "uvicorn", "websockets", "picows", "uvloop", "orjson",
                    "fastapi", "starlette"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpus": os.cpu_count(), "cpu_model": model, "memory_bytes": memory,
        "python": platform.python_version(), "implementation": platform.python_implementation(),
        "kernel": platform.release(), "versions": versions, "source": source_revision(),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stellarcollab bench", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", nargs="?", default="all",
                        choices=[*SCENARIOS, "all", "sweep", "floor", "storm-floor", "storms"])
    parser.add_argument("-n", type=int, default=None,
                        help="subscribers (rooms: all clients; storm: connections)")
    parser.add_argument("--rate", type=float, default=None,
                        help="fanout: messages/s published in total; rooms: per client")
    parser.add_argument("--duration", type=float, default=None, help="seconds of traffic")
    parser.add_argument("--publishers", type=int, default=None)
    parser.add_argument("--event", choices=["chat", "tile", "status"], default=None,
                        help="what publishers send: canvas_chat, tile_mention or "
                             "user_presence status_change")
    parser.add_argument("--window", type=int, default=None,
                        help="saturate/chat-persist: unacknowledged messages per publisher")
    parser.add_argument("--room-size", type=int, default=None, help="rooms: clients per canvas")
    parser.add_argument("--users", type=int, default=None,
                        help="accounts to spread the connections over (storm, reconnect, "
                             "rooms: one per connection by default; others: up to 50)")
    parser.add_argument("--presence", choices=["diff", "guide"], default="diff",
                        help="storm/reconnect: clients ask for batched presence like the web "
                             "page (diff) or nothing, like a guide client (guide)")
    parser.add_argument("--canvases", type=int, default=1,
                        help="storm: canvases to spread the clients over, in equal blocks")
    parser.add_argument("--settle-timeout", type=float, default=15.0,
                        help="storm/reconnect: seconds to wait for every client to count "
                             "everyone after the last connect")
    parser.add_argument("--messages", type=int, default=20,
                        help="reconnect: chat messages sent while the clients are away")
    parser.add_argument("--reconnect-delay", type=float, default=5.0,
                        help="reconnect: the first backoff delay in s (the web page's 5 s)")
    parser.add_argument("--jitter", type=float, default=0.2,
                        help="reconnect: the backoff's jitter (the web page's 0.2 = +-20%%)")
    parser.add_argument("--procs", type=int, default=1, help="load-generator processes")
    parser.add_argument("--pin", action="store_true",
                        help="server on core 0, load generator on the other cores")
    parser.add_argument("--url", default=None,
                        help="benchmark this running server (http://127.0.0.1:PORT)")
    parser.add_argument("--server-pid", type=int, default=None,
                        help="with --url: the server's PID, to read its CPU and memory")
    parser.add_argument("--json", dest="json_path", default=None, help="write results here")
    parser.add_argument("--compare-naive", action="store_true",
                        help="also run the naive sequential-await broadcast server")
    parser.add_argument("--connect-concurrency", type=int, default=256,
                        help="connection attempts in flight")
    parser.add_argument("--hold", type=float, default=2.0,
                        help="storm: seconds to hold the connections idle before measuring")
    parser.add_argument("--churn", type=float, default=0.0,
                        help="storm: during the hold, this many arrivals and departures a "
                             "second, one at a time at random moments (0: an idle hold)")
    parser.add_argument("--warmup", type=int, default=20,
                        help="storm: connections opened (and kept) before the measured ones")
    parser.add_argument("--drain-timeout", type=float, default=5.0,
                        help="seconds to wait for deliveries after publishing stops")
    parser.add_argument("--latency-every", type=int, default=None,
                        help="fanout/saturate: every k-th subscriber parses frames and records "
                             "latency, the others only count (default 10)")
    parser.add_argument("--broker-url", default=None,
                        help="the started server's broker, e.g. redis://127.0.0.1:6379/0 "
                             "(default: the in-process broker)")
    parser.add_argument("--max-connections", type=int, default=None,
                        help="STELLAR_WEBSOCKET_MAX_CONNECTIONS of the bench server "
                             "(default: what the run needs)")
    parser.add_argument("--ns", default=",".join(map(str, SWEEP_NS)),
                        help="sweep: the values of N")
    parser.add_argument("--plot", default=None, help="sweep, storms: PNG to write")
    parser.add_argument("--compare-floor", action="store_true",
                        help="storms: also run the bare arrival server of storm-floor at "
                             "each N")
    parser.add_argument("--naive-up-to", type=int, default=5000,
                        help="storms: run the naive server only up to this N (its storms "
                             "grow with N squared)")
    parser.add_argument("--wait-idle", type=float, default=0.0,
                        help="wait up to this many seconds for other load on the machine "
                             "to stop before each measured window")
    parser.add_argument("--retries", type=int, default=0,
                        help="run again (up to this many times) when other programs used "
                             f"more than {FOREIGN_WARNING} cores during the run")
    parser.add_argument("--profile", default=None, metavar="FILE",
                        help="sample the server with py-spy during the measured window "
                             "(.svg flame graph, .json speedscope, else raw stacks)")
    parser.add_argument("--no-progress", action="store_true")
    return parser


def options_for(scenario: str, args: argparse.Namespace) -> Options:
    defaults = DEFAULTS[scenario]

    def pick(name: str, fallback: Any) -> Any:
        value = getattr(args, name, None)
        return value if value is not None else defaults.get(name, fallback)

    if args.url is not None and not args.url.startswith("http://127.0.0.1"):
        raise BenchError("--url must point at 127.0.0.1 (the bench is loopback only)")
    extra_env: dict[str, str] = {}
    if args.max_connections is not None:
        extra_env["STELLAR_WEBSOCKET_MAX_CONNECTIONS"] = str(args.max_connections)
    if args.broker_url is not None:
        if args.url is not None:
            raise BenchError("--broker-url configures the server the bench starts; drop --url")
        if urlsplit(args.broker_url).hostname not in ("127.0.0.1", "localhost"):
            raise BenchError("--broker-url must point at 127.0.0.1 (the bench is loopback only)")
        extra_env["STELLAR_BROKER_URL"] = args.broker_url
    return Options(
        scenario=scenario, n=int(pick("n", 1000)), rate=float(pick("rate", 50.0)),
        duration=float(pick("duration", 10.0)), publishers=int(pick("publishers", 1)),
        event=str(pick("event", "chat")), window=int(pick("window", 16)),
        room_size=int(pick("room_size", 4)), users=args.users, procs=max(1, args.procs),
        pin=args.pin, url=args.url, server_pid=args.server_pid,
        connect_concurrency=args.connect_concurrency, hold=args.hold, churn=args.churn,
        drain_timeout=args.drain_timeout, warmup=args.warmup,
        latency_every=int(pick("latency_every", 1)),
        progress=not args.no_progress, server_env=extra_env, wait_idle=args.wait_idle,
        profile=args.profile, presence=args.presence, canvases=args.canvases,
        settle_timeout=args.settle_timeout,
        messages=args.messages, reconnect_delay=args.reconnect_delay, jitter=args.jitter,
    )


def measure(opts: Options, mode: str, retries: int) -> dict[str, Any]:
    """One run; repeated (up to ``retries`` more times) while other programs disturbed it,
    keeping the least disturbed run."""
    best: dict[str, Any] | None = None
    for attempt in range(1 + max(0, retries)):
        result = run_scenario(opts, mode)
        result["attempt"] = attempt + 1
        foreign = float(result.get("foreign_cpu_cores") or 0.0)
        if best is None or foreign < float(best.get("foreign_cpu_cores") or 0.0):
            best = result
        if foreign <= FOREIGN_WARNING:
            break
        if attempt < retries:
            print(f"  other load {foreign:.2f} cores: running {opts.scenario} again",
                  file=sys.stderr, flush=True)
    assert best is not None
    return best


def run_one(opts: Options, compare_naive: bool, retries: int = 0) -> dict[str, Any]:
    result = measure(opts, "fast", retries)
    if compare_naive:
        if opts.url is not None:
            raise BenchError("--compare-naive starts its own servers; drop --url")
        naive = measure(opts, "naive", retries)
        result["naive"] = naive
        result["ratios"] = ratios(result, naive)
    return result


def run_sweep(args: argparse.Namespace, say: Callable[[str], None]) -> dict[str, Any]:
    ns = [int(part) for part in str(args.ns).split(",") if part.strip()]
    points: list[dict[str, Any]] = []
    for n in ns:
        for scenario in ("fanout", "saturate"):
            opts = options_for(scenario, args)
            opts.n = n
            result = run_one(opts, args.compare_naive, args.retries)
            say(render_table(result))
            points.append({"n": n, "scenario": scenario, "ours": _trim(result),
                           "naive": _trim(result.get("naive")),
                           "ratios": result.get("ratios")})
        floor_opts = options_for("fanout", args)
        floor_opts.n = n
        floor = run_floor(floor_opts)
        say(render_table(floor))
        points.append({"n": n, "scenario": "floor", "ours": floor, "naive": None,
                       "ratios": None})
    sweep: dict[str, Any] = {"scenario": "sweep", "ns": ns, "points": points}
    plot_path = args.plot or "performance-sweep.png"
    try:
        from stellarcollab.bench.plot import plot_sweep
    except ImportError as exc:  # matplotlib is optional
        say(f"no plot: {exc}")
    else:
        plot_sweep(sweep, Path(plot_path))
        sweep["plot"] = plot_path
        say(f"plot written to {plot_path}")
    return sweep


def run_storms(args: argparse.Namespace, say: Callable[[str], None]) -> dict[str, Any]:
    """``storms``: the storm at several N, ours, (up to ``--naive-up-to``) naive and
    (``--compare-floor``) the bare arrival server, plotted: settle time and memory per
    connection against N."""
    ns = [int(part) for part in str(args.ns).split(",") if part.strip()]
    points: list[dict[str, Any]] = []
    for n in ns:
        opts = options_for("storm", args)
        opts.n = n
        result = run_one(opts, args.compare_naive and n <= args.naive_up_to, args.retries)
        say(render_table(result))
        point = {"n": n, "ours": _trim(result), "naive": _trim(result.get("naive")),
                 "ratios": result.get("ratios")}
        if args.compare_floor:
            floor = measure(opts, "floor", args.retries)
            say(render_table(floor))
            point["floor"] = floor
        points.append(point)
    output: dict[str, Any] = {"scenario": "storms", "ns": ns, "points": points}
    plot_path = args.plot or "performance-storms.png"
    try:
        from stellarcollab.bench.storm_plot import plot_storms
    except ImportError as exc:  # matplotlib is optional
        say(f"no plot: {exc}")
    else:
        plot_storms(points, Path(plot_path))
        output["plot"] = plot_path
        say(f"plot written to {plot_path}")
    return output


def _trim(result: dict[str, Any] | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {k: v for k, v in result.items() if k not in ("naive", "ratios")}


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)

    def say(text: str) -> None:
        print(text, flush=True)

    started = time.time()
    output: dict[str, Any]
    try:
        if args.scenario == "sweep":
            output = run_sweep(args, say)
        elif args.scenario == "storms":
            output = run_storms(args, say)
        elif args.scenario == "floor":
            if args.compare_naive or args.url:
                raise BenchError("floor runs a bare relay of its own: drop --compare-naive "
                                 "and --url")
            output = run_floor(options_for("floor", args))
            say(render_table(output))
        elif args.scenario == "storm-floor":
            if args.compare_naive or args.url:
                raise BenchError("storm-floor runs a bare arrival server of its own: drop "
                                 "--compare-naive and --url")
            output = measure(options_for("storm", args), "floor", args.retries)
            say(render_table(output))
        elif args.scenario == "all":
            output = {"scenario": "all", "scenarios": {}}
            for scenario in SCENARIOS:
                result = run_one(options_for(scenario, args), args.compare_naive,
                                 args.retries)
                say(render_table(result))
                output["scenarios"][scenario] = result
        else:
            output = run_one(options_for(args.scenario, args), args.compare_naive,
                             args.retries)
            say(render_table(output))
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench interrupted", file=sys.stderr)
        return 130
    output["machine"] = machine_info()
    output["started_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started))
    output["command"] = "stellarcollab bench " + " ".join(argv)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(output, indent=2) + "\n")
        say(f"results written to {args.json_path}")
    return 0
