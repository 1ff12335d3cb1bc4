"""Activities over customer profiles for journey steps.

Read for conditions, write for set-attribute steps, and resolve calendar waits
in the customer's time zone.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from temporalio import activity

from journeys.contracts.activities import (
    LOAD_CUSTOMER_PROFILE_ACTIVITY,
    RESOLVE_WAIT_DEADLINE_ACTIVITY,
    UPDATE_CUSTOMER_PROFILE_ACTIVITY,
    CustomerProfile,
    ProfileRequest,
    ProfileUpdate,
    WaitDeadline,
    WaitDeadlineRequest,
)
from journeys.errors import InvalidTimeZoneError
from journeys.language.schedule import (
    DEFAULT_TIME_ZONE,
    customer_zone,
    date_attribute_deadline,
    next_local_time,
)
from journeys.store import Store
from journeys.store.customers import find_customer, upsert_customer

log = structlog.get_logger(__name__)


class CustomerProfileActivities:
    """Profile reads and writes for journey steps.

    Args:
        store: The store holding the profiles.
    """

    def __init__(self, store: Store):
        self._store = store

    @activity.defn(name=LOAD_CUSTOMER_PROFILE_ACTIVITY)
    def load_customer_profile(self, request: ProfileRequest) -> CustomerProfile:
        """The profile, or an empty one for a customer the store does not know."""
        with self._store.transaction() as session:
            customer = find_customer(
                session, org_id=request.org_id, customer_id=request.customer_id
            )
            if customer is None:
                return CustomerProfile()
            return CustomerProfile(
                attributes=dict(customer.attributes),
                timezone=customer.timezone,
                lifecycle_stage=customer.lifecycle_stage,
            )

    @activity.defn(name=UPDATE_CUSTOMER_PROFILE_ACTIVITY)
    def update_customer_profile(self, update: ProfileUpdate) -> None:
        """Merge attributes / set the lifecycle stage; idempotent."""
        with self._store.transaction() as session:
            upsert_customer(
                session,
                org_id=update.org_id,
                customer_id=update.customer_id,
                attributes=dict(update.attributes),
                lifecycle_stage=update.lifecycle_stage,
            )

    @activity.defn(name=RESOLVE_WAIT_DEADLINE_ACTIVITY)
    def resolve_wait_deadline(self, request: WaitDeadlineRequest) -> WaitDeadline:
        """The end of a calendar wait in the customer's zone (None: nothing to wait for).

        A stored zone that is not a time zone (written before zones were checked
        where they enter) does not stop the journey: the wait runs in
        :data:`DEFAULT_TIME_ZONE`, logged as a warning and said in the wait's detail.
        """
        profile = self.load_customer_profile(
            ProfileRequest(org_id=request.org_id, customer_id=request.customer_id)
        )
        return calendar_deadline(request, profile)


def calendar_deadline(request: WaitDeadlineRequest, profile: CustomerProfile) -> WaitDeadline:
    """The end of a calendar wait for a customer's profile (None: nothing to wait for).

    A stored zone that is not a time zone (written before zones were checked
    where they enter) does not stop the journey: the wait runs in
    :data:`DEFAULT_TIME_ZONE`, logged as a warning and said in the wait's detail.
    """
    fallback = ""
    try:
        zone = customer_zone(profile.timezone)
    except InvalidTimeZoneError as err:
        zone = customer_zone(DEFAULT_TIME_ZONE)
        fallback = f" (stored time zone {profile.timezone!r} is not one)"
        log.warning(
            "calendar wait in the default time zone",
            org_id=request.org_id,
            customer_id=request.customer_id,
            error=str(err),
        )
    if request.at is not None:
        local = next_local_time(request.now, request.at, request.weekdays, zone)
        return WaitDeadline(until=local, detail=f"next {request.at} in {zone.key}{fallback}")
    if request.attribute is None:
        return WaitDeadline(detail="nothing to wait for")
    until = date_attribute_deadline(profile.attributes.get(request.attribute), request.offset, zone)
    if until is None:
        return WaitDeadline(detail=f"attribute {request.attribute!r} is missing or not a date")
    sign = "-" if request.offset < timedelta(0) else "+"
    return WaitDeadline(
        until=until, detail=f"{request.attribute} {sign} {abs(request.offset)}{fallback}"
    )
