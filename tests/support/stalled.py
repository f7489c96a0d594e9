"""A client that completes the WebSocket handshake on a raw socket, then never reads:
the stalled reader a server must cut off. Its receive buffer is made small so that what
the kernels hold for it is bounded."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import socket as socketlib

from tests.support.timeouts import scaled

RECEIVE_BUFFER = 4096


class StalledClient:
    def __init__(self, raw: socketlib.socket) -> None:
        self.raw = raw

    async def eof_or_close(self, timeout: float) -> bytes:
        """Start reading at last: everything until the server ends the connection
        (bytes the server wrote before it gave up, then its close frame if it got
        through, then EOF)."""
        loop = asyncio.get_running_loop()
        received = bytearray()

        async def drain() -> None:
            while chunk := await loop.sock_recv(self.raw, 65536):
                received.extend(chunk)

        with contextlib.suppress(ConnectionResetError):  # an abort may end it with RST
            await asyncio.wait_for(drain(), scaled(timeout))
        return bytes(received)

    def close(self) -> None:
        self.raw.close()


async def open_stalled(port: int, path: str) -> StalledClient:
    """Connect to 127.0.0.1:``port``, upgrade ``path`` (with its query), read the 101
    answer and nothing more."""
    loop = asyncio.get_running_loop()
    raw = socketlib.socket(socketlib.AF_INET, socketlib.SOCK_STREAM)
    raw.setsockopt(socketlib.SOL_SOCKET, socketlib.SO_RCVBUF, RECEIVE_BUFFER)
    raw.setblocking(False)
    await asyncio.wait_for(loop.sock_connect(raw, ("127.0.0.1", port)), scaled(10))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n")
    await loop.sock_sendall(raw, request.encode())
    head = b""
    while b"\r\n\r\n" not in head:  # byte by byte: nothing after the head is consumed
        byte = await asyncio.wait_for(loop.sock_recv(raw, 1), scaled(10))
        if not byte:
            raise ConnectionError(f"closed during the handshake: {head!r}")
        head += byte
    if not head.startswith(b"HTTP/1.1 101"):
        raise ConnectionError(f"handshake refused: {head!r}")
    return StalledClient(raw)
