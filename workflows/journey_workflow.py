"""The one generic workflow that interprets any journey definition.

One run of this workflow is one customer's enrollment in one journey. The
definition is carried in the input (and through continue-as-new), so a running
enrollment never changes when a new version is published. Deterministic: time
comes from ``workflow.now()``; all side effects happen in activities.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NoReturn

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from journeys import search_attributes as sa
    from journeys.activity_contracts import (
        DELIVER_MESSAGE_ACTIVITY,
        RECORD_ENROLLMENT_ACTIVITY,
        EnrollmentRecord,
        SendOutcome,
        SendRequest,
        SendStatus,
    )
    from journeys.enrollment_contracts import (
        MAX_REMEMBERED_EVENT_IDS,
        MAX_REMEMBERED_EVENTS,
        EnrollmentInput,
        EnrollmentProgress,
        EnrollmentResult,
        EnrollmentState,
        EnrollmentStatus,
        EventSignal,
        ExitRequest,
        PathEntry,
        ReceivedEvent,
    )
    from journeys.errors import PERMANENT_DELIVERY_ERROR_TYPE
    from journeys.language.steps import (
        BranchStep,
        ExitStep,
        SendStep,
        Step,
        WaitForEventStep,
        WaitStep,
    )

STORE_TIMEOUT = timedelta(seconds=30)
SEND_TIMEOUT = timedelta(seconds=60)
SEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=6,
    non_retryable_error_types=[PERMANENT_DELIVERY_ERROR_TYPE],
)
"""Transient failures retry with backoff; after that the next channel is tried."""


class _Suspend(Exception):
    """Raised inside a wait when the run should continue as new first."""


class _Ending:
    """Why the enrollment is ending, set by signals or exit steps."""

    def __init__(self, status: EnrollmentStatus, outcome: str):
        self.status = status
        self.outcome = outcome


@workflow.defn(name="JourneyWorkflow")
class JourneyWorkflow:
    """Interprets a journey definition for one customer."""

    @workflow.init
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
        self._entered = not self._first_run
        self._signals_this_run = 0
        self._ending: _Ending | None = None
        self._seen = set(self._progress.seen_event_ids)

    @workflow.run
    async def run(self, params: EnrollmentInput) -> EnrollmentResult:
        """Walk the step graph until an exit step or an exit/goal event."""
        if self._first_run:
            await self._record(EnrollmentStatus.ACTIVE, None)
        self._publish()
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
        self._publish()
        return EnrollmentResult(
            status=ending.status,
            outcome=ending.outcome,
            path=[entry.step for entry in self._progress.path],
        )

    @workflow.signal(name="record_event")
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

    @workflow.signal(name="request_exit")
    def request_exit(self, request: ExitRequest) -> None:
        """End the enrollment at once, whatever it is waiting for."""
        if self._ending is None:
            self._ending = _Ending(EnrollmentStatus.EXITED, f"exit_requested:{request.reason}")

    @workflow.query(name="state")
    def state(self) -> EnrollmentState:
        """The enrollment's current step, what it waits for, its path and counts."""
        step = self._definition.steps.get(self._progress.current_step)
        return EnrollmentState(
            org_id=self._params.org_id,
            customer_id=self._params.customer_id,
            journey_id=self._definition.id,
            journey_version=self._definition.version,
            enrollment_id=self._progress.enrollment_id,
            status=self._ending.status if self._ending else EnrollmentStatus.ACTIVE,
            current_step=self._progress.current_step,
            waiting_for=sorted(step.events) if isinstance(step, WaitForEventStep) else [],
            wait_until=self._progress.wait_until,
            path=list(self._progress.path),
            event_counts=dict(self._progress.event_counts),
            outcome=self._ending.outcome if self._ending else None,
        )

    def _enter(self, name: str) -> None:
        progress = self._progress
        progress.visits[name] = progress.visits.get(name, 0) + 1
        progress.path.append(PathEntry(step=name, entered_at=workflow.now()))
        progress.wait_until = None
        progress.step_event_seq = progress.last_event_seq
        self._entered = True
        self._publish()

    async def _execute(self, step: Step) -> str | None:
        """Run one step; return the next step's name (None when the journey ends)."""
        match step:
            case SendStep():
                await self._send(step)
                return step.next
            case WaitStep():
                await self._sleep_until(self._deadline(step.duration), lambda: False)
                return step.next
            case WaitForEventStep():
                return await self._wait_for_event(step)
            case BranchStep():
                for case in step.cases:
                    count = self._progress.event_counts.get(case.when.event, 0)
                    if count >= case.when.at_least:
                        return case.next
                return step.otherwise
            case ExitStep():
                self._ending = _Ending(EnrollmentStatus.COMPLETED, step.outcome)
                return None

    def _deadline(self, duration: timedelta) -> datetime:
        """The current wait's deadline, fixed when the wait first starts."""
        if self._progress.wait_until is None:
            self._progress.wait_until = workflow.now() + duration
            self._publish()
        return self._progress.wait_until

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

    async def _wait_for_event(self, step: WaitForEventStep) -> str | None:
        deadline = self._deadline(step.timeout)

        def first_match() -> ReceivedEvent | None:
            for event in self._progress.recent_events:
                if event.seq > self._progress.step_event_seq and event.name in step.events:
                    return event
            return None

        if await self._sleep_until(deadline, lambda: first_match() is not None):
            matched = first_match()
            assert matched is not None
            return step.events[matched.name]
        if self._ending is not None:
            return None
        return step.on_timeout

    async def _send(self, step: SendStep) -> None:
        """Try the fallback chain in order until one channel sends."""
        name = self._progress.current_step
        step_key = f"{name}#{self._progress.visits.get(name, 1)}"
        for channel in step.channels:
            request = SendRequest(
                org_id=self._params.org_id,
                customer_id=self._params.customer_id,
                journey_id=self._definition.id,
                journey_version=self._definition.version,
                workflow_id=workflow.info().workflow_id,
                enrollment_id=self._progress.enrollment_id,
                step_key=step_key,
                channel=channel,
                template=step.template,
                data=step.data,
            )
            try:
                outcome = await workflow.execute_activity(
                    DELIVER_MESSAGE_ACTIVITY,
                    request,
                    result_type=SendOutcome,
                    start_to_close_timeout=SEND_TIMEOUT,
                    retry_policy=SEND_RETRY,
                )
            except ActivityError as err:
                cause = err.cause
                kind = cause.type if isinstance(cause, ApplicationError) else type(cause).__name__
                workflow.logger.warning(
                    "send failed on %s, trying the next channel (%s)", channel.value, kind
                )
                continue
            if outcome.status is SendStatus.SENT:
                return

    async def _record(self, status: EnrollmentStatus, outcome: str | None) -> None:
        await workflow.execute_activity(
            RECORD_ENROLLMENT_ACTIVITY,
            EnrollmentRecord(
                org_id=self._params.org_id,
                customer_id=self._params.customer_id,
                journey_id=self._definition.id,
                journey_version=self._definition.version,
                workflow_id=workflow.info().workflow_id,
                enrollment_id=self._progress.enrollment_id,
                status=status,
                outcome=outcome,
                at=workflow.now(),
            ),
            start_to_close_timeout=STORE_TIMEOUT,
        )

    def _should_continue_as_new(self) -> bool:
        return (
            workflow.info().is_continue_as_new_suggested()
            or self._signals_this_run >= self._params.max_signals_per_run
        )

    async def _continue_as_new(self) -> NoReturn:
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(self._params.model_copy(update={"progress": self._progress}))

    def _publish(self) -> None:
        """Mirror the state into search attributes and the UI's current details."""
        status = self._ending.status if self._ending else EnrollmentStatus.ACTIVE
        progress = self._progress
        wanted: list[
            tuple[sa.SearchAttributeKey[str], str] | tuple[sa.SearchAttributeKey[int], int]
        ] = [
            (sa.CUSTOMER_ID, self._params.customer_id),
            (sa.ORG_ID, self._params.org_id),
            (sa.JOURNEY_ID, self._definition.id),
            (sa.JOURNEY_VERSION, self._definition.version),
            (sa.CURRENT_STEP, progress.current_step),
            (sa.STATUS, status.value),
        ]
        if progress.lifecycle_stage:
            wanted.append((sa.LIFECYCLE_STAGE, progress.lifecycle_stage))
        current = workflow.info().typed_search_attributes
        changed: list[SearchAttributeUpdate[str] | SearchAttributeUpdate[int]] = [
            key.value_set(value)  # type: ignore[arg-type]
            for key, value in wanted
            if current.get(key) != value
        ]
        if changed:
            workflow.upsert_search_attributes(changed)
        workflow.set_current_details(self._describe(status))

    def _describe(self, status: EnrollmentStatus) -> str:
        progress = self._progress
        head = f"{self._definition.key} · {self._params.customer_id} · {status.value}"
        if self._ending is not None:
            return f"{head}: {self._ending.outcome}"
        step = self._definition.steps.get(progress.current_step)
        doing = f"at step {progress.current_step!r}"
        if isinstance(step, WaitForEventStep):
            doing += f", waiting for {' or '.join(sorted(step.events))}"
        if progress.wait_until is not None:
            doing += f" until {progress.wait_until.isoformat(timespec='seconds')}"
        return f"{head}: {doing}"
