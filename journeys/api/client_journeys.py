"""The client journey intelligence endpoints (``/api/journey/...``): stages, score, risk, action.

They call :class:`ClientJourneyService` and :class:`NextBestActionEngine` for the
API key's organisation; field names are camelCase (``clientId``, ``eventType``).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from journeys.api.error_responses import ERROR_RESPONSES
from journeys.api.tenancy import OrgId
from journeys.client import ID_PATTERN
from journeys.contracts.accepted_values import JsonObject
from journeys.decisioning.client_journey_intelligence import (
    STAGES,
    ClientNextAction,
    JourneyEventView,
    JourneyScore,
    StoredJourneyScore,
    UpsellCandidate,
)
from journeys.decisioning.client_journey_service import ClientJourneyService, NextBestActionEngine
from journeys.store import Store

router = APIRouter(prefix="/api/journey", tags=["client journey intelligence"])

ClientPath = Annotated[str, Path(pattern=ID_PATTERN, description="The client's id")]
MAX_METADATA_KEYS = 50


class JourneyEventRequest(BaseModel):
    """A client journey event: the client, its lifecycle stage (one of nine) and the event.

    Field names are camelCase (``clientId``, ``eventType``), as the endpoint's
    existing callers send them.
    """

    model_config = ConfigDict(extra="forbid")

    clientId: str = Field(pattern=ID_PATTERN)
    stage: str = Field(examples=["onboarding"])
    eventType: str = Field(pattern=ID_PATTERN, examples=["meeting_scheduled"])
    metadata: JsonObject = Field(default_factory=dict, max_length=MAX_METADATA_KEYS)

    @field_validator("stage")
    @classmethod
    def _known_stage(cls, value: str) -> str:
        if value not in STAGES:
            raise ValueError(f"{value!r} is not one of {', '.join(STAGES)}")
        return value


class ClientJourney(BaseModel):
    """A client's journey events (oldest first) and fresh score."""

    clientId: str
    journey: list[JourneyEventView]
    score: JourneyScore


class HighRiskClients(BaseModel):
    """Persisted HIGH and CRITICAL scores, newest first."""

    clients: list[StoredJourneyScore]


class UpsellCandidates(BaseModel):
    """Clients who reached the upsell_candidate stage."""

    clients: list[UpsellCandidate]


class NextAction(BaseModel):
    """The client's next best action, or null when nothing is recommended."""

    clientId: str
    action: ClientNextAction | None


def _service(request: Request, org_id: str) -> ClientJourneyService:
    store: Store = request.app.state.store
    return ClientJourneyService(store, org_id)


@router.post("/event", status_code=201, responses=ERROR_RESPONSES, summary="Track a journey event")
async def track_journey_event(
    body: JourneyEventRequest, org_id: OrgId, request: Request
) -> JourneyEventView:
    """Store a client journey event with its stage (one of the nine)."""
    service = _service(request, org_id)
    return await asyncio.to_thread(
        service.track_event, body.clientId, body.stage, body.eventType, body.metadata
    )


@router.get("/client/{client_id}", responses=ERROR_RESPONSES, summary="Client journey and score")
async def client_journey(client_id: ClientPath, org_id: OrgId, request: Request) -> ClientJourney:
    """The client's journey events and a freshly computed (and persisted) score."""
    service = _service(request, org_id)

    def read() -> ClientJourney:
        return ClientJourney(
            clientId=client_id,
            journey=service.get_client_journey(client_id),
            score=service.calculate_journey_score(client_id),
        )

    return await asyncio.to_thread(read)


@router.get("/high-risk", responses=ERROR_RESPONSES, summary="High-risk clients")
async def high_risk(org_id: OrgId, request: Request) -> HighRiskClients:
    """Clients whose latest persisted scores are HIGH or CRITICAL."""
    service = _service(request, org_id)
    return HighRiskClients(clients=await asyncio.to_thread(service.get_high_risk_clients))


@router.get("/upsell-candidates", responses=ERROR_RESPONSES, summary="Upsell candidates")
async def upsell_candidates(org_id: OrgId, request: Request) -> UpsellCandidates:
    """Clients who reached the upsell_candidate stage, once each."""
    service = _service(request, org_id)
    return UpsellCandidates(clients=await asyncio.to_thread(service.get_upsell_candidates))


@router.get("/next-action/{client_id}", responses=ERROR_RESPONSES, summary="Next best action")
async def next_action(client_id: ClientPath, org_id: OrgId, request: Request) -> NextAction:
    """The first recommended action with its priority and reason (the score is persisted)."""
    engine = NextBestActionEngine(_service(request, org_id))
    action = await asyncio.to_thread(engine.get_action_for_client, client_id)
    return NextAction(clientId=client_id, action=action)
