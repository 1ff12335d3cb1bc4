"""Step models of the journey language.

A journey is a graph of named steps; every step names the step(s) that follow
it; ``exit`` and ``transition`` steps end the enrollment with an outcome.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from journeys.language.channels import Channel
from journeys.language.delivery_rules import CappedPolicy

STEP_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
"""Step names: lower-case identifiers, so they read well in search attributes."""

EVENT_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_.:-]{0,127}$"
"""Event names as the product sends them."""

ATTRIBUTE_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_.]{0,63}$"
"""Profile attribute names."""

StepName = Annotated[str, Field(pattern=STEP_NAME_PATTERN)]
EventName = Annotated[str, Field(pattern=EVENT_NAME_PATTERN)]
AttributeName = Annotated[str, Field(pattern=ATTRIBUTE_NAME_PATTERN)]
AttributeValue = str | int | float | bool
ComparisonOperator = Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "exists"]


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be positive")
    return value


def _distinct_channels(value: list[Channel]) -> list[Channel]:
    if len(set(value)) != len(value):
        raise ValueError("a channel appears twice in the fallback chain")
    return value


class _StepBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""


class SendStep(_StepBase):
    """Send a message on the first channel of the chain that accepts it.

    Attributes:
        channels: The fallback chain, tried in order until one delivers.
        template: Template id of the message.
        data: Personalisation values merged over the customer's attributes.
        on_capped: What to do when a frequency cap is full on a channel:
            skip the message, defer it until a slot frees, or try the next channel.
        transactional: A transactional message (receipt, account notice): exempt
            from every frequency cap and counted against none. Consent,
            suppression and quiet hours still apply.
        deadline: Overrides the journey's ``send_deadline`` for this step.
        next: The step that follows.
    """

    type: Literal["send"] = "send"
    channels: list[Channel] = Field(min_length=1)
    template: str = Field(min_length=1, max_length=128)
    data: dict[str, str] = Field(default_factory=dict)
    on_capped: CappedPolicy = CappedPolicy.DEFER
    transactional: bool = False
    deadline: timedelta | None = Field(default=None, ge=timedelta(seconds=1))
    next: StepName

    _distinct = field_validator("channels")(_distinct_channels)


Urgency = Literal["low", "medium", "high"]
"""Seed 000's message urgency: ``high`` prefers faster channels (SMS, push, in-app)."""


class BestChannelSendStep(_StepBase):
    """Send on the channel seed 000's channel selection predicts, the runner-up as fallback.

    The selection weighs the customer's click rate per channel over 90 days,
    times the urgency multipliers, with its confidence; without history it
    answers email. The choice, its scores and rationale go to the decision
    audit and the enrollment's decisions.

    Attributes:
        channels: The channels the message may go on (at least two).
        urgency: The message's urgency.
        template: Template id of the message.
        data: Personalisation values merged over the customer's attributes.
        on_capped: What to do when a frequency cap is full on a channel.
        next: The step that follows.
    """

    type: Literal["send_best_channel"] = "send_best_channel"
    channels: list[Channel] = Field(min_length=2)
    urgency: Urgency = "medium"
    template: str = Field(min_length=1, max_length=128)
    data: dict[str, str] = Field(default_factory=dict)
    on_capped: CappedPolicy = CappedPolicy.DEFER
    next: StepName

    _distinct = field_validator("channels")(_distinct_channels)


class OfferStep(_StepBase):
    """Choose the retention offer with the best positive expected value (seed 000) and send it.

    Expected value = retention lift x CLV - offer cost; the best offer is made
    only when its expected value is positive, else ``on_no_offer`` follows. The
    evaluation of every offer goes to the decision audit.

    Attributes:
        templates: Offer (``discount_20_percent``, ``free_upgrade``,
            ``premium_support``, ``custom_training``) -> the template presenting
            it; an offer without a template is not made (``on_no_offer``).
        channels: The fallback chain the offer is sent on.
        on_no_offer: The step after a "no offer" decision.
        next: The step after the offer was sent.
    """

    type: Literal["offer"] = "offer"
    templates: dict[str, str] = Field(min_length=1)
    channels: list[Channel] = Field(min_length=1)
    data: dict[str, str] = Field(default_factory=dict)
    on_capped: CappedPolicy = CappedPolicy.DEFER
    on_no_offer: StepName
    next: StepName

    _distinct = field_validator("channels")(_distinct_channels)


