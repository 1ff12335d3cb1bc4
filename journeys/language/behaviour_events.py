"""The behaviour events the engine itself reads, by the names the product sends.

Scorers, predictive models and their features, the shipped journeys, the
simulator and the synthetic history all name these events from here. A
journey may listen to any other event name too; these are the ones with a
meaning built into the engine.
"""

from __future__ import annotations

from enum import StrEnum


class BehaviourEvent(StrEnum):
    """Behaviour events with a meaning in the engine (a ``str``: usable wherever a name is)."""

    LOGIN = "login"
    """One per login; ``login_days`` counts distinct UTC dates."""

    FEATURE_USED = "feature_used"
    """A feature used; property ``feature`` names it (distinct features are counted)."""

    CORE_WORKFLOW_COMPLETED = "core_workflow_completed"
    """The product's core workflow completed (the onboarding and welcome journeys wait for it)."""

    PRICING_PAGE_VIEWED = "pricing_page_viewed"
    """A view of the pricing page (purchase intent)."""

    SUPPORT_TICKET_OPENED = "support_ticket_opened"
    """A support ticket opened (friction)."""

    PAYMENT_FAILED = "payment_failed"
    """A failed payment."""

    SUBSCRIPTION_CANCELLED = "subscription_cancelled"
    """The customer cancelled (the outcome churn risk learns)."""

    PLAN_UPGRADED = "plan_upgraded"
    """The customer upgraded (the outcome upgrade likelihood learns)."""

    TRIAL_CONVERTED = "trial_converted"
    """A trial became a paid plan (the outcome conversion probability learns)."""

    RETENTION_OFFER_MADE = "retention_offer_made"
    """A retention offer was made; property ``offer`` names it (retention lift learns from it)."""

    CORE_FEATURE_USED = "core_feature_used"
    """The trial's core feature used."""

    SESSION_ENDED = "session_ended"
    """A session ended; property ``duration_minutes``."""

    CSAT_SUBMITTED = "csat_submitted"
    """A satisfaction survey answered; property ``score`` (0-10)."""


CUSTOMER_ACTIVITY: tuple[BehaviourEvent, ...] = tuple(
    event for event in BehaviourEvent if event is not BehaviourEvent.RETENTION_OFFER_MADE
)
"""The behaviour events that are the customer's own activity ("no activity for 21 days"
counts these); a retention offer is made by the engine, not the customer."""
