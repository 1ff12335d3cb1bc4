"""Pause and resume a whole journey (seed 001: emergency pause on a regulatory change).

The status is kept in the store, where new enrollments read it when they start;
running enrollments are told by the ``set_paused`` signal and hold before their
next send until resumed, then continue where they were.
"""

from __future__ import annotations

import asyncio

from temporalio.client import Client

from journeys.catalog import Catalog
from journeys.contracts.enrollment import PauseRequest
from journeys.routing.visibility import enrollment_query
from journeys.store import Store
from journeys.store.journey_status import set_journey_status
from workflows.journey_workflow import JourneyWorkflow


async def set_journey_paused(
    temporal: Client, store: Store, catalog: Catalog, journey_id: str, *, paused: bool, reason: str
) -> int:
    """Pause or resume a journey; returns how many running enrollments were told.

    Raises:
        UnknownJourneyError: the journey is not in the catalog.
    """
    catalog.get(journey_id)

    def write() -> None:
        with store.transaction() as session:
            set_journey_status(session, journey_id, paused=paused, reason=reason)

    await asyncio.to_thread(write)
    told = 0
    async for execution in temporal.list_workflows(
        enrollment_query(journey_id=journey_id, running=True)
    ):
        handle = temporal.get_workflow_handle_for(JourneyWorkflow.run, execution.id)
        await handle.signal(JourneyWorkflow.set_paused, PauseRequest(paused=paused, reason=reason))
        told += 1
    return told
