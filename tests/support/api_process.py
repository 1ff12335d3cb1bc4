"""A real ``journeys api`` process (uvicorn) on a free loopback port, for API tests."""

from __future__ import annotations

import os
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


@contextmanager
def api_process(
    settings: JourneySettings, temporal_address: str, log_path: Path, **extra_env: str
) -> Iterator[str]:
    """Run ``journeys api`` until the block ends; yields its base URL."""
    port = free_port()
    env = server_env(settings, temporal_address, JOURNEYS_API_PORT=str(port), **extra_env)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "journeys.cli", "api"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"journeys api exited: {log_path.read_text()[-3000:]}")
                try:
                    if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"journeys api did not start: {log_path.read_text()}")
                time.sleep(0.1)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def issue_key(store: Store, org_id: str) -> str:
    """A new API key for ``org_id``."""
    with store.transaction() as session:
        return create_api_key(session, org_id=org_id, name="tests").key
