"""Custom search attributes of enrollments.

The one list, used by the workflow, the client's visibility queries and the
dev server's registration.
"""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.common import SearchAttributeKey, SearchAttributePair

__all__ = ["ALL_KEYS", "SearchAttributeKey", "dev_server_flags", "enrollment_attributes"]

CUSTOMER_ID = SearchAttributeKey.for_keyword("JourneyCustomerId")
ORG_ID = SearchAttributeKey.for_keyword("JourneyOrgId")
JOURNEY_ID = SearchAttributeKey.for_keyword("JourneyId")
JOURNEY_VERSION = SearchAttributeKey.for_int("JourneyVersion")
CURRENT_STEP = SearchAttributeKey.for_keyword("JourneyStep")
STATUS = SearchAttributeKey.for_keyword("JourneyStatus")
LIFECYCLE_STAGE = SearchAttributeKey.for_keyword("JourneyLifecycleStage")
EXPERIMENT_ARMS = SearchAttributeKey.for_keyword_list("JourneyExperimentArms")
"""``experiment=arm`` for every experiment the enrollment was bucketed in (revision 2)."""

EnrollmentAttributeKey = (
    SearchAttributeKey[str] | SearchAttributeKey[int] | SearchAttributeKey[Sequence[str]]
)
EnrollmentAttributePair = (
    SearchAttributePair[str] | SearchAttributePair[int] | SearchAttributePair[Sequence[str]]
)

ALL_KEYS: tuple[EnrollmentAttributeKey, ...] = (
    CUSTOMER_ID,
    ORG_ID,
    JOURNEY_ID,
    JOURNEY_VERSION,
    CURRENT_STEP,
    STATUS,
    LIFECYCLE_STAGE,
    EXPERIMENT_ARMS,
)
"""Every custom search attribute the engine writes."""


def enrollment_attributes(
    *,
    org_id: str,
    customer_id: str,
    journey_id: str,
    journey_version: int,
    current_step: str,
    status: str,
    lifecycle_stage: str | None,
    experiment_arms: dict[str, str] | None = None,
) -> list[EnrollmentAttributePair]:
    """An enrollment's search attributes: set by the client at start, kept current by the workflow.

    The lifecycle stage and the experiment arms are left out while unknown.
    """
    pairs: list[EnrollmentAttributePair] = [
        SearchAttributePair(CUSTOMER_ID, customer_id),
        SearchAttributePair(ORG_ID, org_id),
        SearchAttributePair(JOURNEY_ID, journey_id),
        SearchAttributePair(JOURNEY_VERSION, journey_version),
        SearchAttributePair(CURRENT_STEP, current_step),
        SearchAttributePair(STATUS, status),
    ]
    if lifecycle_stage:
        pairs.append(SearchAttributePair(LIFECYCLE_STAGE, lifecycle_stage))
    if experiment_arms:
        pairs.append(SearchAttributePair(EXPERIMENT_ARMS, experiment_arm_values(experiment_arms)))
    return pairs


def experiment_arm_values(experiment_arms: dict[str, str]) -> list[str]:
    """The ``experiment=arm`` keywords of :data:`EXPERIMENT_ARMS`, sorted."""
    return sorted(f"{experiment}={arm}" for experiment, arm in experiment_arms.items())


def dev_server_flags() -> list[str]:
    """``--search-attribute Name=Type`` flags registering :data:`ALL_KEYS` on the dev server."""
    flags: list[str] = []
    for key in ALL_KEYS:
        type_name = key.indexed_value_type.name.title().replace("_", "")
        flags += ["--search-attribute", f"{key.name}={type_name}"]
    return flags
