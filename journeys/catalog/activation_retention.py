"""``JRN-ACT-RET-001``: seed 001's Activation -> Retention blueprint (version 2.1 as 2).

Entered on ``core_feature_activated`` (not enterprise accounts, not trial-only
users). The feature adoption score picks the path: > 70 the high path, ≤ 70
the low-engagement path, each with its exact day schedule. Exit criteria:
Day 30 -> retention journey; adoption > 80 (checked on Days 7, 14 and 21) ->
expansion; no login for 21 days (checked on Day 21) -> at-risk; cancellation
(``subscription_cancelled``, an exit event) ends the journey at once.

Version 3 reads the blueprint literally where version 2 did not: the entry
criterion "activated core feature within 7 days" of registration is enforced
(the activation must occur within 7 days after the profile's ``signup_at``, the
registration time the predictive models read too; without one, no entry), and
"no activity for 21 days" counts every customer behaviour event, not only logins.
"""

from __future__ import annotations

from datetime import timedelta

from journeys.catalog.onboarding import (
    ACTIVE_USER_NURTURE,
    AT_RISK_RETENTION,
    POWER_USER_ENGAGEMENT,
)
from journeys.catalog.step_builders import email, in_app, push, until_day
from journeys.delivery.frequency_caps import BLUEPRINT_FREQUENCY_CAPS
from journeys.language import (
    AttributeCondition,
    BranchCase,
    BranchStep,
    Channel,
    DecideStep,
    EntryEventTimeCondition,
    EntryTrigger,
    EventCountCondition,
    HumanTaskStep,
    JourneyDefinition,
    JourneyMetadata,
    QuietHours,
    ScoreBand,
    SendStep,
    SetAttributeStep,
    Step,
    TransitionStep,
    WaitForEventStep,
)
from journeys.language.behaviour_events import CUSTOMER_ACTIVITY, BehaviourEvent
from journeys.scoring import CSAT, FEATURE_ADOPTION
from journeys.scoring.predictive_models import SIGNUP_ATTRIBUTE

INACTIVITY = timedelta(days=21)
"""Seed 001: no activity for 21 days -> at-risk."""

ACTIVATION_WINDOW = timedelta(days=7)
"""Seed 001's entry: activated the core feature within 7 days of registration."""


def _adoption_check(next: str) -> DecideStep:
    """Adoption > 80 exits to the expansion journey; otherwise continue."""
    return DecideStep(
        description="Exit criterion: feature adoption > 80 -> Expansion",
        scorer=FEATURE_ADOPTION,
        bands=[ScoreBand(above=80, next="to_expansion")],
        otherwise=next,
    )


def _inactivity_check(next: str) -> BranchStep:
    return BranchStep(
        description="Exit criterion: no activity (login) for 21 days -> At-Risk",
        cases=[
            BranchCase(
                when=EventCountCondition(
                    event=BehaviourEvent.LOGIN, at_least=0, at_most=0, within=INACTIVITY
                ),
                next="to_at_risk",
            )
        ],
        otherwise=next,
    )


def _activity_check(next: str) -> BranchStep:
    return BranchStep(
        description="Exit criterion: no activity (any behaviour event) for 21 days -> At-Risk",
        cases=[
            BranchCase(
                when=EventCountCondition(
                    events=list(CUSTOMER_ACTIVITY), at_least=0, at_most=0, within=INACTIVITY
                ),
                next="to_at_risk",
            )
        ],
        otherwise=next,
    )


_high_path: dict[str, Step] = {
    "high_day_1": until_day(1, "high_welcome_email"),
    "high_welcome_email": email("act_welcome_getting_started", "high_day_3", fallback=False),
    "high_day_3": until_day(3, "high_feature_tips"),
    "high_feature_tips": in_app("act_feature_tip_carousel", "high_day_5"),
    "high_day_5": until_day(5, "high_advanced_features"),
    "high_advanced_features": email("act_advanced_features", "high_day_7", fallback=False),
    "high_day_7": until_day(7, "high_join_community"),
    "high_join_community": push("act_join_community", "high_adoption_day_7"),
    "high_adoption_day_7": _adoption_check("high_day_14"),
    "high_day_14": until_day(14, "high_case_study"),
    "high_case_study": email("act_case_study", "high_adoption_day_14", fallback=False),
    "high_adoption_day_14": _adoption_check("high_day_21"),
    "high_day_21": until_day(21, "high_inactivity_day_21"),
    "high_inactivity_day_21": _inactivity_check("high_adoption_day_21"),
    "high_adoption_day_21": _adoption_check("csat_survey"),
    "csat_survey": email("act_csat_survey", "await_csat", fallback=False),
    "await_csat": WaitForEventStep(
        events={"csat_submitted": "csat_branch"}, timeout=timedelta(days=7), on_timeout="day_30"
    ),
    "csat_branch": DecideStep(
        description="CSAT >= 8 advocacy path; CSAT < 7 retention intervention",
        scorer=CSAT,
        tiers={"satisfied": "referral_invite", "dissatisfied": "help_offer"},
        otherwise="day_30",
    ),
    "referral_invite": email("act_referral_invite", "to_advocacy_stage", fallback=False),
    "to_advocacy_stage": SetAttributeStep(lifecycle_stage="advocacy", next="day_30"),
    "help_offer": email("act_help_offer", "csm_intro", fallback=False),
    "csm_intro": HumanTaskStep(
        kind="csm_call", title="Low CSAT: CSM introduction", due_in=timedelta(days=2), next="day_30"
    ),
}

