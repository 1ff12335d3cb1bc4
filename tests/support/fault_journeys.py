"""Journeys of the fault-injection tests (``tests/faults/``).

The API processes of those tests route to them through
``JOURNEYS_CATALOG=tests.support.fault_journeys:FAULT_CATALOG``.
"""

from __future__ import annotations

from datetime import timedelta

from journeys.catalog import Catalog
from journeys.language import JourneyDefinition

CATALOG_SETTING = "tests.support.fault_journeys:FAULT_CATALOG"
"""The value of ``JOURNEYS_CATALOG`` naming :data:`FAULT_CATALOG`."""

CLICK_JOURNEY = JourneyDefinition.model_validate(
    {
        "id": "fault_click",
        "version": 1,
        "metadata": {"name": "Email, wait for its click, thank"},
        "start": "first",
        "steps": {
            "first": {
                "type": "send",
                "channels": ["email"],
                "template": "churn_outreach",
                "next": "hold",
            },
            "hold": {
                "type": "wait_for_event",
                "events": {"email_clicked": "thanks"},
                "timeout": timedelta(hours=1),
                "on_timeout": "done",
            },
            "thanks": {
                "type": "send",
                "channels": ["email"],
                "template": "churn_outreach",
                "next": "done",
            },
            "done": {"type": "exit"},
        },
    }
)
"""Hears ``email_clicked`` (delivery feedback) while it waits."""


def webhook_journey(deadline: timedelta) -> JourneyDefinition:
    """One webhook send whose last (only) channel retries until ``deadline``."""
    return JourneyDefinition.model_validate(
        {
            "id": "fault_webhook",
            "version": 1,
            "metadata": {"name": "One webhook send"},
            "start": "outreach",
            "send_deadline": deadline,
            "steps": {
                "outreach": {
                    "type": "send",
                    "channels": ["webhook"],
                    "template": "churn_outreach",
                    "next": "done",
                },
                "done": {"type": "exit"},
            },
        }
    )


FAULT_CATALOG = Catalog([CLICK_JOURNEY])
