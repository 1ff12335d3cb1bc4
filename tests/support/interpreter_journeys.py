"""Journeys that exercise every step kind of the interpreter, for tests."""

from __future__ import annotations

from datetime import time, timedelta

from journeys.catalog import SHIPPED_JOURNEYS, Catalog
from journeys.language import (
    CappedPolicy,
    Channel,
    DecideStep,
    ExitStep,
    ExperimentArm,
    ExperimentStep,
    FrequencyCap,
    HumanTaskStep,
    JourneyDefinition,
    JourneyMetadata,
    SendStep,
    SetAttributeStep,
    WaitStep,
    WaitUntilDateStep,
    WaitUntilTimeStep,
)

EMAIL_IN_APP = [Channel.EMAIL, Channel.IN_APP]


INTERPRETER = JourneyDefinition(
    id="journey_interpreter_test",
    version=1,
    metadata=JourneyMetadata(name="Interpreter test"),
    start="score",
    steps={
        "score": DecideStep(scorer="engagement", tiers={"high": "split"}, otherwise="split"),
        "split": ExperimentStep(
            experiment="cadence",
            control="control",
            arms=[
                ExperimentArm(name="control", weight=50, next="morning"),
                ExperimentArm(name="fast", weight=50, next="tag"),
            ],
        ),
        "morning": WaitUntilTimeStep(at=time(9, 0), weekdays=[0, 1, 2, 3, 4], next="tag"),
        "tag": SetAttributeStep(
            attributes={"interpreter_tested": True}, lifecycle_stage="retention", next="renewal"
        ),
        "renewal": WaitUntilDateStep(
            attribute="renewal_date", offset=-timedelta(days=1), next="call"
        ),
        "call": HumanTaskStep(
            kind="csm_call",
            title="Call",
            outcomes={"csm_call_completed": "done"},
            timeout=timedelta(days=2),
            on_timeout="no_call",
        ),
        "done": ExitStep(outcome="called"),
        "no_call": ExitStep(outcome="no_call"),
    },
    channels=EMAIL_IN_APP,
)


PAUSABLE = JourneyDefinition(
    id="journey_pause_test",
    version=1,
    metadata=JourneyMetadata(name="Pause test"),
    start="wait",
    steps={
        "wait": WaitStep(duration=timedelta(days=1), next="send"),
        "send": SendStep(channels=EMAIL_IN_APP, template="welcome", next="done"),
        "done": ExitStep(outcome="sent"),
    },
    channels=EMAIL_IN_APP,
)


def capped(policy: CappedPolicy) -> JourneyDefinition:
    """Two emails a day apart under an email cap of 1 per week."""
    return JourneyDefinition(
        id=f"journey_capped_{policy.value}",
        version=1,
        metadata=JourneyMetadata(name="Capped"),
        start="first",
        steps={
            "first": SendStep(channels=EMAIL_IN_APP, template="welcome", next="wait"),
            "wait": WaitStep(duration=timedelta(days=1), next="second"),
            "second": SendStep(
                channels=EMAIL_IN_APP, template="great_start", on_capped=policy, next="done"
            ),
            "done": ExitStep(),
        },
        channels=EMAIL_IN_APP,
        frequency_caps=[FrequencyCap(channel=Channel.EMAIL, limit=1)],
    )


CATALOG = Catalog([*SHIPPED_JOURNEYS, INTERPRETER, PAUSABLE, *(capped(p) for p in CappedPolicy)])