class NextBestActionStep(_StepBase):
    """Seed 001's next best action: execute the primary action, the two backups as fallbacks.

    The engine ranks its action inventory for the customer within the journey's
    channels and frequency caps, consent, suppression and blackout dates; the
    primary action is sent, and if its channel refuses it, the first backup,
    then the second. The ranking, confidences and rationale go to the decision
    audit and the enrollment's decisions.

    Attributes:
        templates: Action (``advanced_features_email``, ``reporting_feature_spotlight``...)
            -> the template that carries it; actions without one (or done by
            people) are not executed here.
        on_no_action: The step when none of the three can be executed.
        next: The step after an action was sent.
    """

    type: Literal["next_best_action"] = "next_best_action"
    templates: dict[str, str] = Field(min_length=1)
    data: dict[str, str] = Field(default_factory=dict)
    on_capped: CappedPolicy = CappedPolicy.FALLBACK
    on_no_action: StepName
    next: StepName


class WaitStep(_StepBase):
    """Wait a fixed duration, or until Day ``day`` of the journey (a durable timer).

    Attributes:
        duration: Wait this long from the step's start.
        day: Wait until the enrollment is ``day`` days old (seed journeys' "Day N";
            no wait when that moment has passed).
    """

    type: Literal["wait"] = "wait"
    duration: timedelta | None = None
    day: int | None = Field(default=None, ge=0, le=3650)
    next: StepName

    @model_validator(mode="after")
    def _one_deadline(self) -> Self:
        if (self.duration is None) == (self.day is None):
            raise ValueError("give exactly one of duration and day")
        if self.duration is not None:
            _positive(self.duration)
        return self


class WaitUntilTimeStep(_StepBase):
    """Wait until the next local time of day on an allowed weekday (customer's time zone).

    Attributes:
        at: Local time of day.
        weekdays: Allowed weekdays, 0 = Monday ... 6 = Sunday.
    """

    type: Literal["wait_until_time"] = "wait_until_time"
    at: time
    weekdays: list[int] = Field(default_factory=lambda: list(range(7)), min_length=1)
    next: StepName

    @field_validator("weekdays")
    @classmethod
    def _valid_weekdays(cls, value: list[int]) -> list[int]:
        if any(day < 0 or day > 6 for day in value) or len(set(value)) != len(value):
            raise ValueError("weekdays are distinct numbers 0 (Monday) to 6 (Sunday)")
        return sorted(value)


class WaitUntilDateStep(_StepBase):
    """Wait until a date attribute of the profile plus ``offset`` (negative: before it).

    When the attribute is missing, unreadable or the moment has passed, the
    step continues at once.
    """

    type: Literal["wait_until_date"] = "wait_until_date"
    attribute: AttributeName
    offset: timedelta = timedelta(0)
    next: StepName


class WaitForEventStep(_StepBase):
    """Wait for one of several events, each with its branch, or time out.

    Only events that arrive after the step starts count; a journey's first step
    starts at enrollment, so every event after the entry event counts for it.

    Attributes:
        events: Event name -> the step that follows when it arrives first.
        timeout: How long to wait.
        on_timeout: The step that follows when no event came in time.
    """

    type: Literal["wait_for_event"] = "wait_for_event"
    events: dict[EventName, StepName] = Field(min_length=1)
    timeout: timedelta
    on_timeout: StepName

    _check_timeout = field_validator("timeout")(_positive)


class EventCountCondition(BaseModel):
    """True when the customer sent ``event`` at least ``at_least`` times.

    Counted since enrollment, or within the last ``within`` when given. With
    ``events`` instead of ``event``, every occurrence of any of them counts
    ("no activity for 21 days": none of the behaviour events in 21 days).

    Attributes:
        event: The event counted.
        events: The events counted together, instead of ``event``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["event_count"] = "event_count"
    event: EventName | None = None
    events: list[EventName] = Field(default_factory=list)
    at_least: int = Field(default=1, ge=0)
    at_most: int | None = Field(default=None, ge=0)
    within: timedelta | None = None

    @model_validator(mode="after")
    def _one_event_or_a_list(self) -> Self:
        if (self.event is None) == (not self.events):
            raise ValueError("give exactly one of event and events")
        return self

    @property
    def counted(self) -> frozenset[str]:
        """The event names whose occurrences count."""
        return frozenset(self.events) if self.event is None else frozenset({self.event})


class AttributeCondition(BaseModel):
    """Compares a profile attribute: ``attribute <op> value`` (``in``: value is a list)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["attribute"] = "attribute"
    attribute: AttributeName
    op: ComparisonOperator = "eq"
    value: AttributeValue | list[AttributeValue] | None = None

    @model_validator(mode="after")
    def _value_fits_operator(self) -> Self:
        if self.op == "exists":
            return self
        if self.value is None:
            raise ValueError(f"operator {self.op!r} needs a value")
        if (self.op == "in") != isinstance(self.value, list):
            raise ValueError("operator 'in' takes a list; the others take one value")
        return self


class LifecycleStageCondition(BaseModel):
    """True when the customer's lifecycle stage is one of ``stages``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["lifecycle_stage"] = "lifecycle_stage"
    stages: list[str] = Field(min_length=1)


class ScoreCondition(BaseModel):
    """Asks a named scorer and compares its score: ``score <op> value``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["score"] = "score"
    scorer: str = Field(min_length=1)
    op: Literal["gt", "gte", "lt", "lte"] = "gt"
    value: float


