"""The store's tables, grouped by what they hold; importing this package registers them all."""

from journeys.store.tables import (
    communication,
    customers,
    decisions,
    enrollments,
    events,
    journeys,
    tenancy,
)
from journeys.store.tables.base import Base

__all__ = [
    "Base",
    "communication",
    "customers",
    "decisions",
    "enrollments",
    "events",
    "journeys",
    "tenancy",
]
