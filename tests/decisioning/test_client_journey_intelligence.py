"""Seed 003: stages, risks, journey score, risk levels, actions, next action, listings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from journeys.decisioning.client_journey_intelligence import (
    STAGES,
    action_priority,
    action_reason,
    generate_actions,
    journey_score,
    risk_level,
)
from journeys.decisioning.client_journey_service import (
    ClientJourneyService,
    NextBestActionEngine,
    keep_journey_score_current,
)
from journeys.decisioning.risk_detection import detect_risks
from journeys.errors import InvalidInputError
from journeys.store import Store
from journeys.store.customers import upsert_customer

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ORG = "org-cji"


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest) -> Store:
    name = "store" if request.param == "sqlite" else "pg_store"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


def service(store: Store) -> ClientJourneyService:
    return ClientJourneyService(store, ORG, clock=lambda: NOW)


def test_the_nine_stages_in_seed_order() -> None:
    assert STAGES == (
        "lead",
        "qualified_lead",
        "onboarding",
        "active_project",
        "awaiting_feedback",
        "billing",
        "retention",
        "upsell_candidate",
        "churn_risk",
    )


@pytest.mark.parametrize(
    ("risks", "level", "priority"),
    [
        (0, "LOW", "low"),
        (1, "LOW", "low"),
        (2, "MEDIUM", "medium"),
        (3, "HIGH", "high"),
        (4, "CRITICAL", "urgent"),
        (6, "CRITICAL", "urgent"),
    ],
)
def test_risk_level_and_priority_by_number_of_risks(risks: int, level: str, priority: str) -> None:
    assert risk_level(risks) == level
    assert action_priority(level) == priority


@pytest.mark.parametrize(
    ("ai_score", "stage", "risks", "expected"),
    [
        (None, "lead", 0, 50),
        (0, "lead", 0, 50),  # the seed's `ai_score || 50`: zero counts as missing
        (70, "onboarding", 1, 70 + 10 - 10),
        (None, "churn_risk", 0, 50 + 40),
        (20, "qualified_lead", 3, 0),  # 20 + 5 - 30 = -5, floored at 0
        (25, "qualified_lead", 3, 0),  # exactly 0
        (26, "qualified_lead", 3, 1),
    ],
)
def test_journey_score_formula_and_floor(
    ai_score: float | None, stage: str, risks: int, expected: float
) -> None:
    assert journey_score(ai_score, stage, risks) == expected


@pytest.mark.parametrize(
    ("stage", "risks", "actions"),
    [
        ("lead", [], ["email_outreach"]),
        ("qualified_lead", [], ["email_outreach"]),
        ("onboarding", [], ["schedule_meeting"]),
        ("active_project", [], []),
        ("awaiting_feedback", [], ["trigger_satisfaction_survey"]),
        ("billing", [], []),
        ("retention", [], []),
        ("upsell_candidate", [], ["offer_credit_pack"]),
        ("churn_risk", [], ["concierge_personal_intervention"]),
        (
            "onboarding",
            ["negative_sentiment", "late_invoices", "low_engagement"],
            [
                "schedule_meeting",
                "send_voice_message",
                "email_outreach",
                "concierge_personal_intervention",
            ],
        ),
        ("lead", ["late_invoices"], ["email_outreach"]),
        ("churn_risk", ["negative_sentiment"], ["concierge_personal_intervention"]),
    ],
)
def test_actions_by_stage_then_risk_deduplicated(
    stage: str, risks: list[str], actions: list[str]
) -> None:
    assert generate_actions(stage, risks) == actions


def test_reason_texts_of_the_seed() -> None:
    assert action_reason("email_outreach", "LOW") == "Client needs re-engagement via email"
    assert action_reason("schedule_meeting", "LOW") == "Personal meeting recommended for onboarding"
    assert action_reason("send_voice_message", "LOW") == "Voice message can improve engagement"
    assert (
        action_reason("concierge_personal_intervention", "HIGH")
        == "HIGH risk detected - personal intervention needed"
    )
    assert action_reason("offer_credit_pack", "LOW") == "Good candidate for additional services"
    assert action_reason("trigger_satisfaction_survey", "LOW") == "Collect feedback on recent work"
    assert action_reason("other", "LOW") == "Action recommended based on journey analysis"


def test_risk_rules_at_their_boundaries() -> None:
    assert detect_risks(3, 0, []) == []
    assert detect_risks(2, 0, []) == ["low_engagement"]
    assert detect_risks(3, 1, []) == ["late_invoices"]
    negative = {"sentiment": "negative"}
    assert detect_risks(3, 0, [negative, {}, {}]) == []
    assert detect_risks(3, 0, [negative, {}, negative]) == ["negative_sentiment"]
    # Only the latest ten count: two negatives at positions 11 and 12 are no risk.
    assert detect_risks(3, 0, [{}] * 10 + [negative, negative]) == []


def test_low_engagement_counts_journey_events_of_the_last_30_days(any_store: Store) -> None:
    journeys = service(any_store)
    journeys.track_event("three", "onboarding", "kickoff", {}, NOW - timedelta(days=30))
    journeys.track_event("three", "onboarding", "call", {}, NOW - timedelta(days=10))
    journeys.track_event("three", "onboarding", "call", {}, NOW)
    journeys.track_event("two", "onboarding", "kickoff", {}, NOW - timedelta(days=30, seconds=1))
    journeys.track_event("two", "onboarding", "call", {}, NOW - timedelta(days=10))
    journeys.track_event("two", "onboarding", "call", {}, NOW)
    assert journeys.detect_risks("three") == []
    assert journeys.detect_risks("two") == ["low_engagement"]


def test_late_invoices_and_negative_sentiment_from_the_store(any_store: Store) -> None:
    journeys = service(any_store)
    for day in range(3):
        journeys.track_event("payer", "billing", "invoice_sent", {}, NOW - timedelta(days=day))
        journeys.track_event("late", "billing", "invoice_sent", {}, NOW - timedelta(days=day))
    journeys.track_event("payer", "onboarding", "invoice_overdue", {}, NOW - timedelta(days=5))
    journeys.track_event("late", "billing", "invoice_overdue", {}, NOW - timedelta(days=400))
    assert journeys.detect_risks("payer") == []
    assert journeys.detect_risks("late") == ["late_invoices"]

    for minute in range(10):
        sentiment = "negative" if minute in (8, 9) else "neutral"
        journeys.track_event(
            "unhappy",
            "active_project",
            "update",
            {"sentiment": sentiment},
            NOW - timedelta(minutes=minute),
        )
    assert journeys.detect_risks("unhappy") == ["negative_sentiment"]
    # One newer event pushes the oldest negative one out of the latest ten: one is no risk.
    journeys.track_event("unhappy", "active_project", "update", {}, NOW + timedelta(minutes=1))
    assert journeys.detect_risks("unhappy") == []


def test_current_stage_is_the_latest_events_stage(any_store: Store) -> None:
    journeys = service(any_store)
    assert journeys.get_current_stage("new") == "lead"
    journeys.track_event("c1", "billing", "invoice_sent", {}, NOW - timedelta(days=2))
    journeys.track_event("c1", "retention", "renewal_call", {}, NOW - timedelta(days=1))
    journeys.track_event("c1", "onboarding", "late_report", {}, NOW - timedelta(days=3))
    assert journeys.get_current_stage("c1") == "retention"
    assert [event.stage for event in journeys.get_client_journey("c1")] == [
        "onboarding",
        "billing",
        "retention",
    ]


def test_score_is_persisted_and_high_risk_clients_are_listed(any_store: Store) -> None:
    with any_store.transaction() as session:
        upsert_customer(
            session,
            org_id=ORG,
            customer_id="risky",
            attributes={"name": "Risky Co", "email": "r@example.test", "ai_score": 60},
        )
    journeys = service(any_store)
    old = NOW - timedelta(days=40)
    journeys.track_event("risky", "billing", "invoice_overdue", {"sentiment": "negative"}, old)
    journeys.track_event("risky", "billing", "dispute", {"sentiment": "negative"}, old)
    score = journeys.calculate_journey_score("risky")
    assert score.risks == ["low_engagement", "late_invoices", "negative_sentiment"]
    assert score.risk_level == "HIGH"
    assert score.score == 60 + 5 * 5 - 30
    assert score.recommended_actions == [
        "send_voice_message",
        "email_outreach",
        "concierge_personal_intervention",
    ]
    healthy = service(any_store)
    for day in range(3):
        healthy.track_event("fine", "onboarding", "call", {}, NOW - timedelta(days=day))
    assert healthy.calculate_journey_score("fine").risk_level == "LOW"

    listed = journeys.get_high_risk_clients()
    assert [(row.client_id, row.risk_level, row.score) for row in listed] == [("risky", "HIGH", 55)]
    assert listed[0].contact is not None
    assert listed[0].contact.name == "Risky Co"
    assert listed[0].generated_at == NOW


def test_next_action_priority_and_reason(any_store: Store) -> None:
    journeys = service(any_store)
    engine = NextBestActionEngine(journeys)
    for day in range(3):
        journeys.track_event("onb", "onboarding", "call", {}, NOW - timedelta(days=day))
    action = engine.get_action_for_client("onb")
    assert action is not None
    assert (action.action, action.priority, action.reason) == (
        "schedule_meeting",
        "low",
        "Personal meeting recommended for onboarding",
    )
    for day in range(3):
        journeys.track_event("busy", "billing", "invoice_sent", {}, NOW - timedelta(days=day))
    assert engine.get_action_for_client("busy") is None

    journeys.track_event("churny", "churn_risk", "cancel_intent", {"sentiment": "negative"}, NOW)
    journeys.track_event("churny", "churn_risk", "complaint", {"sentiment": "negative"}, NOW)
    action = engine.get_action_for_client("churny")
    assert action is not None
    assert (action.action, action.priority, action.reason) == (
        "concierge_personal_intervention",
        "medium",
        "MEDIUM risk detected - personal intervention needed",
    )


def test_upsell_candidates_once_per_client(any_store: Store) -> None:
    journeys = service(any_store)
    journeys.track_event("a", "upsell_candidate", "usage_peak", {}, NOW - timedelta(days=3))
    journeys.track_event("a", "upsell_candidate", "usage_peak", {}, NOW - timedelta(days=1))
    journeys.track_event("b", "upsell_candidate", "asked_for_more", {}, NOW - timedelta(days=2))
    journeys.track_event("c", "retention", "renewal", {}, NOW)
    other_org = ClientJourneyService(any_store, "other-org", clock=lambda: NOW)
    other_org.track_event("z", "upsell_candidate", "usage_peak", {}, NOW)
    assert [c.client_id for c in journeys.get_upsell_candidates()] == ["a", "b"]


def test_bad_input_names_the_field(store: Store) -> None:
    journeys = service(store)
    with pytest.raises(InvalidInputError, match=r"^stage: 'prospect' is not one of lead"):
        journeys.track_event("c", "prospect", "x", {})
    with pytest.raises(InvalidInputError, match=r"^client_id: must be a non-empty string"):
        journeys.track_event(" ", "lead", "x", {})
    with pytest.raises(InvalidInputError, match=r"^event_type: must be a non-empty string"):
        journeys.track_event("c", "lead", "", {})
    with pytest.raises(InvalidInputError, match=r"^org_id"):
        ClientJourneyService(store, "")


def test_the_database_refuses_unknown_stages_and_risk_levels(any_store: Store) -> None:
    with pytest.raises(IntegrityError), any_store.transaction() as session:
        session.execute(
            text(
                "INSERT INTO client_journey_events (org_id, client_id, stage, event_type,"
                " metadata, occurred_at) VALUES ('o', 'c', 'prospect', 'x', '{}', :at)"
            ),
            {"at": NOW},
        )
    with pytest.raises(IntegrityError), any_store.transaction() as session:
        session.execute(
            text(
                "INSERT INTO client_journey_scores (org_id, client_id, score, risk_level,"
                " recommended_actions, generated_at) VALUES ('o', 'c', 1, 'SEVERE', '[]', :at)"
            ),
            {"at": NOW},
        )


def test_ingested_events_with_a_journey_stage_keep_the_score_current(store: Store) -> None:
    assert (
        keep_journey_score_current(
            store,
            org_id=ORG,
            customer_id="k",
            event_name="login",
            properties={},
            occurred_at=NOW,
        )
        is None
    )
    score = keep_journey_score_current(
        store,
        org_id=ORG,
        customer_id="k",
        event_name="kickoff_call",
        properties={"journey_stage": "onboarding", "sentiment": "positive"},
        occurred_at=datetime.now(UTC),
    )
    assert score is not None
    assert score.stage == "onboarding"
    journey = service(store).get_client_journey("k")
    assert [(e.event_type, e.metadata) for e in journey] == [
        ("kickoff_call", {"sentiment": "positive"})
    ]
