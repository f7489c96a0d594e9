"""The reader of docs/PROTOCOL.md's message tables, on a made-up section."""

from __future__ import annotations

import pytest

from tests.wire.protocol_doc import documented_messages

SECTION = """
### 2.2 Server → client
Intro text with a table that is not a message's:

| Field | Type | Meaning |
|---|---|---|
| `ignored` | int | before any heading |

#### `ping_back`, `pong_back`
Sent sometimes.

| Field | Type | Meaning |
|---|---|---|
| `type` | string | |
| `id` *(optional)* | any | |

```json
{"type": "ping_back"}
{"type": "pong_back", "id": 1}
```

### 2.3 Errors
#### `not_a_server_message`
| `nope` | int | |
"""


def test_reads_headings_fields_optional_marks_and_examples() -> None:
    messages = documented_messages(SECTION)
    assert sorted(messages) == ["ping_back", "pong_back"]
    shared = messages["ping_back"]
    assert shared is messages["pong_back"]
    assert shared.required == {"type"} and shared.optional == {"id"}
    assert shared.examples == [{"type": "ping_back"}, {"type": "pong_back", "id": 1}]


def test_a_type_documented_twice_is_refused() -> None:
    twice = SECTION.replace("#### `ping_back`, `pong_back`", "#### `ping_back`, `ping_back`")
    with pytest.raises(ValueError, match="documented twice"):
        documented_messages(twice)
