"""``journeys dashboard`` prints seed 001's live view with the store's figures."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from journeys.cli import main
from journeys.contracts.activities import DecisionCandidate, DecisionRecord
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.decision_audit import record_decision
from journeys.store.events import record_event
from journeys.store.tables.communication import CommunicationLog
from journeys.store.tables.journeys import HealthAlert
from tests.support.health_data import record_endings

ORG = "acme"


def send(status: str, channel: str = "email") -> CommunicationLog:
    key = uuid.uuid4().hex
    return CommunicationLog(
        idempotency_key=key,
        org_id=ORG,
        customer_id="c",
        journey_id="activation",
        journey_version=1,
        workflow_id="wf",
        enrollment_id=key,
        step_key="s#1",
        channel=channel,
        template="t",
        status=status,
    )


def test_live_view(
    store: Store,
    settings: JourneySettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("JOURNEYS_DATABASE_URL", settings.resolved_database_url)
    assert main(["dashboard", "--org", ORG]) == 0
    empty = capsys.readouterr().out
    assert "(no enrollments yet)" in empty
    assert "✓ no active alerts" in empty

    now = datetime.now(UTC)
    record_endings(store, ORG, "activation", now - timedelta(days=1), completed=3, dropped=1)
    with store.transaction() as session:
        for index in range(5):
            record_event(
                session,
                org_id=ORG,
                event_id=f"e{index}",
                customer_id="c",
                name="login",
                occurred_at=now,
                properties={},
            )
        session.add_all(
            [send("sent") for _ in range(8)]
            + [send("failed", "sms") for _ in range(2)]
            + [send("capped") for _ in range(3)]
            + [send("suppressed") for _ in range(1)]
            + [send("deferred")]
        )
        for index, (choice, score) in enumerate([("email", 0.9), ("email", 0.7), ("in_app", 0.5)]):
            record_decision(
                session,
                DecisionRecord(
                    org_id=ORG,
                    customer_id=f"c{index}",
                    journey_id="activation",
                    enrollment_id=f"n{index}",
                    step_key="nba#1",
                    decision="next_best_action",
                    model_name="nba",
                    model_version="1",
                    choice=choice,
                    rationale="",
                    candidates=[DecisionCandidate(name=choice, score=score)],
                    decided_at=now,
                ),
            )
        session.add(
            HealthAlert(
                org_id=ORG,
                journey_id="activation",
                journey_version=1,
                rule="dropoff_spike",
                severity="critical",
                message="Drop-off rate spiked to 25.0% (baseline: 10.0%)",
                action="",
                value=0.25,
                threshold=0.15,
            )
        )
    assert main(["dashboard", "--org", ORG]) == 0
    out = capsys.readouterr().out
    assert "ACTIVE JOURNEYS: 0 | Total customers in journeys: 0" in out
    # 4 ended, 3 completed at an exit step: 3 converted, 75.0%.
    assert "│ activation " in out
    assert "│ 4 " in out
    assert "│ 3 " in out
    assert "│ 75.0% " in out
    assert "Triggers fired: 5" in out
    # 8 sent of 14 attempted (the deferred one is not an attempt): 57.1%.
    assert "Actions executed: 8 (57.1% delivery rate)" in out
    assert "Failed deliveries: 2 (sms: 2)" in out
    assert "Suppressed (frequency cap): 3" in out
    assert "Suppressed (opt-out): 1" in out
    assert "NBA decisions: 3 | Avg confidence score: 70.0%" in out
    assert "1. email: 2 [66.7%]" in out
    assert "2. in_app: 1 [33.3%]" in out
    assert "✗ activation: Drop-off rate spiked to 25.0% (baseline: 10.0%)" in out
