"""Human tasks (CSM call, manual review): records with an owner, a due time and an outcome."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from journeys.contracts.activities import HumanTaskRequest
from journeys.errors import InvalidInputError
from journeys.store.database import insert_if_absent
from journeys.store.tables.base import utcnow
from journeys.store.tables.enrollments import HumanTask

OPEN = "open"
"""Status of a task nobody has completed yet."""

DONE = "done"
"""Status of a completed task."""


def create_human_task(session: Session, request: HumanTaskRequest) -> tuple[HumanTask, bool]:
    """Create the task of a step visit once; returns the task and whether it is new."""
    created = insert_if_absent(
        session,
        HumanTask.__table__,  # type: ignore[arg-type]
        {
            "org_id": request.org_id,
            "customer_id": request.customer_id,
            "journey_id": request.journey_id,
            "workflow_id": request.workflow_id,
            "enrollment_id": request.enrollment_id,
            "task_key": request.task_key,
            "kind": request.kind,
            "title": request.title,
            "owner": request.owner,
            "status": OPEN,
            "outcome": "",
            "details": dict(request.details),
            "due_at": request.due_at,
            "created_at": utcnow(),
        },
    )
    task = session.scalars(
        select(HumanTask).where(
            HumanTask.enrollment_id == request.enrollment_id,
            HumanTask.task_key == request.task_key,
        )
    ).one()
    return task, created


def list_open_tasks(session: Session, *, org_id: str, owner: str | None = None) -> list[HumanTask]:
    """Open tasks of an organisation (of one owner when given), soonest due first."""
    query = select(HumanTask).where(HumanTask.org_id == org_id, HumanTask.status == OPEN)
    if owner is not None:
        query = query.where(HumanTask.owner == owner)
    return list(session.scalars(query.order_by(HumanTask.due_at)).all())


def complete_human_task(session: Session, *, org_id: str, task_id: int, outcome: str) -> HumanTask:
    """Record a task's outcome (the caller then tracks a ``task_completed`` event).

    Raises:
        InvalidInputError: no such task (``task_id``) or an empty ``outcome``.
    """
    if not outcome.strip():
        raise InvalidInputError("outcome", "must not be empty")
    task = session.scalars(
        select(HumanTask).where(HumanTask.org_id == org_id, HumanTask.id == task_id)
    ).one_or_none()
    if task is None:
        raise InvalidInputError("task_id", f"no task {task_id} in this organisation")
    if task.status != DONE:
        task.status, task.outcome, task.completed_at = DONE, outcome, utcnow()
    return task
