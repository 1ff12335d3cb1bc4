"""The replay gate: the interpreter must replay the committed history of every journey version."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from journeys.catalog import SHIPPED_JOURNEYS
from tests.replay.record_histories import (
    HISTORIES,
    RECORDED_POLICIES,
    history_path,
    policy_history_path,
)
from workflows.journey_workflow import JourneyWorkflow


def test_every_shipped_journey_version_has_a_history() -> None:
    missing = [
        journey.key
        for journey in SHIPPED_JOURNEYS
        if not history_path(journey.id, journey.version).exists()
    ]
    assert not missing, f"record histories for {missing}: python -m tests.replay.record_histories"


def test_drained_and_migrated_enrollments_have_histories() -> None:
    recorded = {path.name for path in HISTORIES.glob("*.json")}
    missing = [
        policy.value
        for policy in RECORDED_POLICIES
        if not any(name.startswith(policy_history_path(policy).stem) for name in recorded)
    ]
    assert not missing, f"record histories for {missing}: python -m tests.replay.record_histories"


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
async def test_history_replays(path: Path) -> None:
    text = await asyncio.to_thread(path.read_text)
    workflow_id = f"replay:{path.stem}"
    assert json.loads(text)["events"], "empty history"
    replayer = Replayer(workflows=[JourneyWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(WorkflowHistory.from_json(workflow_id, text))
    assert result.replay_failure is None, result.replay_failure
