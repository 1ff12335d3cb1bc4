"""The Python client: enroll customers and track their behaviour events.

Product code calls :meth:`JourneyClient.track` with each behaviour event: the
event is stored once (idempotent on its id), journeys whose entry trigger it is
are started by signal-with-start, and running enrollments that listen to it are
signalled. Events no journey listens to cost one store write and nothing else.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

import structlog
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio.client import Client, WorkflowExecution, WorkflowHandle
from temporalio.common import (
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from journeys.catalog import Catalog, resolve_conflicts
from journeys.catalog.configured import configured_catalog
from journeys.contracts import search_attributes
from journeys.contracts.enrollment import (
    INTERPRETER_REVISION,
    EnrollmentInput,
    EnrollmentState,
    EnrollmentStatus,
    EventPropertyValue,
    EventSignal,
    ExitRequest,
    enrollment_workflow_id,
)
from journeys.decisioning.client_journey_service import (
    JOURNEY_STAGE_PROPERTY,
    keep_journey_score_current,
)
from journeys.errors import EnrollmentNotFoundError, EnrollmentRefusedError, InvalidInputError
from journeys.language import JourneyDefinition, ReentryPolicy
from journeys.language.evaluation import entry_conditions_hold
from journeys.language.steps import EVENT_NAME_PATTERN
from journeys.routing.group_commit import GroupCommit
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.consent import (
    ALL_CHANNELS,
    CONSENT_CHANNELS,
    ConsentStatus,
    record_consent,
)
from journeys.store.customers import find_customer, upsert_customer
from journeys.store.enrollments import latest_enrollment
from journeys.store.events import record_event
from journeys.store.tables.enrollments import Enrollment
from journeys.temporal_connection import connect_temporal
from workflows.journey_workflow import JourneyWorkflow

log = structlog.get_logger(__name__)

SignalArgument = TypeVar("SignalArgument", EventSignal, ExitRequest)

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@:+-]{0,127}$"
"""Org, customer and event ids: printable, no spaces, at most 128 characters."""

MAX_EVENT_PROPERTIES = 50

LIFECYCLE_STAGE_PROPERTY = "lifecycle_stage"
"""An event property that moves the customer to that lifecycle stage when the event is stored."""

ACTIVE_JOURNEY_STATUS = "active"
"""The journey metadata status that accepts new enrollments (others: draft, paused, ...)."""

ROUTING_CONCURRENCY = 32
"""Customers whose events :meth:`JourneyClient.track_batch` routes at once."""

MAX_LISTED_ENROLLMENTS = 1_000


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


@dataclass(frozen=True)
class _EntryPlan:
    """What an entry event will start, decided in the transaction that stored it.

    Attributes:
        stage: The customer's lifecycle stage (after the event's own update).
        starts: Journeys to start, each with why re-entry refuses it (or None).
        skipped: Journeys it will not start (inactive, lost a conflict group).
    """

    stage: str | None = None
    starts: list[tuple[JourneyDefinition, str | None]] = field(default_factory=list)
    skipped: list[SkippedJourney] = field(default_factory=list)


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


class EnrollmentSummary(BaseModel):
    """An enrollment as Temporal's visibility store lists it.

    Attributes:
        status: The engine's status (active, completed, exited) from the search attribute.
        execution_status: Temporal's status of the run (RUNNING, COMPLETED, ...).
    """

    workflow_id: str
    run_id: str
    org_id: str
    customer_id: str
    journey_id: str
    journey_version: int | None
    status: str | None
    current_step: str | None
    lifecycle_stage: str | None
    execution_status: str | None
    started_at: datetime
    closed_at: datetime | None


class OptOutResult(BaseModel):
    """What :meth:`JourneyClient.opt_out` did.

    Attributes:
        channel: The channel opted out of (``all`` for every channel).
        exited: Enrollments asked to end (global opt-outs only).
    """

    customer_id: str
    channel: str
    exited: list[str] = Field(default_factory=list)


def _visibility_value(field: str, value: str) -> str:
    """Quote a value for a visibility query; ids are restricted so nothing can escape."""
    if not re.fullmatch(ID_PATTERN, value):
        raise InvalidInputError(field, "letters, digits and _.@:+- only, at most 128 characters")
    return f"'{value}'"


def _summary(execution: WorkflowExecution) -> EnrollmentSummary:
    attrs = execution.typed_search_attributes
    return EnrollmentSummary(
        workflow_id=execution.id,
        run_id=execution.run_id,
        org_id=attrs.get(search_attributes.ORG_ID) or "",
        customer_id=attrs.get(search_attributes.CUSTOMER_ID) or "",
        journey_id=attrs.get(search_attributes.JOURNEY_ID) or "",
        journey_version=attrs.get(search_attributes.JOURNEY_VERSION),
        status=attrs.get(search_attributes.STATUS),
        current_step=attrs.get(search_attributes.CURRENT_STEP),
        lifecycle_stage=attrs.get(search_attributes.LIFECYCLE_STAGE),
        execution_status=execution.status.name if execution.status else None,
        started_at=execution.start_time,
        closed_at=execution.close_time,
    )


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
        self._event_writes: GroupCommit[TrackedEvent, _EntryPlan | None] = GroupCommit(
            self._store_events
        )

    @classmethod
    async def connect(
        cls, settings: JourneySettings | None = None, catalog: Catalog | None = None
    ) -> JourneyClient:
        """Connect to Temporal and the store named by ``settings``."""
        settings = settings or JourneySettings()
        temporal = await connect_temporal(settings)
        return cls(
            temporal,
            Store.from_settings(settings),
            catalog or configured_catalog(settings),
            settings,
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
        """Store an event once and route it to the journeys that need it.

        Raises:
            InvalidInputError: ``occurred_at`` is further in the future than allowed.
        """
        return (await self.track_batch([event]))[0]

    async def track_batch(self, events: Sequence[TrackedEvent]) -> list[TrackResult]:
        """Store events in one transaction, then route the new ones.

        Events tracked concurrently (by other tasks, or other API requests) share
        the transaction when they arrive while another is being written.

        Every event is checked before anything is stored (all or nothing). Events
        of one customer are routed in the order given; customers in parallel.

        Raises:
            InvalidInputError: an event's ``occurred_at`` is too far in the future;
                the field names its position (``events[3].occurred_at``).
        """
        limit = self.latest_acceptable_time()
        for index, event in enumerate(events):
            if event.occurred_at > limit:
                field = "occurred_at" if len(events) == 1 else f"events[{index}].occurred_at"
                raise InvalidInputError(
                    field,
                    f"is more than {self.settings.event_future_tolerance_seconds}s in the future",
                )
        # One organisation per shared transaction: the API scopes each to its request's.
        orgs = frozenset(event.org_id for event in events)
        stored = await self._event_writes.submit(events, partition=orgs)
        results = [
            TrackResult(event_id=event.event_id, stored=verdicts is not None)
            for event, verdicts in zip(events, stored, strict=True)
        ]
        by_customer: dict[tuple[str, str], list[int]] = defaultdict(list)
        for index, event in enumerate(events):
            if results[index].stored and self._routes(event.name):
                by_customer[(event.org_id, event.customer_id)].append(index)
        if not by_customer:
            return results
        gate = asyncio.Semaphore(ROUTING_CONCURRENCY)

        async def route_customer(indexes: list[int]) -> None:
            async with gate:
                for index in indexes:
                    await self._route(events[index], results[index], stored[index] or _EntryPlan())

        await asyncio.gather(*(route_customer(indexes) for indexes in by_customer.values()))
        return results

    def latest_acceptable_time(self) -> datetime:
        """Events dated after this are refused (``event_future_tolerance_seconds`` from now)."""
        return datetime.now(UTC) + timedelta(seconds=self.settings.event_future_tolerance_seconds)

    def _routes(self, name: str) -> bool:
        return bool(self.catalog.entered_by(name) or self.catalog.listening_to(name))

    def _store_events(self, events: Sequence[TrackedEvent]) -> list[_EntryPlan | None]:
        """Insert the events (idempotent); apply ``lifecycle_stage`` properties of new ones.

        Returns, per event, None when it was stored before, else what it will
        start (decided in the same transaction).
        New events carrying a ``journey_stage`` property also feed seed 003's
        client journey stream and rescore the client (separate transactions).
        """
        stored = self._insert_events(events)
        for event, plan in zip(events, stored, strict=True):
            if plan is not None and JOURNEY_STAGE_PROPERTY in event.properties:
                keep_journey_score_current(
                    self.store,
                    org_id=event.org_id,
                    customer_id=event.customer_id,
                    event_name=event.name,
                    properties=event.properties,
                    occurred_at=event.occurred_at,
                )
        return stored

    def _insert_events(self, events: Sequence[TrackedEvent]) -> list[_EntryPlan | None]:
        stored: list[_EntryPlan | None] = []
        with self.store.transaction() as session:
            for event in events:
                new = record_event(
                    session,
                    org_id=event.org_id,
                    event_id=event.event_id,
                    customer_id=event.customer_id,
                    name=event.name,
                    occurred_at=event.occurred_at,
                    properties=event.properties,
                )
                stage = event.properties.get(LIFECYCLE_STAGE_PROPERTY)
                if new and isinstance(stage, str) and stage:
                    upsert_customer(
                        session,
                        org_id=event.org_id,
                        customer_id=event.customer_id,
                        lifecycle_stage=stage,
                    )
                if not new:
                    stored.append(None)
                    continue
                stored.append(self._plan_entries(session, event))
        return stored

    def _plan_entries(self, session: Session, event: TrackedEvent) -> _EntryPlan:
        """Active journeys the event enters, one per conflict group (the catalog's rule)."""
        entered = self.catalog.entered_by(event.name)
        if not entered:
            return _EntryPlan()
        customer = find_customer(session, org_id=event.org_id, customer_id=event.customer_id)
        plan = _EntryPlan(stage=customer.lifecycle_stage if customer else None)
        attributes = customer.attributes if customer else {}
        active: list[JourneyDefinition] = []
        for journey in entered:
            if journey.metadata.status != ACTIVE_JOURNEY_STATUS:
                reason = f"journey status is {journey.metadata.status}"
                plan.skipped.append(SkippedJourney(journey_id=journey.id, reason=reason))
            elif not entry_conditions_hold(journey.entry.conditions, attributes, plan.stage):
                reason = "the customer's profile does not meet the entry conditions"
                plan.skipped.append(SkippedJourney(journey_id=journey.id, reason=reason))
            else:
                active.append(journey)
        chosen = resolve_conflicts(active, plan.stage)
        winners = {journey.routing_key: journey.id for journey in chosen}
        for journey in active:
            if journey not in chosen:
                reason = (
                    f"conflict group {journey.routing_key}: {winners[journey.routing_key]} wins"
                )
                plan.skipped.append(SkippedJourney(journey_id=journey.id, reason=reason))
        for journey in chosen:
            refusal = self._reentry_refusal(session, event.org_id, event.customer_id, journey)
            plan.starts.append((journey, refusal))
        return plan

    async def _route(self, event: TrackedEvent, result: TrackResult, plan: _EntryPlan) -> None:
        signal = EventSignal(
            event_id=event.event_id,
            name=event.name,
            occurred_at=event.occurred_at,
            properties=event.properties,
        )
        result.skipped.extend(plan.skipped)
        for journey, refusal in plan.starts:
            if refusal is not None:
                result.skipped.append(SkippedJourney(journey_id=journey.id, reason=refusal))
                continue
            try:
                started = await self._start(
                    event.org_id, event.customer_id, journey, trigger=signal, stage=plan.stage
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
            if workflow_id in result.signalled:
                continue
            if await self._signal_running(workflow_id, signal):
                result.signalled.append(workflow_id)

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
        stage = await asyncio.to_thread(self._check_reentry, org_id, customer_id, definition)
        return await self._start(org_id, customer_id, definition, trigger=None, stage=stage)

    async def exit(self, org_id: str, customer_id: str, journey_id: str, reason: str) -> str:
        """Ask a running enrollment to end now; returns its workflow id.

        Raises:
            UnknownJourneyError: no such journey.
            EnrollmentNotFoundError: the customer has no running enrollment in it.
        """
        definition = self.catalog.get(journey_id)
        handle = self._handle(org_id, customer_id, definition)
        if not await self._signal_exit(handle.id, ExitRequest(reason=reason)):
            raise EnrollmentNotFoundError(
                f"{customer_id} has no running enrollment in {definition.id}"
            )
        return handle.id

    async def get_enrollment(
        self, org_id: str, customer_id: str, journey_id: str
    ) -> EnrollmentState:
        """The enrollment's state, from the workflow's ``state`` query.

        Raises:
            UnknownJourneyError: no such journey.
            EnrollmentNotFoundError: Temporal knows no enrollment of the customer in it.
        """
        definition = self.catalog.get(journey_id)
        handle = self._handle(org_id, customer_id, definition)
        try:
            return await handle.query(JourneyWorkflow.state)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise EnrollmentNotFoundError(
                    f"{customer_id} has no enrollment in {definition.id}"
                ) from err
            raise

    async def list_enrollments(
        self,
        org_id: str,
        *,
        customer_id: str | None = None,
        journey_id: str | None = None,
        status: EnrollmentStatus | None = None,
        limit: int = 100,
    ) -> list[EnrollmentSummary]:
        """Enrollments from Temporal's visibility store, newest first.

        Visibility is eventually consistent: an enrollment started a moment ago
        may take a second to be listed.
        """
        if not 1 <= limit <= MAX_LISTED_ENROLLMENTS:
            raise InvalidInputError("limit", f"must be between 1 and {MAX_LISTED_ENROLLMENTS}")
        clauses = [f"{search_attributes.ORG_ID.name} = {_visibility_value('org_id', org_id)}"]
        if customer_id is not None:
            value = _visibility_value("customer_id", customer_id)
            clauses.append(f"{search_attributes.CUSTOMER_ID.name} = {value}")
        if journey_id is not None:
            value = _visibility_value("journey_id", journey_id)
            clauses.append(f"{search_attributes.JOURNEY_ID.name} = {value}")
        if status is not None:
            clauses.append(f"{search_attributes.STATUS.name} = '{status.value}'")
        # No ORDER BY: not every visibility store supports it (the dev server's does not).
        query = " AND ".join(clauses)
        found: list[EnrollmentSummary] = []
        async for execution in self.temporal.list_workflows(query, limit=limit):
            found.append(_summary(execution))
        return sorted(found, key=lambda e: e.started_at, reverse=True)

    async def opt_out(
        self,
        org_id: str,
        customer_id: str,
        *,
        channel: str = ALL_CHANNELS,
        source: str = "api",
    ) -> OptOutResult:
        """Record an opt-out; a global one (``all``) also ends every running enrollment.

        The consent row stops every later send at once (checked at send time); the
        exit requests end the enrollments themselves. The enrollments asked are
        every journey of the catalog (their workflow ids follow from the
        customer, so one started a moment ago is included) plus any other
        running one found in Temporal's visibility store or the store's rows.

        Raises:
            InvalidInputError: ``channel`` is neither a channel nor ``all``.
        """
        if channel not in CONSENT_CHANNELS:
            known = ", ".join(CONSENT_CHANNELS)
            raise InvalidInputError("channel", f"unknown channel {channel!r}; one of {known}")

        def write() -> list[str]:
            with self.store.transaction() as session:
                record_consent(
                    session,
                    org_id=org_id,
                    customer_id=customer_id,
                    channel=channel,
                    status=ConsentStatus.OPTED_OUT,
                    source=source,
                    at=datetime.now(UTC),
                )
                return list(
                    session.scalars(
                        select(Enrollment.workflow_id).where(
                            Enrollment.org_id == org_id,
                            Enrollment.customer_id == customer_id,
                            Enrollment.ended_at.is_(None),
                        )
                    )
                )

        recorded_running = await asyncio.to_thread(write)
        result = OptOutResult(customer_id=customer_id, channel=channel)
        if channel != ALL_CHANNELS:
            return result
        listed = await self.list_enrollments(
            org_id, customer_id=customer_id, status=EnrollmentStatus.ACTIVE
        )
        request = ExitRequest(reason=f"opt_out:{source}"[:200])
        by_catalog = {
            enrollment_workflow_id(org_id, journey.routing_key, customer_id)
            for journey in self.catalog.current_versions()
        }
        candidates = sorted({*by_catalog, *recorded_running, *(e.workflow_id for e in listed)})
        asked = await asyncio.gather(
            *(self._signal_exit(workflow_id, request) for workflow_id in candidates)
        )
        result.exited = [w for w, running in zip(candidates, asked, strict=True) if running]
        log.info("opted out", org_id=org_id, customer_id=customer_id, exited=len(result.exited))
        return result

    async def _signal_exit(self, workflow_id: str, request: ExitRequest) -> bool:
        """Ask an enrollment to exit if one is running; False when there is none."""
        return await self._signal_if_running(workflow_id, JourneyWorkflow.request_exit, request)

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
        stage: str | None,
    ) -> EnrollResult:
        workflow_id = enrollment_workflow_id(org_id, definition.routing_key, customer_id)
        params = EnrollmentInput(
            org_id=org_id,
            customer_id=customer_id,
            definition=definition,
            max_signals_per_run=self.settings.max_signals_per_run,
            lifecycle_stage=stage,
            entry_event_id=trigger.event_id if trigger else None,
            interpreter_revision=INTERPRETER_REVISION,
        )
        # Set at start so the workflow has no search attributes to upsert on its first task.
        attributes = TypedSearchAttributes(
            search_attributes.enrollment_attributes(
                org_id=org_id,
                customer_id=customer_id,
                journey_id=definition.id,
                journey_version=definition.version,
                current_step=definition.start,
                status=EnrollmentStatus.ACTIVE.value,
                lifecycle_stage=stage,
            )
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
                    search_attributes=attributes,
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
                    search_attributes=attributes,
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
        """The customer's lifecycle stage, if the store's history allows a new enrollment.

        Raises:
            EnrollmentRefusedError: the re-entry policy refuses it.
        """
        with self.store.transaction() as session:
            customer = find_customer(session, org_id=org_id, customer_id=customer_id)
            refusal = self._reentry_refusal(session, org_id, customer_id, definition)
        if refusal is not None:
            raise EnrollmentRefusedError(refusal)
        return customer.lifecycle_stage if customer else None

    @staticmethod
    def _reentry_refusal(
        session: Session, org_id: str, customer_id: str, definition: JourneyDefinition
    ) -> str | None:
        """Why the re-entry policy refuses a new enrollment, or None.

        Decided by the store's history: Temporal forgets closed runs after retention.
        """
        previous = latest_enrollment(
            session, org_id=org_id, customer_id=customer_id, journey_id=definition.id
        )
        if previous is None or previous.ended_at is None:
            return None
        spacing = definition.min_time_between_entries
        if spacing is not None and previous.started_at + spacing > datetime.now(UTC):
            return (
                f"{customer_id} entered {definition.id} less than {spacing} ago"
                " (minimum time between entries)"
            )
        if definition.reentry is ReentryPolicy.NEVER:
            return f"{customer_id} was enrolled in {definition.id} before and re-entry is never"
        cooldown = definition.reentry_cooldown or timedelta(0)
        if (
            definition.reentry is ReentryPolicy.AFTER_COOLDOWN
            and previous.started_at + cooldown > datetime.now(UTC)
        ):
            return f"{customer_id} entered {definition.id} less than {cooldown} ago"
        return None

    async def _signal_running(self, workflow_id: str, signal: EventSignal) -> bool:
        """Deliver an event to an enrollment if one is running; False when there is none."""
        return await self._signal_if_running(workflow_id, JourneyWorkflow.record_event, signal)

    async def _signal_if_running(
        self,
        workflow_id: str,
        signal: Callable[[JourneyWorkflow, SignalArgument], None],
        argument: SignalArgument,
    ) -> bool:
        handle = self.temporal.get_workflow_handle_for(JourneyWorkflow.run, workflow_id)
        try:
            await handle.signal(signal, argument)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True
