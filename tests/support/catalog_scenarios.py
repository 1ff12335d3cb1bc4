"""Scenarios of the trial, churn, blueprint and follow-up journeys: behaviour in, path out."""

from __future__ import annotations

from dataclasses import replace

from tests.support.journey_scenarios import (
    Behaviour,
    Scenario,
    features,
    logins,
)

TRIAL = "journey_trial_conversion_v1"


CHURN = "journey_churn_prevention_v1"


BLUEPRINT = "JRN-ACT-RET-001"


def many(name: str, count: int, day: float = 0) -> list[Behaviour]:
    return [Behaviour(name, day) for _ in range(count)]


def at(name: str, day: float, **properties: object) -> Behaviour:
    """An event delivered to the enrollment on ``day``."""
    return Behaviour(name, day, dict(properties), routed=True)


CONVERTED_NOW = Behaviour("subscription_started", 0, routed=True)


TRIAL_SCENARIOS = [
    Scenario(
        # Day 3: 3 logins + core feature -> high. Day 7: 3 login days*8 + 3 pricing*15 = 69% > 60%.
        # Converted -> Day 12 skips the final push; Day 14 -> celebration.
        name="trial_high_69_converted",
        journey=TRIAL,
        behaviour=[
            *logins(0, 1, 2),
            Behaviour("core_feature_used"),
            *many("pricing_page_viewed", 3),
            CONVERTED_NOW,
        ],
        sends=[
            "trial_welcome",
            "trial_crushing_it",
            "trial_convert_now",
            "trial_upgrade_cta",
            "trial_urgency",
        ],
        outcome="converted",
        transition="journey_celebration",
    ),
    Scenario(
        # Day 7: 3 login days*8 + 3 workflows*12 = exactly 60% -> medium (30-60%).
        # Not converted, no core feature -> last chance without extension -> win-back.
        name="trial_conversion_60_medium",
        journey=TRIAL,
        behaviour=[*logins(0, 1, 2), *many("core_workflow_completed", 3)],
        sends=[
            "trial_welcome",
            "trial_getting_started_tips",
            "trial_more_value",
            "trial_live_demo_offer",
            "trial_urgency",
            "trial_last_chance",
        ],
        outcome="not_converted",
        transition="journey_winback_60d",
    ),
    Scenario(
        # 2 logins only -> low signal. Day 7: 8 + 12 + 2 features*5 = exactly 30% -> medium.
        name="trial_conversion_30_medium",
        journey=TRIAL,
        behaviour=[*logins(0, 0), Behaviour("core_workflow_completed"), *features(2)],
        sends=[
            "trial_welcome",
            "trial_getting_started_tips",
            "trial_more_value",
            "trial_live_demo_offer",
            "trial_urgency",
            "trial_last_chance",
        ],
        outcome="not_converted",
        transition="journey_winback_60d",
    ),
    Scenario(
        # Day 7: 3 login days*8 + 1 feature*5 = 29% < 30% -> SDR call. High engagement
        # (3 logins + core feature) -> Day 12 offers the 7-day extension.
        name="trial_conversion_29_sdr_extension",
        journey=TRIAL,
        behaviour=[*logins(0, 1, 2), Behaviour("core_feature_used"), *features(1)],
        sends=[
            "trial_welcome",
            "trial_crushing_it",
            "trial_urgency",
            "trial_last_chance",
            "trial_extension_offer",
        ],
        tasks=["sdr_outreach"],
        outcome="not_converted",
        transition="journey_winback_60d",
    ),
]


