"""Exporting and erasing a customer's data, audited, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from journeys.store import Store
from journeys.store.consent import ConsentStatus, record_consent
from journeys.store.customers import find_customer, upsert_customer
from journeys.store.events import record_event
from journeys.store.privacy import ERASED, erase_customer, export_customer, privacy_requests
from journeys.store.tables.communication import CommunicationLog, InboxMessage, ProviderAttempt
from journeys.store.tables.customers import Consent
from journeys.store.tables.decisions import ClientJourneyEvent
from journeys.store.tables.events import Event

ORG = "acme"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest) -> Store:
    store: Store = request.getfixturevalue("store" if request.param == "sqlite" else "pg_store")
    return store


def hold_data_on(store: Store, customer_id: str) -> None:
    with store.transaction() as session:
        upsert_customer(
            session, org_id=ORG, customer_id=customer_id, attributes={"email": "ada@example.com"}
        )
        record_event(
            session,
            org_id=ORG,
            event_id=f"{customer_id}-e1",
            customer_id=customer_id,
            name="page_viewed",
            occurred_at=NOW,
            properties={"page": "/pricing"},
        )
        record_consent(
            session,
            org_id=ORG,
            customer_id=customer_id,
            channel="email",
            status=ConsentStatus.OPTED_IN,
            source="signup",
            at=NOW,
        )
        key = f"key-{customer_id}"
        session.add(
            CommunicationLog(
                idempotency_key=key,
                org_id=ORG,
                customer_id=customer_id,
                journey_id="welcome",
                journey_version=1,
                workflow_id=f"journey:{ORG}:welcome:{customer_id}",
                enrollment_id=f"enr-{customer_id}",
                step_key="hello#1",
                channel="email",
                template="welcome",
                status="sent",
                subject="Hi Ada",
                body="Hello Ada at ada@example.com",
                detail="smtp:abc",
                links=["https://example.com/x"],
            )
        )
        session.add(
            ProviderAttempt(
                org_id=ORG,
                idempotency_key=key,
                channel="email",
                provider="smtp",
                attempt=1,
                outcome="sent",
                detail="250 ok for ada@example.com",
                at=NOW,
            )
        )
        session.add(
            InboxMessage(
                idempotency_key=f"inbox-{customer_id}",
                org_id=ORG,
                customer_id=customer_id,
                template="welcome",
                subject="Hi Ada",
                body="Hello Ada",
                links=[],
            )
        )
        session.add(
            ClientJourneyEvent(
                org_id=ORG,
                client_id=customer_id,
                stage="onboarding",
                event_type="kickoff",
                metadata_={"note": "Ada's kickoff"},
            )
        )


def test_export_holds_everything_and_erasure_removes_it_keeping_consent(
    any_store: Store,
) -> None:
    hold_data_on(any_store, "ada")
    hold_data_on(any_store, "bob")
    with any_store.transaction() as session:
        exported = export_customer(session, org_id=ORG, customer_id="ada", requested_by="test")
    assert exported["profile"][0]["attributes"] == {"email": "ada@example.com"}
    assert [row["event_id"] for row in exported["events"]] == ["ada-e1"]
    assert [row["channel"] for row in exported["consent"]] == ["email"]
    assert [row["body"] for row in exported["communication_log"]] == [
        "Hello Ada at ada@example.com"
    ]
    assert len(exported["provider_attempts"]) == 1
    assert len(exported["inbox_messages"]) == 1
    assert len(exported["client_journey_events"]) == 1

    with any_store.transaction() as session:
        erased = erase_customer(session, org_id=ORG, customer_id="ada", requested_by="test")
    assert erased["profile"] == 1
    assert erased["events"] == 1
    assert erased["communication_log_redacted"] == 1
    with any_store.transaction() as session:
        assert find_customer(session, org_id=ORG, customer_id="ada") is None
        assert session.scalars(select(Event).where(Event.customer_id == "ada")).all() == []
        [log] = session.scalars(
            select(CommunicationLog).where(CommunicationLog.customer_id == "ada")
        ).all()
        assert (log.subject, log.body, log.detail, log.links) == (ERASED, ERASED, ERASED, [])
        assert log.status == "sent"
        [attempt] = session.scalars(
            select(ProviderAttempt).where(ProviderAttempt.idempotency_key == "key-ada")
        ).all()
        assert attempt.detail == ERASED
        consent = session.scalars(select(Consent).where(Consent.customer_id == "ada")).all()
        assert [(c.channel, c.status) for c in consent] == [("email", "opted_in")]
        assert (
            session.scalars(select(InboxMessage).where(InboxMessage.customer_id == "ada")).all()
            == []
        )
        # Another customer keeps everything.
        assert find_customer(session, org_id=ORG, customer_id="bob") is not None
        bob = session.scalars(
            select(CommunicationLog).where(CommunicationLog.customer_id == "bob")
        ).one()
        assert bob.body == "Hello Ada at ada@example.com"
        audit = privacy_requests(session, org_id=ORG, customer_id="ada")
        assert [(r.kind, r.requested_by) for r in audit] == [("export", "test"), ("erase", "test")]
        assert audit[1].counts["events"] == 1
    with any_store.transaction() as session:
        after = export_customer(session, org_id=ORG, customer_id="ada", requested_by="test")
    assert after["profile"] == []
    assert after["events"] == []
    assert after["inbox_messages"] == []
