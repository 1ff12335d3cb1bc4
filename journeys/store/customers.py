"""Customer profiles in the store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from journeys.contracts.accepted_values import json_object_problem, lifecycle_stage_problem
from journeys.errors import InvalidInputError
from journeys.language.schedule import DEFAULT_TIME_ZONE
from journeys.language.time_zones import validate_time_zone
from journeys.store.database import insert_if_absent
from journeys.store.tables.base import utcnow
from journeys.store.tables.customers import Customer


def upsert_customer(
    session: Session,
    *,
    org_id: str,
    customer_id: str,
    attributes: dict[str, Any] | None = None,
    timezone: str | None = None,
    lifecycle_stage: str | None = None,
) -> Customer:
    """Create the customer or merge the given attributes into the profile.

    Raises:
        InvalidInputError: an attribute or the stage cannot be stored (checked
            before anything is written).
        InvalidTimeZoneError: ``timezone`` is not an IANA time zone name.
    """
    problem = json_object_problem(attributes or {})
    if problem is not None:
        raise InvalidInputError("attributes", problem)
    if lifecycle_stage is not None:
        problem = lifecycle_stage_problem(lifecycle_stage)
        if problem is not None:
            raise InvalidInputError("lifecycle_stage", problem)
    if timezone is not None:
        validate_time_zone(timezone)
    now = utcnow()
    insert_if_absent(
        session,
        Customer.__table__,  # type: ignore[arg-type]
        {
            "org_id": org_id,
            "customer_id": customer_id,
            "attributes": {},
            "timezone": DEFAULT_TIME_ZONE,
            "created_at": now,
            "updated_at": now,
        },
    )
    customer = session.scalars(
        select(Customer)
        .where(Customer.org_id == org_id, Customer.customer_id == customer_id)
        .with_for_update()
    ).one()
    if attributes:
        customer.attributes = {**customer.attributes, **attributes}
    if timezone is not None:
        customer.timezone = timezone
    if lifecycle_stage is not None:
        customer.lifecycle_stage = lifecycle_stage
    return customer


def find_customer(session: Session, *, org_id: str, customer_id: str) -> Customer | None:
    """The customer's profile, or None."""
    return session.scalars(
        select(Customer).where(Customer.org_id == org_id, Customer.customer_id == customer_id)
    ).one_or_none()
