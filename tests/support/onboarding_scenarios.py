"""The onboarding journey's branches as scenarios: behaviour in, path and sends out."""

from __future__ import annotations

from dataclasses import replace

from tests.support.journey_scenarios import (
    Behaviour,
    Scenario,
    features,
    logins,
)

JOURNEY = "journey_onboarding_v2"


def session(minutes: float) -> Behaviour:
    return Behaviour("session_ended", 0, {"duration_minutes": minutes})


def pricing(count: int) -> list[Behaviour]:
    return [Behaviour("pricing_page_viewed", 0) for _ in range(count)]


COMPLETED = Behaviour("core_workflow_completed", 0, routed=True)


ACTIVATED_TAIL = ["feature_spotlight", "feature_tooltip", "officially_activated", "review_request"]


SCENARIOS = [
    Scenario(
        # Day 3: 1 login day*10 + 1 feature*5 + 1 workflow*20 + 16 minutes = 51 -> high.
        name="engagement_51_high_then_activated",
        journey=JOURNEY,
        profile={"signup_source": "referral", "role": "Analyst"},
        behaviour=[*logins(0), *features(1), COMPLETED, session(16)],
        sends=[
            "onboarding_welcome_referral",
            "tour_analyst",
            "great_start",
            "ready_for_step_2",
            "onboarding_high_engagement",
            "advanced_webinar_invite",
            *ACTIVATED_TAIL,
        ],
        outcome="activated",
        transition="journey_active_user_nurture",
    ),
    Scenario(
        # Same with 15 minutes: exactly 50 is medium.
        name="engagement_50_medium_then_activated",
        journey=JOURNEY,
        profile={"signup_source": "paid_ad", "role": "Manager"},
        behaviour=[*logins(0), *features(1), COMPLETED, session(15)],
        sends=[
            "onboarding_welcome_paid",
            "tour_manager",
            "great_start",
            "ready_for_step_2",
            "onboarding_medium_engagement",
            "tutorial_video_prompt",
            *ACTIVATED_TAIL,
        ],
        outcome="activated",
        transition="journey_active_user_nurture",
    ),
    Scenario(
        # Day 3: 10 + 10 minutes = 20 -> low; Day 14 churn 80-8 = 72% > 60% -> CSM call;
        # Day 21 upgrade 10% -> education; Day 30 success 20 < 40 -> at-risk journey.
        name="engagement_20_low_churn_72_success_20",
        journey=JOURNEY,
        behaviour=[*logins(0), session(10)],
        sends=[
            "welcome",
            "tour_general",
            "getting_started_guide",
            "first_analysis_push",
            "onboarding_low_engagement",
            "csm_help_push",
            "feature_spotlight",
            "feature_tooltip",
            "feature_education",
        ],
        tasks=["csm_call"],
        outcome="poorly_activated",
        transition="journey_at_risk_retention",
    ),
    Scenario(
        # 3 login days, 2 features, 3 pricing views, starter plan. Day 3: 30+10 = 40 medium;
        # Day 14 churn 80-24 = 56% (no CSM); Day 21 upgrade 30+10+60 = 100% > 70% and
        # starter -> upgrade offer; Day 30 success 40 -> 40-75 -> feature adoption journey.
        name="upgrade_100_starter_success_40",
        journey=JOURNEY,
        profile={"signup_source": "organic_search", "role": "Admin", "plan": "starter"},
        behaviour=[*logins(0, 1, 2), *features(2), *pricing(3)],
        sends=[
            "onboarding_welcome_organic",
            "tour_admin",
            "getting_started_guide",
            "first_analysis_push",
            "onboarding_medium_engagement",
            "tutorial_video_prompt",
            "feature_spotlight",
            "feature_tooltip",
            "upgrade_offer",
            "upgrade_cta",
        ],
        outcome="moderately_activated",
        transition="journey_feature_adoption",
    ),
    Scenario(
        # 3 login days, 5 features, 20 minutes, 2 pricing views, pro plan. Day 3: 30+25+20 = 75
        # high; Day 21 upgrade 30+25+40 = 95% but not starter -> education; Day 30 success 75
        # (40-75) -> feature adoption journey.
        name="upgrade_95_pro_plan_success_75",
        journey=JOURNEY,
        version=1,
        profile={"plan": "pro"},
        behaviour=[*logins(0, 1, 2), *features(5), session(20), *pricing(2)],
        sends=[
            "welcome",
            "tour_general",
            "getting_started_guide",
            "first_analysis_push",
            "onboarding_high_engagement",
            "advanced_webinar_invite",
            "feature_spotlight",
            "feature_tooltip",
            "feature_education",
        ],
        outcome="moderately_activated",
        transition="journey_feature_adoption",
    ),
    Scenario(
        # As above with 21 minutes: Day 30 success 76 > 75 -> power user path.
        name="success_76_power_user",
        journey=JOURNEY,
        version=1,
        profile={"plan": "pro"},
        behaviour=[*logins(0, 1, 2), *features(5), session(21), *pricing(2)],
        sends=[
            "welcome",
            "tour_general",
            "getting_started_guide",
            "first_analysis_push",
            "onboarding_high_engagement",
            "advanced_webinar_invite",
            "feature_spotlight",
            "feature_tooltip",
            "feature_education",
            "power_user",
            "advisory_board_invite",
        ],
        outcome="highly_activated",
        transition="journey_power_user_engagement",
    ),
    Scenario(
        # 3 login days, 2 pricing views, 9 minutes, starter. Day 21 upgrade exactly 70% is not
        # > 70% -> education; Day 30 success 30+9 = 39 < 40 -> at-risk journey.
        name="upgrade_70_starter_success_39",
        journey=JOURNEY,
        profile={"plan": "starter"},
        behaviour=[*logins(0, 1, 2), session(9), *pricing(2)],
        sends=[
            "welcome",
            "tour_general",
            "getting_started_guide",
            "first_analysis_push",
            "onboarding_medium_engagement",
            "tutorial_video_prompt",
            "feature_spotlight",
            "feature_tooltip",
            "feature_education",
        ],
        outcome="poorly_activated",
        transition="journey_at_risk_retention",
    ),
]


def _day_1_by_next_best_action(scenario: Scenario) -> Scenario:
    """Version 2 of ``scenario``: active on Day 0-1 (adoption 55, pricing viewed) without the
    core workflow, the engine's primary Day-1 action is the advanced-features email ("Great
    Start!", 0.77) over the getting-started guide (0.40); the push follows (no core workflow)."""
    sends = ["great_start" if sent == "getting_started_guide" else sent for sent in scenario.sends]
    return replace(scenario, name=f"v2_{scenario.name}", version=None, sends=sends)


SCENARIOS += [
    _day_1_by_next_best_action(scenario)
    for scenario in SCENARIOS
    if scenario.name in {"upgrade_95_pro_plan_success_75", "success_76_power_user"}
]
