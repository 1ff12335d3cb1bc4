"""Inputs, outputs, signals and query results of the journey workflow.

Pure pydantic models (no side effects), shared by the workflow, the client and
the API. Workflow ids are derived here, from business keys only.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from journeys.errors import InvalidInputError
from journeys.language.definition import JourneyDefinition

EventPropertyValue = str | int | float | bool | None

MAX_REMEMBERED_EVENT_IDS = 500
"""Event ids an enrollment remembers to drop duplicate signals (carried over continue-as-new)."""

MAX_REMEMBERED_EVENTS = 100
"""Recent events an enrollment keeps for wait-for-event steps."""

INTERPRETER_REVISION = 3
"""The interpreter behaviour new enrollments run (carried in :class:`EnrollmentInput`).

Revision 3: the first step is entered before the enrollment's start is recorded,
so its visit is written in the same transaction as the enrollment's row; an
enrollment that rests at its first step needs no other bookkeeping write until
it moves on. (Revision 2 wrote that visit by a second local activity where the
enrollment first rested, which cost the throughput benchmark one local activity,
one history event and one store transaction per enrollment.)

Revision 2: step visits (with the experiment arm of an experiment step's visit)
are recorded in the store once per visit, in one batch where the enrollment comes
to rest, by the local enrollment bookkeeping activity; arms are kept in a search
attribute; a journey's holdout group walks the steps but is sent nothing; a
branch case stops at its first condition that fails, so the scorer and profile
activities of the conditions after it do not run.

Also from revision 2, the last channel of a send retries transient failures with
capped backoff until the step's deadline (``send_deadline``, a day by default)
instead of six attempts; a send whose last channel failed is recorded failed,
counted, alerted and noted in the enrollment's path by an activity that retries
through store outages.

Revision 1: enrollment rows are written by local activities; the first step's
waits count every event after the entry event; search attributes are upserted
only where the enrollment comes to rest (a wait, a hold, the end), not for every
step it passes through; a run that continues as new between two steps has the
next run enter the next step. Inputs recorded before revisions existed read as 0 and
take these behaviours only where their ``workflow.patched`` markers say so.
"""


ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@:+-]{0,127}$"
"""Org, customer and event ids: printable, no spaces, at most 128 characters."""

WORKFLOW_ID_SEPARATOR = ":"
"""Separates the parts of a workflow id; organisation ids may not contain it."""

ORG_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}$"
"""Organisation ids: letters, digits and ``_.@+-``, at most 64 characters, never ``:``.

Journey ids and conflict groups cannot hold ``:`` either, so the organisation and
the routing key of a workflow id are its first two parts and the customer id the
rest: no two (org, key, customer) triples share a workflow id.
"""

ORG_ID_PROBLEM = "letters, digits and _.@+- only (no ':'), at most 64 characters"


def check_org_id(org_id: str, field: str = "org_id") -> str:
    """``org_id`` if it is a valid organisation id.

    Raises:
        InvalidInputError: it holds the workflow id separator or other characters.
    """
    if not re.fullmatch(ORG_ID_PATTERN, org_id):
        raise InvalidInputError(field, f"{org_id!r}: {ORG_ID_PROBLEM}")
    return org_id


GOAL_REACHED_OUTCOME = "goal_reached"
"""The outcome of an enrollment ended by one of its journey's goal events (a conversion)."""


def enrollment_workflow_id(org_id: str, routing_key: str, customer_id: str) -> str:
    """The workflow id of a customer's enrollment.

    One id per (org, journey or conflict group, customer): Temporal's id
    uniqueness then allows one enrollment at a time per customer and key.

    Raises:
        InvalidInputError: the organisation id is invalid (it would make ids ambiguous).
    """
    check_org_id(org_id)
    return f"journey:{org_id}:{routing_key}:{customer_id}"


GOAL_REACHED_OUTCOME = "goal_reached"
"""The outcome of an enrollment ended by one of its journey's goal events (a conversion)."""

SUPERSEDED_OUTCOME = "superseded"
"""The outcome of an enrollment drained because its journey version was retired or rolled back."""


class InflightPolicy(StrEnum):
    """What running enrollments of a version do when it is retired or rolled back.

    ``pin``: they finish on it. ``drain``: they leave at their next rest point
    with the outcome ``superseded`` and send nothing more. ``migrate``: they move
    to the new version at their next rest point through its declared step map.
    """

    PIN = "pin"
    DRAIN = "drain"
    MIGRATE = "migrate"


class EnrollmentStatus(StrEnum):
    """Where an enrollment stands."""

    ACTIVE = "active"
    COMPLETED = "completed"
    EXITED = "exited"


class EventSignal(BaseModel):
    """A behaviour event delivered to an enrollment (small: ids and a few properties)."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    name: str
    occurred_at: datetime
    properties: dict[str, EventPropertyValue] = Field(default_factory=dict)


class ExitRequest(BaseModel):
    """Ask an enrollment to end now (opt-out, manual removal, compliance pause)."""

    reason: str = Field(min_length=1, max_length=200)


class ReceivedEvent(BaseModel):
    """An event as the enrollment remembers it, numbered in arrival order."""

    seq: int
    name: str
    event_id: str
    occurred_at: datetime


class PauseRequest(BaseModel):
    """Pause (hold before the next send) or resume an enrollment (signal ``set_paused``)."""

    paused: bool
    reason: str = Field(default="", max_length=200)


class DecisionMade(BaseModel):
    """A decide step's result, as the enrollment remembers it."""

    step: str
    scorer: str
    score: float
    tier: str | None = None
    choice: str
    decided_at: datetime


class StepVisit(BaseModel):
    """One visit of a step, as recorded for analytics.

    Attributes:
        step: The step's name.
        visit: 1 for the first visit of the step in this enrollment, 2 for the second...
        entered_at: When the enrollment entered the step.
        experiment: For an experiment step (or the journey's holdout): the experiment.
        arm: The arm the customer was bucketed into.
    """

    step: str
    visit: int = Field(ge=1)
    entered_at: datetime
    experiment: str | None = None
    arm: str | None = None


class PathEntry(BaseModel):
    """One visit of a step; ``note`` says what went wrong in it (a send that failed).

    Attributes:
        migrated_from: Set on the first step of a migrated enrollment:
            ``journey@version:step`` it left.
    """

    step: str
    entered_at: datetime
    note: str | None = None
    migrated_from: str | None = None


class RolloutDirective(BaseModel):
    """A retired or rolled-back version asks its running enrollments to drain or migrate.

    Delivered by the ``apply_rollout`` signal; applied at the enrollment's next
    rest point (a wait, a deferred send, a pause hold), and for ``drain`` before
    any further send.

    Attributes:
        policy: ``drain`` or ``migrate`` (``pin`` needs no signal).
        from_version: The version being left; enrollments of another version ignore it.
        definition: The version to migrate to (``migrate`` only).
        step_map: Old step -> new step (``migrate`` only), declared with the new version.
        reason: Why, as the operator gave it.
    """

    policy: InflightPolicy
    from_version: int
    definition: JourneyDefinition | None = None
    step_map: dict[str, str] = Field(default_factory=dict)
    reason: str = Field(default="", max_length=200)


class EnrollmentProgress(BaseModel):
    """The interpreter's state, carried through continue-as-new.

    Attributes:
        enrollment_id: Identifies this enrollment across runs (the first run's id).
        enrolled_at: When the enrollment started.
        current_step: The step being executed.
        visits: How many times each step has been entered.
        wait_until: Deadline of the current wait, if the step is waiting.
        step_event_seq: The last event seq when the current step began.
        last_event_seq: The seq of the newest event received.
        event_counts: Events received since enrollment, by name.
        recent_events: The newest events, for wait-for-event steps.
        seen_event_ids: Recent event ids, to drop duplicate deliveries.
        path: Steps visited, in order.
        lifecycle_stage: The customer's stage as the enrollment knows it.
        decisions: Decisions made by decide steps, in order.
        paused: Whether the journey is paused for this enrollment.
        experiment_arms: Experiment -> the arm the customer was bucketed into.
        step_entered: Whether ``current_step`` was entered before the run continued
            as new; False when it continued between two steps, so the next run
            enters it (counts the visit, records the path, starts its wait afresh).
        unrecorded_visits: Step visits not yet written to the store (revision 2);
            written at the next rest, carried through continue-as-new.
        rollout: A drain or migration received and not yet applied.
    """

    enrollment_id: str
    enrolled_at: datetime
    current_step: str
    visits: dict[str, int] = Field(default_factory=dict)
    wait_until: datetime | None = None
    step_event_seq: int = 0
    last_event_seq: int = 0
    event_counts: dict[str, int] = Field(default_factory=dict)
    recent_events: list[ReceivedEvent] = Field(default_factory=list)
    seen_event_ids: list[str] = Field(default_factory=list)
    path: list[PathEntry] = Field(default_factory=list)
    lifecycle_stage: str | None = None
    decisions: list[DecisionMade] = Field(default_factory=list)
    paused: bool = False
    experiment_arms: dict[str, str] = Field(default_factory=dict)
    step_entered: bool = True
    unrecorded_visits: list[StepVisit] = Field(default_factory=list)
    rollout: RolloutDirective | None = None


class EnrollmentInput(BaseModel):
    """Input of :class:`workflows.journey_workflow.JourneyWorkflow`.

    Attributes:
        org_id: The organisation.
        customer_id: The customer's id within the organisation.
        definition: The journey version the customer enrolled under, carried
            so that publishing a new version never changes this enrollment.
        progress: State from the previous run after continue-as-new.
        max_signals_per_run: Continue as new after this many signals.
        lifecycle_stage: The customer's stage at enrollment, if known.
        entry_event_id: The event that started the enrollment (delivered as the
            start signal); it does not count for the first step's waits.
        interpreter_revision: The interpreter behaviour this enrollment runs,
            fixed at enrollment (the client sets :data:`INTERPRETER_REVISION`)
            and carried through continue-as-new. Unlike a ``workflow.patched``
            marker, it costs no history event and no search-attribute upsert.
    """

    org_id: str
    customer_id: str
    definition: JourneyDefinition
    progress: EnrollmentProgress | None = None
    max_signals_per_run: int = 2_000
    lifecycle_stage: str | None = None
    entry_event_id: str | None = None
    interpreter_revision: int = Field(default=0, ge=0, le=INTERPRETER_REVISION)


class EnrollmentResult(BaseModel):
    """What an enrollment ended with."""

    status: EnrollmentStatus
    outcome: str
    path: list[str]


class EnrollmentState(BaseModel):
    """An enrollment's state, answered by the ``state`` query."""

    org_id: str
    customer_id: str
    journey_id: str
    journey_version: int
    enrollment_id: str
    status: EnrollmentStatus
    current_step: str
    waiting_for: list[str] = Field(default_factory=list)
    wait_until: datetime | None = None
    path: list[PathEntry]
    event_counts: dict[str, int]
    outcome: str | None = None
    decisions: list[DecisionMade] = Field(default_factory=list)
    paused: bool = False
    lifecycle_stage: str | None = None
    experiment_arms: dict[str, str] = Field(default_factory=dict)
