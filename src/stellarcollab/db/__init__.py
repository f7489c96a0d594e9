"""Persistence: engine and sessions, models, migrations. Importing the package registers
every table on the one declarative Base (the core model and the moderation tables)."""

from stellarcollab.db import moderation as moderation
