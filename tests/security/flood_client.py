"""A flooding client in a process of its own (so its sending does not slow the test's
other clients): ``python -m tests.security.flood_client URL COUNT`` sends COUNT chats
within a second and prints, as JSON, the error codes it got back and its close code."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed


async def flood(url: str, count: int) -> dict[str, Any]:
    answers: list[dict[str, Any]] = []
    async with connect(url, max_size=2**24) as ws:

        async def read() -> None:
            with contextlib.suppress(ConnectionClosed):
                async for raw in ws:
                    answers.append(json.loads(raw))

        reader = asyncio.ensure_future(read())
        while not answers:  # canvas_state first: the socket is admitted
            await asyncio.sleep(0.01)
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        started = time.monotonic()
        with contextlib.suppress(ConnectionClosed):
            for number in range(count):
                await ws.send(json.dumps({"type": "canvas_chat", "text": f"spam {number}"}))
                if number % 100 == 99:
                    await asyncio.sleep(max(0.0, started + (number + 1) / count
                                            - time.monotonic()))
        await asyncio.wait_for(reader, 30)
        code = ws.close_code
    errors = [a for a in answers if a.get("type") == "error"]
    return {"close_code": code, "error_codes": sorted({e["code"] for e in errors}),
            "errors": len(errors),
            "retry_after_ok": all(isinstance(e.get("retry_after"), int)
                                  and e["retry_after"] > 0 for e in errors)}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(flood(sys.argv[1], int(sys.argv[2])))), flush=True)
