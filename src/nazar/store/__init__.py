"""Storage: SQLAlchemy models and Alembic migrations for SQLite (default) and PostgreSQL."""
