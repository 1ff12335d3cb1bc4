"""Worker interceptors feeding the engine's Prometheus metrics.

They read what the activities and the workflow already carry (enrollment
records, decision activity names), so no engine code counts anything itself.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from temporalio import activity, workflow
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    ExecuteWorkflowInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from activities.message_delivery import ATTEMPTS_METRIC, SENDS_METRIC
from journeys.analytics import prometheus_metrics as metrics
from journeys.contracts.activities import (
    BEGIN_ENROLLMENT_ACTIVITY,
    CHOOSE_RETENTION_OFFER_ACTIVITY,
    COMPUTE_SCORE_ACTIVITY,
    NEXT_BEST_ACTION_ACTIVITY,
    RECORD_ENROLLMENT_ACTIVITY,
    SELECT_CHANNEL_ACTIVITY,
    EnrollmentRecord,
)
from journeys.contracts.enrollment import EnrollmentInput, EnrollmentStatus

DECISION_ACTIVITIES = {
    COMPUTE_SCORE_ACTIVITY,
    NEXT_BEST_ACTION_ACTIVITY,
    CHOOSE_RETENTION_OFFER_ACTIVITY,
    SELECT_CHANNEL_ACTIVITY,
}
"""Activities whose latency and errors are decision metrics."""

DELIVERY_COUNTERS = metrics.DeliveryCounters(SENDS_METRIC, ATTEMPTS_METRIC)
"""The sends and provider attempts of every worker of the process, as Prometheus counters."""
metrics.REGISTRY.register(DELIVERY_COUNTERS)


def count_enrollment(record: EnrollmentRecord, *, started: bool) -> None:
    """Count an enrollment's start or end from the record its bookkeeping activity wrote."""
    labels = (record.journey_id, str(record.journey_version))
    if started:
        metrics.ENROLLMENTS_STARTED.labels(*labels).inc()
    elif record.status is EnrollmentStatus.COMPLETED:
        metrics.ENROLLMENTS_COMPLETED.labels(*labels).inc()
    elif record.status is EnrollmentStatus.EXITED:
        metrics.ENROLLMENTS_EXITED.labels(*labels, metrics.exit_reason(record.outcome)).inc()


class _ActivityMetrics(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        name = activity.info().activity_type
        started = time.perf_counter()
        try:
            result = await self.next.execute_activity(input)
        except Exception:
            if name in DECISION_ACTIVITIES:
                metrics.DECISION_ERRORS.labels(name).inc()
            raise
        if name in DECISION_ACTIVITIES:
            metrics.DECISION_SECONDS.labels(name).observe(time.perf_counter() - started)
        elif name in (BEGIN_ENROLLMENT_ACTIVITY, RECORD_ENROLLMENT_ACTIVITY):
            record = input.args[0]
            if isinstance(record, EnrollmentRecord):
                count_enrollment(record, started=name == BEGIN_ENROLLMENT_ACTIVITY)
        return result


FAILED_RUNS_REMEMBERED = 10_000
"""Failing runs a worker process remembers so as to count each once."""

_failed_runs: OrderedDict[str, None] = OrderedDict()
"""Runs counted as failed by this process, oldest first (outside the workflow sandbox)."""


def count_failed_run(run_id: str, journey_id: str, version: int) -> None:
    """Count a run stopped by an error once, however often Temporal retries its task.

    A production worker does not fail the run on an error in workflow code: it
    fails the workflow task, and Temporal retries it (replaying the history)
    until a fixed worker is deployed. Every attempt raises here again.
    """
    if run_id in _failed_runs:
        return
    _failed_runs[run_id] = None
    if len(_failed_runs) > FAILED_RUNS_REMEMBERED:
        _failed_runs.popitem(last=False)
    metrics.ENROLLMENTS_FAILED.labels(journey_id, str(version)).inc()


class _WorkflowMetrics(WorkflowInboundInterceptor):
    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        try:
            return await self.next.execute_workflow(input)
        except Exception:
            params = input.args[0] if input.args else None
            if isinstance(params, EnrollmentInput) and not workflow.unsafe.is_replaying():
                definition = params.definition
                run_id = workflow.info().run_id
                with workflow.unsafe.sandbox_unrestricted():
                    count_failed_run(run_id, definition.id, definition.version)
            raise


class MetricsInterceptor(Interceptor):
    """Counts enrollments, decision latency and errors, and failed enrollment runs."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        """Wrap every activity."""
        return _ActivityMetrics(next)

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        """Wrap every workflow run."""
        return _WorkflowMetrics
