"""Seeding: fills a canvas straight in the database, for demos and load measurements."""
