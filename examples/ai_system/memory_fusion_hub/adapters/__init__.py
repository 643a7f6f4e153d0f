"""Storage adapters (Redis, SQLite, cloud backup)."""
