"""The registry: every constructor is found, keyword-only, and builds its own type; the
package stays pure."""

from __future__ import annotations

import inspect
import subprocess
import sys

import orjson
import pytest

from stellarcollab.wire.registry import ServerMessage, all_messages, server_message

MESSAGES = all_messages()
GUIDE_AND_EXTENSION_TYPES = {
    "canvas_state", "user_joined", "user_left", "canvas_chat_message", "user_typing",
    "user_presence_update", "tile_created", "tile_updated", "tile_deleted", "tile_liked",
    "tile_unliked", "tile_highlight", "canvas_updated", "canvas_deleted", "pong", "auth_ok",
    "resync_required", "error",
}


def test_every_message_the_server_sends_has_a_constructor() -> None:
    assert {message.type for message in MESSAGES} >= GUIDE_AND_EXTENSION_TYPES


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: m.name)
def test_constructor_builds_its_type_from_keyword_arguments(message: ServerMessage) -> None:
    parameters = inspect.signature(message.build).parameters.values()
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters)
    assert all(p.annotation is not inspect.Parameter.empty for p in parameters)
    sample = message.sample()
    assert sample["type"] == message.type
    assert orjson.loads(orjson.dumps(sample)) == sample  # plain JSON data


def test_a_constructor_registers_once() -> None:
    def build() -> dict[str, object]:
        return {"type": "x"}

    build.__module__ = MESSAGES[0].build.__module__
    build.__qualname__ = MESSAGES[0].build.__qualname__
    with pytest.raises(ValueError, match="registered twice"):
        server_message("x", example={})(build)


def test_the_package_imports_neither_asyncio_nor_web_frameworks() -> None:
    script = (
        "import sys\n"
        "from stellarcollab.wire.registry import all_messages\n"
        "from stellarcollab.wire.client import client_message_types\n"
        "all_messages(); client_message_types()\n"
        "banned = ('asyncio', 'starlette', 'fastapi', 'sqlalchemy', 'uvicorn')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(banned)))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
