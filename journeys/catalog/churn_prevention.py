"""``journey_churn_prevention_v1``: seed 000 template 2, at-risk customer retention.

Entered on ``churn_risk_detected`` (the daily churn model's output, with the
profile attributes ``primary_risk_factor`` and ``clv``); never re-entered within
30 days. Channel by customer value: CLV > $10k a CSM call, CLV $2.5k-$10k
(our "medium-value" band) an account manager email, lower an automated email.

Version 2 reads the seed literally where version 1 did not: the account
manager's email is the seed's personalised Day-0 message ("Hi {{first_name}},
I noticed {{risk_factor_statement}}..."), the lower-value message goes out on
the AI-predicted best channel (seed 000's channel selection, runner-up as
fallback), Day 5's "IF risk decreased" compares with the risk at entry (not a
fixed 60%), and the Day-5 "We value your business" and Day-10 "significant
discount or free upgrade" offers are chosen by the best positive expected
value (or not made).

Version 3 adds the seed's entry criteria, read from the profile attributes the
daily churn model sets (``identify``): ``churn_probability > 0.60 AND
churn_risk_tier IN ('high', 'critical')``. The seed's SQL joins the two with
AND (its metadata paraphrases the target as "risk > 60%"); the SQL is followed
literally, so a customer must meet both, and routing names the one that fails.
"""

from __future__ import annotations

from datetime import timedelta

from journeys.catalog.onboarding import ACTIVE_USER_NURTURE, WINBACK
from journeys.catalog.step_builders import email, until_day
from journeys.contracts.decisions import Offer
from journeys.language import (
    AttributeCondition,
    BestChannelSendStep,
    BranchCase,
    BranchStep,
    Channel,
    DecideStep,
    EntryTrigger,
    EventCountCondition,
    ExitStep,
    HumanTaskStep,
    JourneyDefinition,
    JourneyMetadata,
    OfferStep,
    ReentryPolicy,
    ScoreBand,
    SendStep,
    SetAttributeStep,
    TransitionStep,
    WaitForEventStep,
    WaitStep,
)
from journeys.scoring import CHURN_RISK

HIGH_VALUE_CLV = 10_000
"""Seed 000: CLV above $10k is a high-value customer (CSM phone call)."""

MEDIUM_VALUE_CLV = 2_500
"""Our lower bound of the seed's "medium-value" band (account manager email)."""

ENGAGEMENT_EVENTS = ("email_opened", "call_answered", "in_app_action")
"""Seed 000 Day 2: "customer engaged (email open, call answered, in-app action)"."""

RISK_PATHS = {
    "declining_usage": "feature_education",
    "support_tickets": "priority_support",
    "payment_issues": "billing_assistance",
    "competitor_research": "value_reinforcement",
    "price_sensitivity": "discount_value",
}
"""Seed 000 Day 0 root cause: primary risk factor -> path."""


def _risk(factor: str, next: str) -> BranchCase:
    return BranchCase(
        when=AttributeCondition(attribute="primary_risk_factor", value=factor), next=next
    )


def _engaged(next: str) -> list[BranchCase]:
    return [
        BranchCase(when=EventCountCondition(event=name), next=next) for name in ENGAGEMENT_EVENTS
    ]


_path_steps = {
    f"path_{path}": SetAttributeStep(
        description=f"Root cause {factor} -> {path} path",
        attributes={"retention_path": path},
        next="outreach_by_value",
    )
    for factor, path in RISK_PATHS.items()
}

