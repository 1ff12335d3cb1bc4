"""``journey_onboarding_v2``: seed 000 template 1, SaaS new customer onboarding (30 days).

Entered on ``initial_setup_completed`` ("signs up and completes initial setup";
``account_created`` stays with the short welcome journey, which applies the
seed's 24-hour window: :mod:`journeys.catalog.welcome` says why the seed's
literal trigger is not used here).

Version 2 makes Day 1's "[AI DECISION POINT #1] Next Best Action" a
``next_best_action`` step: the engine ranks its inventory for the customer as
of Day 1 and executes the primary action, the backups as fallbacks. Its two
Day-1 emails are the actions it may execute: "Great Start!" with advanced tips
(the engine's advanced-features email, ranked first once the customer completed
the core workflow) and the getting-started guide (ranked first while adoption
is low and the core workflow is not done). The seed's companion message follows
by the seed's own rule: the in-app "Ready for step 2?" after a completed core
workflow, else the push "Complete your first analysis in 5 minutes". When the
engine has no executable action (no profile in the store, its candidates all
filtered), Day 1 falls back to the seed's fixed rule, as version 1 runs it. Day 0 welcome email
by signup source and in-app tour by role; decision points on Days 1, 3, 7, 14,
21 and 30 exactly as the seed writes them.
"""

from __future__ import annotations

from datetime import timedelta

from journeys.catalog.step_builders import email, if_event, in_app, push, until_day
from journeys.language import (
    AttributeCondition,
    BranchCase,
    BranchStep,
    Channel,
    DecideStep,
    EntryTrigger,
    HumanTaskStep,
    JourneyDefinition,
    JourneyMetadata,
    NextBestActionStep,
    ScoreBand,
    TransitionStep,
    WaitStep,
)
from journeys.language.behaviour_events import BehaviourEvent
from journeys.scoring import (
    CHURN_RISK,
    ENGAGEMENT,
    NEXT_FEATURE,
    ONBOARDING_SUCCESS,
    UPGRADE_LIKELIHOOD,
)

ACTIVE_USER_NURTURE = "journey_active_user_nurture"
POWER_USER_ENGAGEMENT = "journey_power_user_engagement"
FEATURE_ADOPTION = "journey_feature_adoption"
AT_RISK_RETENTION = "journey_at_risk_retention"
WINBACK = "journey_winback_60d"
CELEBRATION = "journey_celebration"


def _is(attribute: str, value: str, next: str) -> BranchCase:
    return BranchCase(when=AttributeCondition(attribute=attribute, value=value), next=next)


