"""``stellarcollab bench``: the load generator, scenarios and reports."""
