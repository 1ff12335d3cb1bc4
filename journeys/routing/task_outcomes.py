"""Tasks for people: list, claim and complete them; a completion reaches the waiting journey.

A human-task step waits for ``<kind>_<outcome>`` events (``csm_call_completed``);
completing a task records its outcome in the store, then tracks that event for
the customer (event id ``task:<id>:<outcome>``, so a repeated completion is
routed once), which signals the enrollment waiting for it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from journeys.client import JourneyClient, TrackedEvent
from journeys.store.human_tasks import (
    DONE,
    claim_human_task,
    complete_human_task,
    list_tasks,
    task_outcome_event,
)
from journeys.store.tables.base import utcnow
from journeys.store.tables.enrollments import HumanTask


class HumanTaskView(BaseModel):
    """A task as people see it.

    Attributes:
        owner: The owner the journey step named (may be empty).
        claimed_by: Who took the task on.
        overdue: Not done and past its due time.
    """

    id: int
    org_id: str
    customer_id: str
    journey_id: str
    workflow_id: str
    kind: str
    title: str
    owner: str
    status: str
    outcome: str
    claimed_by: str
    details: dict[str, Any]
    due_at: datetime
    created_at: datetime
    claimed_at: datetime | None
    completed_at: datetime | None
    overdue: bool


class TaskCompletion(BaseModel):
    """A completed task and the event that told its journey.

    Attributes:
        event: The event routed (``csm_call_completed``).
        signalled: Enrollments that received it.
    """

    task: HumanTaskView
    event: str
    signalled: list[str]


def task_view(task: HumanTask, now: datetime) -> HumanTaskView:
    """The view of a stored task at ``now``."""
    return HumanTaskView(
        id=task.id,
        org_id=task.org_id,
        customer_id=task.customer_id,
        journey_id=task.journey_id,
        workflow_id=task.workflow_id,
        kind=task.kind,
        title=task.title,
        owner=task.owner,
        status=task.status,
        outcome=task.outcome,
        claimed_by=task.claimed_by,
        details=dict(task.details or {}),
        due_at=task.due_at,
        created_at=task.created_at,
        claimed_at=task.claimed_at,
        completed_at=task.completed_at,
        overdue=task.status != DONE and task.due_at < now,
    )


async def find_tasks(
    client: JourneyClient,
    org_id: str,
    *,
    owner: str | None = None,
    status: str | None = None,
    due_before: datetime | None = None,
    overdue: bool = False,
    limit: int = 100,
) -> list[HumanTaskView]:
    """Tasks of an organisation, soonest due first (see :func:`list_tasks`)."""
    now = utcnow()

    def read() -> list[HumanTaskView]:
        with client.store.transaction() as session:
            found = list_tasks(
                session,
                org_id=org_id,
                now=now,
                owner=owner,
                status=status,
                due_before=due_before,
                overdue=overdue,
                limit=limit,
            )
            return [task_view(task, now) for task in found]

    return await asyncio.to_thread(read)


async def claim_task(
    client: JourneyClient, org_id: str, task_id: int, claimed_by: str
) -> HumanTaskView:
    """Put ``claimed_by`` on the task (see :func:`claim_human_task` for refusals)."""
    now = utcnow()

    def write() -> HumanTaskView:
        with client.store.transaction() as session:
            task = claim_human_task(
                session, org_id=org_id, task_id=task_id, claimed_by=claimed_by, now=now
            )
            return task_view(task, now)

    return await asyncio.to_thread(write)


async def complete_task(
    client: JourneyClient, org_id: str, task_id: int, outcome: str
) -> TaskCompletion:
    """Record the task's outcome and route its event to the journey waiting for it.

    Raises:
        InvalidInputError: see :func:`complete_human_task`.
    """
    now = utcnow()

    def write() -> HumanTaskView:
        with client.store.transaction() as session:
            task, _ = complete_human_task(
                session, org_id=org_id, task_id=task_id, outcome=outcome, now=now
            )
            return task_view(task, now)

    task = await asyncio.to_thread(write)
    event = task_outcome_event(task.kind, outcome)
    tracked = await client.track(
        TrackedEvent(
            org_id=org_id,
            customer_id=task.customer_id,
            name=event,
            event_id=f"task:{task.id}:{outcome}",
            properties={"task_id": task.id, "outcome": outcome, "journey_id": task.journey_id},
        )
    )
    return TaskCompletion(task=task, event=event, signalled=tracked.signalled)
