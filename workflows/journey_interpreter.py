"""The interpreter that walks any journey definition for one enrollment.

:class:`workflows.journey_workflow.JourneyWorkflow` holds one interpreter per run
and hands it its signals and queries. The definition is carried in the input
(and through continue-as-new), so a running enrollment never changes when a new
version is published.

Deterministic: time comes from ``self._rt.now()``, randomness from
``workflow.random()``, side effects happen in activities, and nothing here keeps
state between enrollments. The test suite and the replay gate run it in the
workflow sandbox; production workers run it without (``workflow_sandbox``), and
``tests/workflows/test_workflow_determinism.py`` checks it statically as well.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NoReturn

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.runtime import ActivityCallFailed, AttributePair, AttributeUpdate, JourneyRuntime

with workflow.unsafe.imports_passed_through():
    from journeys.contracts import search_attributes as sa
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
        RECORD_SEND_FAILURE_ACTIVITY,
        RESOLVE_WAIT_DEADLINE_ACTIVITY,
        SELECT_CHANNEL_ACTIVITY,
        UPDATE_CUSTOMER_PROFILE_ACTIVITY,
        CustomerProfile,
        DecisionCandidate,
        DecisionRecord,
        EnrollmentRecord,
        HumanTaskCreated,
        HumanTaskRequest,
        JourneyStatusRequest,
        JourneyStatusResult,
        ProfileRequest,
        ProfileUpdate,
        SendFailure,
        SendOutcome,
        SendRequest,
        SendStatus,
        TransitionRequest,
        TransitionResult,
        WaitDeadline,
        WaitDeadlineRequest,
    )
    from journeys.contracts.decisions import (
        ChannelChoice,
        ChannelRequest,
        NextBestActionDecision,
        NextBestActionRequest,
        Offer,
        OfferDecision,
        RetentionOfferRequest,
    )
    from journeys.contracts.enrollment import (
        GOAL_REACHED_OUTCOME,
        MAX_REMEMBERED_EVENT_IDS,
        MAX_REMEMBERED_EVENTS,
        SUPERSEDED_OUTCOME,
        DecisionMade,
        EnrollmentInput,
        EnrollmentProgress,
        EnrollmentResult,
        EnrollmentState,
        EnrollmentStatus,
        EventSignal,
        ExitRequest,
        InflightPolicy,
        PathEntry,
        PauseRequest,
        ReceivedEvent,
        RolloutDirective,
        StepVisit,
    )
    from journeys.contracts.scoring import (
        UNAVAILABLE_MODEL_VERSION,
        ScoreRequest,
        ScoreResult,
    )
    from journeys.errors import PERMANENT_DELIVERY_ERROR_TYPE
    from journeys.language.channels import Channel
    from journeys.language.delivery_rules import CappedPolicy
    from journeys.language.evaluation import (
        HOLDOUT_ARM,
        HOLDOUT_EXPERIMENT,
        attribute_holds,
        count_since,
        event_count_holds,
        experiment_arm,
        holdout_arm,
        score_holds,
        stage_holds,
    )
    from journeys.language.steps import (
        AttributeCondition,
        BestChannelSendStep,
        BranchStep,
        Condition,
        DecideStep,
        EventCountCondition,
        ExitStep,
        ExperimentArm,
        ExperimentStep,
        HumanTaskStep,
        LifecycleStageCondition,
        NextBestActionStep,
        OfferStep,
        ScoreCondition,
        SendStep,
        SetAttributeStep,
        Step,
        TransitionStep,
        WaitForEventStep,
        WaitStep,
        WaitUntilDateStep,
        WaitUntilTimeStep,
        uses_profile,
    )

LOCAL_BOOKKEEPING_PATCH = "local-enrollment-bookkeeping"
"""Enrollment rows are written by local activities, and the start row and the journey's
pause status in one; histories recorded before it replay the two activities.
Interpreter revision 1 always does this, without the patch's marker."""

EVENTS_SINCE_ENROLLMENT_PATCH = "events-since-enrollment"
"""The first step's waits count every event after the entry event, including those that
arrived before the first workflow task ran; before it, only events after that task counted.
Interpreter revision 1 always does this, without the patch's marker."""

STORE_TIMEOUT = timedelta(seconds=30)
SEND_TIMEOUT = timedelta(seconds=60)
SEND_RETRY_BEFORE_FALLBACK = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_attempts=2,
    non_retryable_error_types=[PERMANENT_DELIVERY_ERROR_TYPE],
)
"""Seed 001, channel failure: retry once, then switch to the backup channel."""

SEND_RETRY_LAST_CHANNEL = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=6,
    non_retryable_error_types=[PERMANENT_DELIVERY_ERROR_TYPE],
)
"""Revisions 0 and 1: with no backup channel left, transient failures retry six times."""

SEND_RETRY_UNTIL_DEADLINE = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=0,
    non_retryable_error_types=[PERMANENT_DELIVERY_ERROR_TYPE],
)
"""Revision 2: with no backup channel left, transient failures (provider or store outages)
retry with backoff capped at five minutes until the step's deadline, so an outage loses nothing."""

SEND_FAILURE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=0,
)
"""Recording a failed send retries until the store answers: a failure is never silent."""

SCORE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1), maximum_attempts=5
)
"""A scorer that keeps failing sends the decision to the step's ``otherwise`` branch."""

DEFAULT_RETRY_DELAY = timedelta(hours=1)
"""Delay before retrying a deferred or capped send whose outcome gave no ``retry_at``."""

MAX_SEND_DEFERRALS = 20
"""A send deferred (quiet hours, caps) more often than this is given up."""


class _Suspend(Exception):
    """Raised inside a wait when the run should continue as new first."""


