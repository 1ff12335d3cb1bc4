"""Seed 001's next-best-action matrix: Jane Smith, constraints, determinism, the activity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.next_best_action import NextBestActionActivities
from journeys.decisioning.customer_decisions import CustomerDecisions
from journeys.decisioning.next_best_action import (
    BusinessConstraints,
    CustomerSignals,
    NextBestActionDecision,
    NextBestActionRequest,
    decide_next_best_action,
)
from journeys.errors import UNKNOWN_CUSTOMER_ERROR_TYPE, UnknownCustomerError
from journeys.language.channels import Channel
from journeys.language.delivery_rules import FrequencyCap
from journeys.scoring.predictive_models import ModelRegistry
from journeys.store import Store
from journeys.store.consent import ConsentStatus, record_consent
from journeys.store.decision_audit import customer_decisions
from tests.support.decisioning_fixtures import add_customer, add_events, add_send

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ORG = "acme"

JANE = CustomerSignals(
    customer_id="jane",
    name="Jane Smith",
    plan="starter",
    day=18,
    adoption_score=62,
    pricing_views_7d=2,
    emails_opened=3,
    emails_sent=5,
    churn_risk=0.23,
    upgrade_probability=0.14,
)


def decide(
    signals: CustomerSignals, constraints: BusinessConstraints | None = None
) -> NextBestActionDecision:
    return decide_next_best_action(
        signals, constraints or BusinessConstraints(), model_version="test", decided_at=NOW
    )


def test_jane_smith_gets_the_seeds_top_three() -> None:
    decision = decide(JANE)
    assert decision.primary is not None
    top = [
        (item.action, item.channel, item.confidence)
        for item in [decision.primary, *decision.backups]
    ]
    assert top == [
        ("advanced_features_email", Channel.EMAIL, 0.87),
        ("reporting_feature_spotlight", Channel.IN_APP, 0.72),
        ("roi_calculator_content", Channel.EMAIL, 0.65),
    ]
    assert decision.primary.rationale == (
        "Moderate adoption (score 62) + viewed pricing page 2x in 7 days + opened 3 of last"
        " 5 emails = ready for value expansion"
    )
    assert decision.backups[0].rationale.endswith(
        "= pricing interest suggests need for ROI visibility"
    )
    assert decision.backups[1].rationale.endswith("= build business case for expansion")
    for words in (
        "Jane Smith",
        "day 18",
        "adoption score 62",
        "viewed pricing page 2x in 7 days",
        "opened 3 of last 5 emails",
        "churn risk 23%",
        "upgrade probability 14%",
        "Chose advanced_features_email (87%)",
    ):
        assert words in decision.rationale


def test_high_churn_turns_to_a_person() -> None:
    at_risk = JANE.model_copy(update={"churn_risk": 0.75, "support_tickets_30d": 3})
    decision = decide(at_risk)
    assert decision.choice == "csm_outreach_call"
    assert decision.primary is not None
    assert decision.primary.confidence == 0.85
    assert [(b.action, b.confidence) for b in decision.backups] == [
        ("retention_offer", 0.75),
        ("reporting_feature_spotlight", 0.72),
    ]


def test_a_completed_core_workflow_turns_the_getting_started_guide_into_advanced_tips() -> None:
    # A Day-1 newcomer with low adoption: the guide first until the core workflow is done.
    newcomer = JANE.model_copy(update={"day": 1, "adoption_score": 30.0, "pricing_views_7d": 0})
    assert decide(newcomer).choice == "getting_started_guide"
    done = decide(newcomer.model_copy(update={"workflows_completed_30d": 1}))
    assert done.choice == "advanced_features_email"
    assert "completed the core workflow 1x in 30 days" in done.rationale


def test_constraints_filter_candidates_with_a_reason() -> None:
    constraints = BusinessConstraints(
        forbidden_channels={Channel.EMAIL: "opted out"},
        capped_channels={Channel.IN_APP: "frequency cap on in_app full"},
    )
    decision = decide(JANE, constraints)
    filtered = {item.action: item.filtered for item in decision.candidates if item.filtered}
    assert filtered["advanced_features_email"] == "opted out"
    assert filtered["reporting_feature_spotlight"] == "frequency cap on in_app full"
    # Only push and the human call are left.
    assert decision.choice == "reengagement_push"
    assert [b.action for b in decision.backups] == ["csm_outreach_call"]

    ready = JANE.model_copy(update={"upgrade_probability": 0.8})
    assert decide(ready).choice == "upgrade_discount_offer"
    blackout = decide(ready, BusinessConstraints(blackout=True))
    assert blackout.choice == "advanced_features_email"
    assert {i.action: i.filtered for i in blackout.candidates}["upgrade_discount_offer"] == (
        "no offers on a blackout date"
    )
    pro = decide(ready.model_copy(update={"plan": "pro"}))
    assert {i.action: i.filtered for i in pro.candidates}["upgrade_discount_offer"] == (
        "upgrade offers are for the starter plan"
    )
    email_only = decide(JANE, BusinessConstraints(available_channels=[Channel.EMAIL]))
    assert [i.action for i in [email_only.primary, *email_only.backups] if i] == [
        "advanced_features_email",
        "roi_calculator_content",
        "getting_started_guide",
    ]
    nothing = decide(JANE, BusinessConstraints(available_channels=[], human_tasks=False))
    assert nothing.choice == "no_action"
    assert nothing.primary is None
    assert "No action: every candidate was filtered" in nothing.rationale


def test_same_inputs_and_model_version_give_the_same_decision() -> None:
    assert decide(JANE) == decide(JANE.model_copy())


def store_jane(store: Store) -> None:
    add_customer(
        store,
        ORG,
        "jane",
        name="Jane Smith",
        plan="starter",
        adoption_score=62,
        mrr=49,
        signup_at=(NOW - timedelta(days=18, hours=1)).isoformat(),
    )
    add_events(
        store,
        ORG,
        "jane",
        "pricing_page_viewed",
        [NOW - timedelta(days=1), NOW - timedelta(days=3)],
    )
    add_events(store, ORG, "jane", "pricing_page_viewed", [NOW - timedelta(days=9)])
    add_events(store, ORG, "jane", "login", [NOW - timedelta(hours=h) for h in range(1, 200, 12)])
    for number in range(5):
        add_send(store, ORG, "jane", "email", NOW - timedelta(days=10 + number), opened=number < 3)


def request(**changes: object) -> NextBestActionRequest:
    return NextBestActionRequest(org_id=ORG, customer_id="jane", **changes)


def test_jane_from_the_store_with_untrained_models(store: Store, tmp_path: Path) -> None:
    store_jane(store)
    decisions = CustomerDecisions(store, ModelRegistry(tmp_path / "models"), clock=lambda: NOW)
    decision = decisions.next_best_action(
        request(journey_id="activation", enrollment_id="e-1", step_key="decide#1", workflow_id="w")
    )
    assert decision.inputs["day"] == 18
    assert decision.inputs["adoption_score"] == 62
    assert decision.inputs["pricing_views_7d"] == 2
    assert (decision.inputs["emails_opened"], decision.inputs["emails_sent"]) == (3, 5)
    assert decision.model_version == "nba-1;formula-1;formula-1"
    assert decision.choice == "advanced_features_email"
    with store.transaction() as session:
        [row] = customer_decisions(session, org_id=ORG, customer_id="jane")
    assert (row.decision, row.choice, row.enrollment_id, row.step_key) == (
        "next_best_action",
        "advanced_features_email",
        "e-1",
        "decide#1",
    )
    assert row.candidates[0] == {
        "name": "advanced_features_email",
        "score": decision.candidates[0].confidence,
    }
    assert row.rationale == decision.rationale
    # A retry of the same step visit records nothing new and decides the same.
    assert (
        decisions.next_best_action(
            request(
                journey_id="activation", enrollment_id="e-1", step_key="decide#1", workflow_id="w"
            )
        )
        == decision
    )
    with store.transaction() as session:
        assert len(customer_decisions(session, org_id=ORG, customer_id="jane")) == 1


def test_consent_and_frequency_caps_come_from_the_store(store: Store, tmp_path: Path) -> None:
    store_jane(store)
    with store.transaction() as session:
        record_consent(
            session,
            org_id=ORG,
            customer_id="jane",
            channel="in_app",
            status=ConsentStatus.OPTED_OUT,
            source="test",
            at=NOW,
        )
    add_send(store, ORG, "jane", "email", NOW - timedelta(days=1))
    add_send(store, ORG, "jane", "email", NOW - timedelta(days=2))
    decisions = CustomerDecisions(store, ModelRegistry(tmp_path / "models"), clock=lambda: NOW)
    decision = decisions.next_best_action(
        request(record=False, frequency_caps=[FrequencyCap(channel=Channel.EMAIL, limit=2)])
    )
    filtered = {item.action: item.filtered for item in decision.candidates}
    assert filtered["reporting_feature_spotlight"] == "opted out"
    assert str(filtered["advanced_features_email"]).startswith("frequency cap on email full until")
    assert decision.choice not in ("advanced_features_email", "reporting_feature_spotlight")
    blackout = CustomerDecisions(
        store, ModelRegistry(tmp_path / "models"), blackout_dates=[NOW.date()], clock=lambda: NOW
    )
    assert blackout.next_best_action(request(record=False)).choice == "advanced_features_email"


def test_unknown_customer_is_a_clear_non_retryable_error(store: Store, tmp_path: Path) -> None:
    decisions = CustomerDecisions(store, ModelRegistry(tmp_path / "models"), clock=lambda: NOW)
    with pytest.raises(UnknownCustomerError, match=r"no customer 'ghost' in organisation 'acme'"):
        decisions.next_best_action(NextBestActionRequest(org_id=ORG, customer_id="ghost"))
    activities = NextBestActionActivities(decisions)
    with pytest.raises(ApplicationError) as caught:
        ActivityEnvironment().run(
            activities.next_best_action, NextBestActionRequest(org_id=ORG, customer_id="ghost")
        )
    assert caught.value.type == UNKNOWN_CUSTOMER_ERROR_TYPE
    assert caught.value.non_retryable


def test_missing_attributes_use_documented_defaults(store: Store, tmp_path: Path) -> None:
    add_customer(store, ORG, "bare")
    add_events(store, ORG, "bare", "login", [NOW - timedelta(days=1), NOW - timedelta(days=2)])
    decisions = CustomerDecisions(store, ModelRegistry(tmp_path / "models"), clock=lambda: NOW)
    decision = decisions.next_best_action(NextBestActionRequest(org_id=ORG, customer_id="bare"))
    assert decision.inputs["adoption_score"] == 20  # 2 logins x 10 (seed 000's formula)
    with store.transaction() as session:
        [row] = customer_decisions(session, org_id=ORG, customer_id="bare")
    assert row.inputs["defaulted"] == "tenure_days, adoption_score, mrr"
    assert decision.choice == "getting_started_guide"


def test_the_activity_decides_like_the_engine(store: Store, tmp_path: Path) -> None:
    store_jane(store)
    decisions = CustomerDecisions(store, ModelRegistry(tmp_path / "models"), clock=lambda: NOW)
    activities = NextBestActionActivities(decisions)
    through_activity = ActivityEnvironment().run(activities.next_best_action, request(record=False))
    assert through_activity == decisions.next_best_action(request(record=False))
