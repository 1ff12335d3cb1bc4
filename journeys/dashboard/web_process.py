"""Running the web dashboard as a child process of ``journeys dev``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from journeys.settings import JourneySettings

WEB_APP = Path(__file__).with_name("web_app.py")
"""The Streamlit script."""


def dashboard_command(settings: JourneySettings) -> list[str]:
    """``streamlit run`` of the dashboard on ``api_host:dashboard_port``, headless."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(WEB_APP),
        "--server.address",
        settings.api_host,
        "--server.port",
        str(settings.dashboard_port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


def start_dashboard(
    settings: JourneySettings, log_path: Path, preexec_fn: Callable[[], None] | None = None
) -> subprocess.Popen[bytes]:
    """Start the dashboard reading the same store and catalog as the stack; logs to ``log_path``.

    ``preexec_fn`` runs in the child before ``streamlit`` (the dev stack ties the
    child's life to its own with it).
    """
    env = dict(os.environ)
    env.update(
        {
            "JOURNEYS_DATABASE_URL": settings.resolved_database_url,
            "JOURNEYS_CATALOG": settings.catalog,
            "JOURNEYS_DEFAULT_ORG": settings.default_org,
        }
    )
    with log_path.open("ab") as log:
        return subprocess.Popen(
            dashboard_command(settings),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=preexec_fn,
        )


def stop_dashboard(process: subprocess.Popen[bytes]) -> None:
    """Stop the dashboard (terminate, then kill after 10 s)."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
