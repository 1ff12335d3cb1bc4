"""Message templates: content per template id, rendered in a Jinja sandbox.

Each template has personalised content, optional segment-level content (chosen
by the customer's ``segment`` attribute) and generic content with no
placeholders. Rendering tries them in that order (seed 001: "fall back to
segment-level personalization, then to generic content"), so a message is
never sent half-rendered: a missing or empty value makes the whole level fail.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, Field, model_validator

from journeys.delivery.catalog_messages import CATALOG_MESSAGES
from journeys.errors import InvalidInputError

SEGMENT_ATTRIBUTE = "segment"
"""The customer attribute naming the segment whose content is the first fallback."""

_LINK = re.compile(r"https?://[^\s<>\"')\]]+")


class MessageContent(BaseModel):
    """Subject and body; ``{{ name }}`` placeholders use the customer's data."""

    subject: str
    body: str


class MessageTemplate(MessageContent):
    """A template: personalised content, per-segment content and generic content.

    Attributes:
        segments: Content by segment name, used when the personalised content
            cannot be rendered (missing or empty data).
        generic: Content with no customer data, the last fallback.
    """

    segments: dict[str, MessageContent] = Field(default_factory=dict)
    generic: MessageContent

    @model_validator(mode="after")
    def _generic_renders_without_data(self) -> MessageTemplate:
        try:
            _render(self.generic, {})
        except TemplateError as err:
            raise ValueError(f"generic content must render without data: {err}") from err
        return self


class ContentSource(StrEnum):
    """Which level of a template a message was rendered from."""

    PERSONALISED = "personalised"
    SEGMENT = "segment"
    GENERIC = "generic"


class RenderedMessage(BaseModel):
    """A template rendered for one customer, with the links found in the body."""

    subject: str
    body: str
    links: list[str] = Field(default_factory=list)
    source: ContentSource = ContentSource.PERSONALISED


_TEXT = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_HTML = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)
"""Templates are trusted; customer data is not: in HTML contexts every value is escaped."""


@functools.lru_cache(maxsize=1_024)
def _compiled(source: str, html: bool) -> Template:
    """A template source compiled once (compiling costs far more than rendering)."""
    return (_HTML if html else _TEXT).from_string(source)


def _render(
    content: MessageContent, data: Mapping[str, Any], html: bool = False
) -> RenderedMessage:
    body = _compiled(content.body, html).render(data)
    return RenderedMessage(
        subject=_compiled(content.subject, html).render(data),
        body=body,
        links=_LINK.findall(body),
    )


_RECOMMENDED_FEATURE = (
    "{{ decision_day_7_next_feature | default(decision_pick_feature) | replace('_', ' ') }}"
)
"""The feature a next-feature decision of the journey chose (see ``_decision_data``)."""

