"""Enrollments, their visits and endings, and decisions, written as the activities write them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from journeys.contracts.activities import DecisionRecord, EnrollmentRecord
from journeys.contracts.enrollment import EnrollmentStatus, StepVisit
from journeys.contracts.scoring import UNAVAILABLE_MODEL_VERSION
from journeys.store import Store
from journeys.store.decision_audit import record_decision
from journeys.store.enrollments import upsert_enrollment
from journeys.store.step_visits import record_step_visits


def record_endings(
    store: Store, org_id: str, journey_id: str, ended_at: datetime, *, completed: int, dropped: int
) -> None:
    """``completed`` + ``dropped`` enrollments that started three days before ``ended_at``."""
    with store.transaction() as session:
        plan = [EnrollmentStatus.COMPLETED] * completed + [EnrollmentStatus.EXITED] * dropped
        for status in plan:
            enrollment_id = uuid.uuid4().hex
            start = EnrollmentRecord(
                org_id=org_id,
                customer_id=f"c-{enrollment_id[:10]}",
                journey_id=journey_id,
                journey_version=1,
                workflow_id=f"wf-{enrollment_id}",
                enrollment_id=enrollment_id,
                status=EnrollmentStatus.ACTIVE,
                at=ended_at - timedelta(days=3),
            )
            upsert_enrollment(session, start)
            outcome = "done" if status is EnrollmentStatus.COMPLETED else "exit_event:churned"
            upsert_enrollment(
                session,
                start.model_copy(update={"status": status, "outcome": outcome, "at": ended_at}),
            )


def record_decisions(
    store: Store, org_id: str, journey_id: str, at: datetime, *, ok: int, failed: int
) -> None:
    """Decide-step decisions; ``failed`` of them with the scorer unavailable."""
    with store.transaction() as session:
        for index in range(ok + failed):
            record_decision(
                session,
                DecisionRecord(
                    org_id=org_id,
                    customer_id=f"d-{index}",
                    journey_id=journey_id,
                    enrollment_id=uuid.uuid4().hex,
                    step_key="check#1",
                    decision="check",
                    model_name="engagement",
                    model_version=UNAVAILABLE_MODEL_VERSION if index < failed else "seed-000",
                    choice="low",
                    rationale="",
                    decided_at=at,
                ),
            )


def record_walks(
    store: Store,
    org_id: str,
    journey_id: str,
    started_at: datetime,
    walks: Sequence[tuple[list[str], EnrollmentStatus, str | None]],
    arms: dict[str, str] | None = None,
    customer_id: str | None = None,
) -> None:
    """Enrollments that visited the given steps and ended (or not) as given, a day after start.

    Each walk is a new customer's, unless ``customer_id`` names one for them all.
    """
    with store.transaction() as session:
        for steps, status, outcome in walks:
            enrollment_id = uuid.uuid4().hex
            start = EnrollmentRecord(
                org_id=org_id,
                customer_id=customer_id or f"w-{enrollment_id[:10]}",
                journey_id=journey_id,
                journey_version=1,
                workflow_id=f"wf-{enrollment_id}",
                enrollment_id=enrollment_id,
                status=EnrollmentStatus.ACTIVE,
                at=started_at,
                experiment_arms=arms or {},
                visits=[
                    StepVisit(step=step, visit=1, entered_at=started_at + timedelta(minutes=i))
                    for i, step in enumerate(steps)
                ],
            )
            upsert_enrollment(session, start)
            record_step_visits(session, start)
            if status is not EnrollmentStatus.ACTIVE:
                end = start.model_copy(
                    update={
                        "status": status,
                        "outcome": outcome,
                        "at": started_at + timedelta(days=1),
                        "visits": [],
                        "final_step": steps[-1],
                    }
                )
                upsert_enrollment(session, end)
                record_step_visits(session, end)
