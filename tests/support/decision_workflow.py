"""A small workflow that asks the next-best-action activity and reports the outcome."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from journeys.contracts.activities import NEXT_BEST_ACTION_ACTIVITY
    from journeys.decisioning.next_best_action import (
        NextBestActionDecision,
        NextBestActionRequest,
    )


@workflow.defn
class DecideOnceWorkflow:
    """Decide once; return the choice, or the error type the activity failed with."""

    @workflow.run
    async def run(self, request: NextBestActionRequest) -> str:
        try:
            decision = await workflow.execute_activity(
                NEXT_BEST_ACTION_ACTIVITY,
                request,
                result_type=NextBestActionDecision,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=5),
            )
        except ActivityError as err:
            cause = err.cause
            return f"error:{cause.type}" if isinstance(cause, ApplicationError) else "error"
        return str(decision.choice)
