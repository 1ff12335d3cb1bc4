"""Seed 000's channel selection: the channel with the best urgency-adjusted click rate.

Engagement rate = clicked / sent per channel over the customer's last 90
days; high urgency multiplies it by sms 1.5, push 1.3, in-app 1.2, email 1.0
(other urgencies by 1.0); confidence = min(sent / 20, 1); without history the
answer is email with confidence 0.5 and reason ``no_historical_data``; email
is always returned as the fallback channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, Field

from journeys.contracts.decisions import FALLBACK_CHANNEL as FALLBACK_CHANNEL
from journeys.contracts.decisions import ChannelChoice as ChannelChoice
from journeys.language.channels import CHANNELS, Channel

HISTORY_WINDOW = timedelta(days=90)
"""How far back the communication log is read."""

Urgency = Literal["low", "medium", "high"]

HIGH_URGENCY_MULTIPLIERS: dict[Channel, float] = {
    Channel.SMS: 1.5,
    Channel.PUSH: 1.3,
    Channel.IN_APP: 1.2,
    Channel.EMAIL: 1.0,
}
"""Faster channels are preferred for urgent messages."""

NEUTRAL_MULTIPLIERS: dict[Channel, float] = dict.fromkeys(HIGH_URGENCY_MULTIPLIERS, 1.0)
"""Any other urgency: no adjustment. Channels absent here (webhooks) are never chosen."""

DEFAULT_CHANNEL = Channel.EMAIL
NO_HISTORY_CONFIDENCE = 0.5
NO_HISTORY_REASON = "no_historical_data"
BEST_ENGAGEMENT_REASON = "highest_adjusted_engagement"
FULL_CONFIDENCE_SENDS = 20
"""Sends on a channel that give full confidence in its rate."""


class ChannelHistory(BaseModel):
    """A customer's sends on one channel over the window, and how many were opened/clicked."""

    channel: Channel
    sent: int = Field(ge=0)
    opened: int = Field(default=0, ge=0)
    clicked: int = Field(default=0, ge=0)


def urgency_multipliers(urgency: str) -> dict[Channel, float]:
    """The multipliers of an urgency (``high`` or anything else)."""
    return HIGH_URGENCY_MULTIPLIERS if urgency == "high" else NEUTRAL_MULTIPLIERS


def select_channel(
    history: Sequence[ChannelHistory], urgency: str = "medium", allowed: Sequence[Channel] = ()
) -> ChannelChoice:
    """Choose the channel with the highest adjusted engagement rate, and the runner-up.

    Ties go to the channel listed first in :data:`~journeys.language.channels.CHANNELS`
    (email first), so the same history always gives the same answer.

    Args:
        history: The customer's sends and clicks per channel.
        urgency: ``high`` prefers faster channels; anything else weighs them equally.
        allowed: The channels the message may go on (empty: every channel weighed).
            Without history the answer is email when allowed, else the first allowed.
    """
    multipliers = urgency_multipliers(urgency)
    candidates = [c for c in allowed if c in multipliers] or list(multipliers)
    weighed = [row for row in history if row.sent > 0 and row.channel in candidates]
    scores = {row.channel: row.clicked / row.sent * multipliers[row.channel] for row in weighed}
    # Weighed channels by score; then the unweighed, the seed's fallback (email) first.
    ranking = sorted(
        candidates,
        key=lambda channel: (
            -scores.get(channel, -1.0),
            channel is not FALLBACK_CHANNEL,
            CHANNELS.index(channel),
        ),
    )
    if not weighed:
        chosen = DEFAULT_CHANNEL if DEFAULT_CHANNEL in candidates else candidates[0]
        return ChannelChoice(
            channel=chosen,
            reason=NO_HISTORY_REASON,
            confidence=NO_HISTORY_CONFIDENCE,
            runner_up=next((c for c in ranking if c is not chosen), None),
        )
    best = min(weighed, key=lambda row: (-scores[row.channel], CHANNELS.index(row.channel)))
    return ChannelChoice(
        channel=best.channel,
        reason=BEST_ENGAGEMENT_REASON,
        confidence=min(best.sent / FULL_CONFIDENCE_SENDS, 1.0),
        expected_engagement_rate=best.clicked / best.sent,
        adjusted_scores={channel.value: score for channel, score in scores.items()},
        runner_up=next((c for c in ranking if c is not best.channel), None),
    )
