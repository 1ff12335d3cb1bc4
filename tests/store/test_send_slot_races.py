"""Journeys racing for a customer's last cap slot: exactly one wins (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from journeys.contracts.activities import SendStatus
from journeys.delivery.frequency_caps import BLUEPRINT_FREQUENCY_CAPS
from journeys.language.channels import Channel
from journeys.store import Store
from journeys.store.tables.communication import CommunicationLog
from tests.support.delivery import (
    activities_for,
    customer,
    provider_settings,
    request,
)
from tests.support.provider_servers import HttpProviderServer, SmtpServer

RACERS = 6
ROUNDS = 4
BLUEPRINT = list(BLUEPRINT_FREQUENCY_CAPS)
"""Every racer's journey declares seed 001's caps (JRN-ACT-RET-001's own)."""


def race_for_last_slot(store: Store, settings, smtp: SmtpServer, http: HttpProviderServer) -> None:
    delivery = activities_for(store, provider_settings(settings, smtp, http))
    for round_number in range(ROUNDS):
        customer_id = f"racer-{round_number}"
        customer(store, customer_id)
        first = delivery.deliver_message(
            request(customer_id, Channel.EMAIL, journey_id="first", frequency_caps=BLUEPRINT)
        )
        assert first.status is SendStatus.SENT  # the blueprint's email cap is 2/week: one left
        barrier = threading.Barrier(RACERS)

        def send(journey: int, customer_id: str = customer_id, barrier=barrier):
            barrier.wait()
            return delivery.deliver_message(
                request(
                    customer_id,
                    Channel.EMAIL,
                    journey_id=f"journey-{journey}",
                    enrollment_id=f"enr-{customer_id}-{journey}",
                    frequency_caps=BLUEPRINT,
                )
            ).status

        with ThreadPoolExecutor(RACERS) as pool:
            statuses = Counter(pool.map(send, range(RACERS)))
        assert statuses == {SendStatus.SENT: 1, SendStatus.CAPPED: RACERS - 1}
        with store.transaction() as session:
            sent = session.scalar(
                select(func.count()).where(
                    CommunicationLog.customer_id == customer_id,
                    CommunicationLog.status == "sent",
                )
            )
        assert sent == 2
    assert len(smtp.messages) == 2 * ROUNDS


@pytest.fixture
def servers():
    smtp, http = SmtpServer().start(), HttpProviderServer().start()
    yield smtp, http
    smtp.stop()
    http.stop()


def test_last_slot_race_on_sqlite(store, settings, servers):
    race_for_last_slot(store, settings, *servers)


@pytest.mark.postgres
def test_last_slot_race_on_postgresql(pg_store, settings, servers):
    race_for_last_slot(pg_store, settings, *servers)
