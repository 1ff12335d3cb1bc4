"""The decision audit trail, `journeys explain`, and decisions inside a real workflow."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from activities.decision_audit import DecisionAuditActivities
from activities.next_best_action import NextBestActionActivities
from journeys.cli import main
from journeys.commands.exit_codes import EXIT_NOT_FOUND
from journeys.contracts.activities import DecisionCandidate, DecisionRecord
from journeys.decisioning.client_journey_service import ClientJourneyService
from journeys.decisioning.customer_decisions import ChannelRequest, CustomerDecisions
from journeys.decisioning.next_best_action import NextBestActionRequest
from journeys.language.channels import Channel
from journeys.language.delivery_rules import FrequencyCap
from journeys.scoring.predictive_models import ModelRegistry
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.decision_audit import customer_decisions
from tests.support.decision_workflow import DecideOnceWorkflow
from tests.support.decisioning_fixtures import add_customer, add_events, add_send

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest) -> Store:
    name = "store" if request.param == "sqlite" else "pg_store"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


def record(step_key: str | None, enrollment_id: str | None = "e-1") -> DecisionRecord:
    return DecisionRecord(
        org_id="o",
        customer_id="c",
        journey_id="retention",
        workflow_id="wf",
        enrollment_id=enrollment_id,
        step_key=step_key,
        decision="retention_offer",
        model_name="retention_lift",
        model_version="retention_lift@v3",
        inputs={"churn_risk": 0.7, "clv": 2400},
        candidates=[
            DecisionCandidate(name="free_upgrade", score=90.0),
            DecisionCandidate(name="no_offer", score=0.0),
        ],
        choice="free_upgrade",
        rationale="free_upgrade: lift 10% x CLV 2,400 - cost 150 = expected value 90",
        decided_at=NOW,
    )


def test_a_step_visit_records_its_decision_once(any_store: Store) -> None:
    activities = DecisionAuditActivities(any_store)
    environment = ActivityEnvironment()
    assert environment.run(activities.record_decision, record("offer#1")) is True
    assert environment.run(activities.record_decision, record("offer#1")) is False
    assert environment.run(activities.record_decision, record("offer#2")) is True
    assert environment.run(activities.record_decision, record(None, None)) is True
    assert environment.run(activities.record_decision, record(None, None)) is True
    with any_store.transaction() as session:
        rows = customer_decisions(session, org_id="o", customer_id="c")
    assert [row.step_key for row in rows] == ["offer#1", "offer#2", None, None]
    assert rows[0].candidates == [
        {"name": "free_upgrade", "score": 90.0},
        {"name": "no_offer", "score": 0.0},
    ]
    assert rows[0].inputs == {"churn_risk": 0.7, "clv": 2400}


def test_decisions_read_the_store_on_postgresql(pg_store: Store, tmp_path: Path) -> None:
    add_customer(pg_store, "o", "c", adoption_score=62, plan="starter")
    add_events(pg_store, "o", "c", "pricing_page_viewed", [NOW - timedelta(days=1)])
    add_events(pg_store, "o", "c", "pricing_page_viewed", [NOW - timedelta(days=8)])
    add_events(pg_store, "o", "c", "login", [NOW - timedelta(days=40), NOW - timedelta(days=3)])
    for day in range(3):
        add_send(pg_store, "o", "c", "email", NOW - timedelta(days=day + 1), opened=day == 0)
        add_send(pg_store, "o", "c", "push", NOW - timedelta(days=day + 1), clicked=True)
    decisions = CustomerDecisions(pg_store, ModelRegistry(tmp_path), clock=lambda: NOW)
    decision = decisions.next_best_action(
        NextBestActionRequest(
            org_id="o",
            customer_id="c",
            frequency_caps=[FrequencyCap(channel=Channel.EMAIL, limit=3)],
        )
    )
    assert decision.inputs["pricing_views_7d"] == 1
    assert (decision.inputs["emails_opened"], decision.inputs["emails_sent"]) == (1, 3)
    assert decision.inputs["days_since_last_event"] == pytest.approx(1)
    capped = {item.action: item.filtered for item in decision.candidates}
    assert str(capped["advanced_features_email"]).startswith("frequency cap on email full")
    assert decision.choice == "reporting_feature_spotlight"
    channel = decisions.channel(ChannelRequest(org_id="o", customer_id="c", urgency="high"))
    assert (channel.channel, channel.expected_engagement_rate) == (Channel.PUSH, 1.0)


def test_explain_tells_the_story_decision_by_decision(
    store: Store,
    settings: JourneySettings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_customer(store, "o", "c", name="Jane Smith", adoption_score=62, plan="starter")
    journeys = ClientJourneyService(store, "o", clock=lambda: NOW)
    journeys.track_event("c", "onboarding", "kickoff_call", {}, NOW - timedelta(days=2))
    journeys.calculate_journey_score("c")
    DecisionAuditActivities(store).record_decision(record("offer#1"))
    CustomerDecisions(
        store, ModelRegistry(settings.data_dir / "models"), clock=lambda: NOW
    ).next_best_action(
        NextBestActionRequest(
            org_id="o", customer_id="c", journey_id="activation", step_key="nba#1"
        )
    )
    monkeypatch.setenv("JOURNEYS_DATABASE_URL", settings.resolved_database_url)
    assert main(["explain", "c", "--org", "o", "--data-dir", str(settings.data_dir)]) == 0
    out = capsys.readouterr().out
    assert "Lifecycle stage: onboarding (latest journey event 'kickoff_call'" in out
    assert "Journey score: 50 (LOW)" in out
    assert "Decisions (2), oldest first:" in out
    assert (
        "1. 2026-06-01 12:00:00  retention_offer  [journey retention, step offer#1, enrollment e-1]"
        in out
    )
    assert "model: retention_lift retention_lift@v3" in out
    assert "choice: free_upgrade" in out
    assert "candidates: free_upgrade 90.00, no_offer 0.00" in out
    assert "2. 2026-06-01 12:00:00  next_best_action  [journey activation, step nba#1]" in out
    assert "model: next_best_action nba-1;formula-1;formula-1" in out
    assert "why: Jane Smith: day 0, adoption score 62" in out

    assert (
        main(["explain", "ghost", "--org", "o", "--data-dir", str(settings.data_dir)])
        == EXIT_NOT_FOUND
    )
    assert capsys.readouterr().err == "error: no customer 'ghost' in organisation 'o'\n"


async def test_decisions_inside_a_workflow_never_crash_it(
    time_skipping_env: WorkflowEnvironment, store: Store, settings: JourneySettings
) -> None:
    add_customer(store, "o", "known", adoption_score=62, plan="starter")
    activities = NextBestActionActivities.from_settings(store, settings)
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with Worker(
            time_skipping_env.client,
            task_queue=settings.task_queue,
            workflows=[DecideOnceWorkflow],
            activities=activities.activities(),
            activity_executor=executor,
        ):
            outcomes = [
                await time_skipping_env.client.execute_workflow(
                    DecideOnceWorkflow.run,
                    NextBestActionRequest(org_id="o", customer_id=customer),
                    id=f"decide-{uuid.uuid4().hex}",
                    task_queue=settings.task_queue,
                )
                for customer in ("known", "ghost")
            ]
    # No behaviour at all: the formula fallback sees 90 idle days, a high churn risk.
    assert outcomes[0] == "retention_offer"
    assert outcomes[1] == "error:UnknownCustomerError"