CHURN_SCENARIOS = [
    Scenario(
        # CLV > $10k -> CSM call; engaged -> usage tutorial; Day 5 risk 80-3*8 = 56% (decreased)
        # -> positive reinforcement -> active user nurture.
        name="churn_high_value_engaged_decreased",
        journey=CHURN,
        version=1,
        profile={"primary_risk_factor": "declining_usage", "clv": 15_000},
        behaviour=[*logins(0, 1, 2), Behaviour("email_opened", routed=True)],
        sends=["usage_tutorial_spotlight", "positive_reinforcement"],
        tasks=["csm_call"],
        outcome="risk_decreased",
        transition="journey_active_user_nurture",
        attributes={"retention_path": "feature_education"},
    ),
    Scenario(
        # CLV exactly $10k is medium -> account manager email; support tickets, call answered
        # -> senior support escalation. Risk 80+10 = 90%: Day 5 escalation + offer; Day 10
        # engaged -> weekly check-in; Day 14 > 60% -> final offer; no cancellation in 30 days.
        name="churn_medium_value_unsuccessful",
        journey=CHURN,
        version=1,
        profile={"primary_risk_factor": "support_tickets", "clv": 10_000},
        behaviour=[Behaviour("support_ticket_opened"), Behaviour("call_answered", routed=True)],
        sends=[
            "account_manager_outreach",
            "support_knowledge_base",
            "we_value_your_business",
            "weekly_check_in",
        ],
        tasks=["support_escalation", "csm_call", "final_retention_offer"],
        outcome="unsuccessful_high_risk",
        attributes={"retention_path": "priority_support"},
    ),
    Scenario(
        # CLV $100 -> automated email; no response by Day 2 -> alternate channel (SMS).
        # Risk 80%: Day 10 high and no engagement -> executive outreach, survey, manual
        # review. Logins on Days 11-13: Day 14 risk 80-24 = 56% -> 40-60% -> extend to Day 30.
        name="churn_low_value_no_response_partial",
        journey=CHURN,
        version=1,
        profile={"primary_risk_factor": "price_sensitivity", "clv": 100, "first_name": "Ada"},
        behaviour=logins(11, 12, 13),
        sends=[
            "churn_outreach",
            "churn_urgent_follow_up",
            "we_value_your_business",
            "executive_outreach",
            "winback_survey",
        ],
        tasks=["csm_call", "manual_review", "csm_check_in"],
        outcome="partially_retained",
        attributes={"retention_path": "discount_value"},
    ),
    Scenario(
        # Competitor research, engaged -> value check-in. Day 5 risk 80% -> escalation;
        # logins Days 6-9: Day 10 risk 48% -> weekly check-in; logins Days 10-13:
        # Day 14 risk 80-64 = 16% < 40% -> success -> standard journey.
        name="churn_retained_success",
        journey=CHURN,
        version=1,
        profile={"primary_risk_factor": "competitor_research", "clv": 2_500},
        behaviour=[*logins(6, 7, 8, 9, 10, 11, 12, 13), Behaviour("in_app_action", routed=True)],
        sends=[
            "account_manager_outreach",
            "value_check_in",
            "we_value_your_business",
            "weekly_check_in",
            "glad_still_with_us",
        ],
        tasks=["csm_call"],
        outcome="success",
        transition="journey_active_user_nurture",
        attributes={"retention_path": "value_reinforcement"},
    ),
]


CHURN_V2_SCENARIOS = [
    Scenario(
        # Version 2, CLV $100, no send history: channel selection answers email (no history)
        # with the self-service message. No response by Day 2 -> alternate channel. Risk 80%:
        # Day 5 CSM escalation; at CLV $100 and MRR $1,000 every offer's EV is negative
        # (discount 10r - 600, upgrade 8r - 150, premium 5r - 100, training 12r - 500) -> no
        # offer, on Day 10 too -> survey, manual review. Logins Days 11-13: Day 14 56% ->
        # extended to Day 30.
        name="churn_v2_low_value_best_channel_no_offer",
        journey=CHURN,
        version=2,
        profile={
            "primary_risk_factor": "price_sensitivity",
            "clv": 100,
            "mrr": 1_000,
            "first_name": "Ada",
        },
        behaviour=logins(11, 12, 13),
        sends=[
            "churn_self_service",
            "churn_urgent_follow_up",
            "executive_outreach",
            "winback_survey",
        ],
        tasks=["csm_call", "manual_review", "csm_check_in"],
        outcome="partially_retained",
        visits=["automated_email", "retention_offer", "final_push_offer"],
    ),
    Scenario(
        # Version 2, CLV exactly $10k -> the seed's personalised Day-0 email from the account
        # manager; support tickets, call answered -> senior support. Risk 90%: Day 5 escalation
        # and the offer with the best positive EV at CLV $10k, MRR $100 and churn risk r:
        # discount 1000r - 60 beats upgrade 800r - 150, premium 500r - 100 and training
        # 1200r - 500 for every r <= 1. Day 10 engaged -> weekly check-in; Day 14 > 60% ->
        # final offer task; no cancellation in 30 days.
        name="churn_v2_account_manager_personalised_offer",
        journey=CHURN,
        version=2,
        profile={
            "primary_risk_factor": "support_tickets",
            "clv": 10_000,
            "mrr": 100,
            "first_name": "Grace",
            "risk_factor_statement": "you opened three support tickets this week",
        },
        behaviour=[Behaviour("support_ticket_opened"), Behaviour("call_answered", routed=True)],
        sends=[
            "churn_outreach",
            "support_knowledge_base",
            "retention_offer_discount_20_percent",
            "weekly_check_in",
        ],
        tasks=["support_escalation", "csm_call", "final_retention_offer"],
        outcome="unsuccessful_high_risk",
    ),
    Scenario(
        # Version 2, Day 5 against the risk at entry: two support tickets make it 100% on
        # Day 0; logins on Days 1-3 bring it to 76% on Day 5. Still above 60% (version 1
        # escalates), but decreased since entry -> positive reinforcement -> nurture.
        name="churn_v2_risk_decreased_since_entry",
        journey=CHURN,
        version=2,
        profile={"primary_risk_factor": "support_tickets", "clv": 10_000, "mrr": 100},
        behaviour=[
            *many("support_ticket_opened", 2),
            *logins(1, 2, 3),
            Behaviour("call_answered", routed=True),
        ],
        sends=["churn_outreach", "support_knowledge_base", "positive_reinforcement"],
        tasks=["support_escalation"],
        outcome="risk_decreased",
        transition="journey_active_user_nurture",
        visits=["entry_risk", "day_5_risk"],
    ),
]