Condition = Annotated[
    EventCountCondition | AttributeCondition | LifecycleStageCondition | ScoreCondition,
    Field(discriminator="kind"),
]
"""Any branch condition."""

ProfileCondition = Annotated[
    AttributeCondition | LifecycleStageCondition, Field(discriminator="kind")
]
"""A condition on the profile only."""


class EntryEventTimeCondition(BaseModel):
    """An entry condition on when the entry event occurred.

    Without ``after_attribute``: the event occurred at most ``within`` before it
    is routed ("event_timestamp >= now - 24 hours"); an older event does not
    enroll. With ``after_attribute``: the event occurred no earlier than the
    date in that profile attribute and at most ``within`` after it ("activated
    the core feature within 7 days of registration"); a missing or unreadable
    date does not enroll. Dates without a zone are read as UTC.

    Attributes:
        within: The window, positive.
        after_attribute: The profile attribute holding the date the window starts at.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["event_time"] = "event_time"
    within: timedelta
    after_attribute: AttributeName | None = None

    _check_within = field_validator("within")(_positive)


EntryCondition = Annotated[
    AttributeCondition | LifecycleStageCondition | EntryEventTimeCondition,
    Field(discriminator="kind"),
]
"""An entry condition: on the profile, or on the entry event's time."""


class BranchCase(BaseModel):
    """One arm of a branch: taken when ``when`` and every ``also`` condition hold."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    when: Condition
    also: list[Condition] = Field(default_factory=list)
    next: StepName

    @property
    def conditions(self) -> list[Condition]:
        """Every condition of the case."""
        return [self.when, *self.also]


class BranchStep(_StepBase):
    """Choose the next step from conditions, in order, else ``otherwise``."""

    type: Literal["branch"] = "branch"
    cases: list[BranchCase] = Field(min_length=1)
    otherwise: StepName


class ScoreBand(BaseModel):
    """A band of a decide step: ``score > above`` and/or ``score >= at_least``.

    A band with neither bound matches every score.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    above: float | None = None
    at_least: float | None = None
    next: StepName

    def matches(self, score: float) -> bool:
        """Whether ``score`` falls in the band."""
        if self.above is not None and not score > self.above:
            return False
        return self.at_least is None or score >= self.at_least


class DecideStep(_StepBase):
    """Call a named scorer and branch on its tier or on score bands; the decision is recorded.

    Tiers are looked up first, then bands in order (first match wins), else ``otherwise``.
    With ``relative_to`` (an earlier decide step of the same scorer) the bands
    judge the change since that decision instead: seed 000's Day 5 "IF risk
    decreased" compares with the risk at entry (a change below 0).
    """

    type: Literal["decide"] = "decide"
    scorer: str = Field(min_length=1)
    tiers: dict[str, StepName] = Field(default_factory=dict)
    bands: list[ScoreBand] = Field(default_factory=list)
    otherwise: StepName
    window_days: int | None = Field(default=None, ge=1, le=365)
    relative_to: StepName | None = None


class ExperimentArm(BaseModel):
    """One arm of an experiment: ``weight`` percent of customers go to ``next``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=STEP_NAME_PATTERN)
    weight: int = Field(ge=0, le=100)
    next: StepName


class ExperimentStep(_StepBase):
    """Split customers deterministically (stable hash of customer and journey) into arms."""

    type: Literal["experiment"] = "experiment"
    experiment: str = Field(pattern=STEP_NAME_PATTERN)
    arms: list[ExperimentArm] = Field(min_length=2)
    control: str = Field(pattern=STEP_NAME_PATTERN)


class SetAttributeStep(_StepBase):
    """Write attributes and/or the lifecycle stage to the customer's profile."""

    type: Literal["set_attribute"] = "set_attribute"
    attributes: dict[AttributeName, AttributeValue] = Field(default_factory=dict)
    lifecycle_stage: str | None = Field(default=None, pattern=STEP_NAME_PATTERN)
    next: StepName

    @model_validator(mode="after")
    def _sets_something(self) -> Self:
        if not self.attributes and self.lifecycle_stage is None:
            raise ValueError("set at least one attribute or the lifecycle stage")
        return self


class TransitionStep(_StepBase):
    """Exit this journey with ``outcome`` and enroll the customer in ``journey``."""

    type: Literal["transition"] = "transition"
    journey: str = Field(min_length=1)
    outcome: str = Field(default="transitioned", pattern=STEP_NAME_PATTERN)


