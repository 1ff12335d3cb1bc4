"""The workflow a Temporal Schedule starts to check journey health (seed 000's alerts).

One activity does the work (store reads, alert rows, webhook deliveries); the
workflow passes it the run's time, so a delayed or re-run check judges the
period it was scheduled for.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from journeys.contracts.activities import CHECK_JOURNEY_HEALTH_ACTIVITY
from journeys.contracts.health import (
    HEALTH_CHECK_WORKFLOW,
    HealthCheckRequest,
    HealthCheckResult,
)

CHECK_TIMEOUT = timedelta(minutes=5)
CHECK_RETRY = RetryPolicy(maximum_attempts=3)


@workflow.defn(name=HEALTH_CHECK_WORKFLOW)
class JourneyHealthCheckWorkflow:
    """Evaluate every journey's health once."""

    @workflow.run
    async def run(self) -> HealthCheckResult:
        """Run the check as of the workflow's start time."""
        result: HealthCheckResult = await workflow.execute_activity(
            CHECK_JOURNEY_HEALTH_ACTIVITY,
            HealthCheckRequest(now=workflow.now()),
            result_type=HealthCheckResult,
            start_to_close_timeout=CHECK_TIMEOUT,
            retry_policy=CHECK_RETRY,
            summary="check journey health (seed 000 alerts)",
        )
        return result
