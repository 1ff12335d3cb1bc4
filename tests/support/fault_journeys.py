"""Journeys of the fault-injection tests (``tests/faults/``), for ``JOURNEYS_CATALOG``.

The processes those tests start route to them through
``JOURNEYS_CATALOG=tests.support.fault_journeys:FAULT_CATALOG``. ``fault_tour``:
each customer enters on ``fault_started``, waits for ``fault_finished`` and then
gets one webhook, so two events and one send per customer, each observable in
the enrollment's event counts, the communication log and at the receiver.
"""

from __future__ import annotations

from datetime import timedelta

from journeys.catalog import Catalog
from journeys.language import (
    Channel,
    EntryTrigger,
    ExitStep,
    JourneyDefinition,
    JourneyMetadata,
    SendStep,
    WaitForEventStep,
)

ENTRY_EVENT = "fault_started"
FINISH_EVENT = "fault_finished"
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


FAULT_TOUR = JourneyDefinition(
    id="fault_tour",
    version=1,
    metadata=JourneyMetadata(name="Fault tour"),
    entry=EntryTrigger(event=ENTRY_EVENT),
    start="listen",
    steps={
        "listen": WaitForEventStep(
            events={FINISH_EVENT: "notify"},
            timeout=timedelta(minutes=30),
            on_timeout="gave_up",
        ),
        "notify": SendStep(channels=[Channel.WEBHOOK], template="churn_outreach", next="done"),
        "done": ExitStep(outcome="notified"),
        "gave_up": ExitStep(outcome="no_finish"),
    },
    channels=[Channel.WEBHOOK],
)
"""Enters on ``fault_started``, sends one webhook after ``fault_finished``."""

FAULT_CATALOG = Catalog([CLICK_JOURNEY, FAULT_TOUR])
