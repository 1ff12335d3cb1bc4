"""Human tasks (CSM call, manual review): records with an owner, a due time and an outcome."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from journeys.contracts.activities import HumanTaskRequest
from journeys.errors import InvalidInputError
from journeys.store.database import insert_if_absent
from journeys.store.tables.base import utcnow
from journeys.store.tables.enrollments import HumanTask

OPEN = "open"
"""Status of a task nobody is on yet."""

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


CLAIMED = "claimed"
"""Status of a task a person has taken on."""

TASK_STATUSES: tuple[str, ...] = (OPEN, CLAIMED, DONE)
"""Open (nobody on it), claimed (someone is on it), done (an outcome is recorded)."""

OUTCOME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
"""Task outcomes: lower-case identifiers (``completed``, ``no_answer``)."""

MAX_LISTED_TASKS = 1_000


def task_outcome_event(kind: str, outcome: str) -> str:
    """The event a completed task sends its journey: ``<kind>_<outcome>`` (``csm_call_completed``).

    A human-task step names these events in its ``outcomes``.
    """
    return f"{kind}_{outcome}"


def list_tasks(
    session: Session,
    *,
    org_id: str,
    now: datetime,
    owner: str | None = None,
    status: str | None = None,
    due_before: datetime | None = None,
    overdue: bool = False,
    limit: int = 100,
) -> list[HumanTask]:
    """Tasks of an organisation, soonest due first.

    Args:
        session: A store session.
        org_id: The organisation.
        now: The current time (for ``overdue``).
        owner: Only tasks of this owner (the step's owner, or who claimed it).
        status: Only tasks in this status (``open``, ``claimed``, ``done``).
        due_before: Only tasks due before this time.
        overdue: Only tasks not done and past their due time at ``now``.
        limit: At most this many tasks.

    Raises:
        InvalidInputError: an unknown ``status`` or ``limit`` out of 1..1000.
    """
    if status is not None and status not in TASK_STATUSES:
        raise InvalidInputError("status", f"must be one of {', '.join(TASK_STATUSES)}")
    if not 1 <= limit <= MAX_LISTED_TASKS:
        raise InvalidInputError("limit", f"must be between 1 and {MAX_LISTED_TASKS}")
    query = select(HumanTask).where(HumanTask.org_id == org_id)
    if owner is not None:
        query = query.where(or_(HumanTask.owner == owner, HumanTask.claimed_by == owner))
    if status is not None:
        query = query.where(HumanTask.status == status)
    if due_before is not None:
        query = query.where(HumanTask.due_at < due_before)
    if overdue:
        query = query.where(HumanTask.status != DONE, HumanTask.due_at < now)
    return list(session.scalars(query.order_by(HumanTask.due_at, HumanTask.id).limit(limit)).all())


def _task(session: Session, org_id: str, task_id: int) -> HumanTask:
    task = session.scalars(
        select(HumanTask)
        .where(HumanTask.org_id == org_id, HumanTask.id == task_id)
        .with_for_update()
    ).one_or_none()
    if task is None:
        raise InvalidInputError("task_id", f"no task {task_id} in this organisation")
    return task


def claim_human_task(
    session: Session, *, org_id: str, task_id: int, claimed_by: str, now: datetime
) -> HumanTask:
    """Put a person on an open task (claiming again by the same person is a no-op).

    Raises:
        InvalidInputError: no such task, an empty ``claimed_by``, a task that is
            done or claimed by someone else.
    """
    if not claimed_by.strip():
        raise InvalidInputError("claimed_by", "must not be empty")
    task = _task(session, org_id, task_id)
    if task.status == DONE:
        raise InvalidInputError("task_id", f"task {task_id} is done ({task.outcome})")
    if task.status == CLAIMED and task.claimed_by != claimed_by:
        raise InvalidInputError("claimed_by", f"task {task_id} is claimed by {task.claimed_by}")
    if task.status == OPEN:
        task.status, task.claimed_by, task.claimed_at = CLAIMED, claimed_by, now
    return task


def complete_human_task(
    session: Session, *, org_id: str, task_id: int, outcome: str, now: datetime
) -> tuple[HumanTask, bool]:
    """Record a task's outcome; returns the task and whether this call completed it.

    Completing again with the same outcome changes nothing (the caller may route
    its event again: enrollments drop repeated event ids).

    Raises:
        InvalidInputError: no such task (``task_id``), an ``outcome`` that is not
            a lower-case identifier, or a task done with another outcome.
    """
    if not OUTCOME_PATTERN.match(outcome):
        raise InvalidInputError("outcome", "must be a lower-case identifier, e.g. completed")
    task = _task(session, org_id, task_id)
    if task.status == DONE:
        if task.outcome != outcome:
            raise InvalidInputError("outcome", f"task {task_id} is done with {task.outcome!r}")
        return task, False
    task.status, task.outcome, task.completed_at = DONE, outcome, now
    return task, True


def overdue_tasks_to_alert(session: Session, *, now: datetime) -> list[HumanTask]:
    """Tasks past due and not done whose overdue alert has not gone out; marks them alerted.

    Across organisations: the worker raises one ops alert per task.
    """
    tasks = list(
        session.scalars(
            select(HumanTask)
            .where(
                HumanTask.status != DONE,
                HumanTask.due_at < now,
                HumanTask.overdue_alerted_at.is_(None),
            )
            .order_by(HumanTask.due_at)
            .with_for_update(skip_locked=True)
        ).all()
    )
    for task in tasks:
        task.overdue_alerted_at = now
    return tasks
