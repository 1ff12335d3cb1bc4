"""Client journey intelligence rules of seed 003: stages, journey score, risk level, actions.

Pure functions and pydantic models; the store access lives in
:mod:`journeys.decisioning.client_journey_service`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

STAGES: tuple[str, ...] = (
    "lead",
    "qualified_lead",
    "onboarding",
    "active_project",
    "awaiting_feedback",
    "billing",
    "retention",
    "upsell_candidate",
    "churn_risk",
)
"""The nine lifecycle stages, in order; a stage's index counts in the journey score."""

DEFAULT_STAGE = "lead"
"""The stage of a client without any journey event."""

DEFAULT_BASE_SCORE = 50
"""Base of the journey score when the customer has no (or a zero) ``ai_score``."""

STAGE_POINTS = 5
"""Points added per stage index."""

RISK_PENALTY = 10
"""Points taken per detected risk."""

AI_SCORE_ATTRIBUTE = "ai_score"
"""The customer attribute holding the base score (seed 003's ``contacts.ai_score``)."""


class Action(StrEnum):
    """The recommended actions of seed 003."""

    EMAIL_OUTREACH = "email_outreach"
    SCHEDULE_MEETING = "schedule_meeting"
    SEND_VOICE_MESSAGE = "send_voice_message"
    CONCIERGE_PERSONAL_INTERVENTION = "concierge_personal_intervention"
    OFFER_CREDIT_PACK = "offer_credit_pack"
    TRIGGER_SATISFACTION_SURVEY = "trigger_satisfaction_survey"


class Risk(StrEnum):
    """The risks seed 003 detects (see :mod:`journeys.decisioning.risk_detection`)."""

    LOW_ENGAGEMENT = "low_engagement"
    LATE_INVOICES = "late_invoices"
    NEGATIVE_SENTIMENT = "negative_sentiment"


RiskLevel = Literal["LOW", "MEDIUM", "HIGH", "CRITICAL"]
Priority = Literal["low", "medium", "high", "urgent"]

STAGE_ACTIONS: dict[str, Action] = {
    "lead": Action.EMAIL_OUTREACH,
    "qualified_lead": Action.EMAIL_OUTREACH,
    "onboarding": Action.SCHEDULE_MEETING,
    "awaiting_feedback": Action.TRIGGER_SATISFACTION_SURVEY,
    "churn_risk": Action.CONCIERGE_PERSONAL_INTERVENTION,
    "upsell_candidate": Action.OFFER_CREDIT_PACK,
}
"""The action each stage calls for (stages not listed call for none)."""

RISK_ACTIONS: dict[Risk, Action] = {
    Risk.LOW_ENGAGEMENT: Action.SEND_VOICE_MESSAGE,
    Risk.LATE_INVOICES: Action.EMAIL_OUTREACH,
    Risk.NEGATIVE_SENTIMENT: Action.CONCIERGE_PERSONAL_INTERVENTION,
}
"""The action each risk calls for, added after the stage's action in this order."""

PRIORITY_BY_RISK_LEVEL: dict[str, Priority] = {
    "CRITICAL": "urgent",
    "HIGH": "high",
    "MEDIUM": "medium",
}
"""Next-best-action priority by risk level; any other level is ``low``."""

GENERIC_REASON = "Action recommended based on journey analysis"


def journey_score(ai_score: float | None, stage: str, risk_count: int) -> float:
    """Seed 003's score: (ai_score or 50) + 5 x stage index - 10 x risks, floored at 0.

    A zero or missing ``ai_score`` counts as 50, as the seed's ``ai_score || 50`` does.
    """
    base = ai_score or DEFAULT_BASE_SCORE
    return max(0.0, float(base) + STAGES.index(stage) * STAGE_POINTS - risk_count * RISK_PENALTY)


def risk_level(risk_count: int) -> RiskLevel:
    """>= 4 risks CRITICAL, 3 HIGH, 2 MEDIUM, else LOW."""
    if risk_count >= 4:
        return "CRITICAL"
    if risk_count >= 3:
        return "HIGH"
    if risk_count >= 2:
        return "MEDIUM"
    return "LOW"


def generate_actions(stage: str, risks: list[str]) -> list[str]:
    """The stage's action, then one per risk (in seed order), without repeats."""
    actions: list[str] = []
    if stage in STAGE_ACTIONS:
        actions.append(STAGE_ACTIONS[stage].value)
    actions.extend(action.value for risk, action in RISK_ACTIONS.items() if risk.value in risks)
    return list(dict.fromkeys(actions))


def action_priority(level: str) -> Priority:
    """CRITICAL -> urgent, HIGH -> high, MEDIUM -> medium, else low."""
    return PRIORITY_BY_RISK_LEVEL.get(level, "low")


def action_reason(action: str, level: str) -> str:
    """Seed 003's reason text for an action."""
    reasons = {
        Action.EMAIL_OUTREACH.value: "Client needs re-engagement via email",
        Action.SCHEDULE_MEETING.value: "Personal meeting recommended for onboarding",
        Action.SEND_VOICE_MESSAGE.value: "Voice message can improve engagement",
        Action.CONCIERGE_PERSONAL_INTERVENTION.value: (
            f"{level} risk detected - personal intervention needed"
        ),
        Action.OFFER_CREDIT_PACK.value: "Good candidate for additional services",
        Action.TRIGGER_SATISFACTION_SURVEY.value: "Collect feedback on recent work",
    }
    return reasons.get(action, GENERIC_REASON)


class JourneyEventView(BaseModel):
    """A stored client journey event."""

    id: int
    org_id: str
    client_id: str
    stage: str
    event_type: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    occurred_at: datetime


class JourneyScore(BaseModel):
    """A client's journey score, risk level and recommended actions."""

    client_id: str
    score: float
    risk_level: RiskLevel
    recommended_actions: list[str]
    risks: list[str] = Field(default_factory=list)
    stage: str = DEFAULT_STAGE
    generated_at: datetime | None = None


class ContactView(BaseModel):
    """The client's contact details, from the customer's attributes when present."""

    id: str
    name: str | None = None
    email: str | None = None


class StoredJourneyScore(BaseModel):
    """A persisted score row, with the client's contact details."""

    id: int
    client_id: str
    org_id: str
    score: float
    risk_level: RiskLevel
    recommended_actions: list[str]
    generated_at: datetime
    contact: ContactView | None = None


class UpsellCandidate(BaseModel):
    """A client who reached the ``upsell_candidate`` stage, with contact details."""

    client_id: str
    occurred_at: datetime
    contact: ContactView | None = None


class ClientNextAction(BaseModel):
    """The client's next best action: the first recommended action, its priority and reason."""

    action: str
    priority: Priority
    reason: str
