"""Versions of one journey for rollout tests (also a ``JOURNEYS_CATALOG`` for API processes).

``rollout_demo`` v1 waits for a click (3 days), nudges in-app, waits 2 days,
branches on page views, nudges again and times out; its exit event
``rollout_legacy_opt_out`` exists only in v1. v2 (a draft until published)
waits for an open instead, runs in another conflict group (so its workflow ids
differ) and declares a complete step map from v1; v3 is a draft that fails its
checks (an unknown template). ``rollout_draft_only`` has only a draft version;
``rollout_router`` transitions into it.
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
    Step,
    TransitionStep,
    WaitForEventStep,
    WaitStep,
)

JOURNEY_ID = "rollout_demo"
ENTRY_EVENT = "rollout_signed_up"
CLICK_WAIT = timedelta(days=3)
SECOND_WAIT = timedelta(days=2)


def _steps(wait_event: str, answered: str, suffix: str) -> dict[str, Step]:
    return {
        "wait_click": WaitForEventStep(
            events={wait_event: answered}, timeout=CLICK_WAIT, on_timeout="nudge"
        ),
        "nudge": SendStep(channels=[Channel.IN_APP], template="tour_ping", next="wait_more"),
        "wait_more": WaitStep(duration=SECOND_WAIT, next="check"),
        "check": BranchStep(
            cases=[BranchCase(when=EventCountCondition(event="rollout_viewed"), next="engaged")],
            otherwise="second_nudge",
        ),
        "second_nudge": SendStep(channels=[Channel.IN_APP], template="tour_done", next="timed_out"),
        answered: ExitStep(outcome=f"{answered}_{suffix}"),
        "engaged": ExitStep(outcome=f"engaged_{suffix}"),
        "timed_out": ExitStep(outcome=f"timed_out_{suffix}"),
    }


ROLLOUT_V1 = JourneyDefinition(
    id=JOURNEY_ID,
    version=1,
    metadata=JourneyMetadata(name="Rollout demo"),
    entry=EntryTrigger(event=ENTRY_EVENT),
    start="wait_click",
    steps=_steps("rollout_clicked", "clicked", "v1"),
    exit_events=["rollout_legacy_opt_out"],
)

V1_TO_V2 = {
    "wait_click": "wait_click",
    "nudge": "nudge",
    "wait_more": "wait_more",
    "check": "check",
    "second_nudge": "second_nudge",
    "clicked": "opened",
    "engaged": "engaged",
    "timed_out": "timed_out",
}

ROLLOUT_V2 = JourneyDefinition(
    id=JOURNEY_ID,
    version=2,
    metadata=JourneyMetadata(name="Rollout demo", status="draft"),
    entry=EntryTrigger(event=ENTRY_EVENT),
    start="wait_click",
    steps=_steps("rollout_opened", "opened", "v2"),
    conflict_group="rollout_group",
    migrates_from={1: V1_TO_V2},
)

ROLLOUT_V3 = ROLLOUT_V2.model_copy(
    update={
        "version": 3,
        "steps": {
            **ROLLOUT_V2.steps,
            "nudge": SendStep(
                channels=[Channel.IN_APP], template="no_such_template", next="wait_more"
            ),
        },
    }
)

DRAFT_ONLY = JourneyDefinition(
    id="rollout_draft_only",
    version=1,
    metadata=JourneyMetadata(name="Draft only", status="draft"),
    entry=EntryTrigger(event="rollout_draft_started"),
    start="done",
    steps={"done": ExitStep(outcome="done")},
)

ROUTER = JourneyDefinition(
    id="rollout_router",
    version=1,
    metadata=JourneyMetadata(name="Router"),
    start="hand_over",
    steps={"hand_over": TransitionStep(journey=DRAFT_ONLY.id, outcome="handed_over")},
)

ROLLOUT_JOURNEYS = [ROLLOUT_V1, ROLLOUT_V2, ROLLOUT_V3, DRAFT_ONLY, ROUTER]
"""The catalog of rollout tests; ``JOURNEYS_CATALOG`` names it for API processes:
``tests.support.rollout_journeys:ROLLOUT_JOURNEYS``."""
