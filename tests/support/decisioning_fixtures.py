"""Store rows the decisioning tests share: customers, sends and behaviour events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from journeys.store import Store
from journeys.store.customers import upsert_customer
from journeys.store.events import record_event
from journeys.store.tables.communication import CommunicationLog


def add_customer(store: Store, org_id: str, customer_id: str, **attributes: Any) -> None:
    with store.transaction() as session:
        upsert_customer(session, org_id=org_id, customer_id=customer_id, attributes=attributes)


def add_events(
    store: Store, org_id: str, customer_id: str, name: str, times: list[datetime], **props: Any
) -> None:
    with store.transaction() as session:
        for at in times:
            record_event(
                session,
                org_id=org_id,
                event_id=uuid.uuid4().hex,
                customer_id=customer_id,
                name=name,
                occurred_at=at,
                properties=dict(props),
            )


def add_send(
    store: Store,
    org_id: str,
    customer_id: str,
    channel: str,
    at: datetime,
    *,
    status: str = "sent",
    opened: bool = False,
    clicked: bool = False,
) -> None:
    with store.transaction() as session:
        session.add(
            CommunicationLog(
                idempotency_key=uuid.uuid4().hex,
                org_id=org_id,
                customer_id=customer_id,
                journey_id="test",
                journey_version=1,
                workflow_id="wf",
                enrollment_id="enr",
                step_key=uuid.uuid4().hex,
                channel=channel,
                template="t",
                status=status,
                created_at=at,
                updated_at=at,
                slot_at=at,
                opened_at=at if opened else None,
                clicked_at=at if clicked else None,
            )
        )
