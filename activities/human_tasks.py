"""The human-task activity (a journey step asks a person to act) and the overdue-task alerts."""

from __future__ import annotations

import structlog
from temporalio import activity

from activities.ops_alerts import OpsAlerts
from journeys.contracts.activities import (
    CREATE_HUMAN_TASK_ACTIVITY,
    HumanTaskCreated,
    HumanTaskRequest,
)
from journeys.store import Store
from journeys.store.human_tasks import create_human_task, overdue_tasks_to_alert
from journeys.store.tables.base import utcnow

OVERDUE_TASK_ALERT = "human_task_overdue"
"""Ops alert kind raised once per task that passes its due time undone."""

log = structlog.get_logger(__name__)


class HumanTaskActivities:
    """Creates human tasks in the store, once per step visit.

    Args:
        store: The store holding the tasks.
        alerts: Where overdue tasks are reported (log only by default).
    """

    def __init__(self, store: Store, alerts: OpsAlerts | None = None):
        self._store = store
        self._alerts = alerts or OpsAlerts("", interval_seconds=0)

    @activity.defn(name=CREATE_HUMAN_TASK_ACTIVITY)
    def create_human_task(self, request: HumanTaskRequest) -> HumanTaskCreated:
        """Create the task; a retry of the same ``task_key`` returns the first task."""
        with self._store.transaction() as session:
            task, created = create_human_task(session, request)
            task_id = task.id
        log.info(
            "human task created" if created else "human task already exists",
            org_id=request.org_id,
            customer_id=request.customer_id,
            task_id=task_id,
            kind=request.kind,
            owner=request.owner,
        )
        return HumanTaskCreated(task_id=task_id, duplicate=not created)

    def alert_overdue(self) -> int:
        """Raise one ops alert for each task newly past due and undone; returns how many."""
        now = utcnow()
        with self._store.transaction() as session:
            overdue = [
                (task.id, task.org_id, task.customer_id, task.kind, task.owner, task.due_at)
                for task in overdue_tasks_to_alert(session, now=now)
            ]
        for task_id, org_id, customer_id, kind, owner, due_at in overdue:
            # Keyed by task, so the rate limit of one kind never hides another task.
            self._alerts.alert(
                OVERDUE_TASK_ALERT,
                f"task:{task_id}",
                f"{kind} task {task_id} for {org_id}/{customer_id} (owner {owner or 'unassigned'})"
                f" was due {due_at.isoformat(timespec='minutes')} and is not done",
            )
            log.warning("human task overdue", task_id=task_id, org_id=org_id, kind=kind)
        return len(overdue)
