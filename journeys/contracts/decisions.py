"""Inputs and outputs of the decision activities journeys call (workflow-safe).

Channel selection and the retention offer (seed 000) are decided by
``activities/next_best_action.py`` from the store; decision steps of the
journey language call them and branch or send on the answer.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from journeys.language.channels import Channel

SELECT_CHANNEL_ACTIVITY = "select_channel"
"""Activity name: choose the channel with the best urgency-adjusted engagement."""

CHOOSE_RETENTION_OFFER_ACTIVITY = "choose_retention_offer"
"""Activity name: choose the retention offer with the best positive expected value."""

FALLBACK_CHANNEL = Channel.EMAIL
"""Seed 000: "Always have a fallback" -- email."""


class DecisionContext(BaseModel):
    """Where a decision is made: a journey step visit, or nowhere (ad hoc)."""

    org_id: str = Field(min_length=1, max_length=64)
    customer_id: str = Field(min_length=1, max_length=128)
    journey_id: str | None = None
    workflow_id: str | None = None
    enrollment_id: str | None = None
    step_key: str | None = None
    record: bool = True


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
