"""Real ``journeys api`` (uvicorn, on a free loopback port) and ``journeys worker`` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tenancy import create_api_key
from tests.support.network import free_port

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 180.0


def server_env(settings: JourneySettings, temporal_address: str, **extra: str) -> dict[str, str]:
    """Environment for a ``journeys`` process using the test's settings."""
    env = dict(os.environ)
    env.update(
        {
            "JOURNEYS_DATA_DIR": str(settings.data_dir),
            "JOURNEYS_DATABASE_URL": settings.resolved_database_url,
            "JOURNEYS_TEMPORAL_ADDRESS": temporal_address,
            "JOURNEYS_TASK_QUEUE": settings.task_queue,
            "JOURNEYS_LOG_FORMAT": "json",
            "JOURNEYS_LOG_LEVEL": "info",
        }
    )
    env.update(extra)
    return env


class EngineProcess:
    """A ``journeys api`` or ``journeys worker`` process a test can SIGKILL and start again.

    The API keeps its port across restarts, so clients keep their base URL; the
    log file is appended to by every start.

    Args:
        command: ``api`` or ``worker``.
        env: The process environment (:func:`server_env`).
        log_path: Where its output goes.
    """

    def __init__(self, command: str, env: dict[str, str], log_path: Path):
        self.command = command
        self.env = dict(env)
        if command == "api":
            self.env.setdefault("JOURNEYS_API_PORT", str(free_port()))
        self.log_path = log_path
        self.base_url = f"http://127.0.0.1:{self.env.get('JOURNEYS_API_PORT')}"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The running process's id."""
        return None if self._process is None else self._process.pid

    def start(self) -> None:
        """Start it and wait until it serves (API: ``/healthz``; worker: it polls)."""
        self.log_path.touch()
        started_at = self.log_path.stat().st_size
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "journeys.cli", self.command],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._ready(started_at):
            if self._process.poll() is not None:
                raise RuntimeError(f"journeys {self.command} exited: {self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"journeys {self.command} did not start: {self.log_tail()}")
            time.sleep(0.1)

    def _ready(self, log_offset: int) -> bool:
        if self.command != "api":
            with self.log_path.open("rb") as log:
                log.seek(log_offset)
                return b"worker started" in log.read()
        try:
            return httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        """SIGKILL it (no cleanup of any kind) and reap it."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait()

    def stop(self) -> None:
        """SIGTERM it, SIGKILL after 15 s; nothing if it is not running."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log_tail(self, characters: int = 3000) -> str:
        """The end of its log, for failure messages."""
        return self.log_path.read_text(errors="replace")[-characters:]


@contextmanager
def api_process(
    settings: JourneySettings, temporal_address: str, log_path: Path, **extra_env: str
) -> Iterator[str]:
    """Run ``journeys api`` until the block ends; yields its base URL."""
    api = EngineProcess("api", server_env(settings, temporal_address, **extra_env), log_path)
    api.start()
    try:
        yield api.base_url
    finally:
        api.stop()


def issue_key(store: Store, org_id: str) -> str:
    """A new API key for ``org_id``."""
    with store.transaction() as session:
        return create_api_key(session, org_id=org_id, name="tests").key
