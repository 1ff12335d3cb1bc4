"""Decision steps on the time-skipping server: channel selection, offers, next best action."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from journeys.catalog import SHIPPED_JOURNEYS, Catalog
from journeys.contracts.enrollment import EnrollmentResult, EnrollmentState
from journeys.decisioning.customer_decisions import CustomerDecisions
from journeys.decisioning.customer_explanation import explain_customer
from journeys.decisioning.next_best_action import ACTION_INVENTORY, NextBestActionRequest
from journeys.language import (
    BestChannelSendStep,
    Channel,
    ExitStep,
    JourneyDefinition,
    JourneyMetadata,
    NextBestActionStep,
    OfferStep,
    WaitStep,
)
from journeys.scoring.predictive_models import ModelRegistry
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.consent import ConsentStatus, record_consent
from journeys.store.tables.communication import CommunicationLog
from journeys.store.tables.decisions import DecisionAudit
from tests.support.decisioning_fixtures import add_customer, add_events, add_send
from tests.support.network import new_customer_id
from tests.support.temporal import finished, journey_client, running_worker
from tests.support.waiting import eventually

ORG = "acme"

BEST_CHANNEL = JourneyDefinition(
    id="journey_best_channel_test",
    version=1,
    metadata=JourneyMetadata(name="Best channel"),
    start="outreach",
    steps={
        "outreach": BestChannelSendStep(
            channels=[Channel.EMAIL, Channel.IN_APP],
            urgency="high",
            template="churn_outreach",
            next="done",
        ),
        "done": ExitStep(),
    },
)

OFFER = JourneyDefinition(
    id="journey_offer_test",
    version=1,
    metadata=JourneyMetadata(name="Offer"),
    start="offer",
    steps={
        "offer": OfferStep(
            templates={
                "discount_20_percent": "we_value_your_business",
                "free_upgrade": "we_value_your_business",
                "premium_support": "we_value_your_business",
                "custom_training": "we_value_your_business",
            },
            channels=[Channel.EMAIL, Channel.IN_APP],
            on_no_offer="no_offer",
            next="offered",
        ),
        "offered": ExitStep(outcome="offered"),
        "no_offer": ExitStep(outcome="no_offer"),
    },
)


def next_best_action_journey(actions: list[str]) -> JourneyDefinition:
    """A journey whose next-best-action step can execute ``actions`` (one template each)."""
    return JourneyDefinition(
        id="journey_nba_test",
        version=len(actions),
        metadata=JourneyMetadata(name="Next best action"),
        start="nba",
        steps={
            "nba": NextBestActionStep(
                templates=dict.fromkeys(actions, "churn_outreach"),
                on_no_action="nothing",
                next="acted",
            ),
            "acted": ExitStep(outcome="acted"),
            "nothing": ExitStep(outcome="no_action"),
        },
    )


CHANNEL_ACTIONS = [a.name for a in ACTION_INVENTORY if a.channel is not None]
NBA_ALL = next_best_action_journey(CHANNEL_ACTIONS)

CATALOG = Catalog([*SHIPPED_JOURNEYS, BEST_CHANNEL, OFFER, NBA_ALL])


async def run(
    env: WorkflowEnvironment, store: Store, settings: JourneySettings, journey: str, customer: str
) -> tuple[EnrollmentResult, EnrollmentState]:
    client = journey_client(env.client, store, settings, CATALOG)
    async with running_worker(env.client, settings, store):
        started = await client.enroll(ORG, customer, journey)
        handle = env.client.get_workflow_handle(started.workflow_id, result_type=EnrollmentResult)
        result = await handle.result()
        state = await handle.query("state", result_type=EnrollmentState)
    return result, state


def sends(store: Store, customer: str) -> list[tuple[str, str, str]]:
    with store.transaction() as session:
        rows = session.execute(
            select(CommunicationLog.channel, CommunicationLog.template, CommunicationLog.status)
            .where(CommunicationLog.customer_id == customer)
            .order_by(CommunicationLog.id)
        ).all()
    return [(channel, template, status) for channel, template, status in rows]


def audit(store: Store, customer: str) -> list[DecisionAudit]:
    with store.transaction() as session:
        rows = session.scalars(
            select(DecisionAudit).where(DecisionAudit.customer_id == customer)
        ).all()
        session.expunge_all()
    return list(rows)


def clicked_in_app_history(store: Store, customer: str) -> None:
    """Email: 4 sent, none clicked; in-app: 4 sent, 2 clicked (this month)."""
    at = datetime.now(UTC) - timedelta(days=10)
    add_customer(store, ORG, customer, first_name="Ada", risk_factor_statement="usage fell")
    for n in range(4):
        add_send(store, ORG, customer, "email", at)
        add_send(store, ORG, customer, "in_app", at, clicked=n < 2)


async def test_the_best_channel_by_click_rate_sends_and_is_audited(
    time_skipping_env: WorkflowEnvironment, store: Store, settings: JourneySettings
) -> None:
    customer = new_customer_id()
    clicked_in_app_history(store, customer)
    result, state = await run(time_skipping_env, store, settings, BEST_CHANNEL.id, customer)
    assert result.outcome == "completed"
    assert sends(store, customer)[-1] == ("in_app", "churn_outreach", "sent")
    [decision] = state.decisions
    assert (decision.step, decision.scorer, decision.choice) == (
        "outreach",
        "channel_selection",
        "in_app",
    )
    assert decision.score == 4 / 20  # confidence: 4 sends of 20
    [row] = audit(store, customer)
    assert (row.journey_id, row.step_key, row.choice) == (BEST_CHANNEL.id, "outreach#1", "in_app")
    assert {c["name"]: c["score"] for c in row.candidates} == {"email": 0.0, "in_app": 0.6}
    assert "runner-up email" in row.rationale
    explained = explain_customer(store, org_id=ORG, customer_id=customer)
    assert f"channel  [journey {BEST_CHANNEL.id}, step outreach#1" in explained
    assert "choice: in_app" in explained
    assert "candidates: in_app 0.60, email 0.00" in explained


async def test_the_runner_up_is_the_fallback_of_the_chosen_channel(
    time_skipping_env: WorkflowEnvironment, store: Store, settings: JourneySettings
) -> None:
    customer = new_customer_id()
    clicked_in_app_history(store, customer)
    with store.transaction() as session:
        record_consent(
            session,
            org_id=ORG,
            customer_id=customer,
            channel="in_app",
            status=ConsentStatus.OPTED_OUT,
            source="test",
            at=datetime.now(UTC),
        )
    await run(time_skipping_env, store, settings, BEST_CHANNEL.id, customer)
    assert sends(store, customer)[-2:] == [
        ("in_app", "churn_outreach", "suppressed"),
        ("email", "churn_outreach", "sent"),
    ]


async def test_the_offer_with_the_best_positive_expected_value_is_sent(
    time_skipping_env: WorkflowEnvironment, store: Store, settings: JourneySettings
) -> None:
    customer = new_customer_id()
    add_customer(store, ORG, customer, clv=1_000_000, mrr=100, first_name="Ada")
    result, state = await run(time_skipping_env, store, settings, OFFER.id, customer)
    [row] = audit(store, customer)
    best = max(row.candidates, key=lambda c: c["score"])
    assert best["score"] > 0
    assert row.choice == best["name"] != "no_offer"
    assert (result.outcome, state.decisions[0].choice) == ("offered", row.choice)
    assert sends(store, customer) == [("email", "we_value_your_business", "sent")]


async def test_no_positive_expected_value_takes_the_no_offer_branch(
    time_skipping_env: WorkflowEnvironment, store: Store, settings: JourneySettings
) -> None:
    customer = new_customer_id()
    add_customer(store, ORG, customer, clv=1, mrr=1_000)
    result, state = await run(time_skipping_env, store, settings, OFFER.id, customer)
    [row] = audit(store, customer)
    assert all(c["score"] <= 0 for c in row.candidates)
    assert (result.outcome, row.choice, state.decisions[0].choice) == (
        "no_offer",
        "no_offer",
        "no_offer",
    )
    assert sends(store, customer) == []


def moderate_adopter(store: Store, customer: str) -> None:
    """Seed 001's Jane: moderate adoption, pricing page views, opens her emails."""
    add_customer(store, ORG, customer, first_name="Jane", risk_factor_statement="a quiet week")
    now = datetime.now(UTC)
    add_events(store, ORG, customer, "pricing_page_viewed", [now - timedelta(days=1)] * 2)
    for n in range(6):
        add_events(store, ORG, customer, "feature_used", [now - timedelta(days=2)], feature=f"f{n}")
    for n in range(5):
        add_send(store, ORG, customer, "email", now - timedelta(days=3 + n), opened=n < 3)


