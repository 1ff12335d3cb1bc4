"""Seed 003's risk rules, as pure functions of what the store counted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from journeys.decisioning.client_journey_intelligence import Risk

ENGAGEMENT_WINDOW = timedelta(days=30)
"""Low engagement looks at the client's journey events of the last 30 days."""

MIN_RECENT_EVENTS = 3
"""Fewer journey events than this in the window is low engagement."""

OVERDUE_STAGE = "billing"
OVERDUE_EVENT_TYPE = "invoice_overdue"
"""Any ``billing`` event of this type is a late invoice."""

SENTIMENT_LOOKBACK_EVENTS = 10
"""Negative sentiment looks at the client's latest 10 journey events."""

NEGATIVE_SENTIMENT_THRESHOLD = 2
"""At least this many of them with ``metadata.sentiment == 'negative'`` is a risk."""


def is_low_engagement(recent_event_count: int) -> bool:
    """Fewer than 3 journey events in the last 30 days."""
    return recent_event_count < MIN_RECENT_EVENTS


def has_late_invoices(overdue_event_count: int) -> bool:
    """Any ``invoice_overdue`` event in the billing stage."""
    return overdue_event_count > 0


def has_negative_sentiment(latest_metadata: Sequence[Mapping[str, Any]]) -> bool:
    """At least 2 of the latest 10 events carry ``sentiment: negative``."""
    latest = latest_metadata[:SENTIMENT_LOOKBACK_EVENTS]
    negative = sum(1 for metadata in latest if metadata.get("sentiment") == "negative")
    return negative >= NEGATIVE_SENTIMENT_THRESHOLD


def detect_risks(
    recent_event_count: int,
    overdue_event_count: int,
    latest_metadata: Sequence[Mapping[str, Any]],
) -> list[str]:
    """The detected risks, in seed order: low engagement, late invoices, negative sentiment.

    Args:
        recent_event_count: The client's journey events in the last 30 days.
        overdue_event_count: The client's ``billing``/``invoice_overdue`` events.
        latest_metadata: Metadata of the client's latest events, newest first.
    """
    risks: list[str] = []
    if is_low_engagement(recent_event_count):
        risks.append(Risk.LOW_ENGAGEMENT.value)
    if has_late_invoices(overdue_event_count):
        risks.append(Risk.LATE_INVOICES.value)
    if has_negative_sentiment(latest_metadata):
        risks.append(Risk.NEGATIVE_SENTIMENT.value)
    return risks
