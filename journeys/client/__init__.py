"""The Python client: enroll customers and track their behaviour events.

:class:`JourneyClient` is the facade; the models it takes and answers are
re-exported here, so ``from journeys.client import JourneyClient, TrackedEvent``
is all product code needs.
"""

from journeys.client.events import (
    LIFECYCLE_STAGE_PROPERTY,
    MAX_EVENT_PROPERTIES,
    AwareDatetime,
    TrackedEvent,
)
from journeys.client.journey_client import MAX_LISTED_ENROLLMENTS, JourneyClient
from journeys.client.results import (
    EnrollmentSummary,
    EnrollResult,
    OptOutResult,
    SkippedJourney,
    TrackResult,
)
from journeys.contracts.enrollment import ID_PATTERN

__all__ = [
    "ID_PATTERN",
    "LIFECYCLE_STAGE_PROPERTY",
    "MAX_EVENT_PROPERTIES",
    "MAX_LISTED_ENROLLMENTS",
    "AwareDatetime",
    "EnrollResult",
    "EnrollmentSummary",
    "JourneyClient",
    "OptOutResult",
    "SkippedJourney",
    "TrackResult",
    "TrackedEvent",
]
