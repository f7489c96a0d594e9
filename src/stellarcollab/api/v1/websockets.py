"""The canvas and user WebSocket endpoints and the one-time ticket route.

Flow (the guide's): credentials → canvas exists and is active → user may see it → accept
→ register with the ConnectionManager → message loop. The user socket (``/ws/user``) skips
the canvas steps: it carries the user's own topics (``user:{id}``, ``global``, ``admins``).
Rejections are closes after accept so browsers can read the code. No database session is
held while the socket is open.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Coroutine
from typing import Any

from fastapi import APIRouter, WebSocket

from stellarcollab.api.v1.deps import RuntimeDep, SessionUser
from stellarcollab.api.v1.schemas import TicketOut
from stellarcollab.observability.metrics import COUNTERS
from stellarcollab.realtime.closecodes import CLOSE_REASONS, CloseCode
from stellarcollab.realtime.connection import Connection
from stellarcollab.realtime.transport import forget_handshake, receiver, wire_socket
from stellarcollab.realtime.writers import FrameWriter, QueueWriter, TransportWriter
from stellarcollab.runtime import Runtime
from stellarcollab.services.admission import Admission
from stellarcollab.services.canvases import CanvasAccessDenied
from stellarcollab.services.errors import NotFound, Unauthorized
from stellarcollab.services.sanctions import Banned

log = logging.getLogger(__name__)
router = APIRouter(prefix="/ws", tags=["websockets"])
BEARER_SUBPROTOCOL = "bearer"


@router.post("/ticket", response_model=TicketOut)
async def issue_ticket(session: SessionUser, runtime: RuntimeDep) -> dict[str, Any]:
    await runtime.throttle.before_ticket(session[0].id)
    return {"ticket": await runtime.tickets.issue(session[2]),
            "expires_in": runtime.settings.ticket_ttl_seconds}


async def _credentials(websocket: WebSocket,
                       runtime: Runtime) -> tuple[str | None, str | None]:
    """The token from ?token=, ?ticket= or a ``bearer.<token>`` subprotocol, and the
    subprotocol to accept."""
    params = websocket.query_params
    offered_all: list[str] = list(websocket.scope.get("subprotocols", []))
    for offered in offered_all:
        if offered.startswith(BEARER_SUBPROTOCOL + "."):
            # A browser only accepts a subprotocol it offered: select plain "bearer" when
            # offered beside the token, so the token is not echoed back.
            chosen = BEARER_SUBPROTOCOL if BEARER_SUBPROTOCOL in offered_all else offered
            return offered[len(BEARER_SUBPROTOCOL) + 1:], chosen
    if "ticket" in params:
        return await runtime.tickets.redeem(params["ticket"]), None
    return params.get("token"), None


def _int_param(websocket: WebSocket, name: str) -> int | None:
    value = websocket.query_params.get(name)
    if value is None:
        return None
    try:
        return max(0, int(value))
    except ValueError:
        return None


async def _reject(websocket: WebSocket, code: CloseCode) -> None:
    COUNTERS.closed(int(code))
    await websocket.close(int(code), CLOSE_REASONS[code])


@router.websocket("/canvas/{canvas_id:int}")
def websocket_canvas_route(websocket: WebSocket, canvas_id: int) -> Coroutine[Any, Any, None]:
    """The route; ``SocketDispatch`` calls it directly, past the HTTP middleware. Not a
    coroutine of its own: it hands over the endpoint's, so an open socket keeps one frame
    less."""
    return websocket_canvas_endpoint(websocket, canvas_id, websocket.app.state.runtime)


@router.websocket("/user")
def websocket_user_route(websocket: WebSocket) -> Coroutine[Any, Any, None]:
    return websocket_user_endpoint(websocket, websocket.app.state.runtime)


def websocket_user_endpoint(websocket: WebSocket,
                            runtime: Runtime) -> Coroutine[Any, Any, None]:
    """A socket of the user's own: direct messages, notifications, announcements."""
    return websocket_canvas_endpoint(websocket, None, runtime)


async def websocket_canvas_endpoint(websocket: WebSocket, canvas_id: int | None,
                                    runtime: Runtime) -> None:
    """Admit, join, then read until the socket closes. The message loop is inlined and
    nothing is kept for the closing log line but the opening time: this frame lives as
    long as the socket."""
    connection = await _admit(websocket, canvas_id, runtime)
    if connection is None:
        return
    opened = time.monotonic()
    close_code = int(CloseCode.INTERNAL_ERROR)
    # the handler, not its bound ``handle``: one object less kept for each open socket
    receive, handler = receiver(websocket), runtime.handler
    try:
        await _join(websocket, connection, runtime)
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                # the client's close code, or the server's (a forced close queues it)
                close_code = int(message.get("code") or CloseCode.NORMAL)
                break
            if not connection.is_live:
                continue  # closing: what the client sent after the server's close is dropped
            data = message.get("text")
            if data is None:
                data = message.get("bytes") or b""
            await handler.handle(connection, data)
    except Exception:
        log.exception("connection %s failed", connection.id, extra=_log_fields(connection))
        connection.close(int(CloseCode.INTERNAL_ERROR), "internal error")
    finally:
        await _leave(connection, runtime)
        COUNTERS.closed(close_code)
        if log.isEnabledFor(logging.INFO):
            log.info("socket closed", extra={
                **_log_fields(connection), "close_code": close_code,
                "duration_ms": round((time.monotonic() - opened) * 1000)})


