"""The engine's activities, in memory, for one simulated customer.

Each activity does what its production counterpart decides, with the same pure
rules, and records what it did in an :class:`EnrollmentTrace` instead of the
store or a provider: sends judged by consent (:func:`journeys.store.consent.consent_forbids`),
quiet hours (:mod:`journeys.delivery.quiet_hours`) and frequency caps
(:mod:`journeys.delivery.frequency_caps`) and then counted as sent (no provider
is called, none fails); scores computed by the formulas of
:mod:`journeys.scoring.formulas` over the customer's synthetic or replayed
events; decisions, human tasks, profile changes and transitions recorded.
Transitions are recorded, not followed: the target journey is not simulated.
Frequency caps count this journey's sends only (production counts every
journey's).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from activities.customer_profiles import calendar_deadline
from journeys.contracts.activities import (
    BEGIN_ENROLLMENT_ACTIVITY,
    COMPUTE_SCORE_ACTIVITY,
    CREATE_HUMAN_TASK_ACTIVITY,
    DELIVER_MESSAGE_ACTIVITY,
    ENROLL_IN_JOURNEY_ACTIVITY,
    GET_JOURNEY_STATUS_ACTIVITY,
    LOAD_CUSTOMER_PROFILE_ACTIVITY,
    RECORD_DECISION_ACTIVITY,
    RECORD_ENROLLMENT_ACTIVITY,
    RESOLVE_WAIT_DEADLINE_ACTIVITY,
    UPDATE_CUSTOMER_PROFILE_ACTIVITY,
    CustomerProfile,
    DecisionRecord,
    EnrollmentRecord,
    HumanTaskCreated,
    HumanTaskRequest,
    JourneyStatusResult,
    ProfileRequest,
    ProfileUpdate,
    SendOutcome,
    SendRequest,
    SendStatus,
    TransitionRequest,
    TransitionResult,
    WaitDeadlineRequest,
)
from journeys.contracts.scoring import ScoreRequest, ScoreResult
from journeys.delivery.frequency_caps import slot_frees_at
from journeys.delivery.quiet_hours import quiet_hours_end
from journeys.errors import (
    INVALID_INPUT_ERROR_TYPE,
    UNKNOWN_MODEL_ERROR_TYPE,
    InvalidInputError,
)
from journeys.language.channels import Channel
from journeys.language.delivery_rules import FrequencyCap, QuietHours
from journeys.language.schedule import customer_zone
from journeys.scoring.formulas import FORMULAS, Formula, ScoredEvent, request_window, score_window
from journeys.store.consent import ALL_CHANNELS, consent_forbids
from workflows.runtime import ActivityCallFailed


@dataclass(slots=True)
class CustomerEvent:
    """One behaviour event of a simulated customer.

    Attributes:
        delivered: Whether it reaches the enrollment (a journey listens to it);
            every event is seen by the scorers when its time has come.
    """

    event_id: str
    name: str
    occurred_at: datetime
    properties: dict[str, Any] = field(default_factory=dict)
    delivered: bool = False


@dataclass
class SimulatedCustomer:
    """A customer as the simulation sees it: profile, consent and behaviour events.

    Attributes:
        consents: Consent status by channel (``all`` included), as the store keeps it.
        suppressions: Suppression reason by channel (``all`` included).
        events: Every behaviour event, oldest first.
        profile_name: The behaviour profile it was drawn from (or ``store``).
        enrolled_at: When it enrolls (None: when the simulation starts).
    """

    customer_id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    timezone: str = "UTC"
    lifecycle_stage: str | None = None
    consents: dict[str, str] = field(default_factory=dict)
    suppressions: dict[str, str] = field(default_factory=dict)
    events: list[CustomerEvent] = field(default_factory=list)
    profile_name: str = ""
    enrolled_at: datetime | None = None


@dataclass(frozen=True)
class SimulatedSend:
    """A send the simulation counted as sent."""

    channel: Channel
    template: str
    at: datetime
    step_key: str


@dataclass(frozen=True)
class HeldBackSend:
    """A send attempt not made: suppressed (consent), deferred (quiet hours) or capped."""

    channel: Channel
    template: str
    status: SendStatus
    at: datetime
    detail: str


@dataclass(frozen=True)
class SimulatedDecision:
    """A decide step's decision."""

    step: str
    scorer: str
    score: float
    tier: str | None
    choice: str
    at: datetime


