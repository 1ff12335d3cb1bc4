"""Journeys and a Temporal client for routing tests."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from journeys.catalog.demo_tour import DEMO_TOUR_V1
from journeys.language import EntryTrigger, JourneyDefinition
from tests.support.network import free_port


def journey_variant(
    journey_id: str,
    event: str,
    *,
    group: str | None = None,
    priority: int = 0,
    status: str = "active",
) -> JourneyDefinition:
    """The demo tour under another id, entered by ``event``, in a conflict group if given."""
    return DEMO_TOUR_V1.model_copy(
        update={
            "id": journey_id,
            "entry": EntryTrigger(event=event),
            "conflict_group": group,
            "priority": priority,
            "metadata": DEMO_TOUR_V1.metadata.model_copy(update={"status": status}),
        }
    )


async def unreachable_temporal() -> Client:
    """A lazy client to a port with no server: any Temporal call through it fails."""
    return await Client.connect(
        f"127.0.0.1:{free_port()}", lazy=True, data_converter=pydantic_data_converter
    )