CHURN_PREVENTION_V1 = JourneyDefinition(
    id="journey_churn_prevention_v1",
    version=1,
    metadata=JourneyMetadata(
        name="At-Risk Customer Retention",
        journey_type="retention",
        target_audience="Customers with churn risk score > 60%",
        business_objective="Reduce churn by 30% through proactive engagement",
        primary_metric="Churn rate reduction (% retained)",
        secondary_metrics=[
            "Re-engagement rate (usage increase)",
            "Support ticket resolution rate",
            "NPS score improvement",
        ],
        average_duration="14-21 days",
        ai_decision_points=5,
        status="active",
    ),
    entry=EntryTrigger(event="churn_risk_detected"),
    start="root_cause",
    steps={
        "root_cause": BranchStep(
            description="Day 0: identify the root cause from primary_risk_factor",
            cases=[_risk(factor, f"path_{path}") for factor, path in RISK_PATHS.items()],
            otherwise="path_general",
        ),
        **_path_steps,
        "path_general": SetAttributeStep(
            attributes={"retention_path": "general"}, next="outreach_by_value"
        ),
        "outreach_by_value": BranchStep(
            description="Day 0: channel by customer value (CLV)",
            cases=[
                BranchCase(
                    when=AttributeCondition(attribute="clv", op="gt", value=HIGH_VALUE_CLV),
                    next="csm_phone_call",
                ),
                BranchCase(
                    when=AttributeCondition(attribute="clv", op="gte", value=MEDIUM_VALUE_CLV),
                    next="account_manager_email",
                ),
            ],
            otherwise="automated_email",
        ),
        "csm_phone_call": HumanTaskStep(
            kind="csm_call",
            title="Churn risk: CSM phone call",
            due_in=timedelta(days=1),
            next="day_2",
        ),
        "account_manager_email": email("account_manager_outreach", "day_2"),
        "automated_email": email("churn_outreach", "day_2"),
        "day_2": until_day(2, "response_analysis"),
        "response_analysis": BranchStep(
            description="Decision point #1: did the customer engage?",
            cases=[
                *_engaged("tailored_solution"),
            ],
            otherwise="alternate_channel",
        ),
        "tailored_solution": BranchStep(
            description="Tailored solution by risk factor",
            cases=[
                _risk("declining_usage", "usage_tutorial"),
                _risk("support_tickets", "senior_support_escalation"),
                _risk("price_sensitivity", "special_offer"),
            ],
            otherwise="value_check_in",
        ),
        "usage_tutorial": email("usage_tutorial_spotlight", "day_5"),
        "senior_support_escalation": HumanTaskStep(
            kind="support_escalation",
            title="Escalate to senior support",
            due_in=timedelta(hours=4),
            next="knowledge_base_email",
        ),
        "knowledge_base_email": email("support_knowledge_base", "day_5"),
        "special_offer": email("price_special_offer", "day_5"),
        "value_check_in": email("value_check_in", "day_5"),
        "alternate_channel": SendStep(
            description="No response: alternate channel, slightly more urgent",
            channels=[Channel.SMS, Channel.IN_APP],
            template="churn_urgent_follow_up",
            next="day_5",
        ),
        "day_5": until_day(5, "day_5_risk"),
        "day_5_risk": DecideStep(
            description="Decision point #2: recalculated churn risk; <= 60% means decreased",
            scorer=CHURN_RISK,
            bands=[ScoreBand(above=60, next="escalate_csm")],
            otherwise="positive_reinforcement",
        ),
        "positive_reinforcement": email("positive_reinforcement", "to_active_user_nurture"),
        "to_active_user_nurture": TransitionStep(
            journey=ACTIVE_USER_NURTURE, outcome="risk_decreased"
        ),
        "escalate_csm": HumanTaskStep(
            kind="csm_call",
            title="Churn risk not decreasing: CSM outreach (regardless of CLV)",
            due_in=timedelta(days=1),
            next="retention_offer",
        ),
        "retention_offer": email("we_value_your_business", "day_10"),
        "day_10": until_day(10, "day_10_risk"),
        "day_10_risk": DecideStep(
            description="Decision point #3: last opportunity",
            scorer=CHURN_RISK,
            bands=[ScoreBand(above=60, next="day_10_engagement")],
            otherwise="weekly_check_in",
        ),
        "day_10_engagement": BranchStep(
            cases=_engaged("weekly_check_in"), otherwise="executive_outreach"
        ),
        "executive_outreach": email("executive_outreach", "winback_survey"),
        "winback_survey": email("winback_survey", "manual_review"),
        "manual_review": HumanTaskStep(
            kind="manual_review",
            title="Churn prevention: manual review",
            due_in=timedelta(days=5),
            next="day_14",
        ),
        "weekly_check_in": email("weekly_check_in", "day_14"),
        "day_14": until_day(14, "day_14_outcome"),
        "day_14_outcome": DecideStep(
            description="Decision point #4: final risk <40% success, 40-60% extend,"
            " >60% unsuccessful",
            scorer=CHURN_RISK,
            bands=[
                ScoreBand(above=60, next="final_retention_offer"),
                ScoreBand(at_least=40, next="monthly_csm_check_in"),
            ],
            otherwise="glad_still_with_us",
        ),
        "glad_still_with_us": email("glad_still_with_us", "to_standard_journey"),
        "to_standard_journey": TransitionStep(journey=ACTIVE_USER_NURTURE, outcome="success"),
        "monthly_csm_check_in": HumanTaskStep(
            kind="csm_check_in",
            title="Partially retained: monthly CSM check-in",
            due_in=timedelta(days=7),
            next="day_30",
        ),
        "day_30": WaitStep(day=30, next="partially_retained", description="Extended to 30 days"),
        "partially_retained": ExitStep(outcome="partially_retained"),
        "final_retention_offer": HumanTaskStep(
            kind="final_retention_offer",
            title="High risk persists: final retention offer (human decision)",
            due_in=timedelta(days=2),
            next="await_churn",
        ),
        "await_churn": WaitForEventStep(
            description="Prepare for likely churn: win-back after cancellation",
            events={"subscription_cancelled": "to_winback"},
            timeout=timedelta(days=30),
            on_timeout="unsuccessful",
        ),
        "to_winback": TransitionStep(journey=WINBACK, outcome="unsuccessful_high_risk"),
        "unsuccessful": ExitStep(outcome="unsuccessful_high_risk"),
    },
    exit_events=["account_closed"],
    reentry=ReentryPolicy.AFTER_COOLDOWN,
    reentry_cooldown=timedelta(days=30),
    channels=[Channel.EMAIL, Channel.SMS, Channel.IN_APP],
    lifecycle_stage="at_risk",
    business_value=90,
)


