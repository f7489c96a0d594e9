"""The account stub: who someone is, without the ORM's bookkeeping of a new object."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import inspect

from stellarcollab.db.models import User
from stellarcollab.services.users import account_stub


def test_a_stub_carries_who_someone_is_and_nothing_to_write() -> None:
    stub = account_stub(7, "vega", "Vega Lyra")
    assert isinstance(stub, User)
    assert (stub.id, stub.username, stub.display_name) == (7, "vega", "Vega Lyra")
    assert stub.email is None and stub.is_admin is None  # never read from the database
    state = inspect(stub)
    assert state.transient and not state.modified  # no change recorded to flush


def test_a_stub_reads_its_attributes_in_a_fresh_process() -> None:
    """Before anything else has used the ORM (the mappers are configured on import)."""
    code = ("from stellarcollab.services.users import account_stub; "
            "s = account_stub(1, 'a', 'A'); print(s.id, s.username, s.display_name)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "a", "A"]
