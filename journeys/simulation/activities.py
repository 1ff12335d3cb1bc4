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
journey's); transactional sends pass them and take no slot, as in production.

Decision activities (channel selection, retention offer, next best action)
run the same rules as :class:`~journeys.decisioning.customer_decisions.CustomerDecisions`
over what the simulation knows: the customer's engagement history is this
enrollment's own sends, with no opens or clicks (delivery feedback is not
simulated), so channel selection answers as for a customer nobody has seen
click; predictions use the formula fallback (a trained model in a data
folder is not an input of the simulation); no blackout dates apply; the
profile's creation (tenure without a ``signup_date``) is the enrollment's
first activity call.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from activities.customer_profiles import calendar_deadline
from journeys.contracts.activities import (
    BEGIN_ENROLLMENT_ACTIVITY,
    CHOOSE_RETENTION_OFFER_ACTIVITY,
    COMPUTE_SCORE_ACTIVITY,
    CREATE_HUMAN_TASK_ACTIVITY,
    DELIVER_MESSAGE_ACTIVITY,
    ENROLL_IN_JOURNEY_ACTIVITY,
    GET_JOURNEY_STATUS_ACTIVITY,
    LOAD_CUSTOMER_PROFILE_ACTIVITY,
    NEXT_BEST_ACTION_ACTIVITY,
    RECORD_DECISION_ACTIVITY,
    RECORD_ENROLLMENT_ACTIVITY,
    RESOLVE_WAIT_DEADLINE_ACTIVITY,
    SELECT_CHANNEL_ACTIVITY,
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
from journeys.contracts.decisions import (
    ChannelChoice,
    ChannelRequest,
    NextBestActionDecision,
    NextBestActionRequest,
    OfferDecision,
    RetentionOfferRequest,
)
from journeys.contracts.scoring import ScoreRequest, ScoreResult
from journeys.decisioning.channel_selection import HISTORY_WINDOW, ChannelHistory, select_channel
from journeys.decisioning.customer_decisions import (
    CHANNEL_DECISION,
    NEXT_BEST_ACTION_DECISION,
    RECENT_EMAILS,
    RETENTION_OFFER_DECISION,
    cap_constraints,
    customer_clv,
    customer_signals,
    decide_with_consent,
    model_versions,
    retention_predictions,
)
from journeys.decisioning.retention_offers import choose_retention_offer
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
from journeys.scoring.predictive_models import (
    CustomerFeatures,
    ModelName,
    ModelRegistry,
    compute_features,
    count_behaviour,
    predict,
)
from journeys.store.consent import ALL_CHANNELS, consent_forbids
from journeys.store.step_visits import ARM_DECISION, ARM_MODEL
from workflows.runtime import ActivityCallFailed

UNTRAINED_MODELS = Path("/nonexistent/journeys-simulation/models")
"""A model folder with no models: every prediction is the formula fallback's."""


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
    """A decision: a decide step's (with its score) or a decision activity's (no score)."""

    step: str
    scorer: str
    score: float | None
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
    arms_recorded: set[str] = field(default_factory=set)


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
        formulas: Mapping[str, tuple[Formula, int]] = FORMULAS,
    ) -> None:
        self._customer = customer
        self._trace = trace
        self._rules = rules
        self._journeys = journeys
        self._formulas = formulas
        self._models = ModelRegistry(UNTRAINED_MODELS)
        self._event_times = [event.occurred_at for event in customer.events]
        self._slots: list[tuple[Channel, datetime]] = []
        self._tasks = 0
        self._now: datetime | None = None
        self._created_at: datetime | None = None
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
            SELECT_CHANNEL_ACTIVITY: self._select_channel,
            CHOOSE_RETENTION_OFFER_ACTIVITY: self._retention_offer,
            NEXT_BEST_ACTION_ACTIVITY: self._next_best_action,
        }

    def call(self, activity: str, arg: Any, now: datetime) -> Any:
        """Run one activity at the virtual time ``now``.

        Raises:
            ActivityCallFailed: an unknown scorer or bad input (not retried).
            NotImplementedError: an activity the simulator does not have: it must
                get one before it can run the interpreter that calls it.
        """
        handler = self._handlers.get(activity)
        if handler is None:
            raise NotImplementedError(f"the simulator has no activity {activity!r}")
        self._now = now
        if self._created_at is None:
            self._created_at = now
        return handler(arg)

    def _journey_status(self, _: Any) -> JourneyStatusResult:
        return JourneyStatusResult(paused=False)

    def _record_enrollment(self, record: EnrollmentRecord) -> None:
        """Each experiment arm reaches the decision audit once, as the store records it."""
        for experiment, arm in record.experiment_arms.items():
            if experiment in self._trace.arms_recorded:
                continue
            self._trace.arms_recorded.add(experiment)
            self._trace.decisions.append(
                SimulatedDecision(
                    step=ARM_DECISION,
                    scorer=ARM_MODEL,
                    score=None,
                    tier=None,
                    choice=arm,
                    at=record.at,
                )
            )

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
        if not request.transactional:
            caps = [*self._rules.frequency_caps, *request.frequency_caps]
            frees_at = (
                slot_frees_at(caps, channel, self._slots, now) if caps and self._slots else None
            )
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

    def _clock(self) -> datetime:
        assert self._now is not None, "activities are called through call()"
        return self._now

    def _features(self) -> CustomerFeatures:
        """The customer's feature vector now, from its events that have happened."""
        now = self._clock()
        assert self._created_at is not None
        counts = count_behaviour(
            ((event.name, event.occurred_at) for event in self._customer.events), now
        )
        return compute_features(counts, self._customer.attributes, self._created_at, now)

    def _decided(self, decision: str, model_name: str, choice: str) -> None:
        self._trace.decisions.append(
            SimulatedDecision(decision, model_name, None, None, choice, self._clock())
        )

    def _select_channel(self, request: ChannelRequest) -> ChannelChoice:
        """Seed 000's selection over this enrollment's sends of the last 90 days (no clicks)."""
        since = self._clock() - HISTORY_WINDOW
        sent: dict[Channel, int] = {}
        for send in self._trace.sends:
            if send.at >= since:
                sent[send.channel] = sent.get(send.channel, 0) + 1
        history = [ChannelHistory(channel=channel, sent=count) for channel, count in sent.items()]
        choice = select_channel(history, request.urgency, request.channels)
        if request.record:
            self._decided(CHANNEL_DECISION, "channel_selection", choice.channel.value)
        return choice

    def _retention_offer(self, request: RetentionOfferRequest) -> OfferDecision:
        """The best positive-EV offer, with the formula fallback's lifts."""
        features = self._features()
        predictions = retention_predictions(self._models, features)
        decision = choose_retention_offer(
            mrr=features.values["mrr"],
            clv=customer_clv(features),
            lifts={offer: prediction.lift or 0.0 for offer, prediction in predictions.items()},
        )
        if request.record:
            self._decided(
                RETENTION_OFFER_DECISION, ModelName.RETENTION_LIFT.value, decision.offer.value
            )
        return decision

    def _next_best_action(self, request: NextBestActionRequest) -> NextBestActionDecision:
        """Seed 001's decision with this journey's cap slots and the customer's consent."""
        now, customer = self._clock(), self._customer
        features = self._features()
        emails = [send for send in self._trace.sends if send.channel is Channel.EMAIL]
        churn = predict(self._models, ModelName.CHURN_RISK, features)
        upgrade = predict(self._models, ModelName.UPGRADE_LIKELIHOOD, features)
        name = customer.attributes.get("name")
        signals = customer_signals(
            customer.customer_id,
            name if isinstance(name, str) else None,
            features,
            opened=0,
            sent=min(len(emails), RECENT_EMAILS),
            churn=churn,
            upgrade=upgrade,
        )
        decision = decide_with_consent(
            signals,
            cap_constraints(request, self._slots, now, blackout=False),
            model_versions(churn, upgrade),
            now,
            lambda channel: consent_forbids(
                channel.value,
                customer.consents,
                customer.suppressions.get(channel.value) or customer.suppressions.get(ALL_CHANNELS),
            ),
        )
        if request.record:
            self._decided(NEXT_BEST_ACTION_DECISION, NEXT_BEST_ACTION_DECISION, decision.choice)
        return decision

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
