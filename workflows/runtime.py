"""The runtime boundary between the journey interpreter and what runs it.

:class:`~workflows.journey_interpreter.JourneyInterpreter` reads the clock,
waits, calls activities and mirrors its state only through a
:class:`JourneyRuntime`. :class:`TemporalRuntime` implements it with the
workflow API (one call each, so a history records exactly the commands the
interpreter always issued); the simulator implements it on a virtual clock in
process. One interpreter, two runtimes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, NoReturn, Protocol, TypeVar

from temporalio import workflow
from temporalio.common import (
    RetryPolicy,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)
from temporalio.exceptions import ActivityError, ApplicationError, RetryState

ResultT = TypeVar("ResultT")

AttributePair = (
    SearchAttributePair[str] | SearchAttributePair[int] | SearchAttributePair[Sequence[str]]
)
AttributeUpdate = (
    SearchAttributeUpdate[str] | SearchAttributeUpdate[int] | SearchAttributeUpdate[Sequence[str]]
)


class ActivityCallFailed(Exception):
    """An activity failed for good (its retries exhausted or its error non-retryable).

    Args:
        kind: The error's type name (an ``ApplicationError`` type, or the exception class).
        timed_out: Whether its retries stopped because a timeout (schedule-to-close) passed.
    """

    def __init__(self, kind: str, *, timed_out: bool = False) -> None:
        super().__init__(kind)
        self.kind = kind
        self.timed_out = timed_out


class JourneyRuntime(Protocol):
    """What the interpreter needs from whatever runs it: time, waiting, activities, mirrors."""

    @property
    def workflow_id(self) -> str:
        """The enrollment's workflow id."""
        ...

    @property
    def run_id(self) -> str:
        """The current run's id (the enrollment id of a first run)."""
        ...

    def now(self) -> datetime:
        """The current (deterministic or virtual) time."""
        ...

    def patched(self, patch_id: str) -> bool:
        """Whether the run takes the patched branch of ``patch_id``."""
        ...

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
        """Run an activity to its result.

        It is retried until ``schedule_to_close_timeout``, if given; ``summary`` is
        what the UI shows for it.

        Raises:
            ActivityCallFailed: the activity failed for good.
        """
        ...

    async def wait_condition(
        self,
        condition: Callable[[], bool],
        *,
        within: timedelta | None = None,
        summary: str | None = None,
    ) -> None:
        """Wait until ``condition()`` holds (``summary``: what the UI shows for its timer).

        Raises:
            TimeoutError: ``within`` passed first.
        """
        ...

    async def wait_for_handlers(self) -> None:
        """Wait until every signal handler has finished."""
        ...

    def continue_as_new_suggested(self) -> bool:
        """Whether the run's history is long enough to continue as new."""
        ...

    def continue_as_new(
        self,
        params: Any,
        search_attributes: Sequence[AttributePair] | None = None,
    ) -> NoReturn:
        """End this run and start the next with ``params``."""
        ...

    def search_attributes(self) -> TypedSearchAttributes:
        """The enrollment's current search attributes."""
        ...

    def upsert_search_attributes(self, updates: Sequence[AttributeUpdate]) -> None:
        """Change search attributes."""
        ...

    def set_details(self, details: Callable[[], str]) -> None:
        """Show what the enrollment does now (the UI's current details).

        Args:
            details: Describes it; a runtime that shows nothing need not call it.
        """
        ...

    def warn(self, message: str, *args: object) -> None:
        """Log a warning about this enrollment (replay-safe)."""
        ...


class TemporalRuntime:
    """The runtime of a Temporal workflow: each method is one call of the workflow API."""

    @property
    def workflow_id(self) -> str:
        """The enrollment's workflow id."""
        return workflow.info().workflow_id

    @property
    def run_id(self) -> str:
        """The current run's id."""
        return workflow.info().run_id

    def now(self) -> datetime:
        """Workflow time."""
        return workflow.now()

    def patched(self, patch_id: str) -> bool:
        """``workflow.patched``."""
        return workflow.patched(patch_id)

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
        """A (local) activity, its failure raised as :class:`ActivityCallFailed`.

        The summary is user metadata of the command: the UI shows it, replay ignores it.
        """
        try:
            if local:
                result: ResultT = await workflow.execute_local_activity(
                    activity,
                    arg,
                    result_type=result_type,
                    start_to_close_timeout=start_to_close_timeout,
                    schedule_to_close_timeout=schedule_to_close_timeout,
                    retry_policy=retry_policy,
                    summary=summary,
                )
            else:
                result = await workflow.execute_activity(
                    activity,
                    arg,
                    result_type=result_type,
                    start_to_close_timeout=start_to_close_timeout,
                    schedule_to_close_timeout=schedule_to_close_timeout,
                    retry_policy=retry_policy,
                    summary=summary,
                )
        except ActivityError as err:
            cause = err.cause
            kind = cause.type if isinstance(cause, ApplicationError) else type(cause).__name__
            timed_out = err.retry_state is RetryState.TIMEOUT
            raise ActivityCallFailed(str(kind), timed_out=timed_out) from err
        return result

    async def wait_condition(
        self,
        condition: Callable[[], bool],
        *,
        within: timedelta | None = None,
        summary: str | None = None,
    ) -> None:
        """``workflow.wait_condition``; a timer (with its summary) only when ``within`` is given."""
        await workflow.wait_condition(condition, timeout=within, timeout_summary=summary)

    async def wait_for_handlers(self) -> None:
        """Wait for ``workflow.all_handlers_finished``."""
        await workflow.wait_condition(workflow.all_handlers_finished)

    def continue_as_new_suggested(self) -> bool:
        """The server's suggestion."""
        return workflow.info().is_continue_as_new_suggested()

    def continue_as_new(
        self,
        params: Any,
        search_attributes: Sequence[AttributePair] | None = None,
    ) -> NoReturn:
        """``workflow.continue_as_new``, with the next run's search attributes if given."""
        if search_attributes is None:
            workflow.continue_as_new(params)
        workflow.continue_as_new(
            params, search_attributes=TypedSearchAttributes(list(search_attributes))
        )

    def search_attributes(self) -> TypedSearchAttributes:
        """The run's typed search attributes."""
        return workflow.info().typed_search_attributes

    def upsert_search_attributes(self, updates: Sequence[AttributeUpdate]) -> None:
        """``workflow.upsert_search_attributes``."""
        workflow.upsert_search_attributes(list(updates))

    def set_details(self, details: Callable[[], str]) -> None:
        """``workflow.set_current_details``."""
        workflow.set_current_details(details())

    def warn(self, message: str, *args: object) -> None:
        """``workflow.logger.warning`` (silent during replay)."""
        workflow.logger.warning(message, *args)
