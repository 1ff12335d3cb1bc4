"""Load and reconciliation for the fault-injection suite (``tests/faults``).

A client posts each customer's events to ``/v1/track`` as a careful client
would: an answer that is not 2xx (a dead API, a 503) is retried with the same
``event_id``. Afterwards every enrollment, the communication log, the store and
the webhook receiver are reconciled into figures: losses and duplicates.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select
from temporalio.client import Client
from temporalio.service import RPCError

from journeys.contracts.enrollment import enrollment_workflow_id
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.events import unrouted_events
from journeys.store.tables.communication import CommunicationLog
from journeys.store.tables.events import Event
from tests.support.api_process import server_env
from tests.support.delivery import ORG, SECRET
from tests.support.fault_journeys import CATALOG_SETTING, ENTRY_EVENT, FAULT_TOUR, FINISH_EVENT
from tests.support.provider_servers import HttpProviderServer
from workflows.journey_workflow import JourneyWorkflow

POST_DEADLINE_SECONDS = 45.0
"""How long the client keeps retrying one event before the test fails."""

RETRY_PAUSE_SECONDS = 0.2
REQUEST_TIMEOUT_SECONDS = 30.0
"""Above the Temporal client's own retries of a call (about 10 s), after which the API answers."""
DELIVERED = frozenset({"sent", "unknown"})
"""Final send statuses: delivered, or recorded with the reason it may not have been."""


@dataclass
class Figures:
    """What one fault run did and found."""

    name: str
    runs: int = 1
    kills: int = 0
    events: int = 0
    sends: int = 0
    losses: int = 0
    duplicates: int = 0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        """The one-line summary the suite prints."""
        return (
            f"fault figures {self.name}: runs={self.runs} kills={self.kills}"
            f" events={self.events} sends={self.sends} losses={self.losses}"
            f" duplicates={self.duplicates}"
        )

    def lost(self, problem: str) -> None:
        self.losses += 1
        self.problems.append(f"lost: {problem}")

    def duplicated(self, problem: str) -> None:
        self.duplicates += 1
        self.problems.append(f"duplicate: {problem}")


@dataclass
class EventPoster:
    """Posts events, retrying with the same id whatever did not get a 2xx.

    Attributes:
        accepted: Event ids the API answered 2xx.
        left_unrouted: Event ids answered 503 that were not retried
            (``retry_unavailable`` false): stored, for the worker's sweep to route.
        retries: Attempts that got no 2xx.
    """

    http: httpx.AsyncClient
    api_key: str
    retry_unavailable: bool = True
    accepted: set[str] = field(default_factory=set)
    left_unrouted: set[str] = field(default_factory=set)
    retries: int = 0

    async def post(self, event: dict[str, Any]) -> None:
        """Post until 2xx (or a 503 not to be retried); fail on any 4xx."""
        deadline = asyncio.get_running_loop().time() + POST_DEADLINE_SECONDS
        while True:
            try:
                answer = await self.http.post(
                    "/v1/track", json=event, headers={"X-API-Key": self.api_key}
                )
            except httpx.TransportError:
                answer = None
            if answer is not None and answer.is_success:
                self.accepted.add(event["event_id"])
                return
            if answer is not None and answer.status_code < 500:
                raise AssertionError(f"{event['event_id']}: {answer.status_code} {answer.text}")
            if answer is not None and answer.status_code == 503 and not self.retry_unavailable:
                self.left_unrouted.add(event["event_id"])
                return
            self.retries += 1
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{event['event_id']} never accepted")
            await asyncio.sleep(RETRY_PAUSE_SECONDS)

    async def post_all(self, events: list[dict[str, Any]], concurrency: int = 8) -> None:
        """Post events, ``concurrency`` at a time (each customer once per call)."""
        gate = asyncio.Semaphore(concurrency)

        async def one(event: dict[str, Any]) -> None:
            async with gate:
                await self.post(event)

        await asyncio.gather(*(one(event) for event in events))


def fault_env(
    settings: JourneySettings,
    address: str,
    receiver: HttpProviderServer,
    sweep_seconds: float = 0.5,
) -> dict[str, str]:
    """Processes routing to the fault tour, sending webhooks to ``receiver``, sweeping often."""
    return server_env(
        settings,
        address,
        JOURNEYS_CATALOG=CATALOG_SETTING,
        JOURNEYS_WEBHOOK_PROVIDER="http",
        JOURNEYS_WEBHOOK_URL=receiver.url + "/hooks",
        JOURNEYS_WEBHOOK_SECRET=SECRET,
        JOURNEYS_DELIVERY_FREQUENCY_CAPS="[]",
        JOURNEYS_UNROUTED_EVENT_SWEEP_SECONDS=str(sweep_seconds),
        JOURNEYS_UNROUTED_EVENT_GRACE_SECONDS="2",
    )


def entry_events(customers: list[str]) -> list[dict[str, Any]]:
    """Each customer's ``fault_started``: it enrolls them."""
    return [{"customer_id": c, "name": ENTRY_EVENT, "event_id": f"in-{c}"} for c in customers]


