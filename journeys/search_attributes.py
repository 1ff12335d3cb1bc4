"""Custom search attributes of enrollments.

The one list, used by the workflow, the client's visibility queries and the
dev server's registration.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

__all__ = ["ALL_KEYS", "SearchAttributeKey", "dev_server_flags"]

CUSTOMER_ID = SearchAttributeKey.for_keyword("JourneyCustomerId")
ORG_ID = SearchAttributeKey.for_keyword("JourneyOrgId")
JOURNEY_ID = SearchAttributeKey.for_keyword("JourneyId")
JOURNEY_VERSION = SearchAttributeKey.for_int("JourneyVersion")
CURRENT_STEP = SearchAttributeKey.for_keyword("JourneyStep")
STATUS = SearchAttributeKey.for_keyword("JourneyStatus")
LIFECYCLE_STAGE = SearchAttributeKey.for_keyword("JourneyLifecycleStage")

ALL_KEYS: tuple[SearchAttributeKey[str] | SearchAttributeKey[int], ...] = (
    CUSTOMER_ID,
    ORG_ID,
    JOURNEY_ID,
    JOURNEY_VERSION,
    CURRENT_STEP,
    STATUS,
    LIFECYCLE_STAGE,
)
"""Every custom search attribute the engine writes."""


def dev_server_flags() -> list[str]:
    """``--search-attribute Name=Type`` flags registering :data:`ALL_KEYS` on the dev server."""
    flags: list[str] = []
    for key in ALL_KEYS:
        type_name = key.indexed_value_type.name.title()
        flags += ["--search-attribute", f"{key.name}={type_name}"]
    return flags
