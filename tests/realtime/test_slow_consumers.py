"""Slow consumers, from the outside: a client that stops reading is cut off within seconds
of its budget filling (the kernel's send buffer is bounded, so the budget governs), while
everyone else on the canvas gets every message."""

from __future__ import annotations

import asyncio
import json
import struct
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from stellarcollab.config import Settings
from tests.support.clients import Socket, join, register
from tests.support.server_process import ServerProcess
from tests.support.stalled import RECEIVE_BUFFER, open_stalled
from tests.support.timeouts import scaled

BUDGET = 64 * 1024
RATE = 100  # messages per second
WATCHERS = 10
#: the default kernel send buffer per socket: what this test shows is bounded enough
SOCKET_SEND_BUFFER = Settings.model_fields["websocket_socket_send_buffer"].default


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(
        tmp_path_factory.mktemp("slow"),
        websocket_send_buffer_bytes=BUDGET,
        rate_limit_messages_per_second=1_000_000,
        rate_limit_burst=1_000_000,
        chat_per_second=1_000_000,
        chat_burst=1_000_000,
    ).start()
    yield process
    process.stop()


@pytest.fixture
async def api(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        yield client


def close_code(data: bytes) -> int | None:
    """The code of the close frame among the unmasked server frames in ``data``, if the
    stream holds one."""
    offset = 0
    while offset + 2 <= len(data):
        opcode, length = data[offset] & 0x0F, data[offset + 1] & 0x7F
        offset += 2
        if length == 126:
            (length,) = struct.unpack_from("!H", data, offset)
            offset += 2
        elif length == 127:
            (length,) = struct.unpack_from("!Q", data, offset)
            offset += 8
        if opcode == 0x8 and offset + 2 <= len(data):
            return int(struct.unpack_from("!H", data, offset)[0])
        offset += length
    return None


async def _chats(socket: Socket, count: int, sizes: list[int],
                 left: dict[int, float]) -> list[int]:
    """Chat numbers in arrival order; the frame size of each; when each user_left came."""
    numbers: list[int] = []
    async for raw in socket.ws:
        message = json.loads(raw)
        if message["type"] == "canvas_chat_message":
            numbers.append(int(message["message_text"].split(":", 1)[0]))
            sizes.append(len(raw) + 4)  # the frame's header: 4 bytes below 64 KiB
            if len(numbers) == count:
                return numbers
        elif message["type"] == "user_left":
            left.setdefault(message["user_id"], time.monotonic())
    return numbers


async def test_a_client_that_stops_reading_is_cut_off_and_the_others_get_everything(
    server: ServerProcess, api: httpx.AsyncClient
) -> None:
    owner = await register(api)
    canvas = await owner.create_canvas()
    publisher = await join(server.ws_base, canvas["id"], owner)
    watchers = [await join(server.ws_base, canvas["id"], await register(api))
                for _ in range(WATCHERS)]
    slow = await register(api)
    stalled = await open_stalled(server.port, f"/api/v1/ws/canvas/{canvas['id']}"
                                              f"?token={slow.token}")
    await publisher.expect("user_joined", user_id=slow.id)

    # At most this much can be in flight to the stalled client before its budget is full:
    # the budget, the server's kernel send buffer and the client's receive buffer (each
    # kernel buffer at most twice its setting, Linux's bookkeeping share included).
    absorbable = BUDGET + 2 * SOCKET_SEND_BUFFER + 2 * RECEIVE_BUFFER
    padding = "p" * 33  # a chat frame of about 280 bytes
    frame_estimate = 270
    total = absorbable // frame_estimate + 6 * RATE  # then six seconds more
    sizes: list[int] = []
    left: dict[int, float] = {}
    receivers = [asyncio.ensure_future(_chats(s, total, sizes if s is publisher else [], left))
                 for s in [publisher, *watchers]]
    sent_at: list[float] = []
    start = time.monotonic()
    for number in range(total):
        await asyncio.sleep(max(0.0, start + number / RATE - time.monotonic()))  # pacing
        await publisher.send({"type": "canvas_chat", "text": f"{number}:{padding}"})
        sent_at.append(time.monotonic())
    results = await asyncio.wait_for(asyncio.gather(*receivers), scaled(60))

    for numbers in results:  # everyone else got everything, in order
        assert numbers == list(range(total))
    frame = max(sizes)
    assert 260 <= frame <= 300, frame
    # the budget was full, at the latest, once what was published exceeds the absorbable
    full_by = sent_at[min(total - 1, absorbable // min(sizes) + 1)]
    assert slow.id in left, "the stalled client was never dropped"
    assert left[slow.id] - full_by < scaled(5), f"{left[slow.id] - full_by:.1f} s"
    # ... and not before the budget could have filled
    assert left[slow.id] >= sent_at[BUDGET // frame - 1]

    # The stalled client, reading at last, finds what the kernels held, then the end: the
    # close frame (4008) if it reads within the close grace, else a bare EOF.
    received = await stalled.eof_or_close(10)
    assert len(received) < absorbable + 2 * frame
    assert close_code(received) in (4008, None)
    stalled.close()
    for socket in [publisher, *watchers]:
        await socket.close()
