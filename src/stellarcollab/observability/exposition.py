"""The separate metrics listener (``STELLAR_METRICS_BIND``): ``GET /metrics`` and nothing
else, on an address the public port does not share, so no token is needed. One process
serves it on its own event loop; with several workers the supervisor serves it."""

from __future__ import annotations

import asyncio
import contextlib

from prometheus_client import CONTENT_TYPE_LATEST

MAX_REQUEST_HEAD = 16 * 1024


def parse_bind(bind: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:9100`` for IPv6; a bare port means 127.0.0.1)."""
    host, _, port = bind.rpartition(":")
    return (host.strip("[]") or "127.0.0.1"), int(port)


def _response(status: str, body: bytes, content_type: str) -> bytes:
    head = (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode() + body


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        method, path, *_ = head.split(b" ", 2)
        if method == b"GET" and path.split(b"?")[0] == b"/metrics":
            # Imported here: the supervisor of several workers uses parse_bind before
            # any metric may exist in its process.
            from stellarcollab.observability.metrics import scrape

            writer.write(_response("200 OK", scrape(), CONTENT_TYPE_LATEST))
        else:
            writer.write(_response("404 Not Found", b"not found\n", "text/plain"))
        await writer.drain()
    except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
            ConnectionError, ValueError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def start_metrics_listener(bind: str) -> asyncio.Server:
    host, port = parse_bind(bind)
    return await asyncio.start_server(_answer, host, port, limit=MAX_REQUEST_HEAD)
