"""Property-based fuzzing of the socket protocol against a live server process.

Hypothesis generates batches of hostile frames (fuzz_frames.py); each batch goes to one
socket, followed by a ping whose pong marks the end of its answers. Every answer must be
a well-formed message, every error one of the documented codes (never internal_error);
the frames that must close the socket (invalid UTF-8: 1007, over-size: 1009) close it
with that code and no other frame closes it; a control client on the same canvas must keep
receiving; at the end the server has logged no traceback and holds no state of the
fuzzing socket.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from stellarcollab.wire.client import client_message_types
from tests.security.fuzz_frames import Frame, bases, field_sweep, frames
from tests.support.clients import Socket, join, register
from tests.support.server_process import ServerProcess
from tests.support.timeouts import scaled

PROTOCOL_MD = Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md"


def documented_error_codes() -> set[str]:
    """The codes of the table in PROTOCOL.md section 2.3, less internal_error."""
    section = PROTOCOL_MD.read_text().split("### 2.3 Errors", 1)[1].split("\n### ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE)) - {"internal_error"}


DOCUMENTED_ERRORS = documented_error_codes()
BATCH = 50
BATCHES = 45
UNLIMITED = 1_000_000


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(
        tmp_path_factory.mktemp("fuzz"),
        chat_per_second=UNLIMITED, chat_burst=UNLIMITED,
        presence_per_second=UNLIMITED, presence_burst=UNLIMITED,
        mentions_per_second=UNLIMITED, mentions_burst=UNLIMITED,
        reports_per_minute=UNLIMITED, reports_burst=UNLIMITED,
        direct_messages_per_second=UNLIMITED, direct_messages_burst=UNLIMITED,
        rate_limit_messages_per_second=UNLIMITED, rate_limit_burst=UNLIMITED,
    ).start()
    yield server
    server.stop()


class FuzzSession:
    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.sent = 0
        self.closes: list[int | None] = []
        self.answers: list[dict[str, Any]] = []
        self._sync = itertools.count()

    async def start(self, api: httpx.AsyncClient) -> None:
        self.fuzzer, self.watcher = await register(api), await register(api)
        # The watcher's canvas: the fuzzer may draw and chat there but not moderate.
        self.canvas = await self.watcher.create_canvas(name="Fuzzed")
        self.control = await join(self.server.ws_base, self.canvas["id"], self.watcher)
        self.socket = await self._open()

    async def _open(self) -> Socket:
        return await join(self.server.ws_base, self.canvas["id"], self.fuzzer)

    async def send_batch(self, batch: list[Frame]) -> None:
        for frame in batch:
            await self.socket.ws.send(frame.data, text=True if frame.invalid_text else None)
            self.sent += 1
            expected = frame.expected_close()
            if expected is not None:
                # what the server answered before it closed counts too
                code = await self.socket.closed(timeout=10)
                assert code == expected, f"{frame!r:.200} closed with {code}"
                self.closes.append(code)
                self._check_answers()
                self.socket = await self._open()
        await self._synchronise()
        await self._control_still_receives()

    async def _synchronise(self) -> None:
        marker = f"sync-{next(self._sync)}"
        await self.socket.send({"type": "ping", "id": marker})
        await self.socket.expect("pong", timeout=10, id=marker)
        self._check_answers()

    def _check_answers(self) -> None:
        self.answers.extend(self.socket.received)
        for answer in self.socket.received:
            check_answer(answer)
        self.socket.received.clear()

    async def _control_still_receives(self) -> None:
        text = f"control {next(self._sync)}"
        await self.control.send({"type": "canvas_chat", "text": text})
        await self.control.expect("canvas_chat_message", timeout=10, message_text=text)
        self.control.received.clear()


def check_answer(answer: dict[str, Any]) -> None:
    assert isinstance(answer.get("type"), str), answer
    if answer["type"] == "error":
        assert answer["code"] in DOCUMENTED_ERRORS, answer
        assert isinstance(answer["message"], str) and len(answer["message"]) < 500, answer


async def health(api: httpx.AsyncClient) -> dict[str, Any]:
    body: dict[str, Any] = (await api.get("/api/v1/health")).json()
    return body


async def until_connections(api: httpx.AsyncClient, count: int) -> None:
    async def wait() -> None:
        while (await health(api))["connections"] != count:
            await asyncio.sleep(0.05)

    await asyncio.wait_for(wait(), scaled(10))


def test_every_client_message_type_is_fuzzed() -> None:
    assert client_message_types() <= {base["type"] for base in bases(1)}
    assert {"invalid_json", "rate_limited", "duplicate"} <= DOCUMENTED_ERRORS


def test_thousands_of_hostile_frames_get_documented_answers(
    fuzz_server: ServerProcess,
) -> None:
    loop = asyncio.new_event_loop()
    api = httpx.AsyncClient(base_url=fuzz_server.base_url, timeout=scaled(30))
    session = FuzzSession(fuzz_server)
    try:
        loop.run_until_complete(session.start(api))
        loop.run_until_complete(session.send_batch(field_sweep(session.canvas["id"])))

        # no shrinking: a failure names its batch, and a shrink would take minutes
        @settings(max_examples=BATCHES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate])
        @given(st.lists(frames(session.canvas["id"]), min_size=BATCH, max_size=BATCH))
        def fuzz(batch: list[Frame]) -> None:
            loop.run_until_complete(session.send_batch(batch))

        fuzz()
        assert session.sent >= 2000, session.sent
        print(f"fuzzed {session.sent} frames; closes {sorted(set(session.closes))}; "
              f"{len(session.answers)} answers")
        assert any(a.get("code") == "invalid_json" for a in session.answers)
        assert any(a.get("code") == "invalid_message" for a in session.answers)
        loop.run_until_complete(assert_no_state_left(api, session))
    finally:
        loop.run_until_complete(api.aclose())
        loop.close()
    output = "".join(fuzz_server.output)
    assert "Traceback" not in output, output[-5000:]
    assert "ERROR" not in output, output[-5000:]


async def assert_no_state_left(api: httpx.AsyncClient, session: FuzzSession) -> None:
    """The fuzzing user's socket, presence and leases are gone once it disconnects."""
    await session.socket.close()
    await until_connections(api, 1)
    await session.control.expect("user_left", timeout=10, user_id=session.fuzzer.id)
    users = await session.watcher.get(f"/api/v1/canvases/{session.canvas['id']}/users")
    assert [u["user_id"] for u in users.json()] == [session.watcher.id], users.text
    await session.control.close()
    await until_connections(api, 0)
    again = await join(session.server.ws_base, session.canvas["id"], session.watcher)
    assert again.received[0]["locks"] == [], again.received[0]
    await again.close()
