"""A team's own catalog: journeys with their own template and scorer (``JOURNEYS_CATALOG``)."""

from __future__ import annotations

from journeys.catalog import SHIPPED_JOURNEYS, Catalog
from journeys.contracts.scoring import ScoreResult
from journeys.delivery.templates import MessageContent, MessageTemplate
from journeys.language import (
    Channel,
    DecideStep,
    ExitStep,
    JourneyDefinition,
    JourneyMetadata,
    ScoreBand,
    SendStep,
)
from journeys.scoring import ActivitySummary

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

TEAM_SCORER = "team_readiness"


def team_readiness(summary: ActivitySummary) -> ScoreResult:
    """The team's own formula: 25 points per login day, at most 100."""
    score = float(min(25 * summary.login_days, 100))
    return ScoreResult(
        scorer=TEAM_SCORER,
        score=score,
        tier="ready" if score > 50 else "not_ready",
        inputs=summary.inputs(),
        model_version="team-1",
    )


TEAM_DECISION_JOURNEY = JourneyDefinition(
    id="team_readiness_journey",
    version=1,
    metadata=JourneyMetadata(name="A team's own decision"),
    start="readiness",
    steps={
        "readiness": DecideStep(
            scorer=TEAM_SCORER, bands=[ScoreBand(above=50, next="ready")], otherwise="not_ready"
        ),
        "ready": ExitStep(outcome="ready"),
        "not_ready": ExitStep(outcome="not_ready"),
    },
)

TEAM_CATALOG = Catalog(
    [*SHIPPED_JOURNEYS, TEAM_JOURNEY, TEAM_DECISION_JOURNEY],
    formulas={TEAM_SCORER: (team_readiness, 7)},
    templates={
        TEAM_TEMPLATE: MessageTemplate(
            subject="Hello {{ first_name }} from {{ team }}",
            body="{{ first_name }}, the {{ team }} team made this journey: https://example.com/team",
            generic=MessageContent(subject="Hello from the team", body="The team says hello."),
        )
    },
)
"""Every shipped journey plus the team's, with the team's template and scorer."""
