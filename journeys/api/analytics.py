"""Analytics endpoints: journey reports, experiment verdicts and health alerts, as JSON."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from journeys.analytics.experiments import ExperimentResult, experiment_result
from journeys.analytics.journey_report import JourneyReport
from journeys.analytics.queries import ReportRequest, requested_report
from journeys.api.error_responses import ERROR_RESPONSES
from journeys.api.rollouts import change_actor
from journeys.api.tenancy import OrgId
from journeys.client import JourneyClient
from journeys.errors import InvalidInputError
from journeys.language.definition import JOURNEY_ID_PATTERN
from journeys.language.steps import STEP_NAME_PATTERN
from journeys.routing.experiment_promotion import Promotion, PromotionRequest, promote_experiment
from journeys.routing.rollout_control import MAX_REASON, RolloutControl
from journeys.settings import JourneySettings
from journeys.store.health_alerts import alert_history

router = APIRouter(prefix="/v1", tags=["analytics"], responses=ERROR_RESPONSES)

JourneyPath = Annotated[str, Path(pattern=JOURNEY_ID_PATTERN, description="The journey's id")]
DEFAULT_RANGE = timedelta(days=30)


def _client(request: Request) -> JourneyClient:
    client: JourneyClient = request.app.state.client
    return client


@router.get("/journeys/{journey_id}/report", summary="A journey's analytics")
async def journey_report(
    journey_id: JourneyPath,
    org_id: OrgId,
    request: Request,
    since: Annotated[datetime | None, Query(description="start (default: until - 30 days)")] = None,
    until: Annotated[datetime | None, Query(description="end, exclusive (default now)")] = None,
    version: Annotated[int | None, Query(ge=1)] = None,
    experiment: Annotated[str | None, Query(pattern=STEP_NAME_PATTERN)] = None,
    arm: Annotated[str | None, Query(pattern=STEP_NAME_PATTERN)] = None,
) -> JourneyReport:
    """Entered, funnel, outcomes, durations, sends, suppressions, decisions and arms.

    422 for a range without a time zone, reversed or longer than a year, or an arm
    without its experiment; 404 for a journey (or version) not in the catalog.
    """
    client = _client(request)
    end = until or datetime.now(UTC)
    report_request = ReportRequest(
        org_id=org_id,
        journey_id=journey_id,
        since=since or end - DEFAULT_RANGE,
        until=end,
        version=version,
        experiment=experiment,
        arm=arm,
    )
    try:
        return await asyncio.to_thread(
            requested_report, client.store, client.catalog, report_request
        )
    except InvalidInputError as err:
        raise InvalidInputError(f"query.{err.field}", err.problem) from err


@router.get("/journeys/{journey_id}/experiments/{experiment}", summary="An experiment's verdict")
async def experiment_verdict(
    journey_id: JourneyPath,
    experiment: Annotated[str, Path(pattern=STEP_NAME_PATTERN, description="The experiment")],
    org_id: OrgId,
    request: Request,
    version: Annotated[int | None, Query(ge=1)] = None,
    metric: Annotated[str | None, Query(description="completion_rate or goal_conversion")] = None,
) -> ExperimentResult:
    """Per-arm results on the primary metric, the z-tests and the verdict.

    422 for an experiment the journey does not have or an unknown metric; 404 for an
    unknown journey.
    """
    client = _client(request)
    settings: JourneySettings = request.app.state.settings
    definition = client.catalog.get(journey_id, version)
    try:
        return await asyncio.to_thread(
            experiment_result,
            client.store,
            definition,
            org_id=org_id,
            experiment=experiment,
            min_sample_per_arm=settings.experiment_min_sample_per_arm,
            alpha=settings.experiment_alpha,
            metric=metric,
        )
    except InvalidInputError as err:
        place = "query" if err.field == "metric" else "path"
        raise InvalidInputError(f"{place}.{err.field}", err.problem) from err


class PromoteRequest(BaseModel):
    """Promote an experiment's winner (see ``journeys experiment promote``).

    Attributes:
        version: The version whose experiment is measured (the newest by default).
        arm: The arm expected to win; refused if it is not, unless ``force``.
        force: Promote ``arm`` whatever the verdict (kept in the audit).
    """

    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(default=None, ge=1)
    arm: str | None = Field(default=None, pattern=STEP_NAME_PATTERN)
    force: bool = False
    metric: str | None = None
    reason: str = Field(default="", max_length=MAX_REASON)


@router.post(
    "/journeys/{journey_id}/experiments/{experiment}/promote",
    summary="Promote an experiment's winner",
)
async def promote_winner(
    journey_id: JourneyPath,
    experiment: Annotated[str, Path(pattern=STEP_NAME_PATTERN, description="The experiment")],
    body: PromoteRequest,
    org_id: OrgId,
    request: Request,
) -> Promotion:
    """Publish the version carrying the winner at 100% (a rollout change, audited).

    When the catalog has no such version yet, nothing changes and the response
    carries the draft to ship (``draft_yaml``). 422 for no winner yet, an arm
    that is not the winner (without ``force``) or unknown; 404 for an unknown
    journey or version; 409 when that version takes every entry already.
    """
    client = _client(request)
    settings: JourneySettings = request.app.state.settings
    promotion = PromotionRequest(
        org_id=org_id,
        journey_id=journey_id,
        experiment=experiment,
        min_sample_per_arm=settings.experiment_min_sample_per_arm,
        alpha=settings.experiment_alpha,
        metric=body.metric,
        version=body.version,
        arm=body.arm,
        force=body.force,
        actor=change_actor(request),
        reason=body.reason,
    )
    control = RolloutControl(client.temporal, client.store, client.versions)
    try:
        return await promote_experiment(control, promotion)
    except InvalidInputError as err:
        place = "path" if err.field == "experiment" else "body"
        raise InvalidInputError(f"{place}.{err.field}", err.problem) from err


class AlertView(BaseModel):
    """A health alert as the API shows it."""

    id: int
    journey_id: str
    journey_version: int
    rule: str
    severity: str
    message: str
    action: str
    value: float
    threshold: float
    raised_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None = None


class AlertList(BaseModel):
    """Alerts, newest first."""

    alerts: list[AlertView]


@router.get("/alerts", summary="Journey health alerts")
async def list_alerts(
    org_id: OrgId,
    request: Request,
    journey_id: Annotated[str | None, Query(pattern=JOURNEY_ID_PATTERN)] = None,
    active: Annotated[bool, Query(description="only unresolved alerts")] = True,
    limit: Annotated[int, Query(ge=1, le=1_000)] = 100,
) -> AlertList:
    """The organisation's journey health alerts (active ones by default), with their history."""
    client = _client(request)

    def read() -> list[AlertView]:
        with client.store.transaction() as session:
            rows = alert_history(
                session, org_id, journey_id=journey_id, active_only=active, limit=limit
            )
            return [AlertView.model_validate(row, from_attributes=True) for row in rows]

    return AlertList(alerts=await asyncio.to_thread(read))
