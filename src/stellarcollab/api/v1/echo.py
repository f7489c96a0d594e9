"""An echo socket on the production transport, for RFC 6455 conformance runs (the
Autobahn TestSuite cases). Mounted only when ``STELLAR_WEBSOCKET_ECHO_ENDPOINT`` is true,
which it is not by default: it answers anyone, with no credential."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from stellarcollab.realtime.closecodes import CloseCode
from stellarcollab.realtime.protocol import text_frame
from stellarcollab.realtime.transport import wire_socket
from stellarcollab.realtime.writers import FrameWriter, TransportWriter
from stellarcollab.runtime import Runtime

router = APIRouter(prefix="/ws", tags=["websockets"])


@router.websocket("/echo")
async def websocket_echo(websocket: WebSocket) -> None:
    """Text comes back through the writer the canvases use (pre-encoded frames straight
    to the transport), binary through the ASGI send path."""
    await websocket.accept()
    writer = _writer(websocket, websocket.app.state.runtime)
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is not None and writer is not None:
            payload = text.encode()
            writer.send_now(payload, text_frame(payload))
        elif text is not None:
            await websocket.send_text(text)
        else:
            await websocket.send_bytes(message.get("bytes") or b"")


def _writer(websocket: WebSocket, runtime: Runtime) -> FrameWriter | None:
    link = wire_socket(websocket)
    if link is None:
        return None
    settings = runtime.settings
    # room for the largest message on top of the usual budget: an echo doubles traffic
    budget = settings.websocket_send_buffer_bytes + 2 * settings.websocket_max_message_bytes
    return TransportWriter(link, runtime.flush_scheduler(), budget,
                           lambda: link.close(int(CloseCode.POLICY), "slow consumer"))
