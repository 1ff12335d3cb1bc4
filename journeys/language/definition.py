"""The journey definition: metadata, entry rules and the step graph.

A definition is validated when it is built or loaded; a bad one raises
:class:`journeys.errors.JourneyDefinitionError` naming the journey, the version
and the step.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import timedelta
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from journeys.errors import JourneyDefinitionError
from journeys.language.channels import CHANNELS, Channel
from journeys.language.delivery_rules import FrequencyCap, QuietHours
from journeys.language.steps import (
    EVENT_NAME_PATTERN,
    STEP_NAME_PATTERN,
    DecideStep,
    EntryCondition,
    EventName,
    ExperimentStep,
    Step,
    TransitionStep,
    referenced_events,
    referenced_scorers,
    send_channels,
    sent_templates,
    successors,
    waits,
)

DEFAULT_SEND_DEADLINE = timedelta(days=1)
"""How long the last channel of a send retries transient failures, unless the journey says."""

MIN_SEND_DEADLINE = timedelta(seconds=1)

JOURNEY_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,63}$"


class ReentryPolicy(StrEnum):
    """Whether a customer may enter the journey again."""

    NEVER = "never"
    AFTER_EXIT = "after_exit"
    AFTER_COOLDOWN = "after_cooldown"


class EntryTrigger(BaseModel):
    """How customers enter: on an event, or only by an explicit API call.

    Attributes:
        event: The entry event; None means API-only entry (and transitions).
        conditions: Conditions that must all hold for the event to enroll: on the
            profile (attribute, lifecycle stage) and on the entry event's time
            (:class:`EntryEventTimeCondition`). Routing names the first that fails
            in the event's ``skipped`` list.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: EventName | None = None
    conditions: list[EntryCondition] = Field(default_factory=list)


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
        lifecycle_stage: The lifecycle stage the journey serves; conflict
            resolution ranks it (seed 001: by lifecycle stage, then business value).
        business_value: Second key of conflict resolution; higher wins.
        min_time_between_entries: Refuse a new entry this soon after the
            previous one started, whatever the re-entry policy (rapid re-triggering).
        frequency_caps: Caps passed with every send of the journey.
        quiet_hours: Quiet hours passed with every send of the journey.
        send_deadline: How long the last channel of a send keeps retrying transient
            failures (provider or store outages) before the send fails visibly;
            a send step's ``deadline`` overrides it.
        holdout_percent: Percent of entering customers (a stable hash of customer
            and journey) held out as a global control group: they walk the steps
            and their outcomes are measured, but they are sent nothing.
        migrates_from: Step maps that move running enrollments of other versions
            of this journey here (rollout policy ``migrate``): version -> {old step:
            new step}. Checked for completeness when a migration is asked for.
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
    lifecycle_stage: str | None = Field(default=None, pattern=STEP_NAME_PATTERN)
    business_value: int = 0
    min_time_between_entries: timedelta | None = None
    frequency_caps: list[FrequencyCap] = Field(default_factory=list)
    quiet_hours: QuietHours | None = None
    send_deadline: timedelta = Field(default=DEFAULT_SEND_DEADLINE, ge=MIN_SEND_DEADLINE)
    holdout_percent: int = Field(default=0, ge=0, le=50)
    migrates_from: dict[int, dict[str, str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_graph(self) -> Self:  # noqa: C901 - one check per rule, in the order reported
        self._check(self.start in self.steps, f"start step {self.start!r} is not defined")
        for name, step in self.steps.items():
            self._check_step_name(name)
            for target in successors(step):
                self._check(target in self.steps, f"unknown next step {target!r}", step=name)
            if send_channels(step):
                for channel in send_channels(step):
                    self._check(
                        channel in self.channels,
                        f"channel {channel.value!r} is not among the journey's channels",
                        step=name,
                    )
            if isinstance(step, DecideStep) and step.relative_to is not None:
                earlier = self.steps.get(step.relative_to)
                self._check(
                    isinstance(earlier, DecideStep) and earlier.scorer == step.scorer,
                    f"relative_to {step.relative_to!r} is not a decide step of {step.scorer!r}",
                    step=name,
                )
            if isinstance(step, ExperimentStep):
                total = sum(arm.weight for arm in step.arms)
                self._check(total == 100, f"experiment weights sum to {total}, not 100", step=name)
                arm_names = [arm.name for arm in step.arms]
                self._check(
                    len(set(arm_names)) == len(arm_names),
                    "experiment arms repeat a name",
                    step=name,
                )
                self._check(
                    step.control in arm_names,
                    f"control arm {step.control!r} is not among the arms",
                    step=name,
                )
            if isinstance(step, TransitionStep):
                self._check(step.journey != self.id, "a journey cannot transition to itself", name)
        for old_version, step_map in self.migrates_from.items():
            self._check(
                old_version != self.version, "migrates_from names the journey's own version"
            )
            for old_step, new_step in step_map.items():
                self._check(
                    new_step in self.steps,
                    f"migrates_from[{old_version}] maps {old_step!r} to unknown step {new_step!r}",
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

    def referenced_scorers(self) -> set[str]:
        """Every scorer name the journey's steps call."""
        return {name for step in self.steps.values() for name in referenced_scorers(step)}

    def referenced_templates(self) -> dict[str, str]:
        """Template id -> the first step that sends it."""
        found: dict[str, str] = {}
        for name, step in self.steps.items():
            for template in sent_templates(step):
                found.setdefault(template, name)
        return found

    def transition_targets(self) -> dict[str, str]:
        """Target journey id -> the first step that transitions to it."""
        found: dict[str, str] = {}
        for name, step in self.steps.items():
            if isinstance(step, TransitionStep):
                found.setdefault(step.journey, name)
        return found

    def check_references(
        self,
        *,
        journeys: Collection[str] | None = None,
        scorers: Collection[str] | None = None,
        templates: Collection[str] | None = None,
    ) -> None:
        """Refuse references to things the engine does not have (None: not checked).

        Raises:
            JourneyDefinitionError: naming the journey, version and step.
        """
        for name, step in self.steps.items():
            used = referenced_scorers(step)
            for scorer in sorted(used - set(scorers) if scorers is not None else set()):
                self._check(False, f"unknown scorer {scorer!r}", step=name)
        if templates is not None:
            for template, name in self.referenced_templates().items():
                self._check(template in templates, f"unknown template {template!r}", step=name)
        if journeys is not None:
            for target, name in self.transition_targets().items():
                self._check(
                    target in journeys,
                    f"transition to journey {target!r}, which is not in the catalog",
                    step=name,
                )

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
