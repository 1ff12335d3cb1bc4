"""The Python client: enroll customers and track their behaviour events.

Product code calls :meth:`JourneyClient.track` with each behaviour event: the
event is stored once (idempotent on its id), journeys whose entry trigger it is
are started by signal-with-start, and running enrollments that listen to it are
signalled. Events no journey listens to cost one store write and nothing else.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import structlog
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from journeys.catalog import Catalog, default_catalog
from journeys.enrollment_contracts import (
    EnrollmentInput,
    EnrollmentState,
    EventPropertyValue,
    EventSignal,
    ExitRequest,
    enrollment_workflow_id,
)
from journeys.errors import EnrollmentRefusedError
from journeys.language import JourneyDefinition, ReentryPolicy
from journeys.language.steps import EVENT_NAME_PATTERN
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.customers import find_customer, upsert_customer
from journeys.store.enrollments import latest_enrollment
from journeys.store.events import record_event
from journeys.temporal_connection import connect_temporal
from workflows.journey_workflow import JourneyWorkflow

log = structlog.get_logger(__name__)

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@:+-]{0,127}$"
"""Org, customer and event ids: printable, no spaces, at most 128 characters."""

MAX_EVENT_PROPERTIES = 50


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must include a time zone (e.g. 2026-01-01T09:00:00Z)")
    return value.astimezone(UTC)


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


class TrackedEvent(BaseModel):
    """A behaviour event sent by product code.

    Attributes:
        org_id: The organisation.
        customer_id: The customer's id within the organisation.
        name: Event name (``account_created``).
        event_id: Unique id of the event; a repeated id is stored and routed once.
        occurred_at: When it happened (timezone-aware; defaults to now).
        properties: A few small properties (at most 50).
    """

    model_config = ConfigDict(extra="forbid")

    org_id: str = Field(pattern=ID_PATTERN)
    customer_id: str = Field(pattern=ID_PATTERN)
    name: str = Field(pattern=EVENT_NAME_PATTERN)
    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex, pattern=ID_PATTERN)
    occurred_at: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    properties: dict[str, EventPropertyValue] = Field(
        default_factory=dict, max_length=MAX_EVENT_PROPERTIES
    )


class SkippedJourney(BaseModel):
    """A journey an event would have started, and why it did not."""

    journey_id: str
    reason: str


class TrackResult(BaseModel):
    """What :meth:`JourneyClient.track` did with an event.

    Attributes:
        stored: False when the event id was already stored (nothing was routed).
        enrolled: Workflow ids started (or signalled, if already running) as entry.
        signalled: Workflow ids of running enrollments that received the event.
        skipped: Journeys the event did not start, with the reason.
    """

    event_id: str
    stored: bool
    enrolled: list[str] = Field(default_factory=list)
    signalled: list[str] = Field(default_factory=list)
    skipped: list[SkippedJourney] = Field(default_factory=list)


class EnrollResult(BaseModel):
    """An enrollment that was started."""

    workflow_id: str
    run_id: str | None
    journey_id: str
    journey_version: int


class JourneyClient:
    """Enrolls customers and routes their events to journeys.

    Args:
        temporal: A Temporal client using the pydantic data converter.
        store: The store.
        catalog: The journeys to route to.
        settings: Settings (task queue, signal bound).
    """

    def __init__(self, temporal: Client, store: Store, catalog: Catalog, settings: JourneySettings):
        self.temporal = temporal
        self.store = store
        self.catalog = catalog
        self.settings = settings

    @classmethod
    async def connect(
        cls, settings: JourneySettings | None = None, catalog: Catalog | None = None
    ) -> JourneyClient:
        """Connect to Temporal and the store named by ``settings``."""
        settings = settings or JourneySettings()
        temporal = await connect_temporal(settings)
        return cls(
            temporal, Store(settings.resolved_database_url), catalog or default_catalog(), settings
        )

    async def identify(
        self,
        org_id: str,
        customer_id: str,
        *,
        attributes: dict[str, Any] | None = None,
        timezone: str | None = None,
        lifecycle_stage: str | None = None,
    ) -> None:
        """Create or update a customer's profile."""

        def write() -> None:
            with self.store.transaction() as session:
                upsert_customer(
                    session,
                    org_id=org_id,
                    customer_id=customer_id,
                    attributes=attributes,
                    timezone=timezone,
                    lifecycle_stage=lifecycle_stage,
                )

        await asyncio.to_thread(write)

    async def track(self, event: TrackedEvent) -> TrackResult:
        """Store an event once and route it to the journeys that need it."""

        def store_event() -> bool:
            with self.store.transaction() as session:
                return record_event(
                    session,
                    org_id=event.org_id,
                    event_id=event.event_id,
                    customer_id=event.customer_id,
                    name=event.name,
                    occurred_at=event.occurred_at,
                    properties=event.properties,
                )

        result = TrackResult(event_id=event.event_id, stored=await asyncio.to_thread(store_event))
        if not result.stored:
            return result
        signal = EventSignal(
            event_id=event.event_id,
            name=event.name,
            occurred_at=event.occurred_at,
            properties=event.properties,
        )
        for journey in self.catalog.entered_by(event.name):
            try:
                started = await self._start(
                    event.org_id, event.customer_id, journey, trigger=signal
                )
            except EnrollmentRefusedError as refusal:
                result.skipped.append(SkippedJourney(journey_id=journey.id, reason=str(refusal)))
            else:
                result.enrolled.append(started.workflow_id)
        for journey in self.catalog.listening_to(event.name):
            if journey.entry.event == event.name:
                continue
            workflow_id = enrollment_workflow_id(
                event.org_id, journey.routing_key, event.customer_id
            )
            if await self._signal_running(workflow_id, signal):
                result.signalled.append(workflow_id)
        return result

    async def enroll(
        self, org_id: str, customer_id: str, journey_id: str, *, version: int | None = None
    ) -> EnrollResult:
        """Enroll a customer in a journey explicitly (API-triggered entry).

        Raises:
            UnknownJourneyError: the journey or version is not in the catalog.
            EnrollmentRefusedError: the customer is enrolled already, or the
                journey's re-entry policy refuses a new enrollment.
        """
        definition = self.catalog.get(journey_id, version)
        return await self._start(org_id, customer_id, definition, trigger=None)

    async def exit(self, org_id: str, customer_id: str, journey_id: str, reason: str) -> None:
        """Ask a running enrollment to end now."""
        definition = self.catalog.get(journey_id)
        handle = self._handle(org_id, customer_id, definition)
        await handle.signal(JourneyWorkflow.request_exit, ExitRequest(reason=reason))

    async def get_enrollment(
        self, org_id: str, customer_id: str, journey_id: str
    ) -> EnrollmentState:
        """The enrollment's state, from the workflow's ``state`` query."""
        definition = self.catalog.get(journey_id)
        return await self._handle(org_id, customer_id, definition).query(JourneyWorkflow.state)

    def _handle(
        self, org_id: str, customer_id: str, definition: JourneyDefinition
    ) -> WorkflowHandle[Any, Any]:
        workflow_id = enrollment_workflow_id(org_id, definition.routing_key, customer_id)
        return self.temporal.get_workflow_handle(workflow_id)

    async def _start(
        self,
        org_id: str,
        customer_id: str,
        definition: JourneyDefinition,
        *,
        trigger: EventSignal | None,
    ) -> EnrollResult:
        workflow_id = enrollment_workflow_id(org_id, definition.routing_key, customer_id)
        stage = await asyncio.to_thread(self._check_reentry, org_id, customer_id, definition)
        params = EnrollmentInput(
            org_id=org_id,
            customer_id=customer_id,
            definition=definition,
            max_signals_per_run=self.settings.max_signals_per_run,
            lifecycle_stage=stage,
        )
        reuse = (
            WorkflowIDReusePolicy.REJECT_DUPLICATE
            if definition.reentry is ReentryPolicy.NEVER
            else WorkflowIDReusePolicy.ALLOW_DUPLICATE
        )
        try:
            if trigger is None:
                handle = await self.temporal.start_workflow(
                    JourneyWorkflow.run,
                    params,
                    id=workflow_id,
                    task_queue=self.settings.task_queue,
                    id_reuse_policy=reuse,
                    id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                    static_summary=f"{definition.key} for {customer_id}",
                )
            else:
                handle = await self.temporal.start_workflow(
                    JourneyWorkflow.run,
                    params,
                    id=workflow_id,
                    task_queue=self.settings.task_queue,
                    id_reuse_policy=reuse,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                    start_signal="record_event",
                    start_signal_args=[trigger],
                    static_summary=f"{definition.key} for {customer_id}",
                )
        except WorkflowAlreadyStartedError as err:
            raise EnrollmentRefusedError(
                f"{customer_id} is enrolled in {definition.routing_key} already, or was"
                f" and re-entry is {definition.reentry.value}"
            ) from err
        log.info(
            "enrolled",
            org_id=org_id,
            customer_id=customer_id,
            journey_id=definition.id,
            workflow_id=workflow_id,
        )
        return EnrollResult(
            workflow_id=workflow_id,
            run_id=handle.first_execution_run_id or handle.result_run_id,
            journey_id=definition.id,
            journey_version=definition.version,
        )

    def _check_reentry(
        self, org_id: str, customer_id: str, definition: JourneyDefinition
    ) -> str | None:
        """Refuse by the store's history (Temporal forgets closed runs after retention).

        Returns the customer's lifecycle stage, if known.
        """
        with self.store.transaction() as session:
            previous = latest_enrollment(
                session, org_id=org_id, customer_id=customer_id, journey_id=definition.id
            )
            customer = find_customer(session, org_id=org_id, customer_id=customer_id)
            stage = customer.lifecycle_stage if customer else None
        if previous is None or previous.ended_at is None:
            return stage
        if definition.reentry is ReentryPolicy.NEVER:
            raise EnrollmentRefusedError(
                f"{customer_id} was enrolled in {definition.id} before and re-entry is never"
            )
        cooldown = definition.reentry_cooldown or timedelta(0)
        if (
            definition.reentry is ReentryPolicy.AFTER_COOLDOWN
            and previous.started_at + cooldown > datetime.now(UTC)
        ):
            raise EnrollmentRefusedError(
                f"{customer_id} entered {definition.id} less than {cooldown} ago"
            )
        return stage

    async def _signal_running(self, workflow_id: str, signal: EventSignal) -> bool:
        """Signal an enrollment if one is running; False when there is none."""
        handle = self.temporal.get_workflow_handle(workflow_id)
        try:
            await handle.signal(JourneyWorkflow.record_event, signal)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True
