"""Seed 001's next-best-action decision matrix, as a pure and explainable function.

Every action of the inventory starts from a base confidence; each signal that
applies to it (moderate adoption, pricing-page views, email responsiveness,
churn risk, upgrade probability...) adds or takes a documented amount.
Business constraints then filter the candidates (channel availability,
consent and suppression, frequency caps, offer eligibility, blackout dates),
and the best three that remain are the primary action and two backups,
ranked by confidence, with a rationale in words built from the inputs.
The same signals, constraints and model versions always give the same decision.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field

from journeys.contracts.decisions import NO_ACTION as NO_ACTION
from journeys.contracts.decisions import ActionKind as ActionKind
from journeys.contracts.decisions import NextBestActionDecision as NextBestActionDecision
from journeys.contracts.decisions import NextBestActionRequest as NextBestActionRequest
from journeys.contracts.decisions import ScoredAction as ScoredAction
from journeys.language.channels import CHANNELS, Channel

ENGINE_VERSION = "nba-1"
"""Version of the decision matrix below; part of every decision's model version."""


BACKUP_COUNT = 2
MIN_CONFIDENCE = 0.01
MAX_CONFIDENCE = 0.99


class CustomerSignals(BaseModel):
    """What the engine knows about the customer when it decides.

    Attributes:
        day: Days since the customer signed up.
        emails_opened: Opened among the last ``emails_sent`` (at most 5) emails.
        churn_risk: Probability of churning (predictive model or formula).
        upgrade_probability: Probability of upgrading.
        workflows_completed_30d: Core workflows completed in the last 30 days.
    """

    customer_id: str
    name: str | None = None
    plan: str | None = None
    day: int = Field(ge=0)
    adoption_score: float = Field(ge=0, le=100)
    pricing_views_7d: int = Field(ge=0)
    emails_opened: int = Field(ge=0)
    emails_sent: int = Field(ge=0)
    churn_risk: float = Field(ge=0, le=1)
    upgrade_probability: float = Field(ge=0, le=1)
    support_tickets_30d: int = Field(default=0, ge=0)
    days_since_last_event: float = Field(default=0, ge=0)
    workflows_completed_30d: int = Field(default=0, ge=0)


class BusinessConstraints(BaseModel):
    """What the business allows right now.

    Attributes:
        available_channels: Channels the journey may use and that are healthy.
        forbidden_channels: Channel -> why consent or suppression forbids it.
        capped_channels: Channel -> which frequency cap is full.
        blackout: Today is a blackout date: no offers.
        human_tasks: Whether actions done by people (CSM calls) may be chosen.
    """

    available_channels: list[Channel] = Field(default_factory=lambda: list(CHANNELS))
    forbidden_channels: dict[Channel, str] = Field(default_factory=dict)
    capped_channels: dict[Channel, str] = Field(default_factory=dict)
    blackout: bool = False
    human_tasks: bool = True


@dataclass(frozen=True)
class Signal:
    """A named condition on the signals, with the words that explain it."""

    name: str
    holds: Callable[[CustomerSignals], bool]
    describe: Callable[[CustomerSignals], str]


def _email_rate(signals: CustomerSignals) -> float:
    return signals.emails_opened / signals.emails_sent if signals.emails_sent else 0.0


MODERATE_ADOPTION = Signal(
    "moderate_adoption",
    lambda s: 40 <= s.adoption_score <= 80,
    lambda s: f"moderate adoption (score {s.adoption_score:.0f})",
)
LOW_ADOPTION = Signal(
    "low_adoption",
    lambda s: s.adoption_score < 40,
    lambda s: f"low adoption ({s.adoption_score:.0f})",
)
HIGH_ADOPTION = Signal(
    "high_adoption",
    lambda s: s.adoption_score > 80,
    lambda s: f"high adoption ({s.adoption_score:.0f})",
)
PRICING_INTEREST = Signal(
    "pricing_interest",
    lambda s: s.pricing_views_7d >= 1,
    lambda s: f"viewed pricing page {s.pricing_views_7d}x in 7 days",
)
REPEATED_PRICING_INTEREST = Signal(
    "repeated_pricing_interest",
    lambda s: s.pricing_views_7d >= 2,
    lambda s: f"repeated pricing views ({s.pricing_views_7d}x in 7 days)",
)
EMAIL_RESPONSIVE = Signal(
    "email_responsive",
    lambda s: s.emails_sent > 0 and _email_rate(s) >= 0.5,
    lambda s: f"opened {s.emails_opened} of last {s.emails_sent} emails",
)
EMAIL_UNRESPONSIVE = Signal(
    "email_unresponsive",
    lambda s: s.emails_sent >= 3 and _email_rate(s) < 0.2,
    lambda s: f"opened only {s.emails_opened} of last {s.emails_sent} emails",
)
HIGH_CHURN = Signal(
    "high_churn", lambda s: s.churn_risk > 0.6, lambda s: f"churn risk {s.churn_risk:.0%}"
)
ELEVATED_CHURN = Signal(
    "elevated_churn",
    lambda s: s.churn_risk >= 0.4,
    lambda s: f"elevated churn risk {s.churn_risk:.0%}",
)
UPGRADE_READY = Signal(
    "upgrade_ready",
    lambda s: s.upgrade_probability > 0.7,
    lambda s: f"upgrade probability {s.upgrade_probability:.0%}",
)
UPGRADE_INTEREST = Signal(
    "upgrade_interest",
    lambda s: s.upgrade_probability >= 0.1,
    lambda s: f"upgrade probability {s.upgrade_probability:.0%}",
)
INACTIVE = Signal(
    "inactive",
    lambda s: s.days_since_last_event >= 7,
    lambda s: f"inactive for {s.days_since_last_event:.0f} days",
)
EARLY_LIFECYCLE = Signal("early_lifecycle", lambda s: s.day <= 14, lambda s: f"day {s.day}")
LATE_ONBOARDING = Signal("late_onboarding", lambda s: s.day >= 21, lambda s: f"day {s.day}")
CORE_WORKFLOW_DONE = Signal(
    "core_workflow_done",
    lambda s: s.workflows_completed_30d >= 1,
    lambda s: f"completed the core workflow {s.workflows_completed_30d}x in 30 days",
)
SUPPORT_FRICTION = Signal(
    "support_friction",
    lambda s: s.support_tickets_30d >= 2,
    lambda s: f"{s.support_tickets_30d} support tickets in 30 days",
)


