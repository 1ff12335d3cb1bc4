"""The raw Temporal baseline of the throughput benchmark: the benchmark journey's shape, bare.

Started by an entry event (signal-with-start), it waits for a second event,
runs one activity and completes. Kept in its own module so the workflow sandbox
imports nothing else of the benchmark.
"""

from __future__ import annotations

import time
from datetime import timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from journeys import search_attributes as sa

SEND_TIMES: dict[str, float] = {}
"""Wall-clock time each baseline activity ran, by customer (the benchmark reads it)."""


@activity.defn(name="baseline_send")
def baseline_send(customer_id: str) -> None:
    """The baseline's one activity: note when it ran."""
    SEND_TIMES[customer_id] = time.time()


@workflow.defn(name="BaselineWorkflow")
class BaselineWorkflow:
    """Wait for the second event, run one activity, complete."""

    def __init__(self) -> None:
        self._events = 0

    @workflow.run
    async def run(self, customer_id: str) -> str:
        """The baseline enrollment."""
        workflow.upsert_search_attributes([sa.CURRENT_STEP.value_set("waiting")])
        await workflow.wait_condition(lambda: self._events >= 2)
        await workflow.execute_activity(
            baseline_send, customer_id, start_to_close_timeout=timedelta(seconds=30)
        )
        return "done"

    @workflow.signal(name="record_event")
    def record_event(self, name: str) -> None:
        """An event (the entry event arrives as the start signal)."""
        self._events += 1
