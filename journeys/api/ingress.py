"""Ingress endpoints: behaviour events (one or a batch) and customer profiles."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from journeys.analytics.prometheus_metrics import count_routed
from journeys.api.error_responses import ERROR_RESPONSES, ApiError
from journeys.api.payloads import (
    BatchRequest,
    BatchResponse,
    CustomerProfile,
    IdentifyRequest,
    TrackRequest,
)
from journeys.api.tenancy import OrgId, require_same_org
from journeys.client import JourneyClient, TrackedEvent, TrackResult
from journeys.store.customers import upsert_customer

router = APIRouter(prefix="/v1", tags=["ingress"], responses=ERROR_RESPONSES)


def _client(request: Request) -> JourneyClient:
    client: JourneyClient = request.app.state.client
    return client


def _tracked(org_id: str, body: TrackRequest, field: str) -> TrackedEvent:
    require_same_org(org_id, body.org_id, field=f"{field}org_id")
    given = body.model_dump(exclude={"org_id"}, exclude_none=True)
    return TrackedEvent(org_id=org_id, **given)


@router.post("/track", summary="Track one behaviour event")
async def track(body: TrackRequest, org_id: OrgId, request: Request) -> TrackResult:
    """Store the event once and route it to the journeys that listen to it.

    A repeated ``event_id`` is answered 200 with ``stored: false`` (idempotent
    retries); it is routed only if no earlier attempt could route it. An entry
    event for a customer already in the journey is listed under ``signalled``.
    Events dated more than
    ``event_future_tolerance_seconds`` ahead are refused with 422.
    """
    result = await _client(request).track(_tracked(org_id, body, ""))
    count_routed(result)
    return result


@router.post("/batch", summary="Track a batch of events (imports)")
async def batch(body: BatchRequest, org_id: OrgId, request: Request) -> BatchResponse:
    """Validate every event, store them in one transaction, then route the new ones.

    One invalid event refuses the whole batch (422 naming ``body.events[i]...``);
    nothing is stored.
    """
    client = _client(request)
    limit = client.settings.api_max_batch_events
    if len(body.events) > limit:
        raise ApiError(
            422, "validation_error", f"body.events: at most {limit} events", "body.events"
        )
    events = [
        _tracked(org_id, event, f"events[{index}].") for index, event in enumerate(body.events)
    ]
    results = await client.track_batch(events)
    for result in results:
        count_routed(result)
    stored = sum(result.stored for result in results)
    return BatchResponse(stored=stored, duplicates=len(results) - stored, results=results)


@router.post("/identify", summary="Create or update a customer's profile")
async def identify(body: IdentifyRequest, org_id: OrgId, request: Request) -> CustomerProfile:
    """Merge ``attributes`` into the profile; set the time zone and lifecycle stage if given."""
    require_same_org(org_id, body.org_id)
    store = _client(request).store

    def write() -> CustomerProfile:
        with store.transaction() as session:
            customer = upsert_customer(
                session,
                org_id=org_id,
                customer_id=body.customer_id,
                attributes=body.attributes,
                timezone=body.timezone,
                lifecycle_stage=body.lifecycle_stage,
            )
            session.flush()
            return CustomerProfile(
                customer_id=customer.customer_id,
                attributes=customer.attributes,
                timezone=customer.timezone,
                lifecycle_stage=customer.lifecycle_stage,
                created_at=customer.created_at,
                updated_at=customer.updated_at,
            )

    return await asyncio.to_thread(write)
