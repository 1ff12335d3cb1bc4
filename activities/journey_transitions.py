"""Activities that act on journeys as a whole: transitions between them and their status."""

from __future__ import annotations

from temporalio import activity

from journeys.client import JourneyClient
from journeys.contracts.activities import (
    ENROLL_IN_JOURNEY_ACTIVITY,
    GET_JOURNEY_STATUS_ACTIVITY,
    JourneyStatusRequest,
    JourneyStatusResult,
    TransitionRequest,
    TransitionResult,
)
from journeys.errors import EnrollmentRefusedError, UnknownJourneyError
from journeys.store.journey_status import journey_pause


class JourneyTransitionActivities:
    """Enrolls customers in the target of a transition step, through the JourneyClient.

    Args:
        journeys: The client (same catalog, store and task queue as the worker).
    """

    def __init__(self, journeys: JourneyClient):
        self._journeys = journeys

    @activity.defn(name=ENROLL_IN_JOURNEY_ACTIVITY)
    async def enroll_in_journey(self, request: TransitionRequest) -> TransitionResult:
        """Enroll in the target; a refusal (re-entry, already enrolled) is reported, not raised."""
        try:
            started = await self._journeys.enroll(
                request.org_id, request.customer_id, request.journey_id
            )
        except (EnrollmentRefusedError, UnknownJourneyError) as refusal:
            activity.logger.info("transition refused: %s", refusal)
            return TransitionResult(enrolled=False, detail=str(refusal))
        return TransitionResult(enrolled=True, workflow_id=started.workflow_id)

    @activity.defn(name=GET_JOURNEY_STATUS_ACTIVITY)
    def get_journey_status(self, request: JourneyStatusRequest) -> JourneyStatusResult:
        """Whether the journey is paused (new enrollments start held)."""
        with self._journeys.store.transaction() as session:
            paused, reason = journey_pause(session, request.journey_id)
        return JourneyStatusResult(paused=paused, reason=reason)