HIGH_PATH = [
    "act_welcome_getting_started",
    "act_feature_tip_carousel",
    "act_advanced_features",
    "act_join_community",
    "act_case_study",
    "act_csat_survey",
]


BLUEPRINT_SCENARIOS = [
    Scenario(
        # Adoption 8 features*10 = 80 > 70 (not > 80) -> high path; CSAT 9 >= 8 -> referral
        # invite, advocacy stage; Day 30 -> retention journey (which sets its own stage).
        name="blueprint_high_csat_9_advocacy",
        journey=BLUEPRINT,
        behaviour=[*features(8), at("login", 1), at("csat_submitted", 21.5, score=9)],
        sends=[*HIGH_PATH, "act_referral_invite"],
        outcome="reached_30_days",
        transition="journey_active_user_nurture",
        visits=["to_advocacy_stage"],
    ),
    Scenario(
        # CSAT 6 < 7 -> help offer + CSM introduction.
        name="blueprint_high_csat_6_intervention",
        journey=BLUEPRINT,
        behaviour=[*features(8), at("login", 1), at("csat_submitted", 21.5, score=6)],
        sends=[*HIGH_PATH, "act_help_offer"],
        tasks=["csm_call"],
        outcome="reached_30_days",
        transition="journey_active_user_nurture",
    ),
    Scenario(
        # CSAT exactly 7: neither >= 8 nor < 7.
        name="blueprint_high_csat_7_neither",
        journey=BLUEPRINT,
        behaviour=[*features(8), at("login", 1), at("csat_submitted", 21.5, score=7)],
        sends=HIGH_PATH,
        outcome="reached_30_days",
        transition="journey_active_user_nurture",
    ),
    Scenario(
        # Adoption exactly 70 -> low-engagement path, its full day schedule; the Day 14 SMS
        # is opt-in, so without SMS consent it is suppressed.
        name="blueprint_low_path_70",
        journey=BLUEPRINT,
        behaviour=[*features(7), at("login", 1)],
        sends=[
            "act_getting_the_most",
            "act_guided_tour",
            "act_video_tutorial",
            "act_team_does_this",
            "act_common_mistakes",
            "act_product_update",
            "act_we_miss_you",
        ],
        outcome="reached_30_days",
        transition="journey_active_user_nurture",
        visits=["low_onboarding_call_sms"],
    ),
    Scenario(
        # Adoption 90 > 80: the Day 7 check exits to the expansion journey.
        name="blueprint_adoption_90_expansion",
        journey=BLUEPRINT,
        behaviour=[*features(9), at("login", 1)],
        sends=HIGH_PATH[:4],
        outcome="expansion",
        transition="journey_power_user_engagement",
    ),
    Scenario(
        # No login in 21 days -> at-risk journey on Day 21.
        name="blueprint_inactive_21_days",
        journey=BLUEPRINT,
        behaviour=features(8),
        sends=HIGH_PATH[:5],
        outcome="inactive_21_days",
        transition="journey_at_risk_retention",
    ),
    Scenario(
        # Version 3: "no activity" is any behaviour event, not only logins. A pricing-page view on
        # Day 10 and no login: still active on Day 21 -> the high path goes on.
        name="blueprint_v3_any_behaviour_event_is_activity",
        journey=BLUEPRINT,
        behaviour=[*features(8), at("pricing_page_viewed", 10)],
        sends=HIGH_PATH,
        outcome="reached_30_days",
        transition="journey_active_user_nurture",
    ),
    Scenario(
        # Version 2 counted only logins: the same customer goes at-risk on Day 21.
        name="blueprint_v2_activity_without_login_is_inactivity",
        journey=BLUEPRINT,
        version=2,
        behaviour=[*features(8), at("pricing_page_viewed", 10)],
        sends=HIGH_PATH[:5],
        outcome="inactive_21_days",
        transition="journey_at_risk_retention",
    ),
    Scenario(
        # Cancellation ends the journey at once, mid-wait.
        name="blueprint_cancellation",
        journey=BLUEPRINT,
        behaviour=[*features(3), at("subscription_cancelled", 3.5)],
        sends=["act_getting_the_most", "act_guided_tour"],
        outcome="exit_event:subscription_cancelled",
    ),
]