TEMPLATES: dict[str, MessageTemplate] = {
    "welcome": MessageTemplate(
        subject="Welcome aboard, {{ first_name | default('there') }}!",
        body="Hi {{ first_name | default('there') }}, thanks for signing up. "
        "Here is how to get your first result in five minutes.",
        generic=MessageContent(
            subject="Welcome aboard!",
            body="Thanks for signing up. Here is how to get your first result in five minutes.",
        ),
    ),
    "great_start": MessageTemplate(
        subject="Great start! Here are some advanced tips",
        body="You completed your first workflow on day one. Ready for step 2?",
        generic=MessageContent(
            subject="Great start! Here are some advanced tips",
            body="You completed your first workflow on day one. Ready for step 2?",
        ),
    ),
    "getting_started_guide": MessageTemplate(
        subject="Your getting started guide",
        body="Complete your first analysis in 5 minutes: follow this guide.",
        generic=MessageContent(
            subject="Your getting started guide",
            body="Complete your first analysis in 5 minutes: follow this guide.",
        ),
    ),
    "tour_ping": MessageTemplate(
        subject="Demo tour: {{ first_name | default('there') }}, this is a live journey",
        body="This message was sent by a durable Temporal workflow"
        " a few seconds after you enrolled.",
        generic=MessageContent(
            subject="Demo tour: this is a live journey",
            body="This message was sent by a durable Temporal workflow"
            " a few seconds after you enrolled.",
        ),
    ),
    "tour_done": MessageTemplate(
        subject="Demo tour complete",
        body="You reached the end of the demo tour.",
        generic=MessageContent(
            subject="Demo tour complete", body="You reached the end of the demo tour."
        ),
    ),
    "churn_outreach": MessageTemplate(
        subject="{{ first_name }}, a quick check-in",
        body="Hi {{ first_name }}, I noticed {{ risk_factor_statement }}. "
        "I want to make sure you're getting the most value from your account: "
        "book 15 minutes with us at https://example.com/book-a-call",
        segments={
            "enterprise": MessageContent(
                subject="A check-in from your account team",
                body="Hi, your account team noticed your usage changed recently. "
                "I want to make sure your team is getting the most value: "
                "book 15 minutes with us at https://example.com/book-a-call",
            ),
        },
        generic=MessageContent(
            subject="A quick check-in",
            body="Hi, I want to make sure you're getting the most value from your account: "
            "book 15 minutes with us at https://example.com/book-a-call",
        ),
    ),
    # Seed 000 Day 7: the spotlight and the tooltip name the feature the next-feature
    # decision recommended (onboarding's step ``day_7_next_feature``, or the feature
    # adoption journey's ``pick_feature``).
    "feature_spotlight": MessageTemplate(
        subject=f"Feature Spotlight: {_RECOMMENDED_FEATURE}",
        body=f"Users like you used {_RECOMMENDED_FEATURE} next: here is how to start with it.",
        generic=MessageContent(
            subject="Feature Spotlight", body="Users like you used this feature next."
        ),
    ),
    "feature_tooltip": MessageTemplate(
        subject=f"Try {_RECOMMENDED_FEATURE}",
        body=f"Here is {_RECOMMENDED_FEATURE}, the feature we recommend next.",
        generic=MessageContent(
            subject="Try this feature", body="Here is the feature we recommend next."
        ),
    ),
}
"""The shipped templates, by id. ``churn_outreach`` is seed 000's Day-0 message."""

TEMPLATES.update(
    {
        template_id: MessageTemplate(
            subject=subject, body=body, generic=MessageContent(subject=subject, body=body)
        )
        for template_id, (subject, body) in CATALOG_MESSAGES.items()
        if template_id not in TEMPLATES
    }
)


def render_message(
    template_id: str,
    data: Mapping[str, Any],
    templates: Mapping[str, MessageTemplate] = TEMPLATES,
    *,
    html: bool = False,
) -> RenderedMessage:
    """Render a template for a customer, falling back to segment then generic content.

    Values that are ``None`` or empty strings count as missing. With ``html``
    (a body shown as HTML) every value is HTML-escaped, so markup in a customer's
    attributes is shown as text, never interpreted.

    Args:
        template_id: The template.
        data: The customer's attributes and the step's personalisation values.
        templates: The registry to look the template up in (a catalog's; default
            the shipped templates).
        html: The body is shown as HTML: escape every value.

    Raises:
        InvalidInputError: the template id is unknown.
    """
    template = templates.get(template_id)
    if template is None:
        raise InvalidInputError("template", f"unknown template {template_id!r}")
    known = {name: value for name, value in data.items() if value is not None and value != ""}
    levels: list[tuple[ContentSource, MessageContent]] = [(ContentSource.PERSONALISED, template)]
    segment = template.segments.get(str(known.get(SEGMENT_ATTRIBUTE, "")))
    if segment is not None:
        levels.append((ContentSource.SEGMENT, segment))
    for source, content in levels:
        try:
            return _render(content, known, html).model_copy(update={"source": source})
        except TemplateError:
            continue
    return _render(template.generic, {}).model_copy(update={"source": ContentSource.GENERIC})
