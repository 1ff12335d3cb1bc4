"""Activities that keep the store's enrollment rows in step with the workflows."""

from __future__ import annotations

from temporalio import activity

from journeys.contracts.activities import (
    BEGIN_ENROLLMENT_ACTIVITY,
    RECORD_ENROLLMENT_ACTIVITY,
    EnrollmentRecord,
    JourneyStatusResult,
)
from journeys.store import Store
from journeys.store.enrollments import upsert_enrollment
from journeys.store.journey_status import journey_pause
from journeys.store.step_visits import record_step_visits


class EnrollmentRecordActivities:
    """Writes enrollment rows (start and end) to the store.

    Args:
        store: The store.
    """

    def __init__(self, store: Store):
        self._store = store

    @activity.defn(name=RECORD_ENROLLMENT_ACTIVITY)
    def record_enrollment(self, record: EnrollmentRecord) -> None:
        """Upsert the enrollment's row with its step visits and arms; safe to retry."""
        with self._store.transaction() as session:
            upsert_enrollment(session, record)
            record_step_visits(session, record)

    @activity.defn(name=BEGIN_ENROLLMENT_ACTIVITY)
    def begin_enrollment(self, record: EnrollmentRecord) -> JourneyStatusResult:
        """Record the enrollment's start and return whether its journey is paused."""
        with self._store.transaction() as session:
            upsert_enrollment(session, record)
            record_step_visits(session, record)
            paused, reason = journey_pause(session, record.journey_id)
        return JourneyStatusResult(paused=paused, reason=reason)