_low_path: dict[str, Step] = {
    "low_day_1": until_day(1, "low_getting_most"),
    "low_getting_most": email("act_getting_the_most", "low_day_2", fallback=False),
    "low_day_2": until_day(2, "low_guided_tour"),
    "low_guided_tour": in_app("act_guided_tour", "low_day_4"),
    "low_day_4": until_day(4, "low_video_tutorial"),
    "low_video_tutorial": email("act_video_tutorial", "low_day_7", fallback=False),
    "low_day_7": until_day(7, "low_team_push"),
    "low_team_push": push("act_team_does_this", "low_adoption_day_7"),
    "low_adoption_day_7": _adoption_check("low_day_10"),
    "low_day_10": until_day(10, "low_common_mistakes"),
    "low_common_mistakes": email("act_common_mistakes", "low_day_14", fallback=False),
    "low_day_14": until_day(14, "low_onboarding_call_sms"),
    "low_onboarding_call_sms": SendStep(
        description="SMS (opt-in): free 1-on-1 onboarding call",
        channels=[Channel.SMS],
        template="act_onboarding_call_offer",
        next="low_adoption_day_14",
    ),
    "low_adoption_day_14": _adoption_check("low_day_21"),
    "low_day_21": until_day(21, "low_inactivity_day_21"),
    "low_inactivity_day_21": _inactivity_check("low_product_update"),
    "low_product_update": email("act_product_update", "low_day_28", fallback=False),
    "low_day_28": until_day(28, "low_we_miss_you"),
    "low_we_miss_you": email("act_we_miss_you", "day_30", fallback=False),
}

ACTIVATION_RETENTION_V2 = JourneyDefinition(
    id="JRN-ACT-RET-001",
    version=2,
    metadata=JourneyMetadata(
        name="Customer Journey Blueprint: Activation -> Retention (2.1)",
        journey_type="onboarding",
        target_audience="New sign-ups (0-30 days) who activated the core feature within 7 days;"
        " not enterprise accounts (manual onboarding), not trial-only users",
        business_objective="Move activated sign-ups into retention, expansion or advocacy",
        primary_metric="Activation journey conversion rate",
        average_duration="30 days",
        ai_decision_points=2,
        status="active",
    ),
    entry=EntryTrigger(
        event="core_feature_activated",
        conditions=[
            AttributeCondition(attribute="account_type", op="ne", value="enterprise"),
            AttributeCondition(attribute="plan", op="ne", value="trial"),
        ],
    ),
    start="adoption_branch",
    steps={
        "adoption_branch": DecideStep(
            description="Feature adoption score > 70 high path, <= 70 low-engagement path",
            scorer=FEATURE_ADOPTION,
            bands=[ScoreBand(above=70, next="high_day_1")],
            otherwise="low_day_1",
        ),
        **_high_path,
        **_low_path,
        "day_30": until_day(30, "to_retention"),
        "to_retention": TransitionStep(journey=ACTIVE_USER_NURTURE, outcome="reached_30_days"),
        "to_expansion": TransitionStep(journey=POWER_USER_ENGAGEMENT, outcome="expansion"),
        "to_at_risk": TransitionStep(journey=AT_RISK_RETENTION, outcome="inactive_21_days"),
    },
    exit_events=["subscription_cancelled"],
    channels=[Channel.EMAIL, Channel.PUSH, Channel.SMS, Channel.IN_APP],
    frequency_caps=list(BLUEPRINT_FREQUENCY_CAPS),
    quiet_hours=QuietHours(),
    lifecycle_stage="activation",
    conflict_group="activation",
    business_value=60,
)

ACTIVATION_RETENTION_V3 = ACTIVATION_RETENTION_V2.model_copy(
    update={
        "version": 3,
        "entry": EntryTrigger(
            event="core_feature_activated",
            conditions=[
                *ACTIVATION_RETENTION_V2.entry.conditions,
                EntryEventTimeCondition(within=ACTIVATION_WINDOW, after_attribute=SIGNUP_ATTRIBUTE),
            ],
        ),
        "steps": {
            **ACTIVATION_RETENTION_V2.steps,
            "high_inactivity_day_21": _activity_check("high_adoption_day_21"),
            "low_inactivity_day_21": _activity_check("low_product_update"),
        },
    }
)
