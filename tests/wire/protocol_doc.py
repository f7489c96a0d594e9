"""Reads docs/PROTOCOL.md section 2.2: each server message type's documented fields and
examples, in the format that section describes at its top."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

PROTOCOL_MD = Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md"
SECTION_START = "### 2.2 Server → client"
MESSAGE_HEADING = re.compile(r"^#### (`[a-z_]+`(?:, `[a-z_]+`)*)\s*$")
FIELD_ROW = re.compile(r"^\| `([A-Za-z_]+)`( \*\(optional\)\*)? \|")


@dataclass
class DocumentedMessage:
    types: list[str]
    required: set[str] = field(default_factory=set)
    optional: set[str] = field(default_factory=set)
    examples: list[dict[str, object]] = field(default_factory=list)

    @property
    def fields(self) -> set[str]:
        return self.required | self.optional


def server_section(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(SECTION_START)
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("### "))
    return lines[start + 1:end]


def documented_messages(text: str | None = None) -> dict[str, DocumentedMessage]:
    """Documented messages by type (types sharing a heading share one object)."""
    lines = server_section(PROTOCOL_MD.read_text() if text is None else text)
    by_type: dict[str, DocumentedMessage] = {}
    current: DocumentedMessage | None = None
    in_example = False
    for line in lines:
        heading = MESSAGE_HEADING.match(line)
        if heading:
            current = DocumentedMessage(re.findall(r"`([a-z_]+)`", heading.group(1)))
            for message_type in current.types:
                if message_type in by_type:
                    raise ValueError(f"{message_type} is documented twice")
                by_type[message_type] = current
            continue
        if current is None:
            continue
        if line.startswith("```"):
            in_example = line.strip() == "```json"
            continue
        if in_example and line.strip():
            current.examples.append(json.loads(line))
            continue
        row = FIELD_ROW.match(line)
        if row:
            (current.optional if row.group(2) else current.required).add(row.group(1))
    return by_type
