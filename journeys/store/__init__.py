"""The store: SQLAlchemy 2 models and Alembic migrations, SQLite or PostgreSQL."""

from journeys.store.database import Store

__all__ = ["Store"]
