"""Enrollment endpoints: start, list, inspect and end enrollments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from temporalio.service import RPCError, RPCStatusCode

from journeys.api.error_responses import ERROR_RESPONSES
from journeys.api.payloads import (
    EnrollmentList,
    EnrollRequest,
    ExitRequestBody,
    ExitResponse,
)
from journeys.api.tenancy import OrgId
from journeys.client import ID_PATTERN, MAX_LISTED_ENROLLMENTS, EnrollResult, JourneyClient
from journeys.contracts import search_attributes
from journeys.contracts.enrollment import (
    EnrollmentState,
    EnrollmentStatus,
    enrollment_workflow_id,
)
from journeys.errors import EnrollmentNotFoundError
from journeys.language.definition import JOURNEY_ID_PATTERN

router = APIRouter(prefix="/v1", tags=["enrollments"], responses=ERROR_RESPONSES)

CustomerPath = Annotated[str, Path(pattern=ID_PATTERN, description="The customer's id")]
JourneyPath = Annotated[str, Path(pattern=JOURNEY_ID_PATTERN, description="The journey's id")]


def _client(request: Request) -> JourneyClient:
    client: JourneyClient = request.app.state.client
    return client


def _not_found(customer_id: str, journey_id: str) -> EnrollmentNotFoundError:
    return EnrollmentNotFoundError(f"{customer_id} has no enrollment in {journey_id}")


async def _require_own_workflow(
    client: JourneyClient, org_id: str, customer_id: str, journey_id: str
) -> None:
    """404 unless the enrollment's workflow belongs to the key's organisation.

    Workflow ids are unambiguous for valid organisation ids; this also keeps
    workflows started before ``:`` was refused in organisation ids out of reach.
    """
    found = False
    # Versions in other conflict groups run under other workflow ids: each is checked.
    for key in client.versions.routing_keys(journey_id):
        workflow_id = enrollment_workflow_id(org_id, key, customer_id)
        try:
            described = await client.temporal.get_workflow_handle(workflow_id).describe()
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                continue
            raise
        if described.typed_search_attributes.get(search_attributes.ORG_ID) != org_id:
            raise _not_found(customer_id, journey_id)
        found = True
    if not found:
        raise _not_found(customer_id, journey_id)


@router.post("/enrollments", status_code=201, summary="Enroll a customer in a journey")
async def start_enrollment(body: EnrollRequest, org_id: OrgId, request: Request) -> EnrollResult:
    """Start an enrollment; 404 for an unknown journey, 409 when re-entry rules refuse it."""
    return await _client(request).enroll(
        org_id, body.customer_id, body.journey_id, version=body.version
    )


@router.get("/enrollments", summary="List enrollments")
async def list_enrollments(
    org_id: OrgId,
    request: Request,
    customer_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    journey_id: Annotated[str | None, Query(pattern=JOURNEY_ID_PATTERN)] = None,
    status: EnrollmentStatus | None = None,
    version: Annotated[int | None, Query(ge=1, description="journey version")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LISTED_ENROLLMENTS)] = 100,
) -> EnrollmentList:
    """Enrollments of the organisation, newest first (Temporal visibility; may lag ~1 s)."""
    found = await _client(request).list_enrollments(
        org_id,
        customer_id=customer_id,
        journey_id=journey_id,
        status=status,
        version=version,
        limit=limit,
    )
    return EnrollmentList(enrollments=found)


@router.get("/enrollments/{customer_id}/{journey_id}", summary="One enrollment's state")
async def get_enrollment(
    customer_id: CustomerPath, journey_id: JourneyPath, org_id: OrgId, request: Request
) -> EnrollmentState:
    """Current step, what it waits for, path and event counts (the workflow's query)."""
    state = await _client(request).get_enrollment(org_id, customer_id, journey_id)
    if state.org_id != org_id:
        raise _not_found(customer_id, journey_id)
    return state


@router.post(
    "/enrollments/{customer_id}/{journey_id}/exit",
    status_code=202,
    summary="End a running enrollment",
)
async def exit_enrollment(
    customer_id: CustomerPath,
    journey_id: JourneyPath,
    body: ExitRequestBody,
    org_id: OrgId,
    request: Request,
) -> ExitResponse:
    """Ask the enrollment to end now; 404 when none is running."""
    await _require_own_workflow(_client(request), org_id, customer_id, journey_id)
    workflow_id = await _client(request).exit(org_id, customer_id, journey_id, body.reason)
    return ExitResponse(workflow_id=workflow_id)
