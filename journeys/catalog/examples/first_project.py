"""A journey of your own: the example of the README's "Write your own journey".

Route to it instead of the shipped journeys by naming its catalog::

    JOURNEYS_CATALOG=journeys.catalog.examples.first_project:CATALOG journeys dev --no-demo

``workspace_created`` enrolls a customer: a welcome message at once; then, if
they create a project within two days, tips for it, else a nudge.

Templates: every journey's templates are in one registry today,
:data:`journeys.delivery.templates.TEMPLATES`. A catalog module adds its own to
it when it is imported, before it builds its :class:`Catalog` (which checks that
every send step names a known template). Every process that routes or sends
(worker, API, CLI, ``journeys dev``) imports the module ``JOURNEYS_CATALOG``
names, so each of them knows these templates.
"""

from __future__ import annotations

from datetime import timedelta

from journeys.catalog import Catalog
from journeys.delivery.templates import TEMPLATES, MessageContent, MessageTemplate
from journeys.language import (
    Channel,
    EntryTrigger,
    ExitStep,
    JourneyDefinition,
    JourneyMetadata,
    SendStep,
    WaitForEventStep,
)

WORKSPACE_CREATED = "workspace_created"
"""The entry event: your product sends it when a customer creates a workspace."""

PROJECT_CREATED = "project_created"
"""The event the journey waits for."""

FIRST_PROJECT_TEMPLATES: dict[str, MessageTemplate] = {
    "first_project_welcome": MessageTemplate(
        subject="Welcome, {{ first_name }}: your workspace is ready",
        body="Hi {{ first_name }}, create your first project and invite your team.",
        generic=MessageContent(
            subject="Your workspace is ready",
            body="Create your first project and invite your team.",
        ),
    ),
    "first_project_tips": MessageTemplate(
        subject="{{ first_name }}, three tips for your first project",
        body="Nice work, {{ first_name }}! Add a deadline, a teammate and a first task.",
        generic=MessageContent(
            subject="Three tips for your first project",
            body="Nice work! Add a deadline, a teammate and a first task.",
        ),
    ),
    "first_project_nudge": MessageTemplate(
        subject="Your first project takes two minutes",
        body="Hi {{ first_name }}, start from a template: https://example.com/templates",
        generic=MessageContent(
            subject="Your first project takes two minutes",
            body="Start from a template: https://example.com/templates",
        ),
    ),
}
"""This journey's message templates, by id (``{{ name }}``: the customer's attributes)."""

TEMPLATES.update(FIRST_PROJECT_TEMPLATES)

FIRST_PROJECT_V1 = JourneyDefinition(
    id="first_project",
    version=1,
    metadata=JourneyMetadata(
        name="First project",
        business_objective="Get new workspaces to create a project within two days",
    ),
    entry=EntryTrigger(event=WORKSPACE_CREATED),
    start="welcome",
    steps={
        "welcome": SendStep(
            channels=[Channel.EMAIL, Channel.IN_APP],
            template="first_project_welcome",
            next="wait_for_project",
        ),
        "wait_for_project": WaitForEventStep(
            events={PROJECT_CREATED: "tips"}, timeout=timedelta(days=2), on_timeout="nudge"
        ),
        "tips": SendStep(channels=[Channel.EMAIL], template="first_project_tips", next="activated"),
        "nudge": SendStep(
            channels=[Channel.EMAIL, Channel.IN_APP],
            template="first_project_nudge",
            next="not_yet",
        ),
        "activated": ExitStep(outcome="activated"),
        "not_yet": ExitStep(outcome="nudged"),
    },
    exit_events=["workspace_deleted"],
    channels=[Channel.EMAIL, Channel.IN_APP],
)
"""Version 1, written in Python. ``first_project_v2.yaml`` beside it is version 2 as YAML."""

CATALOG = Catalog([FIRST_PROJECT_V1])
"""What ``JOURNEYS_CATALOG=journeys.catalog.examples.first_project:CATALOG`` routes to."""