@dataclass(frozen=True)
class InventoryAction:
    """An action the engine can recommend.

    Attributes:
        channel: The channel it is delivered on; None for actions done by people.
        base: Confidence before any signal.
        weights: Signal -> how much it adds to (or takes from) the confidence.
        outcome: The words ending the action's rationale ("= ready for ...").
        eligible: Offer eligibility (plan, risk); None means always eligible.
    """

    name: str
    kind: ActionKind
    channel: Channel | None
    title: str
    base: float
    weights: tuple[tuple[Signal, float], ...]
    outcome: str
    eligible: Callable[[CustomerSignals], str | None] | None = None


def _starter_plan_only(signals: CustomerSignals) -> str | None:
    return None if signals.plan == "starter" else "upgrade offers are for the starter plan"


def _paying_at_risk_only(signals: CustomerSignals) -> str | None:
    if signals.plan == "trial":
        return "retention offers are for paying customers"
    if signals.churn_risk < 0.4:
        return "retention offers need a churn risk of 40% or more"
    return None


ACTION_INVENTORY: tuple[InventoryAction, ...] = (
    InventoryAction(
        "advanced_features_email",
        ActionKind.EDUCATIONAL,
        Channel.EMAIL,
        "Email: Advanced features matching your use case",
        0.40,
        (
            (MODERATE_ADOPTION, 0.25),
            (PRICING_INTEREST, 0.12),
            (EMAIL_RESPONSIVE, 0.10),
            (CORE_WORKFLOW_DONE, 0.45),
            (HIGH_CHURN, -0.30),
        ),
        "ready for value expansion",
    ),
    InventoryAction(
        "reporting_feature_spotlight",
        ActionKind.EDUCATIONAL,
        Channel.IN_APP,
        "In-app: Feature spotlight: reporting dashboard",
        0.40,
        ((PRICING_INTEREST, 0.20), (MODERATE_ADOPTION, 0.12), (INACTIVE, -0.20)),
        "pricing interest suggests need for ROI visibility",
    ),
    InventoryAction(
        "roi_calculator_content",
        ActionKind.CONTENT,
        Channel.EMAIL,
        "Content: ROI calculator tool (personalized)",
        0.35,
        ((REPEATED_PRICING_INTEREST, 0.20), (UPGRADE_INTEREST, 0.10)),
        "build business case for expansion",
    ),
    InventoryAction(
        "upgrade_discount_offer",
        ActionKind.OFFER,
        Channel.EMAIL,
        "Offer: Limited-time upgrade discount",
        0.15,
        ((UPGRADE_READY, 0.65), (PRICING_INTEREST, 0.10)),
        "ready to unlock advanced features",
        _starter_plan_only,
    ),
    InventoryAction(
        "retention_offer",
        ActionKind.OFFER,
        Channel.EMAIL,
        "Offer: We value your business",
        0.05,
        ((HIGH_CHURN, 0.50), (ELEVATED_CHURN, 0.20)),
        "an offer can keep an at-risk customer",
        _paying_at_risk_only,
    ),
    InventoryAction(
        "csm_outreach_call",
        ActionKind.HUMAN,
        None,
        "Human: CSM outreach call",
        0.10,
        ((HIGH_CHURN, 0.60), (SUPPORT_FRICTION, 0.15)),
        "a person should step in",
    ),
    InventoryAction(
        "getting_started_guide",
        ActionKind.EDUCATIONAL,
        Channel.EMAIL,
        "Email: Getting started guide",
        0.30,
        ((LOW_ADOPTION, 0.40), (EARLY_LIFECYCLE, 0.10), (CORE_WORKFLOW_DONE, -0.45)),
        "needs help reaching first value",
    ),
    InventoryAction(
        "satisfaction_survey",
        ActionKind.ENGAGEMENT,
        Channel.EMAIL,
        "Email: How's it going? (CSAT survey)",
        0.30,
        ((LATE_ONBOARDING, 0.20), (HIGH_ADOPTION, 0.10)),
        "time to collect feedback",
    ),
    InventoryAction(
        "community_invite",
        ActionKind.COMMUNITY,
        Channel.EMAIL,
        "Email: Join our community",
        0.20,
        ((HIGH_ADOPTION, 0.35),),
        "a power user who can become an advocate",
    ),
    InventoryAction(
        "reengagement_push",
        ActionKind.ENGAGEMENT,
        Channel.PUSH,
        "Push: Pick up where you left off",
        0.15,
        ((INACTIVE, 0.45), (EMAIL_UNRESPONSIVE, 0.15)),
        "re-engage on a faster channel",
    ),
)
"""The action inventory, in tie-break order."""