async def _join(websocket: WebSocket, connection: Connection, runtime: Runtime) -> None:
    """Register the admitted socket and send its first frames."""
    since, epoch = _int_param(websocket, "since"), websocket.query_params.get("epoch")
    connection.presence_diff = websocket.query_params.get("presence") == "diff"
    forget_handshake(websocket)
    if log.isEnabledFor(logging.INFO):
        log.info("socket opened", extra=_log_fields(connection))
    manager = runtime.manager
    await manager.connect(connection, since=since, epoch=epoch)
    await runtime.social.on_socket_open(connection.canvas_id, connection.brief(),
                                        connection.send_event, crowded=manager.is_large)


async def _leave(connection: Connection, runtime: Runtime) -> None:
    runtime.process_slots.give_back()
    await runtime.manager.disconnect(connection)
    await _release(runtime, connection.user_id, connection.id)
    if isinstance(connection.writer, QueueWriter):
        connection.writer.close(int(CloseCode.NORMAL), "bye")  # ends its drain task
    # The writer's overflow callback is the connection's own method (a cycle): given
    # back the one it had before the connection existed, the connection and its writer
    # are freed as soon as the last reference goes.
    connection.writer.on_overflow = _no_connection


def _log_fields(connection: Connection) -> dict[str, Any]:
    return {"user_id": connection.user_id, "canvas_id": connection.canvas_id,
            "connection_id": connection.id}


async def _admit(websocket: WebSocket, canvas_id: int | None,
                 runtime: Runtime) -> Connection | None:
    """Accept the socket, check it, and build its Connection; or close it and return None.

    A function of its own so that the token, claims and rows it reads die with its frame
    instead of living as long as the socket."""
    refusal = runtime.socket_guard.refusal(websocket.scope)  # origin, per-address limits
    if refusal is not None:
        await websocket.accept()
        await _reject(websocket, refusal)
        return None
    token, subprotocol = await _credentials(websocket, runtime)
    await websocket.accept(subprotocol=subprotocol)
    COUNTERS.connects += 1
    if runtime.draining:  # this process is going away: reconnect to another
        await _reject(websocket, CloseCode.SERVICE_RESTART)
        return None
    admission = await _checked(websocket, token, canvas_id, runtime)
    if admission is None:
        return None
    # Taken at once (no await between the check and the count), so simultaneous
    # handshakes are counted one by one; the endpoint gives it back when it ends.
    slots = runtime.process_slots
    if not slots.take():
        await _reject(websocket, CloseCode.TRY_AGAIN_LATER)
        return None
    try:
        connection_id = await _within_user_limits(websocket, runtime, admission.user.id)
    except BaseException:
        slots.give_back()
        raise
    if connection_id is None:
        slots.give_back()
        return None
    return _connection_for(websocket, runtime, admission, connection_id)


async def _checked(websocket: WebSocket, token: str | None, canvas_id: int | None,
                   runtime: Runtime) -> Admission | None:
    """Who the socket is for (and its canvas), or None once the socket is closed with the
    code of what failed."""
    code = CloseCode.UNAUTHORIZED
    try:
        if token is None:
            pass
        elif canvas_id is None:
            return Admission(*await runtime.admission.admit_user(token))
        else:
            return await runtime.admission.admit(token, canvas_id)
    except Unauthorized:
        code = CloseCode.UNAUTHORIZED
    except Banned:
        await websocket.close(int(CloseCode.FORBIDDEN), "banned from this canvas")
        return None
    except CanvasAccessDenied:
        code = CloseCode.FORBIDDEN
    except NotFound:
        code = CloseCode.NOT_FOUND
    await _reject(websocket, code)
    return None


def _connection_for(websocket: WebSocket, runtime: Runtime, admission: Admission,
                    connection_id: str) -> Connection:
    settings = runtime.settings
    user, claims, canvas = admission.user, admission.claims, admission.canvas
    bounds = canvas.bounds if canvas else None
    writer = _writer_for(websocket, runtime, settings.websocket_send_buffer_bytes)
    connection = Connection(
        websocket,
        writer,
        {"user_id": user.id, "username": user.username, "display_name": user.display_name},
        bounds,
        claims.jti,
        float(claims.expires_at),
        connection_id,
        is_admin=bool(user.is_admin),
    )
    writer.on_overflow = connection.close_slow_consumer
    return connection


async def _within_user_limits(websocket: WebSocket, runtime: Runtime,
                              user_id: int) -> str | None:
    """Count the new socket against the user's cap and connect rate (on every process);
    its connection id when both allow it, else the socket is closed and None returned."""
    limits = runtime.socket_limits
    connection_id = secrets.token_hex(8)
    if not await limits.admit(user_id, connection_id):
        COUNTERS.closed(int(CloseCode.POLICY))
        await websocket.close(int(CloseCode.POLICY), "too many connections for this user")
        return None
    if not await limits.allow_connect(user_id):
        COUNTERS.limited("connect")
        await _release(runtime, user_id, connection_id)
        await _reject(websocket, CloseCode.RATE_LIMITED)
        return None
    return connection_id


async def _release(runtime: Runtime, user_id: int, connection_id: str) -> None:
    try:
        await runtime.socket_limits.release(user_id, connection_id)
    except Exception:  # a Redis that is away: the count expires with this process's renewal
        log.exception("releasing connection %s of user %s failed", connection_id, user_id)


def _writer_for(websocket: WebSocket, runtime: Runtime, budget: int) -> FrameWriter:
    """The socket's writer; its overflow callback is set once the connection exists."""
    link = wire_socket(websocket)
    if link is not None:
        return TransportWriter(link, runtime.flush_scheduler(), budget, _no_connection)
    return QueueWriter(websocket, budget, _no_connection)


def _no_connection() -> None:
    pass
