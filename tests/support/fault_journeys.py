"""The journey the fault-injection suite routes events to, for ``JOURNEYS_CATALOG``.

Each customer enters on ``fault_started``, waits for ``fault_finished`` and
then gets one webhook: two events and one send per customer, each observable
in the enrollment's event counts, the communication log and at the receiver.
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
"""``JOURNEYS_CATALOG`` naming this module's catalog for the processes the suite starts."""

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

FAULT_CATALOG = Catalog([FAULT_TOUR])
