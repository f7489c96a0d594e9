"""Logs: JSON lines with STELLAR_LOG_FORMAT=json, one line per socket open and close, and
no token, ticket, password or secret key in them, whatever a client sends."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from stellarcollab.observability.logging import JsonFormatter, RedactingFormatter
from tests.support.clients import join, open_socket, register
from tests.support.server_process import ServerProcess
from tests.support.timeouts import scaled

SECRET_KEY = "test-secret-key-that-is-long-enough"


def _record(message: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("stellarcollab.test", logging.INFO, __file__, 1, message,
                               None, None)
    record.__dict__.update(extra)
    return record


def test_json_lines_carry_the_known_fields_only() -> None:
    line = json.loads(JsonFormatter().format(_record(
        "GET /api/v1/ws/canvas/1?token=abc.def&since=3", user_id=7, canvas_id=1,
        close_code=1000, duration_ms=12, password="hunter2", token="abc.def")))
    assert line["message"] == "GET /api/v1/ws/canvas/1?token=[redacted]&since=3"
    assert line["level"] == "info" and line["logger"] == "stellarcollab.test"
    assert line["timestamp"].endswith("Z")
    assert {k: line[k] for k in ("user_id", "canvas_id", "close_code", "duration_ms")} == {
        "user_id": 7, "canvas_id": 1, "close_code": 1000, "duration_ms": 12}
    assert "password" not in line and "token" not in line
    text = RedactingFormatter("%(message)s").format(_record("x?ticket=t1", user_id=3))
    assert text == "x?ticket=[redacted] [user_id=3]"


async def test_a_server_s_json_logs_hold_no_secret(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, log_format="json", log_level="debug").start()
    seen: list[str] = []
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=scaled(30)) as api:
            alice = await register(api)
            seen += [alice.token, "correct-horse"]
            login = await api.post("/api/v1/auth/login", json={
                "username": alice.username, "password": "correct-horse"})
            seen.append(login.json()["access_token"])
            await api.post("/api/v1/auth/login", json={"username": alice.username,
                                                       "password": "wrong-password-1"})
            seen.append("wrong-password-1")
            canvas = await alice.create_canvas()
            socket = await join(server.ws_base, canvas["id"], alice)  # ?token=
            await socket.send({"type": "auth", "token": login.json()["access_token"]})
            await socket.expect("auth_ok")
            await socket.send({"type": "canvas_chat", "text": "hello"})
            await socket.expect("canvas_chat_message")
            ticket = (await alice.post("/api/v1/ws/ticket")).json()["ticket"]
            seen.append(ticket)
            by_ticket = await open_socket(server.ws_base, canvas["id"], query=f"ticket={ticket}")
            await by_ticket.expect("canvas_state")
            by_header = await connect(f"{server.ws_base}/{canvas['id']}",
                                      subprotocols=[f"bearer.{alice.token}", "bearer"])  # type: ignore[list-item]
            await by_header.recv()
            bad = await open_socket(server.ws_base, canvas["id"], "not-a-valid-token")
            assert await bad.closed() == 4001
            seen.append("not-a-valid-token")
            for open_one in (socket, by_ticket):
                await open_one.close()
            await by_header.close()
            await alice.post("/api/v1/auth/logout")
    finally:
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        await asyncio.to_thread(server.process.wait, scaled(30))
        server.process = None
    lines = [json.loads(line) for line in server.output if line.strip()]  # every line parses
    messages = [line["message"] for line in lines]
    assert sum(m == "socket opened" for m in messages) == 3
    closed = [line for line in lines if line["message"] == "socket closed"]
    assert len(closed) == 3 and all({"close_code", "duration_ms", "user_id", "canvas_id",
                                     "connection_id"} <= set(line) for line in closed)
    output = "".join(server.output)
    for secret in [*seen, SECRET_KEY]:
        assert secret not in output, f"{secret[:12]}... reached the log"
