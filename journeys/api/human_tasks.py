"""Tasks for people: list (by owner, status, due, overdue), claim and complete with an outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from journeys.api.error_responses import ERROR_RESPONSES
from journeys.api.tenancy import OrgId
from journeys.client import JourneyClient
from journeys.routing.task_outcomes import (
    HumanTaskView,
    TaskCompletion,
    claim_task,
    complete_task,
    find_tasks,
)
from journeys.store.human_tasks import MAX_LISTED_TASKS, TASK_STATUSES

router = APIRouter(prefix="/v1/tasks", tags=["tasks"], responses=ERROR_RESPONSES)

MAX_TASK_ID = 2**31 - 1
"""The largest id the ``human_tasks.id`` column (32-bit integer) can hold."""

TaskIdPath = Annotated[int, Path(ge=1, le=MAX_TASK_ID, description="The task's id")]


class TaskList(BaseModel):
    """Tasks, soonest due first."""

    tasks: list[HumanTaskView]


class ClaimRequest(BaseModel):
    """Who takes the task on."""

    model_config = ConfigDict(extra="forbid")

    claimed_by: str = Field(min_length=1, max_length=200)


class CompleteRequest(BaseModel):
    """The task's outcome; the journey waiting for it receives ``<kind>_<outcome>``."""

    model_config = ConfigDict(extra="forbid")

    outcome: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")


def _client(request: Request) -> JourneyClient:
    client: JourneyClient = request.app.state.client
    return client


@router.get("", summary="List tasks for people")
async def list_human_tasks(
    org_id: OrgId,
    request: Request,
    owner: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    status: Annotated[str | None, Query(pattern="^(" + "|".join(TASK_STATUSES) + ")$")] = None,
    due_before: datetime | None = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=MAX_LISTED_TASKS)] = 100,
) -> TaskList:
    """Tasks of the organisation, soonest due first.

    Filters: ``owner`` (the step's owner or who claimed it), ``status``,
    ``due_before``, ``overdue`` (not done and past due).
    """
    tasks = await find_tasks(
        _client(request),
        org_id,
        owner=owner,
        status=status,
        due_before=due_before,
        overdue=overdue,
        limit=limit,
    )
    return TaskList(tasks=tasks)


@router.post("/{task_id}/claim", summary="Claim a task")
async def claim_human_task(
    task_id: TaskIdPath, body: ClaimRequest, org_id: OrgId, request: Request
) -> HumanTaskView:
    """Take an open task on (422 when it is done or claimed by someone else)."""
    return await claim_task(_client(request), org_id, task_id, body.claimed_by)


@router.post("/{task_id}/complete", summary="Complete a task with an outcome")
async def complete_human_task(
    task_id: TaskIdPath, body: CompleteRequest, org_id: OrgId, request: Request
) -> TaskCompletion:
    """Record the outcome; the enrollment waiting for ``<kind>_<outcome>`` moves on."""
    return await complete_task(_client(request), org_id, task_id, body.outcome)
