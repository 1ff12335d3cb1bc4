"""Log lines carry the ids they concern, as JSON fields (a real process, real handlers)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = """
import logging
import structlog
from journeys.settings import JourneySettings
from journeys.structured_logs import configure_logging

configure_logging(JourneySettings(log_format="json"))
with structlog.contextvars.bound_contextvars(org_id="acme", customer_id="c1"):
    structlog.get_logger("journeys.client").info(
        "enrolled", journey_id="journey_welcome", workflow_id="journey:acme:journey_welcome:c1"
    )
logging.getLogger("temporalio.activity").warning(
    "retrying",
    extra={"temporal_activity": {
        "workflow_id": "journey:acme:journey_welcome:c1",
        "workflow_run_id": "run-1",
        "activity_type": "deliver_message",
        "attempt": 2,
    }},
)
structlog.get_logger("journeys.client").debug("hidden below the info level")
"""


def test_log_lines_are_json_with_bound_and_temporal_ids() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [line["event"] for line in lines] == ["enrolled", "retrying"]
    enrolled, retrying = lines
    assert {key: enrolled[key] for key in ("org_id", "customer_id", "journey_id")} == {
        "org_id": "acme",
        "customer_id": "c1",
        "journey_id": "journey_welcome",
    }
    assert enrolled["workflow_id"] == retrying["workflow_id"] == "journey:acme:journey_welcome:c1"
    assert (retrying["run_id"], retrying["activity_type"], retrying["attempt"]) == (
        "run-1",
        "deliver_message",
        2,
    )
    assert enrolled["level"] == "info"
    assert enrolled["timestamp"].endswith("Z")
