"""``journeys ...`` as a real process with a test's settings."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from temporalio.testing import WorkflowEnvironment

from journeys.settings import JourneySettings
from tests.support.api_process import ROOT, server_env


class Cli:
    """Runs ``journeys ...`` with the test's settings."""

    def __init__(self, settings: JourneySettings, env: WorkflowEnvironment):
        self.env = server_env(settings, env.client.service_client.config.target_host)

    async def __call__(self, *args: str) -> tuple[int, Any, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "journeys.cli",
            *args,
            cwd=ROOT,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        text = out.decode()
        data = json.loads(text) if "--json" in args and text.strip() else text
        assert process.returncode is not None
        return process.returncode, data, err.decode()
