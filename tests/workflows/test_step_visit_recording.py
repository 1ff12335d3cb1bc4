"""Interpreter revision 2 records step visits, arms and outcomes once per visit."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from journeys.client import TrackedEvent
from journeys.contracts import search_attributes as sa
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.step_visits import ARM_DECISION
from journeys.store.tables.communication import CommunicationLog
from journeys.store.tables.decisions import DecisionAudit
from journeys.store.tables.enrollments import Enrollment, StepVisitRow
from tests.support.journey_scenarios import ORG
from tests.support.measured_population import (
    HELD_OUT,
    MEASURED,
    held_out_customer,
    measured_catalog,
    resting_at,
    walk_population,
)
from tests.support.temporal import finished, journey_client, running_worker

PATHS = {
    "goal": ["split", "welcome", "day_0"],
    "engaged": ["split", "welcome", "day_0", "day_3", "done"],
    "quiet": ["split", "welcome", "day_0", "nudge", "day_3", "done"],
    "closed": ["split", "welcome", "day_0"],
}
OUTCOMES = {
    "goal": ("exited", "goal_reached"),
    "engaged": ("completed", "completed_journey"),
    "quiet": ("completed", "completed_journey"),
    "closed": ("exited", "exit_event:account_closed"),
}


async def test_each_visit_arm_and_outcome_is_recorded_once(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    env = time_skipping_env
    client = journey_client(env.client, store, settings, measured_catalog())
    async with running_worker(env.client, settings, store):
        members = await walk_population(env, client)
        states = {
            m.customer_id: await client.get_enrollment(ORG, m.customer_id, MEASURED.id)
            for m in members
        }
        attributes = {
            m.customer_id: (
                await env.client.get_workflow_handle(m.workflow_id).describe()
            ).typed_search_attributes.get(sa.EXPERIMENT_ARMS)
            for m in members
        }
    with store.transaction() as session:
        visits = session.scalars(select(StepVisitRow).order_by(StepVisitRow.id)).all()
        enrollments = {row.customer_id: row for row in session.scalars(select(Enrollment))}
        audit = session.scalars(
            select(DecisionAudit).where(DecisionAudit.decision == ARM_DECISION)
        ).all()
    by_customer: dict[str, list[StepVisitRow]] = {}
    for row in visits:
        by_customer.setdefault(row.customer_id, []).append(row)
    for member in members:
        rows = by_customer[member.customer_id]
        welcome = f"welcome_{member.arm}"
        expected = [welcome if step == "welcome" else step for step in PATHS[member.kind]]
        assert sorted(r.step for r in rows) == sorted(expected), member
        assert Counter((r.step, r.visit) for r in rows) == Counter((s, 1) for s in expected)
        split = next(r for r in rows if r.step == "split")
        assert (split.experiment, split.arm) == ("welcome_copy", member.arm)
        enrollment = enrollments[member.customer_id]
        assert (enrollment.status, enrollment.outcome) == OUTCOMES[member.kind]
        assert enrollment.final_step == expected[-1]
        assert enrollment.experiment_arms == {"welcome_copy": member.arm}
        assert states[member.customer_id].experiment_arms == {"welcome_copy": member.arm}
        assert attributes[member.customer_id] == [f"welcome_copy={member.arm}"]
    assert sorted((a.customer_id, a.choice) for a in audit) == sorted(
        (m.customer_id, m.arm) for m in members
    )


async def test_a_held_out_customer_walks_the_journey_but_is_sent_nothing(
    time_skipping_env: WorkflowEnvironment, settings: JourneySettings, store: Store
) -> None:
    env = time_skipping_env
    client = journey_client(env.client, store, settings, measured_catalog())
    held, treated = held_out_customer("holdout", "h"), held_out_customer("treated", "t")
    async with running_worker(env.client, settings, store):
        started = [await client.enroll(ORG, customer, HELD_OUT.id) for customer in (held, treated)]
        for customer in (held, treated):
            await resting_at(client, customer, HELD_OUT.id, "day_0")
            await client.track(
                TrackedEvent(org_id=ORG, customer_id=customer, name="core_workflow_completed")
            )
        results = [await finished(env, s.workflow_id) for s in started]
    with store.transaction() as session:
        sent = Counter(session.scalars(select(CommunicationLog.customer_id)))
        arms = {row.customer_id: row.experiment_arms for row in session.scalars(select(Enrollment))}
        visited = Counter(session.scalars(select(StepVisitRow.customer_id)))
    assert [r.outcome for r in results] == ["goal_reached", "goal_reached"]
    assert sent == {treated: 1}
    assert arms[held]["holdout"] == "holdout"
    assert arms[treated]["holdout"] == "treated"
    assert visited[held] == visited[treated] == 3
