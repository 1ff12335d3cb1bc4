"""The raw Temporal baseline of the throughput benchmark: the benchmark journey's shape, bare.

Started by an entry event (signal-with-start), it waits for a second event,
runs one activity and completes. Kept in its own module so the workflow sandbox
imports nothing else of the benchmark; ``python -m bench.baseline_workflow
ADDRESS TASK_QUEUE [sandboxed|unsandboxed]`` runs its worker in a process of its
own, as the engine's worker runs in ``journeys worker``. It runs in the SDK's
workflow sandbox (the SDK's default) unless told ``unsandboxed``.
"""

from __future__ import annotations

import asyncio
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

with workflow.unsafe.imports_passed_through():
    from journeys.contracts import search_attributes as sa
    from workers.workflow_bytecode import cache_workflow_bytecode


@activity.defn(name="baseline_send")
def baseline_send(customer_id: str) -> float:
    """The baseline's one activity: the wall-clock time it ran."""
    return time.time()


@workflow.defn(name="BaselineWorkflow")
class BaselineWorkflow:
    """Wait for the second event, run one activity, complete."""

    def __init__(self) -> None:
        self._events = 0

    @workflow.run
    async def run(self, customer_id: str) -> float:
        """The baseline enrollment; returns when its send ran (wall clock)."""
        workflow.upsert_search_attributes([sa.CURRENT_STEP.value_set("waiting")])
        await workflow.wait_condition(lambda: self._events >= 2)
        return await workflow.execute_activity(
            baseline_send, customer_id, start_to_close_timeout=timedelta(seconds=30)
        )

    @workflow.signal(name="record_event")
    def record_event(self, name: str) -> None:
        """An event (the entry event arrives as the start signal)."""
        self._events += 1


async def run_worker(address: str, task_queue: str, sandboxed: bool = True) -> None:
    """Run the baseline worker until cancelled."""
    client = await Client.connect(address)
    if sandboxed:
        cache_workflow_bytecode([BaselineWorkflow])
    with ThreadPoolExecutor(max_workers=32) as executor:
        await Worker(
            client,
            task_queue=task_queue,
            workflows=[BaselineWorkflow],
            activities=[baseline_send],
            activity_executor=executor,
            max_concurrent_activities=32,
            workflow_runner=(
                SandboxedWorkflowRunner() if sandboxed else UnsandboxedWorkflowRunner()
            ),
        ).run()


if __name__ == "__main__":
    mode = sys.argv[3] if len(sys.argv) > 3 else "sandboxed"
    if mode not in ("sandboxed", "unsandboxed"):
        sys.exit(f"the third argument must be sandboxed or unsandboxed, not {mode!r}")
    asyncio.run(run_worker(sys.argv[1], sys.argv[2], sandboxed=mode == "sandboxed"))
