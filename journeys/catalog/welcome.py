"""The welcome journey: Day 0 and Day 1 of seed 000's onboarding template.

Day 0: welcome email (in-app as the fallback). Day 1: if the customer completed
the core workflow, "Great start" with advanced tips, else the getting-started guide.
"""

from __future__ import annotations

from datetime import timedelta

from journeys.language import (
    BranchCase,
    BranchStep,
    Channel,
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
