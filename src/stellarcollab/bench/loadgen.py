"""The load-generator process: many authenticated picows WebSocket clients on uvloop.

Run as ``python -m stellarcollab.bench.loadgen``. The orchestrator writes one JSON line
of configuration on stdin, then the words ``go`` and ``stop``; this process answers with
JSON lines on stdout (``ready``, ``progress``, ``mark``, ``measured``, ``result``).

Every benchmark message carries a marker ``~b:<publisher>:<seq>:<monotonic_ns>~`` in its
text. CLOCK_MONOTONIC is system-wide on Linux, so a subscriber in any process on the same
machine turns it into a one-way latency: receive time minus send time. Only frames with
the marker are counted; joins, leaves and snapshots are not.

Modes (set by the orchestrator from the scenario):
- ``rate``: each publisher sends at a fixed rate (open loop) for ``duration`` seconds;
- ``window``: each publisher keeps at most ``window`` messages unacknowledged; a message is
  acknowledged when this process's designated subscriber on that canvas receives it;
- ``storm``: no traffic; all clients connect after ``go``, as fast as allowed, and each
  follows who is on the canvas (``PresenceView``) until all agree with the expected count;
- ``reconnect``: all subscribers drop at once after ``go`` while a publisher sends, and
  come back after the web page's backoff (with jitter), resuming from their last ``seq``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import os
import random
import resource
import signal
import sys
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, cast

import orjson
from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from stellarcollab.bench.presence_view import PresenceView, is_presence, resume_seq
from stellarcollab.bench.stats import Histogram

MARK = b"~b:"
TEXT = WSMsgType.TEXT
CLOSE = WSMsgType.CLOSE
monotonic_ns = time.monotonic_ns

TEMPLATES = {
    "chat": '{{"type":"canvas_chat","text":"{marker} bench chat"}}',
    "tile": ('{{"type":"tile_mention","tile_x":{x},"tile_y":{y},"highlight_type":"bench",'
             '"message":"{marker}","duration":1000}}'),
    "status": ('{{"type":"user_presence","presence_type":"status_change","status":"online",'
               '"status_message":"{marker}"}}'),
}


def emit(event: str, **fields: Any) -> None:
    sys.stdout.buffer.write(orjson.dumps({"event": event, **fields}) + b"\n")
    sys.stdout.buffer.flush()


def raise_nofile_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    return soft


def backoff_delay(attempt: int, settings: dict[str, float], rand: float) -> float:
    """Seconds before reconnect ``attempt`` (1-based): the web page's Backoff
    (core/backoff.js): initial * factor^(n-1), capped, spread by +-jitter, capped again."""
    initial = float(settings.get("initial", 5.0))
    maximum = float(settings.get("max", 30.0))
    jitter = min(max(float(settings.get("jitter", 0.2)), 0.0), 1.0)
    raw = min(maximum, initial * float(settings.get("factor", 2.0)) ** (attempt - 1))
    return min(maximum, max(0.0, raw + raw * jitter * (2 * rand - 1)))


def frame_seq(payload: bytes) -> int:
    """The ``seq`` of a canvas event (0 when it has none), without decoding the JSON."""
    at = payload.rfind(b'"seq":')
    if at < 0:
        return 0
    end = at + 6
    while end < len(payload) and 48 <= payload[end] <= 57:
        end += 1
    return int(payload[at + 6:end] or 0)


def settle_collector() -> None:
    """Before the measured window: what setting up left is collected and frozen; during
    the window, automatic collections are off (``run``). A browser collects only its own
    page's objects, but this one process holds every client: each collection would walk
    all the clients connected so far, so a storm of N arrivals costs this process O(N)
    per collection and the pauses delay reading frames the server already sent (in a
    5,000-user storm, 12-178 µs of this process's CPU per connect, 7 pairs of 7;
    docs/PERFORMANCE.md, section 8.13).
    The window is bounded (``deadline_s``); what it leaves is collected once it ends."""
    gc.collect()
    gc.freeze()


def collections() -> int:
    """Garbage collections this process has run, of every generation."""
    return sum(int(stats["collections"]) for stats in gc.get_stats())


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Client(WSListener):
    """One WebSocket connection. Counting happens inline in ``on_ws_frame``: it is the
    load generator's hot path."""

    def __init__(self, gen: LoadGen, index: int, canvas_id: int, token: str,
                 subscriber: bool, publisher: int, measure: bool) -> None:
        super().__init__()
        self.gen = gen
        self.index = index
        self.canvas_id = canvas_id
        self.token = token
        self.subscriber = subscriber
        self.publisher = publisher  # global publisher id, or -1
        self.measure = measure
        self.acker = False
        self.transport: WSTransport | None = None
        self.joined = False
        self.join_waiter: asyncio.Future[bool] | None = None
        self.received = 0
        self.last_seq: dict[int, int] = {}
        self.close_code: int | None = None
        self.sent = 0
        self.inflight = 0
        #: who is on the canvas as far as this client knows (storm and reconnect)
        self.view: PresenceView | None = PresenceView() if gen.track_presence else None
        self.settled = False
        self.canvas_seq = 0
        self.epoch = ""
        self.resuming = False
        self.back_ns = 0
        #: churn: this client left on purpose and comes back later
        self.leaving = False

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        payload = frame.get_payload_as_bytes()
        i = payload.find(MARK)
        if i < 0 or not self.joined:
            self.other_frame(transport, frame, payload)
            return
        gen = self.gen
        if not gen.counting:
            gen.outside_window += 1
            return
        now = monotonic_ns()
        j = payload.find(b"~", i + 3)
        pub_b, seq_b, ts_b = payload[i + 3:j].split(b":")
        pub = int(pub_b)
        seq = int(seq_b)
        last_seq = self.last_seq
        previous = last_seq.get(pub, 0)
        if seq <= previous:
            gen.duplicates += 1
            return
        if seq != previous + 1:
            gen.gaps += 1
        last_seq[pub] = seq
        if gen.track_seq:
            self.canvas_seq = max(self.canvas_seq, frame_seq(payload))
        if self.subscriber:
            self.received += 1
            gen.last_receive_ns = now
            if self.measure:
                gen.latency.record((now - int(ts_b)) // 1000)
        if self.acker:
            gen.acknowledge(pub)

    def other_frame(self, transport: WSTransport, frame: WSFrame, payload: bytes) -> None:
        """Anything but a benchmark message: the snapshot that completes the join, other
        events (ignored) and the server's close. Pings are answered by picows itself, and
        a text frame always starts with '{' (a close frame with a valid code never does),
        so the slow enum lookup of ``msg_type`` stays off the hot path."""
        if payload[:1] == b"{":
            if self.gen.track_presence:
                self.follow(payload)
            if not self.joined and b'"canvas_state"' in payload[:48]:
                self.joined = True
                waiter = self.join_waiter
                if waiter is not None and not waiter.done():
                    waiter.set_result(True)
            return
        if frame.msg_type is CLOSE:
            code: Any = frame.get_close_code() if frame.payload_size else 1005
            self.close_code = int(getattr(code, "value", code))
            with contextlib.suppress(Exception):
                transport.send_close(WSCloseCode.OK)
            transport.disconnect()

    def follow(self, payload: bytes) -> None:
        """Presence, ``seq`` and ``epoch`` from a frame that is not a benchmark message."""
        gen = self.gen
        state = b'"canvas_state"' in payload[:48]
        if gen.track_seq and not state:  # the snapshot's seq is handled below
            self.canvas_seq = max(self.canvas_seq, frame_seq(payload))
        if self.view is None or not is_presence(payload):
            return
        if self.index >= 0:  # not a warm-up connection
            gen.presence_frames += 1
        message = orjson.loads(payload)
        if state:
            self.epoch = str(message.get("epoch", ""))
            if not self.resuming:  # on a resume the missed events are still to come
                self.canvas_seq = int(message.get("seq", 0))
        elif gen.track_seq:  # batched presence stands for the arrivals it skips
            self.canvas_seq = max(self.canvas_seq, resume_seq(message))
        self.view.apply(message)
        if not self.settled and self.view.active == len(gen.expected_on(self.canvas_id)):
            self.settled = True
            gen.settled += 1
            gen.last_settle_ns = monotonic_ns()

    def begin_close(self) -> None:
        transport = self.transport
        if transport is not None and not transport.is_disconnected:
            transport.send_close(WSCloseCode.OK)

    def abort(self) -> None:
        transport = self.transport
        if transport is not None and not transport.is_disconnected:
            transport.disconnect(graceful=False)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        waiter = self.join_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(False)
        self.gen.on_disconnected(self)


class RawCounter(asyncio.Protocol):
    """A subscriber that reads the raw byte stream and counts benchmark markers in it,
    without decoding frames: server frames are unmasked, so each message's marker appears
    verbatim once. It lets one load-generator core keep up with the server at saturation.
    It parses nothing else: the join is the ``canvas_state`` text arriving, the server's
    close is the connection closing, and a ping of its own every 20 s keeps it alive."""

    KEEPALIVE_S = 20.0
    PING = b"\x89\x80" + os.urandom(4)  # masked, empty client ping
    measure = False
    publisher = -1
    acker = False

    def __init__(self, gen: LoadGen, index: int, canvas_id: int, token: str) -> None:
        self.gen = gen
        self.index = index
        self.canvas_id = canvas_id
        self.token = token
        self.subscriber = True
        self.transport: asyncio.Transport | None = None
        self.upgraded = False
        self.joined = False
        self.join_waiter: asyncio.Future[bool] | None = None
        self.received = 0
        self.close_code: int | None = None
        self.buffer = b""
        self.tail = b""
        self.keepalive: asyncio.TimerHandle | None = None
        self.disconnected = False

    def request(self, host: str, port: int, path: str) -> bytes:
        key = base64.b64encode(os.urandom(16)).decode()
        return (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\n\r\n").encode()

    async def open(self, host: str, port: int, path: str, wait_s: float) -> None:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(wait_s):
            await loop.create_connection(lambda: self, host, port)
        assert self.transport is not None
        self.transport.write(self.request(host, port, path))
        self.keepalive = loop.call_later(self.KEEPALIVE_S, self.ping)

    def ping(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(self.PING)
            self.keepalive = asyncio.get_running_loop().call_later(self.KEEPALIVE_S, self.ping)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        if self.joined:
            chunk = self.tail + data
            self.tail = data[-2:]
            if self.gen.counting:
                self.received += chunk.count(MARK)
            else:
                self.gen.outside_window += chunk.count(MARK)
            return
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buffer.startswith(b"HTTP/1.1 101"):
                self.fail()
                return
            self.upgraded = True
            self.buffer = self.buffer[end + 4:]
        if b'"canvas_state"' in self.buffer:
            self.joined = True
            self.tail = self.buffer[-2:]
            self.buffer = b""
            waiter = self.join_waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(True)
        elif self.buffer[:1] == b"\x88":  # closed before the snapshot: keep the code
            if len(self.buffer) >= 4:
                self.close_code = int.from_bytes(self.buffer[2:4], "big")
            self.fail()

    def fail(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.disconnected = True
        if self.keepalive is not None:
            self.keepalive.cancel()
        if self.close_code is None and self.joined:
            self.close_code = 1006
        waiter = self.join_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(False)
        self.gen.on_disconnected(self)

    def begin_close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            mask = os.urandom(4)
            code = (1000).to_bytes(2, "big")
            masked = bytes(b ^ mask[i % 4] for i, b in enumerate(code))
            self.transport.write(b"\x88\x82" + mask + masked)

    def abort(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()


AnyClient = Client | RawCounter


class LoadGen:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.mode: str = config["mode"]
        self.ws_base: str = config["ws_base"]
        self.duration: float = float(config.get("duration", 5.0))
        self.window: int = int(config.get("window", 16))
        self.event: str = config.get("event", "chat")
        self.drain_timeout: float = float(config.get("drain_timeout", 5.0))
        self.quiet_s: float = float(config.get("quiet", 0.5))
        self.connect_concurrency: int = int(config.get("connect_concurrency", 256))
        self.connect_timeout: float = float(config.get("connect_timeout", 60.0))
        self.hold: float = float(config.get("hold", 2.0))
        #: storm: arrivals and departures a second during the hold (0: none)
        self.churn: float = float(config.get("churn", 0.0))
        self.presence_frames = 0
        self.progress_interval: float = float(config.get("progress_interval", 0.5))
        self.template = TEMPLATES[self.event]
        self.track_presence = self.mode in ("storm", "reconnect")
        self.track_seq = self.mode == "reconnect"
        self.presence_mode: str = config.get("presence", "diff")
        #: per canvas, who should be on it once everyone has arrived
        self.expected: dict[int, set[int]] = {
            int(canvas): set(users) for canvas, users in config.get("expected", {}).items()}
        self.settled = 0
        self.last_settle_ns = 0
        self.settle_timeout: float = float(config.get("settle_timeout", 10.0))
        self.reconnect: dict[str, float] = dict(config.get("reconnect", {}))
        self.clients: list[AnyClient] = []
        self.publishers: dict[int, Client] = {}
        self.rates: dict[int, float] = {}
        for index, spec in enumerate(config["clients"]):
            subscriber = bool(spec.get("sub", True))
            publisher = int(spec.get("pub", -1))
            measure = bool(spec.get("measure", True))
            client: AnyClient
            if measure or publisher >= 0 or not subscriber:
                client = Client(self, index, int(spec["canvas"]), str(spec["token"]),
                                subscriber, publisher, measure)
            else:
                client = RawCounter(self, index, int(spec["canvas"]), str(spec["token"]))
            self.clients.append(client)
            if isinstance(client, Client) and client.publisher >= 0:
                self.publishers[client.publisher] = client
                self.rates[client.publisher] = float(spec.get("rate", 0.0))
        # storm: connections opened before the measured window, so one-off costs (code
        # paths run for the first time, caches) are not charged to the measured ones
        self.warmup: list[AnyClient] = [
            Client(self, -1 - index, int(spec["canvas"]), str(spec["token"]), False, -1, False)
            for index, spec in enumerate(config.get("warmup", []))
        ]
        # the acknowledging subscriber of each canvas (window mode)
        self.ackers: dict[int, Client] = {}
        for client in self.clients if self.mode == "window" else ():
            if (isinstance(client, Client) and client.subscriber and client.measure
                    and client.publisher < 0 and client.canvas_id not in self.ackers):
                client.acker = True
                self.ackers[client.canvas_id] = client
        self.counting = False
        self.sending = False
        self.duplicates = 0
        self.gaps = 0
        self.outside_window = 0
        self.last_receive_ns = 0
        self.latency = Histogram()
        self.connect_latency = Histogram()
        self.connected = 0
        self.connect_failures: Counter[str] = Counter()
        self.close_codes: Counter[str] = Counter()
        self.disconnected_in_window = 0
        self.sending_ended_ns = 0
        self.last_change_ns = 0
        self.phase = "connect"
        self.ws_parts = urllib.parse.urlsplit(self.ws_base)
        self.semaphore = asyncio.Semaphore(self.connect_concurrency)
        self.stdin_lines: asyncio.Queue[str] = asyncio.Queue()
        #: figures of the storm or reconnect phase, reported with ``measured``
        self.outcome: dict[str, Any] = {}

    # ----- receiving side --------------------------------------------------------------

    @property
    def received(self) -> int:
        return sum(client.received for client in self.clients)

    def acknowledge(self, pub: int) -> None:
        publisher = self.publishers.get(pub)
        if publisher is None:
            return
        publisher.inflight -= 1
        if self.sending:
            self.send_from(publisher)

    def on_disconnected(self, client: AnyClient) -> None:
        if self.phase == "close" or getattr(client, "leaving", False):
            return  # our own closing at the end, or a churned client's leaving
        if client.close_code is not None:
            self.close_codes[str(client.close_code)] += 1
        if self.counting:
            self.disconnected_in_window += 1

    # ----- sending side ----------------------------------------------------------------

    def send_one(self, publisher: Client) -> None:
        transport = publisher.transport
        if transport is None or transport.is_close_frame_sent or transport.is_disconnected:
            return
        seq = publisher.sent + 1
        publisher.sent = seq
        marker = f"~b:{publisher.publisher}:{seq}:{monotonic_ns()}~"
        text = self.template.format(marker=marker, x=seq % 16, y=(seq >> 4) % 16)
        transport.send(TEXT, text.encode())
        publisher.inflight += 1

    def send_from(self, publisher: Client) -> None:
        while publisher.inflight < self.window:
            before = publisher.sent
            self.send_one(publisher)
            if publisher.sent == before:
                return

    async def run_rate(self, publisher: Client, rate: float, end: float, phase: float) -> None:
        loop = asyncio.get_running_loop()
        interval = 1.0 / rate
        start = loop.time() + phase * interval
        k = 0
        while self.sending:
            target = start + k * interval
            if target >= end:
                return
            delay = target - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if not self.sending:
                return
            self.send_one(publisher)
            k += 1

    async def send_count(self, publisher: Client, count: int, rate: float) -> None:
        """Exactly ``count`` messages at ``rate`` (reconnect: the clients are back once
        they hold every one, so a late start must not cost the last of them)."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        for k in range(count):
            delay = start + k / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self.send_one(publisher)

    # ----- phases ------------------------------------------------------------------------

    async def connect_all(self, clients: list[AnyClient]) -> None:
        semaphore = asyncio.Semaphore(self.connect_concurrency)
        self.semaphore = semaphore
        await asyncio.gather(*(self.connect_one(client) for client in clients))

    def path_of(self, client: AnyClient) -> str:
        path = f"{self.ws_parts.path}/{client.canvas_id}?token={client.token}"
        if self.presence_mode == "diff":
            path += "&presence=diff"
        if isinstance(client, Client) and client.resuming:
            path += f"&since={client.canvas_seq}&epoch={client.epoch}"
        return path

    async def connect_one(self, client: AnyClient, counted: bool = True) -> bool:
        """One connection up to its ``canvas_state``; a failure is counted, not raised.
        ``counted=False`` (a churned client's return) leaves the connect figures alone."""
        loop = asyncio.get_running_loop()
        host, port = self.ws_parts.hostname or "127.0.0.1", self.ws_parts.port or 80
        async with self.semaphore:
            path = self.path_of(client)
            started = monotonic_ns()
            client.join_waiter = loop.create_future()
            try:
                if isinstance(client, RawCounter):
                    await client.open(host, port, path, self.connect_timeout)
                else:
                    await ws_connect(lambda: client, f"ws://{host}:{port}{path}",
                                     websocket_handshake_timeout=self.connect_timeout,
                                     read_buffer_init_size=4096, enable_auto_pong=True)
                joined = await asyncio.wait_for(client.join_waiter, self.connect_timeout)
            except Exception as exc:  # a failed connect is a measured outcome
                self.connect_failures[type(exc).__name__] += 1
                return False
            if not joined:
                self.connect_failures[f"closed:{client.close_code}"] += 1
                return False
            if counted:
                self.connected += 1
                self.connect_latency.record((monotonic_ns() - started) // 1000)
            return True

    async def wait_settled(self, clients: Sequence[AnyClient]) -> int:
        """Until every connected client counts the expected users (or the timeout);
        the time the last one did, in ns (0 when some never did)."""
        deadline = time.monotonic() + self.settle_timeout
        wanted = sum(1 for c in clients if isinstance(c, Client) and c.joined)
        while self.settled < wanted and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        return self.last_settle_ns if self.settled >= wanted else 0

    def expected_on(self, canvas_id: int) -> set[int]:
        return self.expected.get(canvas_id, set())

    def presence_check(self) -> dict[str, int]:
        """How many clients' views disagree with who is on the canvas."""
        wrong_count = wrong_list = lists = 0
        for client in self.clients:
            if not isinstance(client, Client) or client.view is None or not client.joined:
                continue
            count_wrong, list_wrong = client.view.problems(self.expected_on(client.canvas_id))
            wrong_count += count_wrong
            wrong_list += list_wrong
            lists += client.view.complete
        return {"presence_wrong_count": wrong_count, "presence_wrong_list": wrong_list,
                "presence_lists_checked": lists}

    async def progress(self) -> None:
        while True:
            await asyncio.sleep(self.progress_interval)
            emit("progress", phase=self.phase, connected=self.connected,
                 received=self.received,
                 published=sum(p.sent for p in self.publishers.values()))

    async def drain(self) -> None:
        """Wait until no benchmark message arrived for ``quiet`` seconds, or the timeout;
        the window ends at the last arrival seen."""
        deadline = time.monotonic() + self.drain_timeout
        quiet_ns = int(self.quiet_s * 1e9)
        if self.mode == "window":  # first, every publisher's last message acknowledged
            while time.monotonic() < deadline and any(  # noqa: ASYNC110 (polled, bounded)
                    p.inflight > 0 for p in self.publishers.values()):
                await asyncio.sleep(0.02)
        seen = self.received
        changed_ns = max(self.last_receive_ns, self.sending_ended_ns)
        while time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            now = monotonic_ns()
            count = self.received
            if count != seen:
                seen, changed_ns = count, now
            if now - max(changed_ns, self.last_receive_ns) >= quiet_ns:
                break
        self.last_change_ns = max(changed_ns, self.last_receive_ns)

    async def read_command(self, wait_s: float) -> str:
        try:
            async with asyncio.timeout(wait_s):
                return await self.stdin_lines.get()
        except TimeoutError:
            return "timeout"

    def snapshot(self) -> dict[str, Any]:
        return {
            "connected": self.connected,
            "received": self.received,
            "published": {str(p): c.sent for p, c in self.publishers.items()},
            "duplicates": self.duplicates,
            "gaps": self.gaps,
            "outside_window": self.outside_window,
            "disconnected_in_window": self.disconnected_in_window,
            "close_codes": dict(self.close_codes),
            "connect_failures": dict(self.connect_failures),
            "latency": self.latency.to_json(),
            "connect_latency": self.connect_latency.to_json(),
            "per_subscriber_min": min((c.received for c in self.clients if c.subscriber),
                                      default=0),
            "per_subscriber_max": max((c.received for c in self.clients if c.subscriber),
                                      default=0),
        }

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

        async def pump() -> None:
            while True:
                line = await reader.readline()
                if not line:
                    await self.stdin_lines.put("eof")
                    return
                await self.stdin_lines.put(line.decode().strip())

        pump_task = loop.create_task(pump())
        progress_task = loop.create_task(self.progress())
        if self.mode != "storm":
            await self.connect_all(self.clients)
        else:
            await self.connect_all(self.warmup)
            self.connected = 0
            self.connect_latency = Histogram()
        self.phase = "ready"
        settle_collector()
        emit("ready", connected=self.connected, failures=dict(self.connect_failures))
        command = await self.read_command(float(self.config.get("go_timeout", 600)))
        if command != "go":
            emit("result", aborted=command, **self.snapshot())
            return
        gc.disable()  # until the measured window ends: see settle_collector
        collections_start = collections()
        cpu_start = cpu_seconds()
        go_ns = monotonic_ns()
        self.counting = True
        if self.mode == "storm":
            window_end_ns = await self.run_storm(go_ns, cpu_start)
        elif self.mode == "reconnect":
            window_end_ns = await self.run_reconnect(go_ns, cpu_start)
        else:
            self.phase = "run"
            self.sending = True
            end = loop.time() + self.duration
            tasks: list[asyncio.Task[None]] = []
            if self.mode == "rate":
                count = max(1, len(self.publishers))
                for order, (pub, client) in enumerate(sorted(self.publishers.items())):
                    rate = self.rates.get(pub, 0.0)
                    if rate > 0:
                        tasks.append(loop.create_task(
                            self.run_rate(client, rate, end, order / count)))
            else:
                for publisher in self.publishers.values():
                    self.send_from(publisher)
            await asyncio.sleep(max(0.0, end - loop.time()))
            self.sending = False
            self.sending_ended_ns = monotonic_ns()
            for task in tasks:
                task.cancel()
            self.phase = "drain"
            await self.drain()
            window_end_ns = self.last_change_ns
        self.counting = False
        cpu_end = cpu_seconds()
        emit("measured", go_ns=go_ns, window_end_ns=window_end_ns,
             sending_ended_ns=self.sending_ended_ns, cpu_s=cpu_end - cpu_start,
             wall_s=(monotonic_ns() - go_ns) / 1e9, collections=collections() - collections_start,
             **self.outcome, **self.snapshot())
        gc.enable()
        self.phase = "wait-stop"
        await self.read_command(float(self.config.get("stop_timeout", 120)))
        self.phase = "close"
        await self.close_all()
        progress_task.cancel()
        pump_task.cancel()
        emit("result", **self.snapshot())

    async def run_storm(self, go_ns: int, cpu_start: float) -> int:
        """Everyone connects at once; then until all agree on who is here; then idle."""
        self.phase = "storm"
        await self.connect_all(self.clients)
        connected_ns = monotonic_ns()
        emit("mark", name="connected", connected=self.connected,
             elapsed_s=(connected_ns - go_ns) / 1e9, cpu_s=cpu_seconds() - cpu_start)
        self.phase = "settle"
        settled_ns = await self.wait_settled(self.clients)
        emit("mark", name="settled", settled=self.settled,
             elapsed_s=(settled_ns - go_ns) / 1e9 if settled_ns else None)
        self.phase = "hold"
        if self.churn > 0:
            await self.run_churn(self.hold)
        else:
            await asyncio.sleep(self.hold)
        self.outcome.update(self.presence_check())
        self.outcome["settled_s"] = (settled_ns - go_ns) / 1e9 if settled_ns else None
        return connected_ns

    async def run_churn(self, seconds: float) -> None:
        """The settled canvas's everyday life: for ``seconds``, one arrival or departure at a
        time, ``churn`` a second at random (Poisson) moments; departures and returns take
        turns, so each change is one user leaving or coming back. Then every client away
        comes back, and the clients' views are awaited until they count everyone again.
        Reported: the changes made, and the presence frames each client got a second."""
        loop = asyncio.get_running_loop()
        present = [c for c in self.clients if isinstance(c, Client) and c.joined]
        random.shuffle(present)
        away: list[Client] = []
        returns: list[asyncio.Task[bool]] = []
        frames_before, changes = self.presence_frames, 0
        end = loop.time() + seconds
        emit("mark", name="churn_start")
        while present:
            moment = loop.time() + random.expovariate(self.churn)
            if moment >= end:
                break
            await asyncio.sleep(moment - loop.time())
            if away and changes % 2:
                returns.append(loop.create_task(self.come_back_once(away.pop(0))))
            else:
                client = present.pop()
                client.leaving, client.joined, client.settled = True, False, False
                client.abort()
                away.append(client)
            changes += 1
        await asyncio.sleep(max(0.0, end - loop.time()))
        frames = self.presence_frames - frames_before
        emit("mark", name="churn_end", changes=changes)
        returns += [loop.create_task(self.come_back_once(client)) for client in away]
        await asyncio.gather(*returns)
        deadline = time.monotonic() + self.settle_timeout
        while time.monotonic() < deadline and any(  # noqa: ASYNC110 (polled, bounded)
                c.view is not None and c.joined
                and c.view.active != len(self.expected_on(c.canvas_id))
                for c in self.clients if isinstance(c, Client)):
            await asyncio.sleep(0.05)
        watching = sum(1 for c in self.clients if isinstance(c, Client) and c.joined)
        self.outcome.update({
            "churn_changes": changes,
            "presence_frames_per_client_s": round(frames / max(1, watching) / seconds, 3),
        })

    async def come_back_once(self, client: Client) -> bool:
        """A churned client's return: a new connection, outside the connect figures."""
        if client.transport is not None:  # its old socket's end is noted first
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(client.transport.wait_disconnected(), 1.0)
        client.transport, client.close_code = None, None
        returned = await self.connect_one(client, counted=False)
        client.leaving = False
        return returned

    async def run_reconnect(self, go_ns: int, cpu_start: float) -> int:
        """Drop every subscriber at once; a publisher sends while they are away; each
        comes back after the web page's backoff delay (jitter included) with
        ``?since=<seq>&epoch=``, and is back once it holds every message sent."""
        loop = asyncio.get_running_loop()
        self.phase = "drop"
        subscribers = [c for c in self.clients if isinstance(c, Client) and c.subscriber]
        for client in subscribers:
            client.resuming, client.settled, client.joined = True, False, False
            client.abort()
        self.settled = 0
        self.connected = 0
        self.connect_latency = Histogram()
        drop_ns = monotonic_ns()
        await asyncio.sleep(0.05)  # the aborted sockets' callbacks have run
        messages = int(self.reconnect.get("messages", 20))
        rate = float(self.reconnect.get("rate", 50.0))
        self.sending = True
        senders = [loop.create_task(self.send_count(p, messages, rate))
                   for p in self.publishers.values()]
        self.phase = "reconnect"
        attempts_ns: list[int] = []
        await asyncio.gather(*(self.come_back(c, messages, attempts_ns) for c in subscribers))
        self.sending = False
        for task in senders:
            task.cancel()
        back = [c.back_ns for c in subscribers if c.back_ns]
        self.phase = "settle"
        settled_ns = await self.wait_settled(subscribers)
        last_back = max(back, default=0)
        first_try = min(attempts_ns, default=drop_ns)
        self.outcome.update(self.presence_check())
        self.outcome.update({
            "back": len(back), "dropped": len(subscribers),
            "all_back_s": (last_back - drop_ns) / 1e9 if len(back) == len(subscribers) else None,
            "reconnect_window_s": (last_back - first_try) / 1e9 if back else None,
            "settled_s": (settled_ns - drop_ns) / 1e9 if settled_ns else None,
        })
        emit("mark", name="connected", connected=self.connected,
             elapsed_s=(last_back - go_ns) / 1e9, cpu_s=cpu_seconds() - cpu_start)
        return last_back or monotonic_ns()

    async def come_back(self, client: Client, messages: int, attempts_ns: list[int]) -> None:
        """One dropped client: backoff, reconnect, until it has every message."""
        settings = self.reconnect
        for attempt in range(1, int(settings.get("max_attempts", 10)) + 1):
            await asyncio.sleep(backoff_delay(attempt, settings, random.random()))
            attempts_ns.append(monotonic_ns())
            client.transport, client.close_code = None, None
            if await self.connect_one(client):
                break
        else:
            return
        deadline = time.monotonic() + self.settle_timeout
        while client.last_seq.get(0, 0) < messages and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        if client.last_seq.get(0, 0) >= messages:
            client.back_ns = monotonic_ns()

    async def close_all(self) -> None:
        for client in [*self.clients, *self.warmup]:
            with contextlib.suppress(Exception):
                client.begin_close()
        await asyncio.sleep(0.2)
        for client in [*self.clients, *self.warmup]:
            with contextlib.suppress(Exception):
                client.abort()


def main() -> int:
    line = sys.stdin.buffer.readline()
    if not line:
        return 2
    config: dict[str, Any] = orjson.loads(line)
    deadline = int(config.get("deadline_s", 600))
    signal.alarm(max(1, deadline))  # the process ends itself, whatever happens
    raise_nofile_limit()
    cpus = config.get("cpus")
    if cpus:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, set(cpus))
    loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    with contextlib.suppress(ImportError):
        import uvloop

        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(LoadGen(config).run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