class _Migrate(Exception):
    """Raised at a rest point when the enrollment moves to another version of its journey."""


class _Ending:
    """Why the enrollment is ending, set by signals or exit steps."""

    def __init__(self, status: EnrollmentStatus, outcome: str):
        self.status = status
        self.outcome = outcome


class JourneyInterpreter:
    """Interprets a journey definition for one customer, in one workflow run.

    Args:
        params: The workflow's input.
        runtime: What runs it: a Temporal workflow, or the simulator's virtual clock.
    """

    def __init__(self, params: EnrollmentInput, runtime: JourneyRuntime) -> None:
        self._rt = runtime
        self._params = params
        self._definition = params.definition
        self._progress = params.progress or EnrollmentProgress(
            enrollment_id=self._rt.run_id,
            enrolled_at=self._rt.now(),
            current_step=params.definition.start,
            lifecycle_stage=params.lifecycle_stage,
        )
        self._first_run = params.progress is None
        self._entered = not self._first_run and self._progress.step_entered
        self._signals_this_run = 0
        self._ending: _Ending | None = None
        self._seen = set(self._progress.seen_event_ids)
        self._profile: CustomerProfile | None = None
        self._revision = params.interpreter_revision
        if self._first_run and self._revision >= 2 and self._definition.holdout_percent:
            self._progress.experiment_arms[HOLDOUT_EXPERIMENT] = holdout_arm(
                self._definition.id, self._definition.holdout_percent, params.customer_id
            )

    async def run(self) -> EnrollmentResult:
        """Walk the step graph until an exit step or an exit/goal event."""
        if self._first_run:
            await self._begin()
        self._publish(resting=False)
        while self._ending is None:
            if not self._entered:
                self._enter(self._progress.current_step)
            step = self._definition.steps[self._progress.current_step]
            try:
                next_step = await self._execute(step)
            except _Suspend:
                await self._continue_as_new()
            except _Migrate:
                self._migrate()
                continue
            if self._ending is None and next_step is not None:
                self._progress.current_step = next_step
                self._entered = False
            if self._ending is None and self._should_continue_as_new():
                await self._continue_as_new()
        await self._rt.wait_for_handlers()
        ending = self._ending
        await self._record(ending.status, ending.outcome)
        self._publish(resting=True)
        return EnrollmentResult(
            status=ending.status,
            outcome=ending.outcome,
            path=[entry.step for entry in self._progress.path],
        )

    async def _begin(self) -> None:
        """Record the enrollment's start; take its journey's pause and rollout directive."""
        if self._revision >= 3:
            # Written with the enrollment's row: an enrollment whose first step is
            # where it rests needs no bookkeeping write of its own to get there.
            self._enter(self._progress.current_step)
        if self._revision >= 1 or self._rt.patched(LOCAL_BOOKKEEPING_PATCH):
            begun = self._enrollment_record(EnrollmentStatus.ACTIVE, None)
            status = await self._rt.execute_activity(
                BEGIN_ENROLLMENT_ACTIVITY,
                begun,
                result_type=JourneyStatusResult,
                start_to_close_timeout=STORE_TIMEOUT,
                local=True,
                summary=f"begin {self._definition.key} for {self._params.customer_id}",
            )
            del self._progress.unrecorded_visits[: len(begun.visits)]
        else:
            await self._record(EnrollmentStatus.ACTIVE, None)
            status = await self._rt.execute_activity(
                GET_JOURNEY_STATUS_ACTIVITY,
                JourneyStatusRequest(journey_id=self._definition.id),
                result_type=JourneyStatusResult,
                start_to_close_timeout=STORE_TIMEOUT,
                summary=f"read whether {self._definition.id} is paused",
            )
        self._progress.paused = self._progress.paused or status.paused
        if status.rollout is not None:
            self.apply_rollout(status.rollout)

    def record_event(self, event: EventSignal) -> None:
        """Receive a behaviour event; duplicates (same event id) are dropped."""
        if event.event_id in self._seen:
            return
        self._signals_this_run += 1
        progress = self._progress
        self._seen.add(event.event_id)
        progress.seen_event_ids.append(event.event_id)
        if len(progress.seen_event_ids) > MAX_REMEMBERED_EVENT_IDS:
            self._seen.discard(progress.seen_event_ids.pop(0))
        progress.last_event_seq += 1
        progress.event_counts[event.name] = progress.event_counts.get(event.name, 0) + 1
        progress.recent_events.append(
            ReceivedEvent(
                seq=progress.last_event_seq,
                name=event.name,
                event_id=event.event_id,
                occurred_at=event.occurred_at,
            )
        )
        del progress.recent_events[:-MAX_REMEMBERED_EVENTS]
        if self._ending is None:
            if event.name in self._definition.goal_events:
                self._ending = _Ending(EnrollmentStatus.EXITED, GOAL_REACHED_OUTCOME)
            elif event.name in self._definition.exit_events:
                self._ending = _Ending(EnrollmentStatus.EXITED, f"exit_event:{event.name}")

    def request_exit(self, request: ExitRequest) -> None:
        """End the enrollment at once, whatever it is waiting for."""
        if self._ending is None:
            self._ending = _Ending(EnrollmentStatus.EXITED, f"exit_requested:{request.reason}")

    def apply_rollout(self, directive: RolloutDirective) -> None:
        """Drain or migrate at the next rest point (the enrollment's version was retired).

        Ignored when the enrollment runs another version than the one retired, or is ending.
        """
        if self._ending is None and directive.from_version == self._definition.version:
            self._progress.rollout = directive

    def _at_rest_point(self) -> None:
        """Apply a pending drain (end ``superseded``) or migration (raise :class:`_Migrate`)."""
        directive = self._progress.rollout
        if directive is None or self._ending is not None:
            return
        if directive.policy is InflightPolicy.DRAIN:
            self._progress.rollout = None
            self._ending = _Ending(EnrollmentStatus.EXITED, SUPERSEDED_OUTCOME)
            return
        target = directive.definition
        if target is None or self._progress.current_step not in directive.step_map:
            # Checked complete when the migration was asked for; a gap pins the enrollment.
            self._rt.warn("no migration for step %s; staying", self._progress.current_step)
            self._progress.rollout = None
            return
        raise _Migrate

    def _migrate(self) -> None:
        """Move to the directive's version at the mapped step, keeping the enrollment's state."""
        directive = self._progress.rollout
        assert directive is not None
        assert directive.definition is not None
        self._progress.rollout = None
        left = f"{self._definition.key}:{self._progress.current_step}"
        self._definition = directive.definition
        self._params = self._params.model_copy(update={"definition": directive.definition})
        self._progress.current_step = directive.step_map[self._progress.current_step]
        self._enter(self._progress.current_step, migrated_from=left)

    def set_paused(self, request: PauseRequest) -> None:
        """Pause (hold before the next send) or resume the enrollment where it was."""
        self._progress.paused = request.paused
        self._publish(resting=True)

    def state(self) -> EnrollmentState:
        """The enrollment's current step, what it waits for, its path and decisions."""
        progress = self._progress
        return EnrollmentState(
            org_id=self._params.org_id,
            customer_id=self._params.customer_id,
            journey_id=self._definition.id,
            journey_version=self._definition.version,
            enrollment_id=progress.enrollment_id,
            status=self._status,
            current_step=progress.current_step,
            waiting_for=self._waiting_for(),
            wait_until=progress.wait_until,
            path=list(progress.path),
            event_counts=dict(progress.event_counts),
            outcome=self._ending.outcome if self._ending else None,
            decisions=list(progress.decisions),
            paused=progress.paused,
            lifecycle_stage=progress.lifecycle_stage,
            experiment_arms=dict(progress.experiment_arms),
        )

    def _waiting_for(self) -> list[str]:
        step = self._definition.steps.get(self._progress.current_step)
        if isinstance(step, WaitForEventStep):
            return sorted(step.events)
        if isinstance(step, HumanTaskStep):
            return sorted(step.outcomes)
        return []

    def _enter(self, name: str, migrated_from: str | None = None) -> None:
        progress = self._progress
        progress.visits[name] = progress.visits.get(name, 0) + 1
        progress.path.append(
            PathEntry(step=name, entered_at=self._rt.now(), migrated_from=migrated_from)
        )
        if self._revision >= 2:
            visit = StepVisit(step=name, visit=progress.visits[name], entered_at=self._rt.now())
            step = self._definition.steps[name]
            if isinstance(step, ExperimentStep):
                visit.experiment, visit.arm = step.experiment, self._assign_arm(step).name
            progress.unrecorded_visits.append(visit)
        progress.wait_until = None
        progress.step_event_seq = progress.last_event_seq
        if len(progress.path) == 1:
            # The first step starts at enrollment, not when its workflow task runs.
            since_entry = self._entry_event_seq()
            if since_entry != progress.step_event_seq and (
                self._revision >= 1 or self._rt.patched(EVENTS_SINCE_ENROLLMENT_PATCH)
            ):
                progress.step_event_seq = since_entry
        self._profile = None
        self._entered = True
        self._publish(resting=False)

    def _assign_arm(self, step: ExperimentStep) -> ExperimentArm:
        """The customer's arm of the step's experiment (a stable hash), kept in the progress."""
        arm = experiment_arm(
            step.arms, self._definition.id, step.experiment, self._params.customer_id
        )
        self._progress.experiment_arms[step.experiment] = arm.name
        return arm

    def _entry_event_seq(self) -> int:
        """The sequence number of the entry event (0 when enrolled without one)."""
        for event in self._progress.recent_events:
            if event.event_id == self._params.entry_event_id:
                return event.seq
        return 0

    @property
    def _step_key(self) -> str:
        """Identifies the current step visit independently of run and attempt."""
        name = self._progress.current_step
        return f"{name}#{self._progress.visits.get(name, 1)}"

    async def _execute(self, step: Step) -> str | None:  # noqa: C901 - one case per step type
        """Run one step; return the next step's name (None when the journey ends)."""
        match step:
            case SendStep():
                await self._send(step, [(channel, step.template) for channel in step.channels])
                return step.next
            case BestChannelSendStep():
                chain = await self._choose_channel(step)
                await self._send(step, [(channel, step.template) for channel in chain])
                return step.next
            case OfferStep():
                template = await self._choose_offer(step)
                if template is None:
                    return step.on_no_offer
                await self._send(step, [(channel, template) for channel in step.channels])
                return step.next
            case NextBestActionStep():
                actions = await self._next_best_actions(step)
                if not actions:
                    return step.on_no_action
                await self._send(step, actions)
                return step.next
            case WaitStep():
                if step.duration is not None:
                    await self._sleep_until(self._deadline(step.duration), lambda: False)
                else:
                    day = self._progress.enrolled_at + timedelta(days=step.day or 0)
                    if day > self._rt.now():
                        await self._sleep_until(self._deadline(day - self._rt.now()), lambda: False)
                return step.next
            case WaitUntilTimeStep() | WaitUntilDateStep():
                until = await self._calendar_deadline(step)
                if until is not None:
                    await self._sleep_until(until, lambda: False)
                return step.next
            case WaitForEventStep():
                return await self._wait_for_events(step.events, step.timeout, step.on_timeout)
            case BranchStep():
                return await self._branch(step)
            case DecideStep():
                return await self._decide(step)
            case ExperimentStep():
                return self._assign_arm(step).next
            case SetAttributeStep():
                await self._set_attributes(step)
                return step.next
            case HumanTaskStep():
                return await self._human_task(step)
            case TransitionStep():
                await self._transition(step)
                return None
            case ExitStep():
                self._ending = _Ending(EnrollmentStatus.COMPLETED, step.outcome)
                return None

    def _deadline(self, duration: timedelta) -> datetime:
        """The current wait's deadline, fixed when the wait first starts."""
        if self._progress.wait_until is None:
            self._progress.wait_until = self._rt.now() + duration
            self._publish(resting=True)
        return self._progress.wait_until

    async def _calendar_deadline(
        self, step: WaitUntilTimeStep | WaitUntilDateStep
    ) -> datetime | None:
        """The deadline of a calendar wait, resolved once per visit in the customer's zone."""
        if self._progress.wait_until is not None:
            return self._progress.wait_until
        request = WaitDeadlineRequest(
            org_id=self._params.org_id, customer_id=self._params.customer_id, now=self._rt.now()
        )
        if isinstance(step, WaitUntilTimeStep):
            request.at, request.weekdays = step.at, list(step.weekdays)
        else:
            request.attribute, request.offset = step.attribute, step.offset
        deadline: WaitDeadline = await self._rt.execute_activity(
            RESOLVE_WAIT_DEADLINE_ACTIVITY,
            request,
            result_type=WaitDeadline,
            start_to_close_timeout=STORE_TIMEOUT,
            summary=f"{self._progress.current_step}: deadline in the customer's time zone",
        )
        if deadline.until is None or deadline.until <= self._rt.now():
            return None
        self._progress.wait_until = deadline.until
        self._publish(resting=True)
        return deadline.until

    async def _sleep_until(self, deadline: datetime, done: Callable[[], bool]) -> bool:
        """Wait until ``deadline``, an ending, or ``done()``; True if ``done()`` fired.

        Raises:
            _Suspend: the run should continue as new before waiting further.
        """
        while True:
            self._at_rest_point()
            if self._ending is not None:
                return False
            if done():
                return True
            remaining = deadline - self._rt.now()
            if remaining <= timedelta(0):
                return False
            await self._record_visits()
            try:
                await self._rt.wait_condition(
                    lambda: (
                        self._ending is not None
                        or done()
                        or self._should_continue_as_new()
                        or self._progress.rollout is not None
                    ),
                    within=remaining,
                    summary=self._timer_summary(deadline),
                )
            except TimeoutError:
                return done()
            if (
                self._ending is None
                and not done()
                and self._progress.rollout is None
                and self._should_continue_as_new()
            ):
                raise _Suspend

    def _timer_summary(self, deadline: datetime) -> str:
        """What the current step's timer waits for, as the UI shows it (``Day 3 wait until``)."""
        name = self._progress.current_step
        step = self._definition.steps.get(name)
        until = f"until {_moment(deadline)}"
        match step:
            case WaitStep(day=day) if day is not None:
                return f"{name}: Day {day} wait {until}"
            case WaitForEventStep():
                return f"{name}: wait for {' or '.join(sorted(step.events))} {until}"
            case HumanTaskStep():
                return f"{name}: wait for the {step.kind} outcome {until}"
            case _:
                return f"{name}: wait {until}"

    async def _wait_for_events(
        self, events: dict[str, str], within: timedelta, on_timeout: str
    ) -> str | None:
        deadline = self._deadline(within)

        def first_match() -> ReceivedEvent | None:
            for event in self._progress.recent_events:
                if event.seq > self._progress.step_event_seq and event.name in events:
                    return event
            return None

        if await self._sleep_until(deadline, lambda: first_match() is not None):
            matched = first_match()
            assert matched is not None
            return events[matched.name]
        if self._ending is not None:
            return None
        return on_timeout

    async def _branch(self, step: BranchStep) -> str:
        if uses_profile(step):
            await self._load_profile()
        for case in step.cases:
            if await self._case_holds(case.conditions):
                return case.next
        return step.otherwise

    async def _case_holds(self, conditions: list[Condition]) -> bool:
        """Whether every condition holds; from revision 2 on, stops at the first that fails."""
        if self._revision < 2:
            # Before revision 2 every condition was evaluated (its activities run) before
            # deciding; histories recorded so must replay the same commands.
            return all([await self._holds(condition) for condition in conditions])
        for condition in conditions:
            if not await self._holds(condition):
                return False
        return True

    async def _holds(self, condition: Condition) -> bool:
        match condition:
            case EventCountCondition():
                counted = condition.counted
                if condition.within is None:
                    counts = self._progress.event_counts
                    count = sum(counts.get(name, 0) for name in counted)
                else:
                    since = self._rt.now() - condition.within
                    count = count_since(
                        [e.occurred_at for e in self._progress.recent_events if e.name in counted],
                        since,
                    )
                return event_count_holds(condition, count)
            case AttributeCondition():
                profile = await self._load_profile()
                return attribute_holds(condition, profile.attributes)
            case LifecycleStageCondition():
                profile = await self._load_profile()
                return stage_holds(condition, profile.lifecycle_stage)
            case ScoreCondition():
                result = await self._score(condition.scorer, None)
                return result is not None and score_holds(condition, result.score)

    async def _load_profile(self) -> CustomerProfile:
        """The customer's profile, read once per step visit."""
        if self._profile is None:
            self._profile = await self._rt.execute_activity(
                LOAD_CUSTOMER_PROFILE_ACTIVITY,
                ProfileRequest(org_id=self._params.org_id, customer_id=self._params.customer_id),
                result_type=CustomerProfile,
                start_to_close_timeout=STORE_TIMEOUT,
                summary=f"{self._progress.current_step}: load the customer's profile",
            )
        return self._profile

    async def _score(self, scorer: str, window_days: int | None) -> ScoreResult | None:
        """Ask a named scorer; None when it keeps failing."""
        context: dict[str, str | int | float | bool] = {
            "as_of": self._rt.now().isoformat(),
            "enrolled_at": self._progress.enrolled_at.isoformat(),
            "step": self._progress.current_step,
            "days_since_enrollment": (self._rt.now() - self._progress.enrolled_at).days,
        }
        if window_days is not None:
            context["window_days"] = window_days
        try:
            result: ScoreResult = await self._rt.execute_activity(
                COMPUTE_SCORE_ACTIVITY,
                ScoreRequest(
                    scorer=scorer,
                    org_id=self._params.org_id,
                    customer_id=self._params.customer_id,
                    journey_id=self._definition.id,
                    context=context,
                ),
                result_type=ScoreResult,
                start_to_close_timeout=STORE_TIMEOUT,
                retry_policy=SCORE_RETRY,
                summary=f"{self._progress.current_step}: score {scorer}",
            )
        except ActivityCallFailed as err:
            self._rt.warn("scorer %s failed: %s", scorer, err.kind)
            return None
        return result

    async def _decide(self, step: DecideStep) -> str:
        result = await self._score(step.scorer, step.window_days)
        if result is None:
            choice, rationale = step.otherwise, f"scorer {step.scorer} failed; took otherwise"
            score, tier, inputs = 0.0, None, {}
        else:
            score, tier, inputs = result.score, result.tier, dict(result.inputs)
            earlier = self._earlier_score(step.relative_to)
            if earlier is None:
                choice, rationale = self._choose(step, result)
            else:
                # Bands judge the change since the earlier decision (seed 000 Day 5).
                change = result.model_copy(update={"score": score - earlier, "tier": None})
                choice, rationale = self._choose(step, change)
                inputs["compared_to"] = earlier
                rationale = f"{score:g} vs {earlier:g} at {step.relative_to}: change {rationale}"
        candidates = [DecisionCandidate(name=name, score=score) for name in _options(step)]
        await self._rt.execute_activity(
            RECORD_DECISION_ACTIVITY,
            DecisionRecord(
                org_id=self._params.org_id,
                customer_id=self._params.customer_id,
                journey_id=self._definition.id,
                workflow_id=self._rt.workflow_id,
                enrollment_id=self._progress.enrollment_id,
                step_key=self._step_key,
                decision=self._progress.current_step,
                model_name=step.scorer,
                model_version=result.model_version if result else UNAVAILABLE_MODEL_VERSION,
                inputs={"score": score, "tier": tier, **inputs},
                candidates=candidates,
                choice=choice,
                rationale=rationale,
                decided_at=self._rt.now(),
            ),
            start_to_close_timeout=STORE_TIMEOUT,
            summary=f"{self._progress.current_step}: decided {choice} ({rationale})",
        )
        self._progress.decisions.append(
            DecisionMade(
                step=self._progress.current_step,
                scorer=step.scorer,
                score=score,
                tier=tier,
                choice=choice,
                decided_at=self._rt.now(),
            )
        )
        return choice

    def _earlier_score(self, step_name: str | None) -> float | None:
        """The score of the latest decision made at ``step_name`` (None: no such decision)."""
        if step_name is None:
            return None
        for decision in reversed(self._progress.decisions):
            if decision.step == step_name:
                return decision.score
        return None

    @staticmethod
    def _choose(step: DecideStep, result: ScoreResult) -> tuple[str, str]:
        """The next step for a score, and why."""
        if result.tier is not None and result.tier in step.tiers:
            return step.tiers[result.tier], f"tier {result.tier} (score {result.score:g})"
        for band in step.bands:
            if band.matches(result.score):
                bounds = []
                if band.above is not None:
                    bounds.append(f"> {band.above:g}")
                if band.at_least is not None:
                    bounds.append(f">= {band.at_least:g}")
                return band.next, f"score {result.score:g} {' and '.join(bounds) or 'any'}"
        return step.otherwise, f"score {result.score:g} matched no band"

    async def _set_attributes(self, step: SetAttributeStep) -> None:
        await self._rt.execute_activity(
            UPDATE_CUSTOMER_PROFILE_ACTIVITY,
            ProfileUpdate(
                org_id=self._params.org_id,
                customer_id=self._params.customer_id,
                attributes=dict(step.attributes),
                lifecycle_stage=step.lifecycle_stage,
            ),
            start_to_close_timeout=STORE_TIMEOUT,
            summary=f"{self._progress.current_step}: update the profile",
        )
        if step.lifecycle_stage is not None:
            self._progress.lifecycle_stage = step.lifecycle_stage
            self._publish(resting=False)

    async def _human_task(self, step: HumanTaskStep) -> str | None:
        await self._rt.execute_activity(
            CREATE_HUMAN_TASK_ACTIVITY,
            HumanTaskRequest(
                org_id=self._params.org_id,
                customer_id=self._params.customer_id,
                journey_id=self._definition.id,
                workflow_id=self._rt.workflow_id,
                enrollment_id=self._progress.enrollment_id,
                task_key=self._step_key,
                kind=step.kind,
                title=step.title,
                owner=step.owner,
                due_at=self._progress.path[-1].entered_at + step.due_in,
                details=dict(step.details),
            ),
            result_type=HumanTaskCreated,
            start_to_close_timeout=STORE_TIMEOUT,
            summary=f"{self._progress.current_step}: create {step.kind} task: {step.title}",
        )
        if not step.outcomes:
            return step.next
        assert step.timeout is not None
        assert step.on_timeout is not None
        return await self._wait_for_events(step.outcomes, step.timeout, step.on_timeout)

    async def _transition(self, step: TransitionStep) -> None:
        """Enroll in the target journey, then end this enrollment with the step's outcome."""
        result = await self._rt.execute_activity(
            ENROLL_IN_JOURNEY_ACTIVITY,
            TransitionRequest(
                org_id=self._params.org_id,
                customer_id=self._params.customer_id,
                journey_id=step.journey,
                from_journey_id=self._definition.id,
                from_workflow_id=self._rt.workflow_id,
            ),
            result_type=TransitionResult,
            start_to_close_timeout=STORE_TIMEOUT,
            summary=f"{self._progress.current_step}: enroll in {step.journey}",
        )
        if not result.enrolled:
            self._rt.warn("transition to %s refused: %s", step.journey, result.detail)
        self._ending = _Ending(EnrollmentStatus.COMPLETED, step.outcome)

    async def _hold_while_paused(self) -> None:
        """Hold before a send while the journey is paused."""
        if not self._progress.paused:
            return
        self._publish(resting=True)
        await self._record_visits()
        await self._rt.wait_condition(
            lambda: (
                not self._progress.paused
                or self._ending is not None
                or self._should_continue_as_new()
                or self._progress.rollout is not None
            )
        )
        self._at_rest_point()
        if self._progress.paused and self._ending is None:
            raise _Suspend
        self._publish(resting=False)

    async def _choose_channel(self, step: BestChannelSendStep) -> list[Channel]:
        """Seed 000's channel selection: the chosen channel, then the runner-up as fallback.

        When the selection fails, the step's channels are tried in their order.
        """
        try:
            choice: ChannelChoice = await self._rt.execute_activity(
                SELECT_CHANNEL_ACTIVITY,
                ChannelRequest(
                    org_id=self._params.org_id,
                    customer_id=self._params.customer_id,
                    journey_id=self._definition.id,
                    workflow_id=self._rt.workflow_id,
                    enrollment_id=self._progress.enrollment_id,
                    step_key=self._step_key,
                    urgency=step.urgency,
                    channels=list(step.channels),
                    as_of=self._rt.now(),
                ),
                result_type=ChannelChoice,
                start_to_close_timeout=STORE_TIMEOUT,
                retry_policy=SCORE_RETRY,
            )
        except ActivityCallFailed as err:
            self._rt.warn("channel selection failed: %s; sending in listed order", err.kind)
            return list(step.channels)
        self._remember_decision("channel_selection", choice.confidence, choice.channel.value)
        chain = [choice.channel]
        if choice.runner_up is not None and choice.runner_up in step.channels:
            chain.append(choice.runner_up)
        return chain

    async def _choose_offer(self, step: OfferStep) -> str | None:
        """Seed 000's retention offer: the template of the best positive-EV offer, else None."""
        try:
            decision: OfferDecision = await self._rt.execute_activity(
                CHOOSE_RETENTION_OFFER_ACTIVITY,
                RetentionOfferRequest(
                    org_id=self._params.org_id,
                    customer_id=self._params.customer_id,
                    journey_id=self._definition.id,
                    workflow_id=self._rt.workflow_id,
                    enrollment_id=self._progress.enrollment_id,
                    step_key=self._step_key,
                    as_of=self._rt.now(),
                ),
                result_type=OfferDecision,
                start_to_close_timeout=STORE_TIMEOUT,
                retry_policy=SCORE_RETRY,
            )
        except ActivityCallFailed as err:
            self._rt.warn("retention offer failed: %s; no offer", err.kind)
            self._remember_decision("retention_offer", 0.0, Offer.NO_OFFER.value)
            return None
        self._remember_decision("retention_offer", decision.expected_value, decision.offer.value)
        if decision.offer is Offer.NO_OFFER:
            return None
        return step.templates.get(decision.offer.value)

    async def _next_best_actions(self, step: NextBestActionStep) -> list[tuple[Channel, str]]:
        """Seed 001's primary action then its two backups, as (channel, template) to try."""
        try:
            decision: NextBestActionDecision = await self._rt.execute_activity(
                NEXT_BEST_ACTION_ACTIVITY,
                NextBestActionRequest(
                    org_id=self._params.org_id,
                    customer_id=self._params.customer_id,
                    journey_id=self._definition.id,
                    workflow_id=self._rt.workflow_id,
                    enrollment_id=self._progress.enrollment_id,
                    step_key=self._step_key,
                    channels=list(self._definition.channels),
                    frequency_caps=list(self._definition.frequency_caps),
                    as_of=self._rt.now(),
                ),
                result_type=NextBestActionDecision,
                start_to_close_timeout=STORE_TIMEOUT,
                retry_policy=SCORE_RETRY,
            )
        except ActivityCallFailed as err:
            self._rt.warn("next best action failed: %s; no action", err.kind)
            return []
        confidence = decision.primary.confidence if decision.primary else 0.0
        self._remember_decision("next_best_action", confidence, decision.choice)
        return [
            (action.channel, step.templates[action.action])
            for action in [decision.primary, *decision.backups]
            if action is not None and action.channel is not None and action.action in step.templates
        ]

    def _remember_decision(self, decided_by: str, score: float, choice: str) -> None:
        """Keep a decision in the enrollment's state (the activity audited it in the store)."""
        self._progress.decisions.append(
            DecisionMade(
                step=self._progress.current_step,
                scorer=decided_by,
                score=score,
                tier=None,
                choice=choice,
                decided_at=self._rt.now(),
            )
        )

    async def _send(  # noqa: C901 - one loop over the fallback chain, each outcome a branch
        self,
        step: SendStep | BestChannelSendStep | OfferStep | NextBestActionStep,
        chain: list[tuple[Channel, str]],
    ) -> None:
        """Try the fallback chain of (channel, template) in order until one sends.

        ``DEFERRED`` (quiet hours) sleeps until ``retry_at`` and retries the same
        channel; ``CAPPED`` follows ``on_capped``; ``SUPPRESSED`` and ``FAILED``
        move to the next channel; ``UNKNOWN`` is never resent.
        """
        if self._progress.experiment_arms.get(HOLDOUT_EXPERIMENT) == HOLDOUT_ARM:
            return
        await self._hold_while_paused()
        if self._progress.rollout is not None and (
            self._progress.rollout.policy is InflightPolicy.DRAIN
        ):
            # A drained enrollment sends nothing more, even before its next rest point.
            self._at_rest_point()
            return
        data = {**self._decision_data(), **step.data}
        transactional = isinstance(step, SendStep) and step.transactional
        deferrals = 0
        deadline = (
            step.deadline if isinstance(step, SendStep) else None
        ) or self._definition.send_deadline
        for position, (channel, template) in enumerate(chain, start=1):
            last = position == len(chain)
            retry = SEND_RETRY_BEFORE_FALLBACK
            if last:
                retry = (
                    SEND_RETRY_UNTIL_DEADLINE if self._revision >= 2 else SEND_RETRY_LAST_CHANNEL
                )
            while self._ending is None:
                step_key = self._step_key if deferrals == 0 else f"{self._step_key}.{deferrals}"
                request = SendRequest(
                    org_id=self._params.org_id,
                    customer_id=self._params.customer_id,
                    journey_id=self._definition.id,
                    journey_version=self._definition.version,
                    workflow_id=self._rt.workflow_id,
                    enrollment_id=self._progress.enrollment_id,
                    step_key=step_key,
                    channel=channel,
                    template=template,
                    data=data,
                    frequency_caps=list(self._definition.frequency_caps),
                    quiet_hours=self._definition.quiet_hours,
                    requested_at=self._rt.now(),
                    attempts_allowed=retry.maximum_attempts,
                    transactional=transactional,
                )
                outcome = await self._deliver(
                    request, retry, deadline if retry is SEND_RETRY_UNTIL_DEADLINE else None
                )
                status = outcome.status
                if status in (SendStatus.SENT, SendStatus.UNKNOWN):
                    return
                wait = status is SendStatus.DEFERRED or (
                    status is SendStatus.CAPPED and step.on_capped is CappedPolicy.DEFER
                )
                if status is SendStatus.CAPPED and step.on_capped is CappedPolicy.SKIP:
                    return
                if not wait or deferrals >= MAX_SEND_DEFERRALS:
                    break
                deferrals += 1
                retry_at = outcome.retry_at or (self._rt.now() + DEFAULT_RETRY_DELAY)
                await self._defer_until(retry_at)
            if self._ending is not None:
                return
            if last and status is SendStatus.FAILED and self._revision >= 2:
                await self._record_send_failure(request, outcome.detail)

    async def _deliver(
        self, request: SendRequest, retry: RetryPolicy, deadline: timedelta | None
    ) -> SendOutcome:
        """The send's outcome; ``FAILED`` (the failure in ``detail``) when the activity failed."""
        try:
            outcome: SendOutcome = await self._rt.execute_activity(
                DELIVER_MESSAGE_ACTIVITY,
                request,
                result_type=SendOutcome,
                start_to_close_timeout=SEND_TIMEOUT,
                schedule_to_close_timeout=deadline,
                retry_policy=retry,
                summary=f"{self._progress.current_step}: send {request.template}"
                f" by {request.channel.value}",
            )
        except ActivityCallFailed as err:
            self._rt.warn(
                "send failed on %s, trying the next channel (%s)",
                request.channel.value,
                err.kind,
            )
            detail = err.kind
            if deadline is not None and err.timed_out:
                detail = f"not delivered within the deadline of {deadline}"
            return SendOutcome(
                status=SendStatus.FAILED, channel=request.channel, idempotency_key="", detail=detail
            )
        return outcome

    async def _record_send_failure(self, request: SendRequest, reason: str) -> None:
        """Fail the send visibly: noted in the path, then logged, counted and alerted."""
        note = f"send failed on {request.channel.value}: {reason}"
        self._progress.path[-1].note = note
        self._rt.warn("%s", note)
        await self._rt.execute_activity(
            RECORD_SEND_FAILURE_ACTIVITY,
            SendFailure(request=request, reason=reason),
            start_to_close_timeout=STORE_TIMEOUT,
            retry_policy=SEND_FAILURE_RETRY,
        )

    async def _defer_until(self, retry_at: datetime) -> None:
        """A durable sleep until a deferred send may be retried (an ending cuts it short)."""
        self._progress.wait_until = retry_at
        self._publish(resting=True)
        remaining = retry_at - self._rt.now()
        if remaining > timedelta(0):
            await self._record_visits()
            with contextlib.suppress(TimeoutError):
                await self._rt.wait_condition(
                    lambda: self._ending is not None or self._progress.rollout is not None,
                    within=remaining,
                    summary=f"{self._progress.current_step}: send deferred (quiet hours or cap)"
                    f" until {_moment(retry_at)}",
                )
        self._at_rest_point()
        self._progress.wait_until = None
        self._publish(resting=False)

    def _decision_data(self) -> dict[str, str]:
        """Personalisation from this enrollment's decisions: ``decision_<step>`` = tier/choice."""
        return {
            f"decision_{decision.step}": decision.tier or decision.choice
            for decision in self._progress.decisions
        }

    async def _record_visits(self) -> None:
        """Write the step visits since the last rest, in one local activity (revision 2).

        Called where the enrollment is about to wait, so a run of steps passed
        through between two waits costs one store write, not one per step.
        """
        if not self._progress.unrecorded_visits:
            return
        await self._record(EnrollmentStatus.ACTIVE, None)

    async def _record(self, status: EnrollmentStatus, outcome: str | None) -> None:
        record = self._enrollment_record(status, outcome)
        if self._revision >= 1 or self._rt.patched(LOCAL_BOOKKEEPING_PATCH):
            await self._rt.execute_activity(
                RECORD_ENROLLMENT_ACTIVITY,
                record,
                start_to_close_timeout=STORE_TIMEOUT,
                local=True,
                summary=_record_summary(record),
            )
            del self._progress.unrecorded_visits[: len(record.visits)]
        else:
            await self._rt.execute_activity(
                RECORD_ENROLLMENT_ACTIVITY,
                record,
                start_to_close_timeout=STORE_TIMEOUT,
                summary=_record_summary(record),
            )

    def _enrollment_record(self, status: EnrollmentStatus, outcome: str | None) -> EnrollmentRecord:
        record = EnrollmentRecord(
            org_id=self._params.org_id,
            customer_id=self._params.customer_id,
            journey_id=self._definition.id,
            journey_version=self._definition.version,
            workflow_id=self._rt.workflow_id,
            enrollment_id=self._progress.enrollment_id,
            status=status,
            outcome=outcome,
            at=self._rt.now(),
        )
        if self._revision >= 2:
            record.visits = list(self._progress.unrecorded_visits)
            record.experiment_arms = dict(self._progress.experiment_arms)
            if status is not EnrollmentStatus.ACTIVE:
                record.final_step = self._progress.current_step
        return record

    def _should_continue_as_new(self) -> bool:
        return (
            self._rt.continue_as_new_suggested()
            or self._signals_this_run >= self._params.max_signals_per_run
        )

    async def _continue_as_new(self) -> NoReturn:
        await self._rt.wait_for_handlers()
        if self._revision < 1:
            self._rt.continue_as_new(self._params.model_copy(update={"progress": self._progress}))
        self._progress.step_entered = self._entered
        # Steps passed since the last rest are not upserted yet: the next run starts with
        # the current attributes instead.
        self._rt.continue_as_new(
            self._params.model_copy(update={"progress": self._progress}),
            self._wanted_attributes(),
        )

    def _publish(self, *, resting: bool) -> None:
        """Mirror the state into the UI's current details and into search attributes.

        Args:
            resting: The enrollment is about to wait (or has ended, or a signal
                changed it). From interpreter revision 1 on, search attributes
                are upserted only then, so a step passed through between two
                waits costs no upsert; before it, every call upserted.
        """
        if resting or self._revision < 1:
            current = self._rt.search_attributes()
            changed: list[AttributeUpdate] = [
                pair.key.value_set(pair.value)  # type: ignore[arg-type]
                for pair in self._wanted_attributes()
                if current.get(pair.key) != pair.value
            ]
            if changed:
                self._rt.upsert_search_attributes(changed)
        self._rt.set_details(self._describe)

    def _wanted_attributes(self) -> list[AttributePair]:
        """The search attributes the enrollment's state calls for now."""
        progress = self._progress
        return sa.enrollment_attributes(
            org_id=self._params.org_id,
            customer_id=self._params.customer_id,
            journey_id=self._definition.id,
            journey_version=self._definition.version,
            current_step=progress.current_step,
            status="paused" if progress.paused and not self._ending else self._status.value,
            lifecycle_stage=progress.lifecycle_stage,
            experiment_arms=progress.experiment_arms if self._revision >= 2 else None,
        )

    @property
    def _status(self) -> EnrollmentStatus:
        return self._ending.status if self._ending else EnrollmentStatus.ACTIVE

    def _describe(self) -> str:
        progress = self._progress
        head = f"{self._definition.key} · {self._params.customer_id} · {self._status.value}"
        if self._ending is not None:
            return f"{head}: {self._ending.outcome}"
        doing = f"at step {progress.current_step!r}"
        if progress.paused:
            doing += " (journey paused: holding before the next send)"
        waiting_for = self._waiting_for()
        if waiting_for:
            doing += f", waiting for {' or '.join(waiting_for)}"
        if progress.wait_until is not None:
            doing += f" until {progress.wait_until.isoformat(timespec='seconds')}"
        if progress.decisions:
            last = progress.decisions[-1]
            doing += f"; last decision {last.scorer}={last.score:g} -> {last.choice}"
        return f"{head}: {doing}"


def _options(step: DecideStep) -> list[str]:
    """The distinct steps a decide step can choose, in declaration order."""
    seen: dict[str, None] = {}
    for name in [*step.tiers.values(), *(band.next for band in step.bands), step.otherwise]:
        seen.setdefault(name, None)
    return list(seen)


def _moment(at: datetime) -> str:
    """A time as the UI's summaries show it."""
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _record_summary(record: EnrollmentRecord) -> str:
    """The summary of an enrollment bookkeeping activity."""
    if record.status is not EnrollmentStatus.ACTIVE:
        return f"record the end: {record.status.value} ({record.outcome})"
    if record.visits:
        return "record step visits: " + ", ".join(visit.step for visit in record.visits)
    return "record the start"
