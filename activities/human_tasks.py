"""The human-task activity: a journey step asks a person to act (CSM call, manual review)."""

from __future__ import annotations

import structlog
from temporalio import activity

from journeys.contracts.activities import (
    CREATE_HUMAN_TASK_ACTIVITY,
    HumanTaskCreated,
    HumanTaskRequest,
)
from journeys.store import Store
from journeys.store.human_tasks import create_human_task

log = structlog.get_logger(__name__)


class HumanTaskActivities:
    """Creates human tasks in the store, once per step visit.

    Args:
        store: The store holding the tasks.
    """

    def __init__(self, store: Store):
        self._store = store

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
