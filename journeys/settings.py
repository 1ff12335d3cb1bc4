"""Settings for every process of the engine (worker, API, CLI, dev stack).

All settings are read from environment variables prefixed ``JOURNEYS_`` (or a
``.env`` file) by pydantic-settings, once, in the process entry point, and
then injected; library code never reads the environment itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_TASK_QUEUE = "journeys"
"""The task queue the journey workers poll; the single source of its name."""


class JourneySettings(BaseSettings):
    """Configuration of the journey engine.

    Attributes:
        data_dir: Folder for the embedded stack's files (Temporal's SQLite
            file, the store's SQLite file, logs).
        database_url: SQLAlchemy URL of the store. Empty means a SQLite file
            ``journeys.db`` under ``data_dir``. PostgreSQL URLs use psycopg 3
            (``postgresql+psycopg://...``; ``postgresql://`` is accepted too).
        temporal_address: host:port of the Temporal frontend.
        temporal_namespace: Temporal namespace of the enrollments.
        task_queue: Task queue of the journey workers.
        temporal_ui_port: Port of the Temporal UI started by ``journeys dev``.
        api_host: Interface the HTTP API binds to.
        api_port: Port of the HTTP API.
        default_org: Organisation used by the CLI and the demo when none is given.
        log_format: ``json``, ``console``, or ``auto`` (JSON unless stderr is a TTY).
        log_level: Minimum level of log records.
        demo: Whether ``journeys dev`` enrolls demo customers and sends demo events.
        max_signals_per_run: Signals one workflow run accepts before it
            continues as new (Temporal caps a run at 10,000).
    """

    model_config = SettingsConfigDict(env_prefix="JOURNEYS_", env_file=".env", extra="ignore")

    data_dir: Path = Path(".journeys")
    database_url: str = ""
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = DEFAULT_TASK_QUEUE
    temporal_ui_port: int = Field(default=8233, ge=1, le=65535)
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    default_org: str = "demo"
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    demo: bool = True
    max_signals_per_run: int = Field(default=2_000, ge=10, le=9_000)

    @field_validator("database_url")
    @classmethod
    def _normalise_postgres_driver(cls, value: str) -> str:
        """Use psycopg 3 for plain ``postgresql://`` URLs."""
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @property
    def resolved_database_url(self) -> str:
        """The store URL, defaulting to a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'journeys.db').resolve()}"
