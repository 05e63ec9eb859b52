"""Persistence: SQLModel tables, engine (SQLite default, PostgreSQL by URL), migrations, blobs."""
