"""One factor scales every wait in the suite for slow machines (STELLAR_TEST_TIMEOUT_FACTOR)."""

from __future__ import annotations

import os

FACTOR = float(os.environ.get("STELLAR_TEST_TIMEOUT_FACTOR", "1"))


def scaled(seconds: float) -> float:
    return seconds * FACTOR