def finish_events(customers: list[str]) -> list[dict[str, Any]]:
    """Each customer's ``fault_finished``: it signals their enrollment, which then sends."""
    return [{"customer_id": c, "name": FINISH_EVENT, "event_id": f"fin-{c}"} for c in customers]


def workflow_id(customer_id: str) -> str:
    """The customer's enrollment in the fault tour."""
    return enrollment_workflow_id(ORG, FAULT_TOUR.routing_key, customer_id)


async def enrollment_runs(temporal: Client, task_queue: str) -> Counter[str]:
    """Runs per workflow id on the task queue (more than one: an enrollment started twice)."""
    runs: Counter[str] = Counter()
    async for execution in temporal.list_workflows(f'TaskQueue = "{task_queue}"'):
        runs[execution.id] += 1
    return runs


async def all_finished(
    figures: Figures, temporal: Client, customers: list[str], seconds: float
) -> None:
    """Wait until every customer's enrollment has ended; those still running count as losses."""
    handles = [temporal.get_workflow_handle(workflow_id(c)) for c in customers]
    waits = [asyncio.ensure_future(handle.result()) for handle in handles]
    _, running = await asyncio.wait(waits, timeout=seconds)
    for handle, wait in zip(handles, waits, strict=True):
        if wait in running:
            wait.cancel()
            figures.lost(f"{handle.id} still running after {seconds:g} s")
    await asyncio.gather(*waits, return_exceptions=True)


def unrouted_count(store: Store) -> int:
    """Events stored but not routed yet."""
    with store.transaction() as session:
        return len(unrouted_events(session, received_before=datetime.now(UTC), limit=10_000))


async def reconcile(
    figures: Figures,
    *,
    temporal: Client,
    store: Store,
    receiver: HttpProviderServer,
    task_queue: str,
    customers: list[str],
    posted: set[str],
) -> None:
    """Count losses and duplicates of events (``posted``: ids the API took) and of sends."""
    runs = await enrollment_runs(temporal, task_queue)
    for customer_id in customers:
        wanted = workflow_id(customer_id)
        if runs[wanted] > 1:
            figures.duplicated(f"{wanted} ran {runs[wanted]} times")
        try:
            state = await temporal.get_workflow_handle_for(JourneyWorkflow.run, wanted).query(
                JourneyWorkflow.state
            )
        except RPCError as err:
            figures.lost(f"{wanted}: {err}")
            continue
        for name in (ENTRY_EVENT, FINISH_EVENT):
            count = state.event_counts.get(name, 0)
            if count == 0:
                figures.lost(f"{name} of {customer_id} never reached {wanted}")
            elif count > 1:
                figures.duplicated(f"{name} of {customer_id} reached {wanted} {count} times")
    with store.transaction() as session:
        stored = set(session.scalars(select(Event.event_id).where(Event.org_id == ORG)))
        rows = session.scalars(select(CommunicationLog).where(CommunicationLog.org_id == ORG)).all()
        for event_id in posted - stored:
            figures.lost(f"event {event_id} taken but not stored")
    if left := unrouted_count(store):
        figures.lost(f"{left} events still unrouted")
    reconcile_sends(figures, rows, receiver, customers)


def sends_recorded_unknown(store: Store) -> int:
    """Sends recorded ``unknown``: cut between the provider call and its record."""
    with store.transaction() as session:
        rows = session.scalars(
            select(CommunicationLog.id).where(CommunicationLog.status == "unknown")
        ).all()
        return len(rows)


def reconcile_sends(
    figures: Figures,
    rows: Sequence[CommunicationLog],
    receiver: HttpProviderServer,
    customers: list[str],
) -> None:
    """One log row per customer, final; every delivered key received once, none twice."""
    figures.sends = len(rows)
    per_customer = Counter(row.customer_id for row in rows)
    received = Counter(receiver.keys())
    for customer_id in customers:
        if per_customer[customer_id] == 0:
            figures.lost(f"no send recorded for {customer_id}")
        elif per_customer[customer_id] > 1:
            figures.duplicated(f"{per_customer[customer_id]} sends recorded for {customer_id}")
    keys = {row.idempotency_key for row in rows}
    for key, count in received.items():
        if count > 1:
            figures.duplicated(f"message {key} delivered {count} times")
        if key not in keys:
            figures.duplicated(f"message {key} delivered without a log row")
    for row in rows:
        reconcile_row(figures, row, received[row.idempotency_key])


def reconcile_row(figures: Figures, row: CommunicationLog, received: int) -> None:
    """A send is final: sent and received, or ``unknown`` with its reason."""
    if row.status not in DELIVERED:
        figures.lost(f"send {row.idempotency_key} ended {row.status}: {row.detail}")
    elif row.status == "unknown" and not row.detail:
        figures.lost(f"send {row.idempotency_key} recorded unknown without a reason")
    elif row.status == "sent" and received == 0:
        figures.lost(f"send {row.idempotency_key} recorded sent, never received")
