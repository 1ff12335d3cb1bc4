"""The simulator's runtime: the journey interpreter on a virtual clock, in process.

:class:`SimulatedRuntime` implements :class:`workflows.runtime.JourneyRuntime`
for one enrollment; :func:`run_enrollment` drives it as a discrete-event
simulation: virtual time jumps from one event to the next on a priority queue
of the customer's delivered events and the interpreter's timers, each event is
handed to the interpreter at its time (as a signal), and activities are called
directly (:class:`~journeys.simulation.activities.SimulatedActivities`), so a
30-day journey takes milliseconds. The interpreter is the one that runs inside
``JourneyWorkflow``; nothing here copies it.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NoReturn, Protocol, TypeVar, cast

from temporalio.common import (
    RetryPolicy,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)

from journeys.contracts.enrollment import (
    INTERPRETER_REVISION,
    EnrollmentInput,
    EnrollmentResult,
    EventSignal,
    enrollment_workflow_id,
)
from journeys.language import JourneyDefinition
from workflows.journey_interpreter import JourneyInterpreter
from workflows.runtime import AttributePair, AttributeUpdate

ResultT = TypeVar("ResultT")

EVENTS_FIRST = 0
"""At one instant, events are delivered before timers fire (see :func:`run_enrollment`)."""

TIMERS_AFTER_EVENTS = 1


class ActivityCaller(Protocol):
    """What the runtime calls activities on (the simulator's in-memory activities)."""

    def call(self, activity: str, arg: Any, now: datetime) -> Any:
        """Run ``activity`` on ``arg`` at the virtual time ``now`` to its result.

        Raises:
            workflows.runtime.ActivityCallFailed: the activity failed for good.
        """
        ...


class _Wait:
    """A suspended ``wait_condition``, resumed when its condition holds or it times out."""

    __slots__ = ("condition", "deadline", "timed_out")

    def __init__(self, condition: Callable[[], bool], deadline: datetime | None) -> None:
        self.condition = condition
        self.deadline = deadline
        self.timed_out = False

    def __await__(self) -> Generator[_Wait, None, None]:
        yield self
        if self.timed_out:
            raise TimeoutError


class _AttributeMirror(TypedSearchAttributes):
    """Search attributes kept by name (the interpreter compares them at every rest)."""

    def __init__(self) -> None:
        object.__setattr__(self, "pairs", {})

    @property
    def search_attributes(self) -> list[SearchAttributePair[Any]]:
        """The attributes as the SDK lists them (built only when asked)."""
        return list(self.pairs.values())  # type: ignore[attr-defined]

    def set(self, pairs: Iterable[SearchAttributePair[Any]], *, replace: bool = False) -> None:
        """Set these attributes (``replace``: and unset every other)."""
        by_name: dict[str, SearchAttributePair[Any]] = self.pairs  # type: ignore[attr-defined]
        if replace:
            by_name.clear()
        by_name.update((pair.key.name, pair) for pair in pairs)

    def remove(self, name: str) -> None:
        """Unset an attribute."""
        self.pairs.pop(name, None)  # type: ignore[attr-defined]

    def __getitem__(self, key: SearchAttributeKey[Any]) -> Any:
        return self.pairs[key.name].value  # type: ignore[attr-defined]


class ContinuedAsNew(Exception):
    """A run ended by continuing as new; the driver starts the next run with ``params``."""

    def __init__(self, params: EnrollmentInput) -> None:
        super().__init__("continue as new")
        self.params = params


class SimulatedRuntime:
    """The runtime of one simulated enrollment run: virtual time, direct activity calls.

    Args:
        workflow_id: The enrollment's workflow id (as Temporal would derive it).
        run_id: The run's id (deterministic: the workflow id and the run's number).
        clock: The virtual clock (the driver's current time).
        activities: The in-memory activities.
        attributes: The enrollment's search attributes, carried from run to run.
    """

    def __init__(
        self,
        workflow_id: str,
        run_id: str,
        clock: Callable[[], datetime],
        activities: ActivityCaller,
        attributes: _AttributeMirror,
    ) -> None:
        self._workflow_id = workflow_id
        self._run_id = run_id
        self._clock = clock
        self._activities = activities
        self._attributes = attributes

    @property
    def workflow_id(self) -> str:
        """The enrollment's workflow id."""
        return self._workflow_id

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self._run_id

    def now(self) -> datetime:
        """Virtual time."""
        return self._clock()

    def patched(self, patch_id: str) -> bool:
        """Always the patched branch: a simulated enrollment is new, never a replay."""
        return True

    async def execute_activity(
        self,
        activity: str,
        arg: Any,
        *,
        result_type: type[ResultT] | None = None,
        start_to_close_timeout: timedelta,
        schedule_to_close_timeout: timedelta | None = None,
        retry_policy: RetryPolicy | None = None,
        local: bool = False,
        summary: str | None = None,
    ) -> ResultT:
        """Call the in-memory activity at once (no virtual time passes)."""
        return cast(ResultT, self._activities.call(activity, arg, self._clock()))

    async def wait_condition(
        self,
        condition: Callable[[], bool],
        *,
        within: timedelta | None = None,
        summary: str | None = None,
    ) -> None:
        """Suspend until the driver finds ``condition()`` true or ``within`` passed.

        Raises:
            TimeoutError: ``within`` passed first.
        """
        if condition():
            return
        await _Wait(condition, None if within is None else self._clock() + within)

    async def wait_for_handlers(self) -> None:
        """Signal handlers run to completion when delivered: nothing to wait for."""

    def continue_as_new_suggested(self) -> bool:
        """Never: a simulated run has no history to grow (signal counts still continue)."""
        return False

    def continue_as_new(
        self,
        params: Any,
        search_attributes: Sequence[AttributePair] | None = None,
    ) -> NoReturn:
        """End the run; the driver starts the next one with ``params``."""
        if search_attributes is not None:
            self._attributes.set(search_attributes, replace=True)
        raise ContinuedAsNew(params)

    def search_attributes(self) -> TypedSearchAttributes:
        """The enrollment's search attributes as the interpreter last set them."""
        return self._attributes

    def upsert_search_attributes(self, updates: Sequence[AttributeUpdate]) -> None:
        """Keep the attributes (only to tell the interpreter what changed)."""
        for update in updates:
            key = cast(SearchAttributeKey[Any], update.key)
            if update.value is None:
                self._attributes.remove(key.name)
            else:
                self._attributes.set([SearchAttributePair(key, update.value)])

    def set_details(self, details: Callable[[], str]) -> None:
        """A simulation shows no current details: the describer is never called."""

    def warn(self, message: str, *args: object) -> None:
        """Warnings are not logged per enrollment in a simulation."""


@dataclass(frozen=True)
class DeliveredEvent:
    """An event handed to the enrollment at ``signal.occurred_at`` (as the router would)."""

    signal: EventSignal


@dataclass
class EnrollmentRun:
    """How a simulated enrollment ended (or where it stood at the horizon).

    Attributes:
        result: The workflow's result; None when still running at the horizon.
        current_step: Where a still-running enrollment stood.
        runs: Workflow runs (1 + continue-as-new count).
        path: Steps visited, in order (also for a still-running enrollment).
    """

    result: EnrollmentResult | None
    current_step: str
    runs: int
    path: list[str] = field(default_factory=list)


def run_enrollment(  # noqa: C901 - one enrollment's loop, one case per step outcome
    definition: JourneyDefinition,
    *,
    org_id: str,
    customer_id: str,
    enrolled_at: datetime,
    events: Iterable[EventSignal],
    activities: ActivityCaller,
    horizon: datetime,
    max_signals_per_run: int,
    lifecycle_stage: str | None = None,
    entry_event: EventSignal | None = None,
) -> EnrollmentRun:
    """Run one enrollment on a virtual clock from ``enrolled_at`` until it ends or ``horizon``.

    The delivered ``events`` go on a priority queue with the interpreter's
    timers; virtual time jumps to the earliest. An event due at the same
    instant as a timer is delivered first: on Temporal an enrollment starts a
    moment after the reference time its customer's events are dated from, so
    an event of journey day N arrives just before the enrollment's day-N
    timers. The ``entry_event`` is delivered before the run starts (as
    signal-with-start does); other events of the enrollment instant after the
    first workflow task, as a client's signals after it started an enrollment.
    """
    clock = [enrolled_at]
    queue: list[tuple[datetime, int, int, _Wait | EventSignal]] = []
    sequence = 0
    for signal in events:
        queue.append((signal.occurred_at, EVENTS_FIRST, sequence, signal))
        sequence += 1
    heapq.heapify(queue)
    workflow_id = enrollment_workflow_id(org_id, definition.routing_key, customer_id)
    attributes = _AttributeMirror()
    # Built without validation: the definition was validated when loaded, and
    # validating it again per enrollment would cost more than running it.
    params = EnrollmentInput.model_construct(
        org_id=org_id,
        customer_id=customer_id,
        definition=definition,
        max_signals_per_run=max_signals_per_run,
        lifecycle_stage=lifecycle_stage,
        entry_event_id=entry_event.event_id if entry_event else None,
        interpreter_revision=INTERPRETER_REVISION,
        progress=None,
    )
    runs = 0

    def start(params: EnrollmentInput) -> JourneyInterpreter:
        """A new workflow run of the enrollment (the first, or after continue-as-new)."""
        nonlocal runs
        runs += 1
        runtime = SimulatedRuntime(
            workflow_id, f"{workflow_id}/run-{runs}", lambda: clock[0], activities, attributes
        )
        return JourneyInterpreter(params, runtime)

    interpreter = start(params)
    coroutine = interpreter.run()
    pending: _Wait | None = None
    result: EnrollmentResult | None = None
    if entry_event is not None:
        interpreter.record_event(entry_event)

    def advance() -> None:
        """Run the coroutine to its next wait (through any continue-as-new) or its end."""
        nonlocal pending, result, interpreter, coroutine, sequence
        while True:
            try:
                yielded = coroutine.send(None)
            except StopIteration as stop:
                result = stop.value
                pending = None
                return
            except ContinuedAsNew as continued:
                interpreter = start(continued.params)
                coroutine = interpreter.run()
                continue
            pending = cast(_Wait, yielded)
            if pending.deadline is not None:
                heapq.heappush(queue, (pending.deadline, TIMERS_AFTER_EVENTS, sequence, pending))
                sequence += 1
            return

    advance()
    while result is None and queue:
        at, _, _, item = queue[0]
        if at > horizon:
            break
        heapq.heappop(queue)
        if isinstance(item, _Wait):
            if item is not pending:
                continue
            clock[0] = max(clock[0], at)
            item.timed_out = True
            advance()
            continue
        clock[0] = max(clock[0], at)
        interpreter.record_event(item)
        if pending is not None and pending.condition():
            advance()
    if result is None:
        coroutine.close()
    state = interpreter.state()
    return EnrollmentRun(
        result=result,
        current_step=state.current_step,
        runs=runs,
        path=[entry.step for entry in state.path],
    )
