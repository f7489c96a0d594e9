"""Persistence: engine and sessions, models, migrations."""

# Every table module registers on the one declarative Base when the package is imported,
# so the app, Alembic and the schema tests all see the full metadata.
from stellarcollab.db import models, moderation, social

__all__ = ["models", "moderation", "social"]
