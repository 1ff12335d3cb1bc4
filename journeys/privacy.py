"""Privacy requests across the engine: export a customer's data, or erase the customer.

Erasure first records a global opt-out (kept, with source ``erasure``, so that
nothing is ever sent to the customer again) and ends every running enrollment,
then erases the store's data (see :mod:`journeys.store.privacy`). The API and
the CLI both go through here; each request is audited in the store.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel, Field

from journeys.client import JourneyClient
from journeys.store.consent import ALL_CHANNELS
from journeys.store.privacy import erase_customer, export_customer

ERASURE_SOURCE = "erasure"
"""The source of the opt-out an erasure records."""


class CustomerExport(BaseModel):
    """Everything the store holds on a customer, by table."""

    customer_id: str
    data: dict[str, list[dict[str, Any]]]


class CustomerErasure(BaseModel):
    """What an erasure did.

    Attributes:
        exited: Running enrollments asked to end.
        erased: Rows deleted or redacted, by table.
    """

    customer_id: str
    exited: list[str] = Field(default_factory=list)
    erased: dict[str, int] = Field(default_factory=dict)


async def export_customer_data(
    client: JourneyClient, org_id: str, customer_id: str, *, requested_by: str
) -> CustomerExport:
    """Every row held on the customer (audited as an export)."""

    def read() -> dict[str, list[dict[str, Any]]]:
        with client.store.transaction() as session:
            return export_customer(
                session, org_id=org_id, customer_id=customer_id, requested_by=requested_by
            )

    return CustomerExport(customer_id=customer_id, data=await asyncio.to_thread(read))


async def erase_customer_data(
    client: JourneyClient, org_id: str, customer_id: str, *, requested_by: str
) -> CustomerErasure:
    """End the customer's enrollments and erase their data (audited as an erasure)."""
    opted_out = await client.opt_out(
        org_id, customer_id, channel=ALL_CHANNELS, source=ERASURE_SOURCE
    )

    def erase() -> dict[str, int]:
        with client.store.transaction() as session:
            return erase_customer(
                session, org_id=org_id, customer_id=customer_id, requested_by=requested_by
            )

    erased = await asyncio.to_thread(erase)
    return CustomerErasure(customer_id=customer_id, exited=opted_out.exited, erased=erased)
