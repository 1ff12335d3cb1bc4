"""Step models of the journey language.

A journey is a graph of named steps; every step names the step(s) that follow
it, and ``exit`` steps end the enrollment with an outcome.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from journeys.language.channels import Channel

STEP_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
"""Step names: lower-case identifiers, so they read well in search attributes."""

EVENT_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_.:-]{0,127}$"
"""Event names as the product sends them."""

StepName = Annotated[str, Field(pattern=STEP_NAME_PATTERN)]
EventName = Annotated[str, Field(pattern=EVENT_NAME_PATTERN)]


class _StepBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""


class SendStep(_StepBase):
    """Send a message on the first channel of the chain that accepts it.

    Attributes:
        channels: The fallback chain, tried in order until one delivers.
        template: Template id of the message.
        data: Personalisation values merged over the customer's attributes.
        next: The step that follows.
    """

    type: Literal["send"] = "send"
    channels: list[Channel] = Field(min_length=1)
    template: str = Field(min_length=1, max_length=128)
    data: dict[str, str] = Field(default_factory=dict)
    next: StepName

    @field_validator("channels")
    @classmethod
    def _no_repeated_channel(cls, value: list[Channel]) -> list[Channel]:
        if len(set(value)) != len(value):
            raise ValueError("a channel appears twice in the fallback chain")
        return value


class WaitStep(_StepBase):
    """Wait a fixed duration (a durable timer)."""

    type: Literal["wait"] = "wait"
    duration: timedelta
    next: StepName

    @field_validator("duration")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be positive")
        return value


class WaitForEventStep(_StepBase):
    """Wait for one of several events, each with its branch, or time out.

    Only events that arrive after the step starts count.

    Attributes:
        events: Event name -> the step that follows when it arrives first.
        timeout: How long to wait.
        on_timeout: The step that follows when no event came in time.
    """

    type: Literal["wait_for_event"] = "wait_for_event"
    events: dict[EventName, StepName] = Field(min_length=1)
    timeout: timedelta
    on_timeout: StepName

    @field_validator("timeout")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be positive")
        return value


class EventCountCondition(BaseModel):
    """True when the customer sent ``event`` at least ``at_least`` times since enrollment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["event_count"] = "event_count"
    event: EventName
    at_least: int = Field(default=1, ge=1)


Condition = Annotated[EventCountCondition, Field(discriminator="kind")]


class BranchCase(BaseModel):
    """One arm of a branch: the first case whose condition holds is taken."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    when: Condition
    next: StepName


class BranchStep(_StepBase):
    """Choose the next step from conditions, in order, else ``otherwise``."""

    type: Literal["branch"] = "branch"
    cases: list[BranchCase] = Field(min_length=1)
    otherwise: StepName


class ExitStep(_StepBase):
    """End the enrollment with an outcome (e.g. ``converted``, ``completed``)."""

    type: Literal["exit"] = "exit"
    outcome: str = Field(default="completed", pattern=STEP_NAME_PATTERN)


Step = Annotated[
    SendStep | WaitStep | WaitForEventStep | BranchStep | ExitStep,
    Field(discriminator="type"),
]
"""Any step of the language."""


def successors(step: Step) -> list[str]:
    """The names of the steps that can follow ``step``, in declaration order."""
    match step:
        case SendStep() | WaitStep():
            return [step.next]
        case WaitForEventStep():
            return [*step.events.values(), step.on_timeout]
        case BranchStep():
            return [case.next for case in step.cases] + [step.otherwise]
        case ExitStep():
            return []


def waits(step: Step) -> bool:
    """Whether executing ``step`` always takes time (a loop needs one)."""
    return isinstance(step, WaitStep | WaitForEventStep)


def referenced_events(step: Step) -> set[str]:
    """Event names the step needs delivered to the enrollment."""
    match step:
        case WaitForEventStep():
            return set(step.events)
        case BranchStep():
            return {case.when.event for case in step.cases}
        case _:
            return set()