async def test_next_best_action_executes_the_primary_action_and_audits_it(
    time_skipping_env: WorkflowEnvironment, store: Store, settings: JourneySettings
) -> None:
    customer = new_customer_id()
    moderate_adopter(store, customer)
    result, state = await run(time_skipping_env, store, settings, NBA_ALL.id, customer)
    [row] = audit(store, customer)
    primary = next(a for a in ACTION_INVENTORY if a.name == row.choice)
    assert result.outcome == "acted"
    assert row.journey_id == NBA_ALL.id
    assert row.candidates[0]["name"] == row.choice
    assert "Chose" in row.rationale
    assert (state.decisions[0].scorer, state.decisions[0].choice) == (
        "next_best_action",
        row.choice,
    )
    assert primary.channel is not None
    assert sends(store, customer)[-1] == (primary.channel.value, "churn_outreach", "sent")


async def test_a_backup_action_is_executed_when_the_primary_cannot_be(
    time_skipping_env: WorkflowEnvironment, store: Store, settings: JourneySettings
) -> None:
    customer = new_customer_id()
    moderate_adopter(store, customer)
    decisions = CustomerDecisions(store, ModelRegistry(settings.data_dir / "models"))
    ranked = decisions.next_best_action(
        NextBestActionRequest(org_id=ORG, customer_id=customer, record=False)
    )
    assert ranked.primary is not None
    assert len(ranked.backups) == 2
    backup = ranked.backups[0]
    assert backup.channel is not None
    # The journey can carry the backups but not the primary: the first backup is sent.
    journey = next_best_action_journey([b.action for b in ranked.backups])
    client = journey_client(time_skipping_env.client, store, settings, Catalog([journey]))
    async with running_worker(time_skipping_env.client, settings, store):
        started = await client.enroll(ORG, customer, journey.id)
        handle = time_skipping_env.client.get_workflow_handle(
            started.workflow_id, result_type=EnrollmentResult
        )
        assert (await handle.result()).outcome == "acted"
    assert sends(store, customer)[-1] == (backup.channel.value, "churn_outreach", "sent")
    [row] = audit(store, customer)
    assert row.choice == ranked.primary.action