@dataclass
class EnrollmentTrace:
    """What one simulated enrollment did (what production would have written)."""

    sends: list[SimulatedSend] = field(default_factory=list)
    held_back: list[HeldBackSend] = field(default_factory=list)
    decisions: list[SimulatedDecision] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    transitions: list[str] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    lifecycle_stage: str | None = None


@dataclass(frozen=True)
class DeliveryRules:
    """Rules in force besides the journey's own: the global caps and default quiet hours.

    Mirrors ``JourneySettings.delivery_frequency_caps`` and ``delivery_quiet_hours``.
    """

    frequency_caps: Sequence[FrequencyCap] = ()
    quiet_hours: QuietHours | None = None


class SimulatedActivities:
    """Every activity the interpreter calls, in memory, for one customer's enrollment.

    Args:
        customer: The customer (its profile is updated by set-attribute steps).
        trace: Where the enrollment's sends, decisions and tasks are recorded.
        rules: The global delivery rules.
        journeys: Journey ids a transition may enroll in (the catalog's).
        formulas: Scorers by name (default: the engine's formulas and windows).
    """

    def __init__(
        self,
        customer: SimulatedCustomer,
        trace: EnrollmentTrace,
        rules: DeliveryRules,
        journeys: frozenset[str],
        formulas: dict[str, tuple[Formula, int]] = FORMULAS,
    ) -> None:
        self._customer = customer
        self._trace = trace
        self._rules = rules
        self._journeys = journeys
        self._formulas = formulas
        self._event_times = [event.occurred_at for event in customer.events]
        self._slots: list[tuple[Channel, datetime]] = []
        self._tasks = 0
        self._handlers: dict[str, Callable[[Any], Any]] = {
            BEGIN_ENROLLMENT_ACTIVITY: self._journey_status,
            GET_JOURNEY_STATUS_ACTIVITY: self._journey_status,
            RECORD_ENROLLMENT_ACTIVITY: self._record_enrollment,
            DELIVER_MESSAGE_ACTIVITY: self._deliver,
            COMPUTE_SCORE_ACTIVITY: self._score,
            RECORD_DECISION_ACTIVITY: self._record_decision,
            LOAD_CUSTOMER_PROFILE_ACTIVITY: self._load_profile,
            UPDATE_CUSTOMER_PROFILE_ACTIVITY: self._update_profile,
            RESOLVE_WAIT_DEADLINE_ACTIVITY: self._wait_deadline,
            CREATE_HUMAN_TASK_ACTIVITY: self._create_task,
            ENROLL_IN_JOURNEY_ACTIVITY: self._transition,
        }

    def call(self, activity: str, arg: Any) -> Any:
        """Run one activity.

        Raises:
            ActivityCallFailed: an unknown scorer or bad input (not retried).
            NotImplementedError: an activity the simulator does not have: it must
                get one before it can run the interpreter that calls it.
        """
        handler = self._handlers.get(activity)
        if handler is None:
            raise NotImplementedError(f"the simulator has no activity {activity!r}")
        return handler(arg)

    def _journey_status(self, _: Any) -> JourneyStatusResult:
        return JourneyStatusResult(paused=False)

    def _record_enrollment(self, _: EnrollmentRecord) -> None:
        return None

    def _deliver(self, request: SendRequest) -> SendOutcome:
        """Consent, then quiet hours, then every cap, as ``decide_send`` judges them."""
        customer, channel = self._customer, request.channel
        assert request.requested_at is not None
        now = request.requested_at
        key = f"{request.enrollment_id}:{request.step_key}:{channel.value}"
        forbidden = consent_forbids(
            channel.value,
            customer.consents,
            customer.suppressions.get(channel.value) or customer.suppressions.get(ALL_CHANNELS),
        )
        if forbidden is not None:
            return self._held_back(request, key, SendStatus.SUPPRESSED, forbidden)
        quiet = request.quiet_hours or self._rules.quiet_hours
        if quiet is not None:
            ends = quiet_hours_end(quiet, now, customer_zone(customer.timezone))
            if ends is not None:
                return self._held_back(request, key, SendStatus.DEFERRED, "quiet hours", ends)
        caps = [*self._rules.frequency_caps, *request.frequency_caps]
        frees_at = slot_frees_at(caps, channel, self._slots, now) if caps and self._slots else None
        if frees_at is not None:
            return self._held_back(request, key, SendStatus.CAPPED, "frequency cap", frees_at)
        self._slots.append((channel, now))
        self._trace.sends.append(SimulatedSend(channel, request.template, now, request.step_key))
        return SendOutcome(status=SendStatus.SENT, channel=channel, idempotency_key=key)

    def _held_back(
        self,
        request: SendRequest,
        key: str,
        status: SendStatus,
        detail: str,
        retry_at: datetime | None = None,
    ) -> SendOutcome:
        assert request.requested_at is not None
        self._trace.held_back.append(
            HeldBackSend(request.channel, request.template, status, request.requested_at, detail)
        )
        return SendOutcome(
            status=status,
            channel=request.channel,
            idempotency_key=key,
            detail=detail,
            retry_at=retry_at,
        )

    def _score(self, request: ScoreRequest) -> ScoreResult:
        """The formula over the customer's events in the window (``EventWindowScorer``'s rule)."""
        named = self._formulas.get(request.scorer)
        if named is None:
            raise ActivityCallFailed(UNKNOWN_MODEL_ERROR_TYPE)
        formula, default_days = named
        try:
            since, as_of = request_window(request.context, default_days, _no_wall_clock)
        except InvalidInputError as err:
            raise ActivityCallFailed(INVALID_INPUT_ERROR_TYPE) from err
        events = self._customer.events
        first = bisect.bisect_left(self._event_times, since)
        last = bisect.bisect_right(self._event_times, as_of)
        window: list[ScoredEvent] = [
            (event.name, event.occurred_at, event.properties) for event in events[first:last]
        ]
        return score_window(formula, window, since, as_of)

    def _record_decision(self, record: DecisionRecord) -> bool:
        self._trace.decisions.append(
            SimulatedDecision(
                step=record.decision,
                scorer=record.model_name,
                score=float(record.inputs.get("score", 0.0)),
                tier=record.inputs.get("tier"),
                choice=record.choice,
                at=record.decided_at,
            )
        )
        return True

    def _load_profile(self, _: ProfileRequest | None) -> CustomerProfile:
        customer = self._customer
        return CustomerProfile(
            attributes=dict(customer.attributes),
            timezone=customer.timezone,
            lifecycle_stage=customer.lifecycle_stage,
        )

    def _update_profile(self, update: ProfileUpdate) -> None:
        customer = self._customer
        customer.attributes.update(update.attributes)
        self._trace.attributes.update(update.attributes)
        if update.lifecycle_stage is not None:
            customer.lifecycle_stage = update.lifecycle_stage
            self._trace.lifecycle_stage = update.lifecycle_stage

    def _wait_deadline(self, request: WaitDeadlineRequest) -> Any:
        return calendar_deadline(request, self._load_profile(None))

    def _create_task(self, request: HumanTaskRequest) -> HumanTaskCreated:
        self._tasks += 1
        self._trace.tasks.append(request.kind)
        return HumanTaskCreated(task_id=self._tasks)

    def _transition(self, request: TransitionRequest) -> TransitionResult:
        if request.journey_id not in self._journeys:
            return TransitionResult(
                enrolled=False, detail=f"no journey {request.journey_id!r} in the catalog"
            )
        self._trace.transitions.append(request.journey_id)
        return TransitionResult(enrolled=True)


def _no_wall_clock() -> datetime:
    """Score requests always carry ``as_of`` (the interpreter's time); never the wall clock."""
    raise InvalidInputError("context.as_of", "a simulated score needs the enrollment's time")
