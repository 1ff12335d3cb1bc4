"""The journey definition: metadata, entry rules and the step graph.

A definition is validated when it is built or loaded; a bad one raises
:class:`journeys.errors.JourneyDefinitionError` naming the journey, the version
and the step.
"""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from journeys.errors import JourneyDefinitionError
from journeys.language.channels import CHANNELS, Channel
from journeys.language.steps import (
    EVENT_NAME_PATTERN,
    STEP_NAME_PATTERN,
    EventName,
    SendStep,
    Step,
    referenced_events,
    successors,
    waits,
)

JOURNEY_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,63}$"


class ReentryPolicy(StrEnum):
    """Whether a customer may enter the journey again."""

    NEVER = "never"
    AFTER_EXIT = "after_exit"
    AFTER_COOLDOWN = "after_cooldown"


class EntryTrigger(BaseModel):
    """How customers enter: on an event, or only by an explicit API call."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: EventName | None = None


class JourneyMetadata(BaseModel):
    """Descriptive metadata (seed 000's journey metadata template)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    journey_type: str = "onboarding"
    target_audience: str = ""
    business_objective: str = ""
    primary_metric: str = ""
    secondary_metrics: list[str] = Field(default_factory=list)
    average_duration: str = ""
    ai_decision_points: int = Field(default=0, ge=0)
    status: str = "active"


class JourneyDefinition(BaseModel):
    """One version of a journey.

    Attributes:
        id: Stable journey id (``journey_onboarding_v2``).
        version: Version number; ``id@version`` is unique in the registry.
        metadata: Descriptive metadata.
        entry: The entry trigger.
        start: Name of the first step.
        steps: The step graph, by name.
        exit_events: Events that end the enrollment at once (outcome ``exited``).
        goal_events: Events that end it at once as converted (outcome ``goal_reached``).
        reentry: Re-entry policy.
        reentry_cooldown: With ``after_cooldown``: the time that must pass
            since the previous enrollment started.
        conflict_group: Journeys in one group share one enrollment per
            customer; the workflow id is derived from the group.
        priority: Higher wins inside a conflict group.
        channels: Channels the journey may send on.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=JOURNEY_ID_PATTERN)
    version: int = Field(ge=1)
    metadata: JourneyMetadata
    entry: EntryTrigger = EntryTrigger()
    start: str = Field(pattern=STEP_NAME_PATTERN)
    steps: dict[str, Step] = Field(min_length=1)
    exit_events: list[EventName] = Field(default_factory=list)
    goal_events: list[EventName] = Field(default_factory=list)
    reentry: ReentryPolicy = ReentryPolicy.NEVER
    reentry_cooldown: timedelta | None = None
    conflict_group: str | None = Field(default=None, pattern=JOURNEY_ID_PATTERN)
    priority: int = 0
    channels: list[Channel] = Field(default_factory=lambda: list(CHANNELS))

    @model_validator(mode="after")
    def _check_graph(self) -> Self:
        self._check(self.start in self.steps, f"start step {self.start!r} is not defined")
        for name, step in self.steps.items():
            self._check_step_name(name)
            for target in successors(step):
                self._check(target in self.steps, f"unknown next step {target!r}", step=name)
            if isinstance(step, SendStep):
                for channel in step.channels:
                    self._check(
                        channel in self.channels,
                        f"channel {channel.value!r} is not among the journey's channels",
                        step=name,
                    )
        reachable = self._reachable()
        for name in self.steps:
            self._check(name in reachable, "unreachable from the start step", step=name)
        self._check_loops_wait()
        if self.reentry is ReentryPolicy.AFTER_COOLDOWN:
            self._check(
                self.reentry_cooldown is not None and self.reentry_cooldown > timedelta(0),
                "reentry 'after_cooldown' needs a positive reentry_cooldown",
            )
        return self

    def _check(self, ok: bool, problem: str, step: str | None = None) -> None:
        if not ok:
            raise JourneyDefinitionError(self.id, self.version, problem, step=step)

    def _check_step_name(self, name: str) -> None:
        self._check(
            re.fullmatch(STEP_NAME_PATTERN, name) is not None,
            "step names are lower-case identifiers (a-z, 0-9, _)",
            step=name,
        )

    def _reachable(self) -> set[str]:
        seen: set[str] = set()
        todo = [self.start]
        while todo:
            name = todo.pop()
            if name in seen or name not in self.steps:
                continue
            seen.add(name)
            todo.extend(successors(self.steps[name]))
        return seen

    def _check_loops_wait(self) -> None:
        """Refuse cycles made only of steps that take no time (they would spin)."""
        instant = {n for n, s in self.steps.items() if not waits(s)}
        state: dict[str, int] = {}

        def visit(name: str, trail: list[str]) -> None:
            state[name] = 1
            for target in successors(self.steps[name]):
                if target not in instant:
                    continue
                if state.get(target) == 1:
                    loop = [*trail[trail.index(target) :], target] if target in trail else [target]
                    self._check(False, f"loop with no wait in it: {' -> '.join(loop)}", step=target)
                if state.get(target) is None:
                    visit(target, [*trail, target])
            state[name] = 2

        for name in sorted(instant):
            if state.get(name) is None:
                visit(name, [name])

    @property
    def key(self) -> str:
        """``id@version``."""
        return f"{self.id}@{self.version}"

    @property
    def routing_key(self) -> str:
        """The conflict group, or the journey id: one enrollment per customer per key."""
        return self.conflict_group or self.id

    def listened_events(self) -> set[str]:
        """Every event name that must reach a running enrollment of this journey."""
        names = set(self.exit_events) | set(self.goal_events)
        for step in self.steps.values():
            names |= referenced_events(step)
        return names


__all__ = [
    "EVENT_NAME_PATTERN",
    "EntryTrigger",
    "JourneyDefinition",
    "JourneyMetadata",
    "ReentryPolicy",
]
