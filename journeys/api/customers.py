"""Customer endpoints: their journeys, their in-app inbox and their consent."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import select

from journeys.api.error_responses import ERROR_RESPONSES
from journeys.api.payloads import (
    ConsentEntry,
    ConsentRequest,
    ConsentResponse,
    EnrollmentList,
    Inbox,
)
from journeys.api.tenancy import OrgId
from journeys.client import ID_PATTERN, JourneyClient
from journeys.errors import InvalidInputError
from journeys.privacy import (
    CustomerErasure,
    CustomerExport,
    erase_customer_data,
    export_customer_data,
)
from journeys.store import Store
from journeys.store.consent import (
    CONSENT_CHANNELS,
    ConsentStatus,
    record_consent,
)
from journeys.store.inbox import InboxEntry, list_inbox
from journeys.store.tables.base import utcnow
from journeys.store.tables.customers import Consent

router = APIRouter(prefix="/v1/customers", tags=["customers"], responses=ERROR_RESPONSES)

CustomerPath = Annotated[str, Path(pattern=ID_PATTERN, description="The customer's id")]


def _client(request: Request) -> JourneyClient:
    client: JourneyClient = request.app.state.client
    return client


@router.get("/{customer_id}/journeys", summary="The customer's enrollments")
async def customer_journeys(
    customer_id: CustomerPath,
    org_id: OrgId,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EnrollmentList:
    """Every enrollment of the customer (running and ended), newest first."""
    found = await _client(request).list_enrollments(org_id, customer_id=customer_id, limit=limit)
    return EnrollmentList(enrollments=found)


def _requested_by(request: Request) -> str:
    return f"api request {getattr(request.state, 'request_id', '?')}"


@router.get("/{customer_id}/export", summary="Everything held on the customer")
async def export(customer_id: CustomerPath, org_id: OrgId, request: Request) -> CustomerExport:
    """Every row the store holds on the customer, by table; the export is audited."""
    return await export_customer_data(
        _client(request), org_id, customer_id, requested_by=_requested_by(request)
    )


@router.post("/{customer_id}/erase", summary="Erase the customer")
async def erase(customer_id: CustomerPath, org_id: OrgId, request: Request) -> CustomerErasure:
    """End every running enrollment and erase the customer's data; audited.

    Consent (with a global opt-out of source ``erasure``) and suppressions are kept,
    so the customer is never contacted again; the communication log is redacted.
    """
    return await erase_customer_data(
        _client(request), org_id, customer_id, requested_by=_requested_by(request)
    )


@router.get("/{customer_id}/inbox", summary="The customer's in-app messages")
async def inbox(
    customer_id: CustomerPath,
    org_id: OrgId,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Inbox:
    """In-app messages delivered to the customer, newest first."""
    store = _client(request).store

    def read() -> list[InboxEntry]:
        with store.transaction() as session:
            return list_inbox(session, org_id=org_id, customer_id=customer_id, limit=limit)

    return Inbox(customer_id=customer_id, messages=await asyncio.to_thread(read))


def _consent(store: Store, org_id: str, customer_id: str) -> list[ConsentEntry]:
    with store.transaction() as session:
        rows = session.scalars(
            select(Consent)
            .where(Consent.org_id == org_id, Consent.customer_id == customer_id)
            .order_by(Consent.channel)
        ).all()
        return [
            ConsentEntry(
                channel=row.channel,
                status=row.status,
                source=row.source,
                recorded_at=row.recorded_at,
            )
            for row in rows
        ]


@router.get("/{customer_id}/consent", summary="The customer's consent decisions")
async def get_consent(
    customer_id: CustomerPath, org_id: OrgId, request: Request
) -> ConsentResponse:
    """Consent per channel (``all`` for every channel)."""
    store = _client(request).store
    entries = await asyncio.to_thread(_consent, store, org_id, customer_id)
    return ConsentResponse(customer_id=customer_id, consent=entries)


@router.post("/{customer_id}/consent", summary="Record a consent decision")
async def set_consent(
    customer_id: CustomerPath, body: ConsentRequest, org_id: OrgId, request: Request
) -> ConsentResponse:
    """Opt in or out of a channel. Opting out of ``all`` also ends every running enrollment."""
    if body.channel not in CONSENT_CHANNELS:
        raise InvalidInputError(
            "channel",
            f"unknown channel {body.channel!r}; one of {', '.join(sorted(CONSENT_CHANNELS))}",
        )
    client = _client(request)
    exited: list[str] = []
    if body.status is ConsentStatus.OPTED_OUT:
        result = await client.opt_out(org_id, customer_id, channel=body.channel, source=body.source)
        exited = result.exited
    else:

        def write() -> None:
            with client.store.transaction() as session:
                record_consent(
                    session,
                    org_id=org_id,
                    customer_id=customer_id,
                    channel=body.channel,
                    status=body.status,
                    source=body.source,
                    at=utcnow(),
                )

        await asyncio.to_thread(write)
    entries = await asyncio.to_thread(_consent, client.store, org_id, customer_id)
    return ConsentResponse(customer_id=customer_id, consent=entries, exited=exited)
