"""Group commit of chat: messages queued together are stored in one INSERT, each sender
returns once its message is committed, and a message at fault fails alone."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from stellarcollab.db.models import ChatMessage
from stellarcollab.db.types import utcnow
from stellarcollab.services.canvases import CanvasSpec
from stellarcollab.services.chat_writer import CHAT_COLUMNS, ChatRecord, ChatWriter
from tests.services.conftest import Services


async def test_messages_queued_together_are_committed_in_one_batch(services: Services) -> None:
    user = await services.user()
    canvas = await services.canvases.create(user, CanvasSpec(name="chat"))
    writer = ChatWriter(services.db)
    records = [ChatRecord(str(uuid.uuid4()), canvas["id"], user.id, f"m{i}", utcnow())
               for i in range(30)]
    try:
        await asyncio.gather(*(writer.store(record) for record in records))
    finally:
        await writer.stop()
    async with services.db.read() as session:
        stored = (await session.scalars(
            select(ChatMessage.text).where(ChatMessage.canvas_id == canvas["id"])
            .order_by(ChatMessage.pk))).all()
    assert stored == [f"m{i}" for i in range(30)]


async def test_a_bad_message_fails_alone(services: Services) -> None:
    user = await services.user()
    canvas = await services.canvases.create(user, CanvasSpec(name="chat"))
    writer = ChatWriter(services.db)
    same_id = str(uuid.uuid4())  # the unique id makes the second row, so the batch, fail
    records = [ChatRecord(same_id, canvas["id"], user.id, f"twice {i}", utcnow())
               for i in range(2)]
    try:
        results = await asyncio.gather(*(writer.store(r) for r in records),
                                       return_exceptions=True)
    finally:
        await writer.stop()
    assert results[0] is None and isinstance(results[1], Exception)
    async with services.db.read() as session:
        count = await session.scalar(select(func.count()).select_from(ChatMessage)
                                     .where(ChatMessage.canvas_id == canvas["id"]))
    assert count == 1


def test_a_record_is_the_table_row() -> None:
    record = ChatRecord("m", 1, 2, "hi", utcnow())
    assert set(CHAT_COLUMNS) == {c.name for c in ChatMessage.__table__.columns} - {"pk"}
    assert dict(zip(CHAT_COLUMNS, record.row(), strict=True)) == {
        "id": "m", "canvas_id": 1, "sender_id": 2, "text": "hi",
        "created_at": record.created_at, "client_id": None}
    with pytest.raises(AttributeError):
        record.text = "changed"  # type: ignore[misc]