RETENTION_OFFER_TEMPLATES: dict[str, str] = {
    offer.value: f"retention_offer_{offer.value}" for offer in Offer if offer is not Offer.NO_OFFER
}
"""Seed 000's retention offers -> the message presenting each."""

FINAL_PUSH_OFFERS = (Offer.DISCOUNT_20_PERCENT, Offer.FREE_UPGRADE)
"""Seed 000 Day 10: "Significant discount or free upgrade for 3 months"."""

CHURN_PREVENTION_V2 = JourneyDefinition(
    **{
        **dict(CHURN_PREVENTION_V1),
        "version": 2,
        "start": "entry_risk",
        "steps": {
            **CHURN_PREVENTION_V1.steps,
            "entry_risk": DecideStep(
                description="Day 0: the churn risk at entry, which Day 5 compares against",
                scorer=CHURN_RISK,
                otherwise="root_cause",
            ),
            "day_5_risk": DecideStep(
                description="Decision point #2: recalculated churn risk; decreased since entry?",
                scorer=CHURN_RISK,
                relative_to="entry_risk",
                bands=[ScoreBand(at_least=0, next="escalate_csm")],
                otherwise="positive_reinforcement",
            ),
            "account_manager_email": email(
                "churn_outreach",
                "day_2",
                description="Medium value: the seed's personalised email from the account manager",
            ),
            "automated_email": BestChannelSendStep(
                description="Lower value: automated self-service message, AI-predicted channel",
                channels=[Channel.EMAIL, Channel.SMS, Channel.IN_APP],
                template="churn_self_service",
                next="day_2",
            ),
            "retention_offer": OfferStep(
                description="Offer: 'We value your business' retention offer (best positive EV)",
                templates=RETENTION_OFFER_TEMPLATES,
                channels=[Channel.EMAIL, Channel.IN_APP],
                on_no_offer="day_10",
                next="day_10",
            ),
            "executive_outreach": email("executive_outreach", "final_push_offer"),
            "final_push_offer": OfferStep(
                description="Offer: significant discount or free upgrade for 3 months (if +EV)",
                templates={
                    offer.value: RETENTION_OFFER_TEMPLATES[offer.value]
                    for offer in FINAL_PUSH_OFFERS
                },
                channels=[Channel.EMAIL, Channel.IN_APP],
                on_no_offer="winback_survey",
                next="winback_survey",
            ),
        },
    }
)


CHURN_PROBABILITY_ATTRIBUTE = "churn_probability"
"""The profile attribute holding the churn model's latest probability (0-1)."""

CHURN_RISK_TIER_ATTRIBUTE = "churn_risk_tier"
"""The profile attribute holding the churn model's latest risk tier."""

ENTRY_CHURN_PROBABILITY = 0.60
"""Seed 000's entry: ``churn_probability > 0.60``."""

ENTRY_RISK_TIERS = ("high", "critical")
"""Seed 000's entry: ``churn_risk_tier IN ('high', 'critical')`` (AND the probability)."""

CHURN_PREVENTION_V3 = CHURN_PREVENTION_V2.model_copy(
    update={
        "version": 3,
        "entry": EntryTrigger(
            event="churn_risk_detected",
            conditions=[
                AttributeCondition(
                    attribute=CHURN_PROBABILITY_ATTRIBUTE, op="gt", value=ENTRY_CHURN_PROBABILITY
                ),
                AttributeCondition(
                    attribute=CHURN_RISK_TIER_ATTRIBUTE, op="in", value=list(ENTRY_RISK_TIERS)
                ),
            ],
        ),
    }
)
