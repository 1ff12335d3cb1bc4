"""Inputs and outputs of the decision activities journeys call (workflow-safe).

Next best action (seed 001), channel selection and the retention offer (seed 000) are decided by
``activities/next_best_action.py`` from the store; decision steps of the
journey language call them and branch or send on the answer.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from journeys.language.channels import CHANNELS, Channel
from journeys.language.delivery_rules import FrequencyCap

NO_ACTION = "no_action"
"""The choice recorded when every candidate was filtered out."""

FALLBACK_CHANNEL = Channel.EMAIL
"""Seed 000: "Always have a fallback" -- email."""


class DecisionContext(BaseModel):
    """Where a decision is made: a journey step visit, or nowhere (ad hoc).

    Attributes:
        as_of: The time the decision is made at: a journey passes its own time
            (features, caps and the audit row are read and written as of it);
            None means now (ad-hoc decisions, and histories recorded before it existed).
    """

    org_id: str = Field(min_length=1, max_length=64)
    customer_id: str = Field(min_length=1, max_length=128)
    journey_id: str | None = None
    workflow_id: str | None = None
    enrollment_id: str | None = None
    step_key: str | None = None
    record: bool = True
    as_of: datetime | None = None


class ChannelRequest(DecisionContext):
    """Choose the channel for a message of the given urgency.

    Attributes:
        channels: The channels the message may go on (empty: every channel
            seed 000 weighs).
    """

    urgency: str = Field(default="medium", pattern="^(low|medium|high)$")
    channels: list[Channel] = Field(default_factory=list)


class ChannelChoice(BaseModel):
    """The chosen channel, why, and the adjusted score of every channel weighed.

    Attributes:
        runner_up: The channel that scored next among those allowed (the
            fallback of a send on the chosen one); None when only one is allowed.
    """

    channel: Channel
    reason: str
    confidence: float
    expected_engagement_rate: float | None = None
    fallback_channel: Channel = FALLBACK_CHANNEL
    adjusted_scores: dict[str, float] = Field(default_factory=dict)
    runner_up: Channel | None = None


class RetentionOfferRequest(DecisionContext):
    """Choose a retention offer for the customer."""


class Offer(StrEnum):
    """The candidate retention offers, in the seed's order."""

    DISCOUNT_20_PERCENT = "discount_20_percent"
    FREE_UPGRADE = "free_upgrade"
    PREMIUM_SUPPORT = "premium_support"
    CUSTOM_TRAINING = "custom_training"
    NO_OFFER = "no_offer"


class OfferEvaluation(BaseModel):
    """One offer weighed: its cost, predicted lift and expected value."""

    offer: Offer
    cost: float
    duration_months: int
    retention_lift: float
    expected_value: float


class OfferDecision(BaseModel):
    """The chosen offer (``no_offer`` with a reason when none pays off) and every evaluation."""

    offer: Offer
    expected_value: float
    retention_lift: float
    cost: float
    reason: str
    evaluations: list[OfferEvaluation] = Field(default_factory=list)


class ActionKind(StrEnum):
    """Seed 001's action inventory groups (plus human outreach)."""

    CONTENT = "content"
    OFFER = "offer"
    ENGAGEMENT = "engagement"
    EDUCATIONAL = "educational"
    COMMUNITY = "community"
    HUMAN = "human"


class ScoredAction(BaseModel):
    """A candidate with its confidence, the signals that drove it, and why it was filtered."""

    action: str
    kind: ActionKind
    channel: Channel | None
    title: str
    confidence: float
    drivers: list[str] = Field(default_factory=list)
    rationale: str
    filtered: str | None = None


class NextBestActionRequest(BaseModel):
    """Decide one customer's next best action, optionally as a journey step.

    Attributes:
        channels: Channels the journey allows (others are unavailable).
        frequency_caps: Caps to respect besides the customer's history.
        record: Write the decision to the audit trail.
        as_of: The time the decision is made at (see :class:`DecisionContext`).
    """

    org_id: str = Field(min_length=1, max_length=64)
    customer_id: str = Field(min_length=1, max_length=128)
    journey_id: str | None = None
    workflow_id: str | None = None
    enrollment_id: str | None = None
    step_key: str | None = None
    channels: list[Channel] = Field(default_factory=lambda: list(CHANNELS))
    frequency_caps: list[FrequencyCap] = Field(default_factory=list)
    record: bool = True
    as_of: datetime | None = None


class NextBestActionDecision(BaseModel):
    """Primary action, two backups, every candidate, the inputs and the rationale."""

    customer_id: str
    choice: str
    primary: ScoredAction | None
    backups: list[ScoredAction]
    candidates: list[ScoredAction]
    rationale: str
    inputs: dict[str, float | int | str | None]
    model_version: str
    decided_at: datetime
