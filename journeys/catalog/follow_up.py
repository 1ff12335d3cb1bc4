"""The journeys the seed journeys transition to: short, real journeys (API-entered only).

- Active-user nurture (seed 000 "Active User Nurture", seed 001 "Retention journey").
- Power-user engagement (seed 000 "Power User Engagement", seed 001 "Expansion").
- Feature adoption (seed 000 "Feature Adoption Journey").
- At-risk retention (seed 000 "At-Risk User Retention", seed 001 "At-Risk").
- Win-back 60-day nurture (seed 000 "Post-trial winback (60-day nurture)" and
  the churn journey's "Winback Journey after churn").
- Celebration (seed 000 trial end: "IF converted -> Celebration journey").
"""

from __future__ import annotations

from datetime import timedelta

from journeys.catalog.onboarding import (
    ACTIVE_USER_NURTURE,
    AT_RISK_RETENTION,
    CELEBRATION,
    FEATURE_ADOPTION,
    POWER_USER_ENGAGEMENT,
    WINBACK,
)
from journeys.catalog.step_builders import email, in_app, until_day
from journeys.language import (
    Channel,
    DecideStep,
    ExitStep,
    HumanTaskStep,
    JourneyDefinition,
    JourneyMetadata,
    ReentryPolicy,
    SetAttributeStep,
    WaitForEventStep,
)
from journeys.language.behaviour_events import BehaviourEvent
from journeys.scoring import NEXT_FEATURE

_CHANNELS = [Channel.EMAIL, Channel.IN_APP, Channel.PUSH]

ACTIVE_USER_NURTURE_V1 = JourneyDefinition(
    id=ACTIVE_USER_NURTURE,
    version=1,
    metadata=JourneyMetadata(
        name="Active User Nurture",
        journey_type="nurture",
        target_audience="Activated customers leaving onboarding or retention journeys",
        business_objective="Keep active customers getting value; 30-day retention",
        primary_metric="30-day retention",
        average_duration="30 days",
    ),
    start="set_retention_stage",
    steps={
        "set_retention_stage": SetAttributeStep(lifecycle_stage="retention", next="value_tips"),
        "value_tips": email("nurture_value_tips", "day_14"),
        "day_14": until_day(14, "new_feature_highlight"),
        "new_feature_highlight": in_app("nurture_new_feature_highlight", "day_30"),
        "day_30": until_day(30, "nurtured"),
        "nurtured": ExitStep(outcome="nurtured"),
    },
    exit_events=["account_closed", "subscription_cancelled"],
    reentry=ReentryPolicy.AFTER_EXIT,
    channels=_CHANNELS,
    lifecycle_stage="retention",
    business_value=40,
)

POWER_USER_ENGAGEMENT_V1 = JourneyDefinition(
    id=POWER_USER_ENGAGEMENT,
    version=1,
    metadata=JourneyMetadata(
        name="Power User Engagement",
        journey_type="upsell",
        target_audience="Highly activated customers (success score > 75, adoption > 80)",
        business_objective="Turn power users into advocates and expansion revenue",
        primary_metric="Referrals and upgrades from power users",
        average_duration="21 days",
    ),
    start="set_expansion_stage",
    steps={
        "set_expansion_stage": SetAttributeStep(
            lifecycle_stage="expansion", next="advisory_board_invite"
        ),
        "advisory_board_invite": in_app("advisory_board_invite", "day_7"),
        "day_7": until_day(7, "power_user_tips"),
        "power_user_tips": email("power_user_tips", "await_referral"),
        "await_referral": WaitForEventStep(
            events={"referral_sent": "advocate"},
            timeout=timedelta(days=14),
            on_timeout="engaged",
        ),
        "advocate": SetAttributeStep(lifecycle_stage="advocacy", next="became_advocate"),
        "became_advocate": ExitStep(outcome="advocate"),
        "engaged": ExitStep(outcome="engaged"),
    },
    exit_events=["account_closed"],
    reentry=ReentryPolicy.AFTER_EXIT,
    channels=_CHANNELS,
    lifecycle_stage="expansion",
    business_value=50,
)