def score_action(
    action: InventoryAction, signals: CustomerSignals, constraints: BusinessConstraints
) -> ScoredAction:
    """One action's confidence, drivers and (if any) the constraint that filters it."""
    fired = [(signal, weight) for signal, weight in action.weights if signal.holds(signals)]
    confidence = action.base + sum(weight for _, weight in fired)
    confidence = round(min(max(confidence, MIN_CONFIDENCE), MAX_CONFIDENCE), 4)
    positive = [signal.describe(signals) for signal, weight in fired if weight > 0]
    negative = [signal.describe(signals) for signal, weight in fired if weight < 0]
    rationale = " + ".join(positive) + " = " + action.outcome if positive else action.outcome
    if negative:
        rationale += " (held back by " + ", ".join(negative) + ")"
    return ScoredAction(
        action=action.name,
        kind=action.kind,
        channel=action.channel,
        title=action.title,
        confidence=confidence,
        drivers=[signal.name for signal, _ in fired],
        rationale=rationale[0].upper() + rationale[1:],
        filtered=_filtered_because(action, signals, constraints),
    )


def _filtered_because(
    action: InventoryAction, signals: CustomerSignals, constraints: BusinessConstraints
) -> str | None:
    if action.channel is None:
        return None if constraints.human_tasks else "human tasks are not available"
    if action.channel not in constraints.available_channels:
        return f"channel {action.channel.value} is not available"
    if action.channel in constraints.forbidden_channels:
        return constraints.forbidden_channels[action.channel]
    if action.channel in constraints.capped_channels:
        return constraints.capped_channels[action.channel]
    if action.kind is ActionKind.OFFER and constraints.blackout:
        return "no offers on a blackout date"
    if action.eligible is not None:
        return action.eligible(signals)
    return None


def decide_next_best_action(
    signals: CustomerSignals,
    constraints: BusinessConstraints,
    *,
    model_version: str,
    decided_at: datetime,
    inventory: Sequence[InventoryAction] = ACTION_INVENTORY,
) -> NextBestActionDecision:
    """Rank the inventory for the customer; the top eligible three are primary and backups."""
    scored = [score_action(action, signals, constraints) for action in inventory]
    order = {action.name: index for index, action in enumerate(inventory)}
    ranked = sorted(scored, key=lambda item: (-item.confidence, order[item.action]))
    allowed = [item for item in ranked if item.filtered is None]
    primary = allowed[0] if allowed else None
    return NextBestActionDecision(
        customer_id=signals.customer_id,
        choice=primary.action if primary else NO_ACTION,
        primary=primary,
        backups=allowed[1 : 1 + BACKUP_COUNT],
        candidates=ranked,
        rationale=_rationale(signals, primary, ranked),
        inputs=signals.model_dump(),
        model_version=model_version,
        decided_at=decided_at,
    )


def _rationale(
    signals: CustomerSignals, primary: ScoredAction | None, ranked: Sequence[ScoredAction]
) -> str:
    who = signals.name or signals.customer_id
    facts = [
        f"day {signals.day}",
        f"adoption score {signals.adoption_score:.0f}",
        f"viewed pricing page {signals.pricing_views_7d}x in 7 days",
        f"opened {signals.emails_opened} of last {signals.emails_sent} emails",
        f"churn risk {signals.churn_risk:.0%}",
        f"upgrade probability {signals.upgrade_probability:.0%}",
    ]
    summary = f"{who}: " + ", ".join(facts) + "."
    if primary is None:
        reasons = "; ".join(f"{item.action}: {item.filtered}" for item in ranked)
        return f"{summary} No action: every candidate was filtered ({reasons})."
    return (
        f"{summary} Chose {primary.action} ({primary.confidence:.0%}) because "
        f"{primary.rationale[0].lower()}{primary.rationale[1:]}."
    )
