"""A team's own catalog: one journey with its own template (``JOURNEYS_CATALOG`` target)."""

from __future__ import annotations

from journeys.catalog import SHIPPED_JOURNEYS, Catalog
from journeys.delivery.templates import MessageContent, MessageTemplate
from journeys.language import (
    Channel,
    ExitStep,
    JourneyDefinition,
    JourneyMetadata,
    SendStep,
)

TEAM_TEMPLATE = "team_hello"

TEAM_JOURNEY = JourneyDefinition(
    id="team_hello_journey",
    version=1,
    metadata=JourneyMetadata(name="A team's own journey"),
    start="hello",
    steps={
        "hello": SendStep(channels=[Channel.IN_APP], template=TEAM_TEMPLATE, next="done"),
        "done": ExitStep(),
    },
)

TEAM_CATALOG = Catalog(
    [*SHIPPED_JOURNEYS, TEAM_JOURNEY],
    templates={
        TEAM_TEMPLATE: MessageTemplate(
            subject="Hello {{ first_name }} from {{ team }}",
            body="{{ first_name }}, the {{ team }} team made this journey: https://example.com/team",
            generic=MessageContent(subject="Hello from the team", body="The team says hello."),
        )
    },
)
"""Every shipped journey plus the team's, and the team's template beside the shipped ones."""