FEATURE_ADOPTION_V1 = JourneyDefinition(
    id=FEATURE_ADOPTION,
    version=1,
    metadata=JourneyMetadata(
        name="Feature Adoption Journey",
        journey_type="nurture",
        target_audience="Moderately activated customers (success score 40-75)",
        business_objective="Adopt one more feature within two weeks",
        primary_metric="Feature adoption rate",
        average_duration="14 days",
        ai_decision_points=1,
    ),
    start="pick_feature",
    steps={
        "pick_feature": DecideStep(
            description="Which feature next (decision_pick_feature in the message)",
            scorer=NEXT_FEATURE,
            otherwise="feature_spotlight",
        ),
        "feature_spotlight": email("feature_spotlight", "await_feature_use"),
        "await_feature_use": WaitForEventStep(
            events={BehaviourEvent.FEATURE_USED: "adopted"},
            timeout=timedelta(days=7),
            on_timeout="reminder",
        ),
        "adopted": ExitStep(outcome="adopted"),
        "reminder": in_app("feature_tooltip", "await_feature_use_again"),
        "await_feature_use_again": WaitForEventStep(
            events={BehaviourEvent.FEATURE_USED: "adopted"},
            timeout=timedelta(days=7),
            on_timeout="not_adopted",
        ),
        "not_adopted": ExitStep(outcome="not_adopted"),
    },
    exit_events=["account_closed"],
    reentry=ReentryPolicy.AFTER_EXIT,
    channels=_CHANNELS,
    lifecycle_stage="activation",
    business_value=45,
)

AT_RISK_RETENTION_V1 = JourneyDefinition(
    id=AT_RISK_RETENTION,
    version=1,
    metadata=JourneyMetadata(
        name="At-Risk User Retention",
        journey_type="retention",
        target_audience="Poorly activated or inactive customers",
        business_objective="Reach at-risk customers personally before they churn",
        primary_metric="% retained after CSM contact",
        average_duration="7 days",
    ),
    start="set_at_risk_stage",
    steps={
        "set_at_risk_stage": SetAttributeStep(lifecycle_stage="at_risk", next="need_help_email"),
        "need_help_email": email("at_risk_need_help", "csm_call"),
        "csm_call": HumanTaskStep(
            kind="csm_call",
            title="At-risk customer: CSM call",
            due_in=timedelta(days=2),
            outcomes={"csm_call_completed": "retained"},
            timeout=timedelta(days=7),
            on_timeout="no_contact",
        ),
        "retained": ExitStep(outcome="retained"),
        "no_contact": ExitStep(outcome="no_contact"),
    },
    exit_events=["account_closed", "subscription_cancelled"],
    reentry=ReentryPolicy.AFTER_EXIT,
    channels=_CHANNELS,
    lifecycle_stage="at_risk",
    business_value=85,
)

WINBACK_V1 = JourneyDefinition(
    id=WINBACK,
    version=1,
    metadata=JourneyMetadata(
        name="Win-back 60-day nurture",
        journey_type="reactivation",
        target_audience="Trials that did not convert; customers who cancelled",
        business_objective="Win back lapsed trials and churned customers within 60 days",
        primary_metric="Win-back conversion rate",
        average_duration="60 days",
    ),
    start="miss_you",
    steps={
        "miss_you": email("winback_miss_you", "day_20"),
        "day_20": until_day(20, "whats_new"),
        "whats_new": email("winback_whats_new", "day_40"),
        "day_40": until_day(40, "winback_offer"),
        "winback_offer": email("winback_offer", "await_subscription"),
        "await_subscription": WaitForEventStep(
            events={"subscription_started": "won_back"},
            timeout=timedelta(days=20),
            on_timeout="lapsed",
        ),
        "won_back": ExitStep(outcome="won_back"),
        "lapsed": ExitStep(outcome="lapsed"),
    },
    exit_events=["account_closed"],
    reentry=ReentryPolicy.AFTER_EXIT,
    channels=_CHANNELS,
    lifecycle_stage="at_risk",
    business_value=30,
)

CELEBRATION_V1 = JourneyDefinition(
    id=CELEBRATION,
    version=1,
    metadata=JourneyMetadata(
        name="Celebration",
        journey_type="nurture",
        target_audience="Trials that converted to paid",
        business_objective="Celebrate the conversion and point to the next value",
        primary_metric="First paid-month retention",
        average_duration="1 day",
    ),
    start="set_retention_stage",
    steps={
        "set_retention_stage": SetAttributeStep(lifecycle_stage="retention", next="celebrate"),
        "celebrate": email("celebration", "celebration_badge"),
        "celebration_badge": in_app("celebration_badge", "celebrated"),
        "celebrated": ExitStep(outcome="celebrated"),
    },
    exit_events=["account_closed"],
    reentry=ReentryPolicy.AFTER_EXIT,
    channels=_CHANNELS,
    lifecycle_stage="retention",
    business_value=20,
)

FOLLOW_UP_JOURNEYS = [
    ACTIVE_USER_NURTURE_V1,
    POWER_USER_ENGAGEMENT_V1,
    FEATURE_ADOPTION_V1,
    AT_RISK_RETENTION_V1,
    WINBACK_V1,
    CELEBRATION_V1,
]
"""Every transition target of the seed journeys."""
