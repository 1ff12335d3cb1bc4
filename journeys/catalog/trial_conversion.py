"""``journey_trial_conversion_v1``: seed 000 template 3, 14-day trial to paid.

Entered on ``trial_started`` (Day 1 of the trial is the enrollment day, Day 0
of the journey). Conversion is the ``subscription_started`` event.
"""

from __future__ import annotations

from datetime import timedelta

from journeys.catalog.onboarding import CELEBRATION, WINBACK
from journeys.catalog.step_builders import email, if_event, in_app, until_day
from journeys.language import (
    Channel,
    DecideStep,
    EntryTrigger,
    HumanTaskStep,
    JourneyDefinition,
    JourneyMetadata,
    ScoreBand,
    TransitionStep,
)
from journeys.scoring import CONVERSION_PROBABILITY, TRIAL_ENGAGEMENT

CONVERTED = "subscription_started"
"""The event that says the trial converted to paid."""

TRIAL_CONVERSION_V1 = JourneyDefinition(
    id="journey_trial_conversion_v1",
    version=1,
    metadata=JourneyMetadata(
        name="Trial User Activation & Conversion",
        journey_type="nurture",
        target_audience="Users on 14-day free trial",
        business_objective="Convert 30%+ of trial users to paying customers",
        primary_metric="Trial-to-paid conversion rate",
        secondary_metrics=[
            "Time to conversion (days)",
            "Plan type selected (Starter vs Pro vs Enterprise)",
            "Trial engagement score",
        ],
        average_duration="14 days",
        ai_decision_points=7,
        status="active",
    ),
    entry=EntryTrigger(event="trial_started"),
    start="welcome_setup",
    steps={
        "welcome_setup": email("trial_welcome", "day_3", description="Day 1: welcome & setup"),
        "day_3": until_day(day=2, label="Trial day 3", next="early_engagement_signal"),
        "early_engagement_signal": DecideStep(
            description="Decision #1: high engagement = 3+ logins and core feature used",
            scorer=TRIAL_ENGAGEMENT,
            tiers={"high": "crushing_it_email"},
            otherwise="getting_started_tips",
        ),
        "crushing_it_email": email("trial_crushing_it", "day_7"),
        "getting_started_tips": email("trial_getting_started_tips", "day_7"),
        "day_7": until_day(day=6, label="Trial day 7", next="midpoint_assessment"),
        "midpoint_assessment": DecideStep(
            description="Decision #2: conversion probability >60%, 30-60%, <30%",
            scorer=CONVERSION_PROBABILITY,
            bands=[
                ScoreBand(above=60, next="convert_now_email"),
                ScoreBand(at_least=30, next="more_value_email"),
            ],
            otherwise="sdr_outreach_call",
        ),
        "convert_now_email": email("trial_convert_now", "upgrade_discount_cta"),
        "upgrade_discount_cta": in_app("trial_upgrade_cta", "day_10"),
        "more_value_email": email("trial_more_value", "live_demo_offer"),
        "live_demo_offer": in_app("trial_live_demo_offer", "day_10"),
        "sdr_outreach_call": HumanTaskStep(
            kind="sdr_outreach",
            title="Low trial conversion probability: SDR outreach call",
            due_in=timedelta(days=1),
            next="day_10",
        ),
        "day_10": until_day(day=9, label="Trial day 10", next="urgency_email"),
        "urgency_email": email("trial_urgency", "day_12"),
        "day_12": until_day(day=11, label="Trial day 12", next="final_push"),
        "final_push": if_event(
            CONVERTED, "day_14", "last_chance_email", description="Decision #4: converted yet?"
        ),
        "last_chance_email": email("trial_last_chance", "extension_eligibility"),
        "extension_eligibility": DecideStep(
            description="Offer a 7-day extension if engagement is high",
            scorer=TRIAL_ENGAGEMENT,
            tiers={"high": "extend_trial_offer"},
            otherwise="day_14",
            window_days=12,
        ),
        "extend_trial_offer": email("trial_extension_offer", "day_14"),
        "day_14": until_day(day=13, label="Trial day 14", next="trial_end"),
        "trial_end": if_event(
            CONVERTED, "to_celebration", "to_winback", description="Decision #5: trial end"
        ),
        "to_celebration": TransitionStep(journey=CELEBRATION, outcome="converted"),
        "to_winback": TransitionStep(journey=WINBACK, outcome="not_converted"),
    },
    exit_events=["account_closed"],
    channels=[Channel.EMAIL, Channel.IN_APP, Channel.SMS],
    lifecycle_stage="consideration",
    business_value=70,
)
