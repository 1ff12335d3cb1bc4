"""Rollout endpoints: publish, ramp, roll back and retire journey versions; watch a rollout.

The organisation is the API key's; the change is audited with the key's id as
its actor. Bad input changes nothing: 404 unknown journey or version, 422
weights that do not sum to 100 (or another invalid field), 409 a change that is
refused (the last active version, an incomplete step map, a draft that fails
its checks; ``rollout_conflict`` when another change of the same journey was
saved at the same time: read the rollout again and repeat it if it still applies).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from journeys.api.error_responses import ERROR_RESPONSES
from journeys.api.tenancy import OrgId
from journeys.client import JourneyClient
from journeys.contracts.enrollment import InflightPolicy
from journeys.language.definition import JOURNEY_ID_PATTERN
from journeys.routing.rollout_control import (
    MAX_REASON,
    RolloutControl,
    RolloutResult,
    RolloutStatus,
)

router = APIRouter(prefix="/v1/journeys", tags=["rollouts"], responses=ERROR_RESPONSES)

JourneyPath = Annotated[str, Path(pattern=JOURNEY_ID_PATTERN, description="The journey's id")]


class PublishRequest(BaseModel):
    """Let a draft (or retired) version take new entries.

    Attributes:
        weight: Percent of new entries; at 100 the other active versions are
            retired with ``policy``, below it the one other active version keeps the rest.
    """

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)
    weight: int = Field(default=100, ge=1, le=100)
    policy: InflightPolicy = InflightPolicy.PIN
    reason: str = Field(default="", max_length=MAX_REASON)


class RampRequest(BaseModel):
    """The share of new entries of each version (summing to 100; unlisted active get 0)."""

    model_config = ConfigDict(extra="forbid")

    weights: dict[int, int] = Field(min_length=1, examples=[{"1": 90, "2": 10}])
    reason: str = Field(default="", max_length=MAX_REASON)


class RollbackRequest(BaseModel):
    """Retire ``version`` (default: the newest active) and give its entries to ``to``."""

    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(default=None, ge=1)
    to: int | None = Field(default=None, ge=1)
    policy: InflightPolicy = InflightPolicy.PIN
    reason: str = Field(default="", max_length=MAX_REASON)


class RetireRequest(BaseModel):
    """Stop a version taking new entries; its weight goes to the newest other active one."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)
    policy: InflightPolicy = InflightPolicy.PIN
    reason: str = Field(default="", max_length=MAX_REASON)


def _control(request: Request) -> RolloutControl:
    client: JourneyClient = request.app.state.client
    return RolloutControl(client.temporal, client.store, client.versions)


def change_actor(request: Request) -> str:
    """Who makes a change through the API: the API key's id (kept in the audit)."""
    return f"api-key:{getattr(request.state, 'api_key_id', 'unknown')}"


@router.get("/{journey_id}/rollout", summary="A journey's rollout")
async def rollout_status(journey_id: JourneyPath, org_id: OrgId, request: Request) -> RolloutStatus:
    """Per version: state, weight, running enrollments by step, completed and converted."""
    return await _control(request).status(org_id, journey_id)


@router.post("/{journey_id}/rollout/publish", summary="Publish a version")
async def publish_version(
    journey_id: JourneyPath, body: PublishRequest, org_id: OrgId, request: Request
) -> RolloutResult:
    """Let a draft version take ``weight`` percent of new entries."""
    return await _control(request).publish(
        org_id,
        journey_id,
        body.version,
        weight=body.weight,
        policy=body.policy,
        actor=change_actor(request),
        reason=body.reason,
    )


@router.post("/{journey_id}/rollout/ramp", summary="Set rollout weights")
async def ramp_versions(
    journey_id: JourneyPath, body: RampRequest, org_id: OrgId, request: Request
) -> RolloutResult:
    """Set the share of new entries of each version; 422 unless they sum to 100."""
    return await _control(request).ramp(
        org_id, journey_id, body.weights, actor=change_actor(request), reason=body.reason
    )


@router.post("/{journey_id}/rollout/rollback", summary="Roll a version back")
async def roll_back_version(
    journey_id: JourneyPath, body: RollbackRequest, org_id: OrgId, request: Request
) -> RolloutResult:
    """Retire the newest active version (or ``version``) with ``policy``."""
    return await _control(request).rollback(
        org_id,
        journey_id,
        version=body.version,
        to=body.to,
        policy=body.policy,
        actor=change_actor(request),
        reason=body.reason,
    )


@router.post("/{journey_id}/rollout/retire", summary="Retire a version")
async def retire_version(
    journey_id: JourneyPath, body: RetireRequest, org_id: OrgId, request: Request
) -> RolloutResult:
    """Stop a version taking new entries; 409 for the last active version."""
    return await _control(request).retire(
        org_id,
        journey_id,
        body.version,
        policy=body.policy,
        actor=change_actor(request),
        reason=body.reason,
    )
