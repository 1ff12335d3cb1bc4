"""The one generic workflow that interprets any journey definition.

One run of this workflow is one customer's enrollment in one journey. Its steps
are walked by :class:`workflows.journey_interpreter.JourneyInterpreter`; this
module holds only what Temporal needs to see: the workflow, its signals and its
query. In the workflow sandbox (the test suite, the replay gate, and workers with
``workflow_sandbox``) the interpreter is imported inside it, so the sandbox
checks every line of it.
"""

from __future__ import annotations

from temporalio import workflow

from workflows.journey_interpreter import JourneyInterpreter
from workflows.runtime import TemporalRuntime

with workflow.unsafe.imports_passed_through():
    from journeys.contracts.enrollment import (
        EnrollmentInput,
        EnrollmentResult,
        EnrollmentState,
        EventSignal,
        ExitRequest,
        PauseRequest,
        RolloutDirective,
    )


@workflow.defn(name="JourneyWorkflow")
class JourneyWorkflow:
    """One customer's enrollment in one journey."""

    @workflow.init
    def __init__(self, params: EnrollmentInput) -> None:
        self._interpreter = JourneyInterpreter(params, TemporalRuntime())

    @workflow.run
    async def run(self, params: EnrollmentInput) -> EnrollmentResult:
        """Walk the step graph until an exit step or an exit/goal event."""
        return await self._interpreter.run()

    @workflow.signal(name="record_event")
    def record_event(self, event: EventSignal) -> None:
        """Receive a behaviour event; duplicates (same event id) are dropped."""
        self._interpreter.record_event(event)

    @workflow.signal(name="request_exit")
    def request_exit(self, request: ExitRequest) -> None:
        """End the enrollment at once, whatever it is waiting for."""
        self._interpreter.request_exit(request)

    @workflow.signal(name="set_paused")
    def set_paused(self, request: PauseRequest) -> None:
        """Pause (hold before the next send) or resume the enrollment where it was."""
        self._interpreter.set_paused(request)

    @workflow.signal(name="apply_rollout")
    def apply_rollout(self, directive: RolloutDirective) -> None:
        """Drain or migrate at the next rest point: the enrollment's version was retired."""
        self._interpreter.apply_rollout(directive)

    @workflow.query(name="state")
    def state(self) -> EnrollmentState:
        """The enrollment's current step, what it waits for, its path and decisions."""
        return self._interpreter.state()