OFFER_ON_DAY_5 = OFFER.model_copy(
    update={
        "id": "journey_offer_day_5_test",
        "start": "day_5",
        "steps": {**OFFER.steps, "day_5": WaitStep(day=5, next="offer")},
    }
)


async def test_a_decision_reads_features_at_the_journeys_time_not_the_wall_clock(
    time_skipping_env: WorkflowEnvironment, store: Store, settings: JourneySettings
) -> None:
    customer = new_customer_id()
    add_customer(store, ORG, customer, clv=1_000_000, mrr=100)
    client = journey_client(
        time_skipping_env.client, store, settings, Catalog([*SHIPPED_JOURNEYS, OFFER_ON_DAY_5])
    )
    async with running_worker(time_skipping_env.client, settings, store):
        started = await client.enroll(ORG, customer, OFFER_ON_DAY_5.id)
        handle = time_skipping_env.client.get_workflow_handle(
            started.workflow_id, result_type=EnrollmentResult
        )

        async def waiting_for_day_5() -> bool:
            state = await handle.query("state", result_type=EnrollmentState)
            return state.wait_until is not None

        await eventually(waiting_for_day_5)
        state = await handle.query("state", result_type=EnrollmentState)
        assert state.wait_until is not None
        day_5 = state.wait_until
        # A login on journey day 3: days ahead of the wall clock on the time-skipping server.
        add_events(store, ORG, customer, "login", [day_5 - timedelta(days=2)])
        await finished(time_skipping_env, started.workflow_id)
    [row] = audit(store, customer)
    assert row.inputs["logins_30d"] == 1
    assert round(row.inputs["days_since_last_event"]) == 2
    decided_at = row.decided_at.replace(tzinfo=row.decided_at.tzinfo or UTC)
    assert day_5 <= decided_at < day_5 + timedelta(hours=1)
