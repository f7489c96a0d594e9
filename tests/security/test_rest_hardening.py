"""REST hardening from the outside: body cap (and the process's memory), short 422s,
error bodies without internals, security headers on the page and the API."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.clients import Account
from tests.support.live_server import LiveServer
from tests.support.server_process import ServerProcess

MB = 1024 * 1024


@pytest.fixture(scope="module")
def server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("rest-hardening")).start()
    yield process
    process.stop()


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def send_streamed_body(port: int, total: int, chunked: bool) -> bytes:
    """POST /auth/register with ``total`` bytes of body, declared or chunked; the
    status line (and what else came back) once the server answers or closes."""
    head = (b"POST /api/v1/auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\n")
    head += b"Transfer-Encoding: chunked\r\n\r\n" if chunked else (
        f"Content-Length: {total}\r\n\r\n".encode())
    block = b'{"username": "' + b"a" * (MB - 20)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(head)
        sent = 0
        try:
            while sent < total:
                piece = block[: min(len(block), total - sent)]
                conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the body ended: what we want
        conn.settimeout(30)
        try:
            return conn.recv(65536)
        except ConnectionResetError:
            return b""


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
def test_a_50_mb_body_is_refused_with_413_and_little_memory(
    server_process: ServerProcess, chunked: bool
) -> None:
    assert server_process.process is not None
    pid = server_process.process.pid
    httpx.get(server_process.base_url + "/api/v1/health")  # warm up the request path
    before = rss_bytes(pid)
    answer = send_streamed_body(server_process.port, 50 * MB, chunked)
    grown = rss_bytes(pid) - before
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'{"detail":"Request body too large"}' in answer
    assert grown < 5 * MB, f"RSS grew by {grown / MB:.1f} MB"


async def test_a_422_does_not_echo_a_large_input(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/auth/register", json={
        "username": "x" * 500_000, "email": "a@example.com", "password": "correct-horse"})
    assert response.status_code == 422
    assert len(response.content) < 2000
    item = response.json()["detail"][0]
    assert item["loc"] == ["body", "username"] and item["input"].endswith("…")
    nested = await api.post("/api/v1/auth/login", json={"username": {"a": ["b"] * 10_000},
                                                        "password": "x"})
    assert nested.status_code == 422 and len(nested.content) < 2000


async def test_bad_bodies_and_unknown_routes_answer_plain_details(
    api: httpx.AsyncClient, alice: Account
) -> None:
    answers = await asyncio.gather(
        api.post("/api/v1/auth/login", content=b"\xff\xfe{not json",
                 headers={"Content-Type": "application/json"}),
        api.get("/api/v1/nowhere"),
        alice.get("/api/v1/canvases?limit=100000"),
        alice.get("/api/v1/canvases?offset=-1"),
    )
    assert [a.status_code for a in answers] == [400, 404, 422, 422]
    for answer in answers:
        text = answer.text
        assert "Traceback" not in text and 'File "' not in text and "/src/" not in text
        assert isinstance(answer.json()["detail"], (str, list))


async def test_security_headers_on_the_page_and_the_api(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    for path in ("/", "/js/app.js", "/api/v1/health", "/api/v1/nowhere"):
        headers = (await api.get(path)).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe" not in policy
        assert "frame-ancestors 'none'" in policy
        assert f"connect-src 'self' ws://127.0.0.1:{live_server.port}" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


async def test_cors_is_not_granted_to_a_foreign_origin(api: httpx.AsyncClient) -> None:
    preflight = await api.options("/api/v1/auth/login", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