ONBOARDING_V2 = JourneyDefinition(
    id="journey_onboarding_v2",
    version=1,
    metadata=JourneyMetadata(
        name="SaaS New Customer Onboarding",
        journey_type="onboarding",
        target_audience="Customers who signed up within last 24 hours",
        business_objective="Activate users and drive feature adoption within 30 days",
        primary_metric="% of customers who complete core workflow within 30 days",
        secondary_metrics=[
            "Time to first value (TTFV)",
            "Feature adoption rate",
            "30-day retention",
        ],
        average_duration="30 days",
        ai_decision_points=8,
        status="active",
    ),
    entry=EntryTrigger(event="initial_setup_completed"),
    start="welcome_by_source",
    steps={
        "welcome_by_source": BranchStep(
            description="Day 0: personalise the welcome email by signup source",
            cases=[
                _is("signup_source", "organic_search", "welcome_organic"),
                _is("signup_source", "paid_ad", "welcome_paid"),
                _is("signup_source", "referral", "welcome_referral"),
            ],
            otherwise="welcome_generic",
        ),
        "welcome_organic": email("onboarding_welcome_organic", "tour_by_role"),
        "welcome_paid": email("onboarding_welcome_paid", "tour_by_role"),
        "welcome_referral": email("onboarding_welcome_referral", "tour_by_role"),
        "welcome_generic": email("welcome", "tour_by_role"),
        "tour_by_role": BranchStep(
            description="Day 0: customise the in-app tour by role",
            cases=[
                _is("role", "Analyst", "tour_analyst"),
                _is("role", "Manager", "tour_manager"),
                _is("role", "Admin", "tour_admin"),
            ],
            otherwise="tour_general",
        ),
        "tour_analyst": in_app("tour_analyst", "day_1"),
        "tour_manager": in_app("tour_manager", "day_1"),
        "tour_admin": in_app("tour_admin", "day_1"),
        "tour_general": in_app("tour_general", "day_1"),
        "day_1": until_day(1, "day_1_next_best_action"),
        "day_1_next_best_action": if_event(
            BehaviourEvent.CORE_WORKFLOW_COMPLETED,
            "great_start_email",
            "getting_started_email",
            description="Decision point #1: completed the core workflow on Day 0?",
        ),
        "great_start_email": email("great_start", "ready_for_step_2"),
        "ready_for_step_2": in_app("ready_for_step_2", "day_3"),
        "getting_started_email": email("getting_started_guide", "first_analysis_push"),
        "first_analysis_push": push("first_analysis_push", "day_3"),
        "day_3": until_day(3, "day_3_engagement"),
        "day_3_engagement": DecideStep(
            description="Decision point #2: engagement score (>50 high, >20 medium, else low)",
            scorer=ENGAGEMENT,
            tiers={"high": "high_engagement_email", "medium": "medium_engagement_email"},
            otherwise="low_engagement_email",
        ),
        "high_engagement_email": email("onboarding_high_engagement", "advanced_webinar_invite"),
        "advanced_webinar_invite": in_app("advanced_webinar_invite", "day_7"),
        "medium_engagement_email": email("onboarding_medium_engagement", "tutorial_video_prompt"),
        "tutorial_video_prompt": in_app("tutorial_video_prompt", "day_7"),
        "low_engagement_email": email("onboarding_low_engagement", "low_engagement_delay"),
        "low_engagement_delay": WaitStep(duration=timedelta(hours=2), next="csm_help_push"),
        "csm_help_push": push("csm_help_push", "day_7"),
        "day_7": until_day(7, "day_7_next_feature"),
        "day_7_next_feature": DecideStep(
            description="Decision point #3: which feature should the customer learn next?",
            scorer=NEXT_FEATURE,
            otherwise="feature_spotlight_email",
        ),
        "feature_spotlight_email": email("feature_spotlight", "feature_tooltip"),
        "feature_tooltip": in_app("feature_tooltip", "day_14"),
        "day_14": until_day(14, "day_14_progress"),
        "day_14_progress": if_event(
            BehaviourEvent.CORE_WORKFLOW_COMPLETED,
            "officially_activated_email",
            "day_14_churn_risk",
            description="Decision point #4: progress assessment",
        ),
        "officially_activated_email": email("officially_activated", "review_request"),
        "review_request": in_app("review_request", "to_active_user_nurture"),
        "to_active_user_nurture": TransitionStep(journey=ACTIVE_USER_NURTURE, outcome="activated"),
        "day_14_churn_risk": DecideStep(
            description="Churn risk > 60% -> human intervention (CSM outreach call)",
            scorer=CHURN_RISK,
            bands=[ScoreBand(above=60, next="csm_outreach_call")],
            otherwise="day_21",
        ),
        "csm_outreach_call": HumanTaskStep(
            kind="csm_call",
            title="Onboarding at risk: CSM outreach call",
            due_in=timedelta(days=1),
            next="day_21",
        ),
        "day_21": until_day(21, "day_21_upsell_readiness"),
        "day_21_upsell_readiness": DecideStep(
            description="Decision point #5: likelihood to upgrade > 70% and on starter plan",
            scorer=UPGRADE_LIKELIHOOD,
            bands=[ScoreBand(above=70, next="on_starter_plan")],
            otherwise="feature_education_email",
            window_days=21,
        ),
        "on_starter_plan": BranchStep(
            cases=[_is("plan", "starter", "upgrade_offer_email")],
            otherwise="feature_education_email",
        ),
        "upgrade_offer_email": email("upgrade_offer", "upgrade_cta"),
        "upgrade_cta": in_app("upgrade_cta", "day_30"),
        "feature_education_email": email("feature_education", "day_30"),
        "day_30": until_day(30, "day_30_success"),
        "day_30_success": DecideStep(
            description="Decision point #6: success score >75, 40-75, <40",
            scorer=ONBOARDING_SUCCESS,
            bands=[
                ScoreBand(above=75, next="power_user_email"),
                ScoreBand(at_least=40, next="to_feature_adoption"),
            ],
            otherwise="to_at_risk_retention",
        ),
        "power_user_email": email("power_user", "advisory_board_invite"),
        "advisory_board_invite": in_app("advisory_board_invite", "to_power_user_engagement"),
        "to_power_user_engagement": TransitionStep(
            journey=POWER_USER_ENGAGEMENT, outcome="highly_activated"
        ),
        "to_feature_adoption": TransitionStep(
            journey=FEATURE_ADOPTION, outcome="moderately_activated"
        ),
        "to_at_risk_retention": TransitionStep(
            journey=AT_RISK_RETENTION, outcome="poorly_activated"
        ),
    },
    exit_events=["account_closed"],
    channels=[Channel.EMAIL, Channel.IN_APP, Channel.PUSH],
    lifecycle_stage="activation",
    conflict_group="activation",
    business_value=80,
)

DAY_1_ACTIONS = {
    "advanced_features_email": "great_start",
    "getting_started_guide": "getting_started_guide",
}
"""Day 1's next best action: the engine's action -> the seed's Day-1 email carrying it."""

ONBOARDING_V2_2 = ONBOARDING_V2.model_copy(
    update={
        "version": 2,
        "steps": {
            **ONBOARDING_V2.steps,
            "day_1_next_best_action": NextBestActionStep(
                description="Decision point #1: next best action (primary, two backups)",
                templates=DAY_1_ACTIONS,
                on_no_action="day_1_seed_rule",
                next="day_1_companion",
            ),
            "day_1_seed_rule": ONBOARDING_V2.steps["day_1_next_best_action"],
            "day_1_companion": if_event(
                BehaviourEvent.CORE_WORKFLOW_COMPLETED,
                "ready_for_step_2",
                "first_analysis_push",
                description="Day 1: the seed's second message, by whether Day 0 completed it",
            ),
        },
    }
)
"""Version 2 of ``journey_onboarding_v2``: Day 1 decided by the next-best-action engine."""