class HumanTaskStep(_StepBase):
    """Create a task for a person (CSM call, manual review); optionally wait for its outcome.

    Attributes:
        kind: ``csm_call``, ``manual_review``, ``sdr_outreach``...
        due_in: Due time after the step starts.
        outcomes: Outcome event -> next step; empty means continue at ``next`` at once.
        timeout: With outcomes: how long to wait for one.
        on_timeout: With outcomes: the step after the timeout.
        next: Without outcomes: the step that follows.
    """

    type: Literal["human_task"] = "human_task"
    kind: str = Field(pattern=STEP_NAME_PATTERN)
    title: str = Field(min_length=1, max_length=200)
    owner: str = ""
    due_in: timedelta = timedelta(days=1)
    details: dict[str, str] = Field(default_factory=dict)
    outcomes: dict[EventName, StepName] = Field(default_factory=dict)
    timeout: timedelta | None = None
    on_timeout: StepName | None = None
    next: StepName | None = None

    _check_due = field_validator("due_in")(_positive)

    @model_validator(mode="after")
    def _continuation(self) -> Self:
        if self.outcomes:
            if self.timeout is None or self.timeout <= timedelta(0) or self.on_timeout is None:
                raise ValueError("a task that waits for outcomes needs timeout and on_timeout")
        elif self.next is None:
            raise ValueError("a task that does not wait for outcomes needs next")
        return self


class ExitStep(_StepBase):
    """End the enrollment with an outcome (e.g. ``converted``, ``completed``)."""

    type: Literal["exit"] = "exit"
    outcome: str = Field(default="completed", pattern=STEP_NAME_PATTERN)


Step = Annotated[
    SendStep
    | BestChannelSendStep
    | OfferStep
    | NextBestActionStep
    | WaitStep
    | WaitUntilTimeStep
    | WaitUntilDateStep
    | WaitForEventStep
    | BranchStep
    | DecideStep
    | ExperimentStep
    | SetAttributeStep
    | TransitionStep
    | HumanTaskStep
    | ExitStep,
    Field(discriminator="type"),
]
"""Any step of the language."""


def successors(step: Step) -> list[str]:
    """The names of the steps that can follow ``step``, in declaration order."""
    match step:
        case (
            SendStep()
            | BestChannelSendStep()
            | WaitStep()
            | WaitUntilTimeStep()
            | WaitUntilDateStep()
            | SetAttributeStep()
        ):
            return [step.next]
        case OfferStep():
            return [step.next, step.on_no_offer]
        case NextBestActionStep():
            return [step.next, step.on_no_action]
        case WaitForEventStep():
            return [*step.events.values(), step.on_timeout]
        case BranchStep():
            return [case.next for case in step.cases] + [step.otherwise]
        case DecideStep():
            return [*step.tiers.values(), *(band.next for band in step.bands), step.otherwise]
        case ExperimentStep():
            return [arm.next for arm in step.arms]
        case HumanTaskStep():
            following = [*step.outcomes.values()]
            following += [name for name in (step.on_timeout, step.next) if name is not None]
            return following
        case TransitionStep() | ExitStep():
            return []


def waits(step: Step) -> bool:
    """Whether executing ``step`` always takes time (a loop needs one)."""
    if isinstance(step, HumanTaskStep):
        return bool(step.outcomes)
    return isinstance(step, WaitStep | WaitUntilTimeStep | WaitForEventStep)


def conditions_of(step: Step) -> list[Condition]:
    """Every condition a step evaluates."""
    if isinstance(step, BranchStep):
        return [condition for case in step.cases for condition in case.conditions]
    return []


def referenced_events(step: Step) -> set[str]:
    """Event names the step needs delivered to the enrollment."""
    names: set[str] = set()
    if isinstance(step, WaitForEventStep):
        names |= set(step.events)
    if isinstance(step, HumanTaskStep):
        names |= set(step.outcomes)
    for condition in conditions_of(step):
        if isinstance(condition, EventCountCondition):
            names |= condition.counted
    return names


def referenced_scorers(step: Step) -> set[str]:
    """Scorer names the step calls."""
    names = {step.scorer} if isinstance(step, DecideStep) else set()
    for condition in conditions_of(step):
        if isinstance(condition, ScoreCondition):
            names.add(condition.scorer)
    return names


def uses_profile(step: Step) -> bool:
    """Whether evaluating the step needs the customer's profile."""
    return any(
        isinstance(condition, AttributeCondition | LifecycleStageCondition)
        for condition in conditions_of(step)
    )


def sent_templates(step: Step) -> list[str]:
    """Template ids the step may send."""
    if isinstance(step, SendStep | BestChannelSendStep):
        return [step.template]
    if isinstance(step, OfferStep | NextBestActionStep):
        return list(step.templates.values())
    return []


def send_channels(step: Step) -> list[Channel]:
    """Channels the step may send on."""
    if isinstance(step, SendStep | BestChannelSendStep | OfferStep):
        return list(step.channels)
    return []
