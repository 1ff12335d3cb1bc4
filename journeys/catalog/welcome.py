"""The welcome journey: Day 0 and Day 1 of seed 000's onboarding template.

Day 0: welcome email (in-app as the fallback). Day 1: if the customer completed
the core workflow, "Great start" with advanced tips, else the getting-started guide.

Seed 000's onboarding trigger is ``event_name = 'account_created' AND
event_timestamp >= now - 24 hours``. The engine's journey entered on
``account_created`` is this one, and version 2 adds the 24-hour window: an
``account_created`` routed more than 24 hours after it occurred (a late import,
a backfill) enrolls nobody, and routing says so. The 30-day onboarding journey
(:mod:`journeys.catalog.onboarding`) keeps entering on ``initial_setup_completed``,
deliberately not the seed's literal event: it sends the same Day-0 welcome and
Day-1 messages as this journey, and the two are in no common conflict group, so
entering both on ``account_created`` would send every new customer each message
twice; putting them in one group instead would take this journey (and the
quick start's documented result of tracking ``account_created``) away from users.
"""

from __future__ import annotations

from datetime import timedelta

from journeys.language import (
    BranchCase,
    BranchStep,
    Channel,
    EntryEventTimeCondition,
    EntryTrigger,
    EventCountCondition,
    ExitStep,
    JourneyDefinition,
    JourneyMetadata,
    SendStep,
    WaitStep,
)
from journeys.language.behaviour_events import BehaviourEvent

WELCOME_V1 = JourneyDefinition(
    id="journey_welcome",
    version=1,
    metadata=JourneyMetadata(
        name="Welcome (Day 0-1 of SaaS onboarding)",
        journey_type="onboarding",
        target_audience="Customers who signed up within the last 24 hours",
        business_objective="Get new customers to complete the core workflow",
        primary_metric="% of customers who complete the core workflow on day 0-1",
        average_duration="1 day",
        ai_decision_points=1,
    ),
    entry=EntryTrigger(event="account_created"),
    start="welcome_email",
    steps={
        "welcome_email": SendStep(
            channels=[Channel.EMAIL, Channel.IN_APP], template="welcome", next="wait_day_1"
        ),
        "wait_day_1": WaitStep(duration=timedelta(days=1), next="check_core_workflow"),
        "check_core_workflow": BranchStep(
            description="Day 1 next best action: did the customer complete the core workflow?",
            cases=[
                BranchCase(
                    when=EventCountCondition(event=BehaviourEvent.CORE_WORKFLOW_COMPLETED),
                    next="great_start",
                )
            ],
            otherwise="getting_started_guide",
        ),
        "great_start": SendStep(
            channels=[Channel.EMAIL, Channel.IN_APP], template="great_start", next="activated"
        ),
        "getting_started_guide": SendStep(
            channels=[Channel.EMAIL, Channel.IN_APP],
            template="getting_started_guide",
            next="not_yet_activated",
        ),
        "activated": ExitStep(outcome="activated"),
        "not_yet_activated": ExitStep(outcome="guided"),
    },
    exit_events=["account_closed"],
    channels=[Channel.EMAIL, Channel.IN_APP, Channel.PUSH],
)

SIGN_UP_WINDOW = timedelta(hours=24)
"""Seed 000's onboarding trigger: ``account_created`` within the last 24 hours."""

WELCOME_V2 = WELCOME_V1.model_copy(
    update={
        "version": 2,
        "entry": EntryTrigger(
            event="account_created", conditions=[EntryEventTimeCondition(within=SIGN_UP_WINDOW)]
        ),
    }
)
