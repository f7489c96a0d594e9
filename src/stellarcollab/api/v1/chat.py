"""Chat routes: paged history and sending (which also reaches the sockets)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, status

from stellarcollab.api.v1.deps import CurrentUser, RuntimeDep
from stellarcollab.api.v1.schemas import ChatMessageOut, ChatPage, ChatSend

router = APIRouter(prefix="/canvases", tags=["chat"])


@router.get("/{canvas_id}/chat/messages", response_model=ChatPage)
async def chat_history(
    canvas_id: int,
    user: CurrentUser,
    runtime: RuntimeDep,
    limit: int = Query(50, ge=1, le=200),
    before: str | None = Query(None, max_length=36, pattern=r"^[0-9A-Za-z-]+$"),
) -> Any:
    return await runtime.chat.history(user, canvas_id, limit, before)


@router.post("/{canvas_id}/chat/messages", response_model=ChatMessageOut,
             status_code=status.HTTP_201_CREATED)
async def send_chat(canvas_id: int, body: ChatSend, user: CurrentUser, runtime: RuntimeDep) -> Any:
    """Stored, then broadcast; with ``client_id``, a retry returns the stored message.
    While the broker is unreachable the message is stored and broadcast once it is back."""
    return (await runtime.chat.send(user, canvas_id, body.text, client_id=body.client_id)).view
