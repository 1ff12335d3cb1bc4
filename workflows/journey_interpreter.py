"""The interpreter that walks any journey definition for one enrollment.

:class:`workflows.journey_workflow.JourneyWorkflow` holds one interpreter per run
and hands it its signals and queries. The definition is carried in the input
(and through continue-as-new), so a running enrollment never changes when a new
version is published.

Deterministic: time comes from ``workflow.now()``, randomness from
``workflow.random()``, side effects happen in activities, and nothing here keeps
state between enrollments. The test suite and the replay gate run it in the
workflow sandbox; production workers run it without (``workflow_sandbox``), and
``tests/workflows/test_workflow_determinism.py`` checks it statically as well.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NoReturn

from temporalio import workflow
from temporalio.common import (
    RetryPolicy,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from journeys.contracts import search_attributes as sa
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
        DecisionCandidate,
        DecisionRecord,
        EnrollmentRecord,
        HumanTaskCreated,
        HumanTaskRequest,
        JourneyStatusRequest,
        JourneyStatusResult,
        ProfileRequest,
        ProfileUpdate,
        SendOutcome,
        SendRequest,
        SendStatus,
        TransitionRequest,
        TransitionResult,
        WaitDeadline,
        WaitDeadlineRequest,
    )
    from journeys.contracts.enrollment import (
        MAX_REMEMBERED_EVENT_IDS,
        MAX_REMEMBERED_EVENTS,
        DecisionMade,
        EnrollmentInput,
        EnrollmentProgress,
        EnrollmentResult,
        EnrollmentState,
        EnrollmentStatus,
        EventSignal,
        ExitRequest,
        PathEntry,
        PauseRequest,
        ReceivedEvent,
    )
    from journeys.contracts.scoring import ScoreRequest, ScoreResult
    from journeys.errors import PERMANENT_DELIVERY_ERROR_TYPE
    from journeys.language.delivery_rules import CappedPolicy
    from journeys.language.evaluation import (
        attribute_holds,
        count_since,
        event_count_holds,
        experiment_arm,
        score_holds,
        stage_holds,
    )
    from journeys.language.steps import (
        AttributeCondition,
        BranchStep,
        Condition,
        DecideStep,
        EventCountCondition,
        ExitStep,
        ExperimentStep,
        HumanTaskStep,
        LifecycleStageCondition,
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
"""With no backup channel left, transient failures retry with backoff so an outage loses nothing."""

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


class _Ending:
    """Why the enrollment is ending, set by signals or exit steps."""

    def __init__(self, status: EnrollmentStatus, outcome: str):
        self.status = status
        self.outcome = outcome


class JourneyInterpreter:
    """Interprets a journey definition for one customer, in one workflow run.

    Args:
        params: The workflow's input.
    """

    def __init__(self, params: EnrollmentInput) -> None:
        self._params = params
        self._definition = params.definition
        self._progress = params.progress or EnrollmentProgress(
            enrollment_id=workflow.info().run_id,
            enrolled_at=workflow.now(),
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

    async def run(self) -> EnrollmentResult:
        """Walk the step graph until an exit step or an exit/goal event."""
        if self._first_run:
            if self._revision >= 1 or workflow.patched(LOCAL_BOOKKEEPING_PATCH):
                status = await workflow.execute_local_activity(
                    BEGIN_ENROLLMENT_ACTIVITY,
                    self._enrollment_record(EnrollmentStatus.ACTIVE, None),
                    result_type=JourneyStatusResult,
                    start_to_close_timeout=STORE_TIMEOUT,
                )
            else:
                await self._record(EnrollmentStatus.ACTIVE, None)
                status = await workflow.execute_activity(
                    GET_JOURNEY_STATUS_ACTIVITY,
                    JourneyStatusRequest(journey_id=self._definition.id),
                    result_type=JourneyStatusResult,
                    start_to_close_timeout=STORE_TIMEOUT,
                )
            self._progress.paused = self._progress.paused or status.paused
        self._publish(resting=False)
        while self._ending is None:
            if not self._entered:
                self._enter(self._progress.current_step)
            step = self._definition.steps[self._progress.current_step]
            try:
                next_step = await self._execute(step)
            except _Suspend:
                await self._continue_as_new()
            if self._ending is None and next_step is not None:
                self._progress.current_step = next_step
                self._entered = False
            if self._ending is None and self._should_continue_as_new():
                await self._continue_as_new()
        await workflow.wait_condition(workflow.all_handlers_finished)
        ending = self._ending
        await self._record(ending.status, ending.outcome)
        self._publish(resting=True)
        return EnrollmentResult(
            status=ending.status,
            outcome=ending.outcome,
            path=[entry.step for entry in self._progress.path],
        )

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
                self._ending = _Ending(EnrollmentStatus.EXITED, "goal_reached")
            elif event.name in self._definition.exit_events:
                self._ending = _Ending(EnrollmentStatus.EXITED, f"exit_event:{event.name}")

    def request_exit(self, request: ExitRequest) -> None:
        """End the enrollment at once, whatever it is waiting for."""
        if self._ending is None:
            self._ending = _Ending(EnrollmentStatus.EXITED, f"exit_requested:{request.reason}")

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
        )

    def _waiting_for(self) -> list[str]:
        step = self._definition.steps.get(self._progress.current_step)
        if isinstance(step, WaitForEventStep):
            return sorted(step.events)
        if isinstance(step, HumanTaskStep):
            return sorted(step.outcomes)
        return []

    def _enter(self, name: str) -> None:
        progress = self._progress
        progress.visits[name] = progress.visits.get(name, 0) + 1
        progress.path.append(PathEntry(step=name, entered_at=workflow.now()))
        progress.wait_until = None
        progress.step_event_seq = progress.last_event_seq
        if len(progress.path) == 1:
            # The first step starts at enrollment, not when its workflow task runs.
            since_entry = self._entry_event_seq()
            if since_entry != progress.step_event_seq and (
                self._revision >= 1 or workflow.patched(EVENTS_SINCE_ENROLLMENT_PATCH)
            ):
                progress.step_event_seq = since_entry
        self._profile = None
        self._entered = True
        self._publish(resting=False)

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
                await self._send(step)
                return step.next
            case WaitStep():
                if step.duration is not None:
                    await self._sleep_until(self._deadline(step.duration), lambda: False)
                else:
                    day = self._progress.enrolled_at + timedelta(days=step.day or 0)
                    if day > workflow.now():
                        await self._sleep_until(self._deadline(day - workflow.now()), lambda: False)
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
                arm = experiment_arm(
                    step.arms, self._definition.id, step.experiment, self._params.customer_id
                )
                return arm.next
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
            self._progress.wait_until = workflow.now() + duration
            self._publish(resting=True)
        return self._progress.wait_until

    async def _calendar_deadline(
        self, step: WaitUntilTimeStep | WaitUntilDateStep
    ) -> datetime | None:
        """The deadline of a calendar wait, resolved once per visit in the customer's zone."""
        if self._progress.wait_until is not None:
            return self._progress.wait_until
        request = WaitDeadlineRequest(
            org_id=self._params.org_id, customer_id=self._params.customer_id, now=workflow.now()
        )
        if isinstance(step, WaitUntilTimeStep):
            request.at, request.weekdays = step.at, list(step.weekdays)
        else:
            request.attribute, request.offset = step.attribute, step.offset
        deadline: WaitDeadline = await workflow.execute_activity(
            RESOLVE_WAIT_DEADLINE_ACTIVITY,
            request,
            result_type=WaitDeadline,
            start_to_close_timeout=STORE_TIMEOUT,
        )
        if deadline.until is None or deadline.until <= workflow.now():
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
            if self._ending is not None:
                return False
            if done():
                return True
            remaining = deadline - workflow.now()
            if remaining <= timedelta(0):
                return False
            try:
                await workflow.wait_condition(
                    lambda: self._ending is not None or done() or self._should_continue_as_new(),
                    timeout=remaining,
                )
            except TimeoutError:
                return done()
            if self._ending is None and not done() and self._should_continue_as_new():
                raise _Suspend

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
                if condition.within is None:
                    count = self._progress.event_counts.get(condition.event, 0)
                else:
                    since = workflow.now() - condition.within
                    count = count_since(
                        [
                            e.occurred_at
                            for e in self._progress.recent_events
                            if e.name == condition.event
                        ],
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
            self._profile = await workflow.execute_activity(
                LOAD_CUSTOMER_PROFILE_ACTIVITY,
                ProfileRequest(org_id=self._params.org_id, customer_id=self._params.customer_id),
                result_type=CustomerProfile,
                start_to_close_timeout=STORE_TIMEOUT,
            )
        return self._profile

    async def _score(self, scorer: str, window_days: int | None) -> ScoreResult | None:
        """Ask a named scorer; None when it keeps failing."""
        context: dict[str, str | int | float | bool] = {
            "as_of": workflow.now().isoformat(),
            "enrolled_at": self._progress.enrolled_at.isoformat(),
            "step": self._progress.current_step,
            "days_since_enrollment": (workflow.now() - self._progress.enrolled_at).days,
        }
        if window_days is not None:
            context["window_days"] = window_days
        try:
            result: ScoreResult = await workflow.execute_activity(
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
            )
        except ActivityError as err:
            workflow.logger.warning("scorer %s failed: %s", scorer, _error_kind(err))
            return None
        return result

    async def _decide(self, step: DecideStep) -> str:
        result = await self._score(step.scorer, step.window_days)
        if result is None:
            choice, rationale = step.otherwise, f"scorer {step.scorer} failed; took otherwise"
            score, tier, inputs = 0.0, None, {}
        else:
            score, tier, inputs = result.score, result.tier, dict(result.inputs)
            choice, rationale = self._choose(step, result)
        candidates = [DecisionCandidate(name=name, score=score) for name in _options(step)]
        await workflow.execute_activity(
            RECORD_DECISION_ACTIVITY,
            DecisionRecord(
                org_id=self._params.org_id,
                customer_id=self._params.customer_id,
                journey_id=self._definition.id,
                workflow_id=workflow.info().workflow_id,
                enrollment_id=self._progress.enrollment_id,
                step_key=self._step_key,
                decision=self._progress.current_step,
                model_name=step.scorer,
                model_version=result.model_version if result else "unavailable",
                inputs={"score": score, "tier": tier, **inputs},
                candidates=candidates,
                choice=choice,
                rationale=rationale,
                decided_at=workflow.now(),
            ),
            start_to_close_timeout=STORE_TIMEOUT,
        )
        self._progress.decisions.append(
            DecisionMade(
                step=self._progress.current_step,
                scorer=step.scorer,
                score=score,
                tier=tier,
                choice=choice,
                decided_at=workflow.now(),
            )
        )
        return choice

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
        await workflow.execute_activity(
            UPDATE_CUSTOMER_PROFILE_ACTIVITY,
            ProfileUpdate(
                org_id=self._params.org_id,
                customer_id=self._params.customer_id,
                attributes=dict(step.attributes),
                lifecycle_stage=step.lifecycle_stage,
            ),
            start_to_close_timeout=STORE_TIMEOUT,
        )
        if step.lifecycle_stage is not None:
            self._progress.lifecycle_stage = step.lifecycle_stage
            self._publish(resting=False)

    async def _human_task(self, step: HumanTaskStep) -> str | None:
        await workflow.execute_activity(
            CREATE_HUMAN_TASK_ACTIVITY,
            HumanTaskRequest(
                org_id=self._params.org_id,
                customer_id=self._params.customer_id,
                journey_id=self._definition.id,
                workflow_id=workflow.info().workflow_id,
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
        )
        if not step.outcomes:
            return step.next
        assert step.timeout is not None
        assert step.on_timeout is not None
        return await self._wait_for_events(step.outcomes, step.timeout, step.on_timeout)

    async def _transition(self, step: TransitionStep) -> None:
        """Enroll in the target journey, then end this enrollment with the step's outcome."""
        result = await workflow.execute_activity(
            ENROLL_IN_JOURNEY_ACTIVITY,
            TransitionRequest(
                org_id=self._params.org_id,
                customer_id=self._params.customer_id,
                journey_id=step.journey,
                from_journey_id=self._definition.id,
                from_workflow_id=workflow.info().workflow_id,
            ),
            result_type=TransitionResult,
            start_to_close_timeout=STORE_TIMEOUT,
        )
        if not result.enrolled:
            workflow.logger.warning("transition to %s refused: %s", step.journey, result.detail)
        self._ending = _Ending(EnrollmentStatus.COMPLETED, step.outcome)

    async def _hold_while_paused(self) -> None:
        """Hold before a send while the journey is paused."""
        if not self._progress.paused:
            return
        self._publish(resting=True)
        await workflow.wait_condition(
            lambda: (
                not self._progress.paused
                or self._ending is not None
                or self._should_continue_as_new()
            )
        )
        if self._progress.paused and self._ending is None:
            raise _Suspend
        self._publish(resting=False)

    async def _send(self, step: SendStep) -> None:
        """Try the fallback chain in order until one channel sends.

        ``DEFERRED`` (quiet hours) sleeps until ``retry_at`` and retries the same
        channel; ``CAPPED`` follows ``on_capped``; ``SUPPRESSED`` and ``FAILED``
        move to the next channel; ``UNKNOWN`` is never resent.
        """
        await self._hold_while_paused()
        data = {**self._decision_data(), **step.data}
        deferrals = 0
        for position, channel in enumerate(step.channels, start=1):
            retry = (
                SEND_RETRY_LAST_CHANNEL
                if position == len(step.channels)
                else SEND_RETRY_BEFORE_FALLBACK
            )
            while self._ending is None:
                step_key = self._step_key if deferrals == 0 else f"{self._step_key}.{deferrals}"
                outcome = await self._deliver(
                    SendRequest(
                        org_id=self._params.org_id,
                        customer_id=self._params.customer_id,
                        journey_id=self._definition.id,
                        journey_version=self._definition.version,
                        workflow_id=workflow.info().workflow_id,
                        enrollment_id=self._progress.enrollment_id,
                        step_key=step_key,
                        channel=channel,
                        template=step.template,
                        data=data,
                        frequency_caps=list(self._definition.frequency_caps),
                        quiet_hours=self._definition.quiet_hours,
                        requested_at=workflow.now(),
                        attempts_allowed=retry.maximum_attempts,
                    ),
                    retry,
                )
                status = outcome.status if outcome else SendStatus.FAILED
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
                retry_at = (outcome.retry_at if outcome else None) or (
                    workflow.now() + DEFAULT_RETRY_DELAY
                )
                await self._defer_until(retry_at)
            if self._ending is not None:
                return

    async def _deliver(self, request: SendRequest, retry: RetryPolicy) -> SendOutcome | None:
        try:
            outcome: SendOutcome = await workflow.execute_activity(
                DELIVER_MESSAGE_ACTIVITY,
                request,
                result_type=SendOutcome,
                start_to_close_timeout=SEND_TIMEOUT,
                retry_policy=retry,
            )
        except ActivityError as err:
            workflow.logger.warning(
                "send failed on %s, trying the next channel (%s)",
                request.channel.value,
                _error_kind(err),
            )
            return None
        return outcome

    async def _defer_until(self, retry_at: datetime) -> None:
        """A durable sleep until a deferred send may be retried (an ending cuts it short)."""
        self._progress.wait_until = retry_at
        self._publish(resting=True)
        remaining = retry_at - workflow.now()
        if remaining > timedelta(0):
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._ending is not None, timeout=remaining)
        self._progress.wait_until = None
        self._publish(resting=False)

    def _decision_data(self) -> dict[str, str]:
        """Personalisation from this enrollment's decisions: ``decision_<step>`` = tier/choice."""
        return {
            f"decision_{decision.step}": decision.tier or decision.choice
            for decision in self._progress.decisions
        }

    async def _record(self, status: EnrollmentStatus, outcome: str | None) -> None:
        record = self._enrollment_record(status, outcome)
        if self._revision >= 1 or workflow.patched(LOCAL_BOOKKEEPING_PATCH):
            await workflow.execute_local_activity(
                RECORD_ENROLLMENT_ACTIVITY, record, start_to_close_timeout=STORE_TIMEOUT
            )
        else:
            await workflow.execute_activity(
                RECORD_ENROLLMENT_ACTIVITY, record, start_to_close_timeout=STORE_TIMEOUT
            )

    def _enrollment_record(self, status: EnrollmentStatus, outcome: str | None) -> EnrollmentRecord:
        return EnrollmentRecord(
            org_id=self._params.org_id,
            customer_id=self._params.customer_id,
            journey_id=self._definition.id,
            journey_version=self._definition.version,
            workflow_id=workflow.info().workflow_id,
            enrollment_id=self._progress.enrollment_id,
            status=status,
            outcome=outcome,
            at=workflow.now(),
        )

    def _should_continue_as_new(self) -> bool:
        return (
            workflow.info().is_continue_as_new_suggested()
            or self._signals_this_run >= self._params.max_signals_per_run
        )

    async def _continue_as_new(self) -> NoReturn:
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._revision < 1:
            workflow.continue_as_new(self._params.model_copy(update={"progress": self._progress}))
        self._progress.step_entered = self._entered
        # Steps passed since the last rest are not upserted yet: the next run starts with
        # the current attributes instead.
        workflow.continue_as_new(
            self._params.model_copy(update={"progress": self._progress}),
            search_attributes=TypedSearchAttributes(self._wanted_attributes()),
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
            current = workflow.info().typed_search_attributes
            changed: list[SearchAttributeUpdate[str] | SearchAttributeUpdate[int]] = [
                pair.key.value_set(pair.value)  # type: ignore[arg-type]
                for pair in self._wanted_attributes()
                if current.get(pair.key) != pair.value
            ]
            if changed:
                workflow.upsert_search_attributes(changed)
        workflow.set_current_details(self._describe())

    def _wanted_attributes(self) -> list[SearchAttributePair[str] | SearchAttributePair[int]]:
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


def _error_kind(err: ActivityError) -> Any:
    cause = err.cause
    return cause.type if isinstance(cause, ApplicationError) else type(cause).__name__
