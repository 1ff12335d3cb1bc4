"""Experiment populations: enrollments of an arm of the measured journey, as recorded."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from journeys.contracts.activities import EnrollmentRecord
from journeys.contracts.enrollment import EnrollmentStatus
from journeys.store import Store
from journeys.store.enrollments import upsert_enrollment
from journeys.store.step_visits import record_step_visits
from tests.support.journey_scenarios import ORG
from tests.support.measured_population import MEASURED

SAMPLE = 500
"""Seed 000: declare a winner after 500 users per variant."""

START = datetime(2026, 11, 1, tzinfo=UTC)


def enroll_arm(
    store: Store, arm: str, completed: int, dropped: int, active: int = 0, start: datetime = START
) -> None:
    """Enrollments of ``arm`` recorded as the bookkeeping activity records them."""
    with store.transaction() as session:
        plan = [EnrollmentStatus.COMPLETED] * completed + [EnrollmentStatus.EXITED] * dropped
        plan += [EnrollmentStatus.ACTIVE] * active
        for index, status in enumerate(plan):
            enrollment_id = uuid.uuid4().hex
            started = start + timedelta(minutes=index)
            base = EnrollmentRecord(
                org_id=ORG,
                customer_id=f"{arm}-{enrollment_id[:8]}",
                journey_id=MEASURED.id,
                journey_version=1,
                workflow_id=f"wf-{enrollment_id}",
                enrollment_id=enrollment_id,
                status=EnrollmentStatus.ACTIVE,
                at=started,
                experiment_arms={"welcome_copy": arm},
            )
            upsert_enrollment(session, base)
            record_step_visits(session, base)
            if status is not EnrollmentStatus.ACTIVE:
                ended = base.model_copy(
                    update={
                        "status": status,
                        "outcome": "completed_journey"
                        if status is EnrollmentStatus.COMPLETED
                        else "exit_event:account_closed",
                        "at": started + timedelta(days=3),
                        "final_step": "done",
                    }
                )
                upsert_enrollment(session, ended)