FOLLOW_UP_SCENARIOS = [
    Scenario(
        name="nurture",
        journey="journey_active_user_nurture",
        sends=["nurture_value_tips", "nurture_new_feature_highlight"],
        outcome="nurtured",
        stage="retention",
    ),
    Scenario(
        name="power_user_referral",
        journey="journey_power_user_engagement",
        behaviour=[at("referral_sent", 8)],
        sends=["advisory_board_invite", "power_user_tips"],
        outcome="advocate",
        stage="advocacy",
    ),
    Scenario(
        name="power_user_no_referral",
        journey="journey_power_user_engagement",
        sends=["advisory_board_invite", "power_user_tips"],
        outcome="engaged",
        stage="expansion",
    ),
    Scenario(
        name="feature_adoption_adopted",
        journey="journey_feature_adoption",
        behaviour=[at("feature_used", 9, feature="reports")],
        sends=["feature_spotlight", "feature_tooltip"],
        outcome="adopted",
    ),
    Scenario(
        name="feature_adoption_not_adopted",
        journey="journey_feature_adoption",
        sends=["feature_spotlight", "feature_tooltip"],
        outcome="not_adopted",
    ),
    Scenario(
        name="at_risk_call_completed",
        journey="journey_at_risk_retention",
        behaviour=[at("csm_call_completed", 2)],
        sends=["at_risk_need_help"],
        tasks=["csm_call"],
        outcome="retained",
        stage="at_risk",
    ),
    Scenario(
        name="at_risk_no_contact",
        journey="journey_at_risk_retention",
        sends=["at_risk_need_help"],
        tasks=["csm_call"],
        outcome="no_contact",
    ),
    Scenario(
        name="winback_won_back",
        journey="journey_winback_60d",
        behaviour=[at("subscription_started", 45)],
        sends=["winback_miss_you", "winback_whats_new", "winback_offer"],
        outcome="won_back",
    ),
    Scenario(
        name="winback_lapsed",
        journey="journey_winback_60d",
        sends=["winback_miss_you", "winback_whats_new", "winback_offer"],
        outcome="lapsed",
    ),
    Scenario(
        name="celebration",
        journey="journey_celebration",
        sends=["celebration", "celebration_badge"],
        outcome="celebrated",
        stage="retention",
    ),
]


CHURN_V3_SCENARIOS = [
    replace(
        CHURN_V2_SCENARIOS[0],
        # Version 3 walks version 2's steps; it differs only in its entry rules (routing).
        name="churn_v3_low_value_best_channel_no_offer",
        version=None,
        profile={
            **CHURN_V2_SCENARIOS[0].profile,
            "churn_probability": 0.8,
            "churn_risk_tier": "high",
        },
    ),
]
