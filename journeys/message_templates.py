"""Message templates: content per template id, rendered in a Jinja sandbox."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel

from journeys.errors import InvalidInputError


class MessageTemplate(BaseModel):
    """Subject and body of a message; ``{{ name }}`` placeholders use the customer's data."""

    subject: str
    body: str


class RenderedMessage(BaseModel):
    """A template rendered for one customer."""

    subject: str
    body: str


TEMPLATES: dict[str, MessageTemplate] = {
    "welcome": MessageTemplate(
        subject="Welcome aboard, {{ first_name | default('there') }}!",
        body="Hi {{ first_name | default('there') }}, thanks for signing up. "
        "Here is how to get your first result in five minutes.",
    ),
    "great_start": MessageTemplate(
        subject="Great start! Here are some advanced tips",
        body="You completed your first workflow on day one. Ready for step 2?",
    ),
    "getting_started_guide": MessageTemplate(
        subject="Your getting started guide",
        body="Complete your first analysis in 5 minutes: follow this guide.",
    ),
    "tour_ping": MessageTemplate(
        subject="Demo tour: {{ first_name | default('there') }}, this is a live journey",
        body="This message was sent by a durable Temporal workflow"
        " a few seconds after you enrolled.",
    ),
    "tour_done": MessageTemplate(
        subject="Demo tour complete",
        body="You reached the end of the demo tour.",
    ),
}
"""The shipped templates, by id."""

_environment = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def render_message(template_id: str, data: Mapping[str, Any]) -> RenderedMessage:
    """Render a template with the customer's data.

    Raises:
        InvalidInputError: the template id is unknown or the template cannot
            be rendered with this data (never a half-rendered message).
    """
    template = TEMPLATES.get(template_id)
    if template is None:
        raise InvalidInputError("template", f"unknown template {template_id!r}")
    try:
        return RenderedMessage(
            subject=_environment.from_string(template.subject).render(data),
            body=_environment.from_string(template.body).render(data),
        )
    except TemplateError as err:
        raise InvalidInputError("template", f"{template_id!r} cannot be rendered: {err}") from err
