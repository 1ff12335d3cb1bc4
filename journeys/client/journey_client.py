"""JourneyClient: enroll customers and track their behaviour events.

Product code calls :meth:`JourneyClient.track` with each behaviour event: the
event is stored once (idempotent on its id) with its routing state, journeys
whose entry trigger it is are started by signal-with-start, and running
enrollments that listen to it are signalled. Events no journey listens to cost
one store write and nothing else.

The client is a facade: entry rules are pure functions in
:mod:`journeys.routing.entry_planning`, Temporal starts and signals are made by
:class:`journeys.routing.event_router.EventRouter`, and every query is a
function of :mod:`journeys.store`. Like ``httpx.AsyncClient`` it is closed with
:meth:`JourneyClient.aclose` or used as an async context manager::

    async with await JourneyClient.connect(settings) as journeys:
        await journeys.track(TrackedEvent(org_id="acme", customer_id="c-1", name="signed_up"))
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

import structlog
from sqlalchemy.orm import Session
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from journeys.catalog import Catalog
from journeys.catalog.configured import configured_catalog
from journeys.client.events import LIFECYCLE_STAGE_PROPERTY, TrackedEvent
from journeys.client.results import EnrollmentSummary, EnrollResult, OptOutResult, TrackResult
from journeys.contracts import search_attributes
from journeys.contracts.enrollment import (
    EnrollmentState,
    EnrollmentStatus,
    ExitRequest,
    enrollment_workflow_id,
)
from journeys.decisioning.client_journey_service import (
    JOURNEY_STAGE_PROPERTY,
    keep_journey_score_current,
)
from journeys.errors import (
    ClientClosedError,
    EnrollmentNotFoundError,
    EnrollmentRefusedError,
    InvalidInputError,
)
from journeys.language import JourneyDefinition
from journeys.language.time_zones import validate_time_zone
from journeys.routing.entry_planning import reentry_refusal
from journeys.routing.event_router import EventRouter, PendingRoute
from journeys.routing.group_commit import GroupCommit
from journeys.routing.visibility import enrollment_query
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.consent import (
    ALL_CHANNELS,
    CONSENT_CHANNELS,
    ConsentStatus,
    record_consent,
)
from journeys.store.customers import upsert_customer
from journeys.store.enrollments import running_enrollment_workflow_ids
from journeys.store.events import (
    StoredEvent,
    customers_unrouted_events,
    find_unrouted_event,
    record_event,
)
from journeys.temporal_connection import connect_temporal
from workflows.journey_workflow import JourneyWorkflow

log = structlog.get_logger(__name__)

MAX_LISTED_ENROLLMENTS = 1_000


@dataclass(frozen=True)
class RecordedEvent:
    """What storing one event decided: whether it is new, and what to route.

    ``earlier`` are the customer's events stored before and still unrouted, to
    route before ``route`` so that the customer's enrollments hear them in order.
    """

    new: bool
    route: PendingRoute | None = None
    earlier: tuple[PendingRoute, ...] = ()

    @property
    def routes(self) -> tuple[PendingRoute, ...]:
        """What to route, in order: the earlier unrouted events, then this one (last)."""
        return () if self.route is None else (*self.earlier, self.route)


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
        self.router = EventRouter(temporal, store, catalog, settings)
        self.versions = self.router.versions
        self._event_writes: GroupCommit[TrackedEvent, RecordedEvent] = GroupCommit(
            self._store_events
        )
        self._owns_store = False
        self._closed = False

    @classmethod
    async def connect(
        cls, settings: JourneySettings | None = None, catalog: Catalog | None = None
    ) -> JourneyClient:
        """Connect to Temporal and the store named by ``settings``.

        The client owns the store it opens here: :meth:`aclose` closes it.
        """
        settings = settings or JourneySettings()
        temporal = await connect_temporal(settings)
        client = cls(
            temporal,
            Store.from_settings(settings),
            catalog or configured_catalog(settings),
            settings,
        )
        client._owns_store = True
        return client

    async def aclose(self) -> None:
        """Close the client; later calls raise :class:`~journeys.errors.ClientClosedError`.

        Closes the store's connections when :meth:`connect` opened the store; a
        store (or Temporal client) passed in is left to its owner. Idempotent.
        """
        if self._closed:
            return
        self._closed = True
        if self._owns_store:
            await asyncio.to_thread(self.store.dispose)

    async def __aenter__(self) -> JourneyClient:
        """Use the client for the duration of an ``async with`` block."""
        self._check_open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the client (:meth:`aclose`)."""
        await self.aclose()

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosedError("the JourneyClient has been closed")

    async def identify(
        self,
        org_id: str,
        customer_id: str,
        *,
        attributes: dict[str, Any] | None = None,
        timezone: str | None = None,
        lifecycle_stage: str | None = None,
    ) -> None:
        """Create or update a customer's profile.

        Raises:
            InvalidTimeZoneError: ``timezone`` is not an IANA time zone name.
        """
        self._check_open()
        if timezone is not None:
            validate_time_zone(timezone)

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
            RPCError: Temporal could not be reached. The event is stored: a retry
                with the same ``event_id`` routes it, and so does the worker's
                sweep of unrouted events.
        """
        return (await self.track_batch([event]))[0]

    async def track_batch(self, events: Sequence[TrackedEvent]) -> list[TrackResult]:
        """Store events in one transaction, then route the new ones.

        Events tracked concurrently (by other tasks, or other API requests) share
        the transaction when they arrive while another is being written.

        Every event is checked before anything is stored (all or nothing). Events
        of one customer are routed in the order given; customers in parallel. An
        event stored earlier but not routed (its routing failed) is routed now.

        Raises:
            InvalidInputError: an event's ``occurred_at`` is too far in the future;
                the field names its position (``events[3].occurred_at``).
            RPCError: Temporal could not be reached; the events not routed stay
                stored for a retry and the worker's sweep.
        """
        self._check_open()
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
            TrackResult(event_id=event.event_id, stored=outcome.new)
            for event, outcome in zip(events, stored, strict=True)
        ]
        pending: list[PendingRoute] = []
        positions: list[tuple[int, int]] = []  # (result, its route in pending)
        for index, stored_event in enumerate(stored):
            if stored_event.routes:
                pending.extend(stored_event.routes)
                positions.append((index, len(pending) - 1))
        if not pending:
            return results
        outcomes = await self.router.route_all(pending)
        failure: Exception | None = None
        for index, position in positions:
            outcome = outcomes[position]
            if isinstance(outcome, Exception):
                failure = failure or outcome
                continue
            results[index].enrolled = outcome.enrolled
            results[index].signalled = outcome.signalled
            results[index].skipped = outcome.skipped
            results[index].missed = outcome.missed
        if failure is not None:
            raise failure
        return results

    def latest_acceptable_time(self) -> datetime:
        """Events dated after this are refused (``event_future_tolerance_seconds`` from now)."""
        return datetime.now(UTC) + timedelta(seconds=self.settings.event_future_tolerance_seconds)

    def _store_events(self, events: Sequence[TrackedEvent]) -> list[RecordedEvent]:
        """Insert the events (idempotent); apply ``lifecycle_stage`` properties of new ones.

        Returns, per event, whether it is new and what to route: a new event
        some journey needs, with its entry plan decided in the same transaction,
        or an event stored earlier that was never routed.
        New events carrying a ``journey_stage`` property also feed the client
        journey stream and rescore the client (separate transactions).
        """
        stored = self._insert_events(events)
        for event, outcome in zip(events, stored, strict=True):
            if outcome.new and JOURNEY_STAGE_PROPERTY in event.properties:
                keep_journey_score_current(
                    self.store,
                    org_id=event.org_id,
                    customer_id=event.customer_id,
                    event_name=event.name,
                    properties=event.properties,
                    occurred_at=event.occurred_at,
                )
        return stored

    def _insert_events(self, events: Sequence[TrackedEvent]) -> list[RecordedEvent]:
        with self.store.transaction() as session:
            return self.record_events(session, events, now=datetime.now(UTC))

    def record_events(
        self, session: Session, events: Sequence[TrackedEvent], *, now: datetime
    ) -> list[RecordedEvent]:
        """Insert events in the caller's transaction, each with its entry plan if it needs routing.

        Whatever the transaction commits with them stays together: an event
        needing routing is stored unrouted, for ``router.route_all`` after the
        commit, a retry, or the worker's sweep. A repeated id is routed only if
        no attempt has routed it yet. ``occurred_at`` is not checked here.
        """
        stored: list[RecordedEvent] = []
        inserted: set[tuple[str, str]] = set()
        for event in events:
            routes = self.router.routes(event.name)
            new = record_event(
                session,
                org_id=event.org_id,
                event_id=event.event_id,
                customer_id=event.customer_id,
                name=event.name,
                occurred_at=event.occurred_at,
                properties=event.properties,
                route=routes,
                received_at=now,
            )
            key = (event.org_id, event.event_id)
            if new:
                inserted.add(key)
                stage = event.properties.get(LIFECYCLE_STAGE_PROPERTY)
                if isinstance(stage, str) and stage:
                    upsert_customer(
                        session,
                        org_id=event.org_id,
                        customer_id=event.customer_id,
                        lifecycle_stage=stage,
                    )
                if not routes:
                    stored.append(RecordedEvent(new=True))
                    continue
                fresh = StoredEvent(
                    org_id=event.org_id,
                    event_id=event.event_id,
                    customer_id=event.customer_id,
                    name=event.name,
                    occurred_at=event.occurred_at,
                    properties=dict(event.properties),
                    received_at=now,
                )
                plan = self.router.plan(session, fresh, now=now, again=False)
                stored.append(RecordedEvent(new=True, route=PendingRoute(fresh, plan)))
                continue
            # A repeated id: route the stored event if no attempt has routed it yet.
            earlier = (
                None
                if key in inserted
                else find_unrouted_event(session, org_id=event.org_id, event_id=event.event_id)
            )
            if earlier is None:
                stored.append(RecordedEvent(new=False))
                continue
            plan = self.router.plan(session, earlier, now=now, again=True)
            stored.append(RecordedEvent(new=False, route=PendingRoute(earlier, plan)))
        return self._after_earlier_unrouted(session, events, stored, now)

    def _after_earlier_unrouted(
        self,
        session: Session,
        events: Sequence[TrackedEvent],
        stored: list[RecordedEvent],
        now: datetime,
    ) -> list[RecordedEvent]:
        """Put each customer's events left unrouted earlier before their first event routed now.

        An event routed before the customer's earlier ones (a start that got a 503
        and was not retried) could reach no enrollment, or one not yet hearing
        what came first; routing the earlier ones first keeps the customer's order.
        """
        first: dict[tuple[str, str], int] = {}
        for index, outcome in enumerate(stored):
            if outcome.route is not None:
                event = outcome.route.event
                first.setdefault((event.org_id, event.customer_id), index)
        customers: dict[str, set[str]] = defaultdict(set)
        for org_id, customer_id in first:
            customers[org_id].add(customer_id)
        batch = {(event.org_id, event.event_id) for event in events}
        for org_id, customer_ids in customers.items():
            for earlier in customers_unrouted_events(
                session, org_id=org_id, customer_ids=customer_ids
            ):
                if (org_id, earlier.event_id) in batch:
                    continue
                index = first[(org_id, earlier.customer_id)]
                plan = self.router.plan(session, earlier, now=now, again=True)
                route = PendingRoute(earlier, plan)
                stored[index] = replace(stored[index], earlier=(*stored[index].earlier, route))
        return stored

    async def enroll(
        self, org_id: str, customer_id: str, journey_id: str, *, version: int | None = None
    ) -> EnrollResult:
        """Enroll a customer in a journey explicitly (API-triggered entry).

        Without ``version`` the journey's rollout chooses it for the customer.

        Raises:
            UnknownJourneyError: the journey or version is not in the catalog.
            EnrollmentRefusedError: the customer is enrolled already, the
                journey's re-entry policy refuses a new enrollment, or the
                version (or every version) takes no entries (draft, retired).
        """
        self._check_open()
        definition, stage = await asyncio.to_thread(
            self._check_reentry, org_id, customer_id, journey_id, version
        )
        start = await self.router.start(org_id, customer_id, definition, trigger=None, stage=stage)
        return EnrollResult(
            workflow_id=start.workflow_id,
            run_id=start.run_id,
            journey_id=definition.id,
            journey_version=definition.version,
        )

    def _check_reentry(
        self, org_id: str, customer_id: str, journey_id: str, version: int | None
    ) -> tuple[JourneyDefinition, str | None]:
        """The version to enroll in and the customer's lifecycle stage, if allowed.

        Raises:
            UnknownJourneyError: no such journey or version.
            EnrollmentRefusedError: no version takes entries, or the re-entry policy refuses it.
        """
        with self.store.transaction() as session:
            definition = self.versions.entry_definition(
                session, org_id, customer_id, journey_id, version
            )
            facts = self.router.customer_facts(session, org_id, customer_id, [definition])
        refusal = reentry_refusal(
            definition, customer_id, facts.latest.get(definition.id), now=datetime.now(UTC)
        )
        if refusal is not None:
            raise EnrollmentRefusedError(refusal)
        return definition, facts.stage

    async def exit(self, org_id: str, customer_id: str, journey_id: str, reason: str) -> str:
        """Ask a running enrollment (of any version) to end now; returns its workflow id.

        Raises:
            UnknownJourneyError: no such journey.
            EnrollmentNotFoundError: the customer has no running enrollment in it.
        """
        self._check_open()
        for handle in await self._enrollment_handles(org_id, customer_id, journey_id):
            if await self._signal_exit(handle.id, ExitRequest(reason=reason)):
                return handle.id
        raise EnrollmentNotFoundError(f"{customer_id} has no running enrollment in {journey_id}")

    async def get_enrollment(
        self, org_id: str, customer_id: str, journey_id: str
    ) -> EnrollmentState:
        """The enrollment's state (of whichever version it runs), from the ``state`` query.

        A journey whose versions use different conflict groups has one workflow id
        per group; the running enrollment among them is answered, else the latest.

        Raises:
            UnknownJourneyError: no such journey.
            EnrollmentNotFoundError: Temporal knows no enrollment of the customer in it.
        """
        self._check_open()
        states = [
            await handle.query(JourneyWorkflow.state)
            for handle in await self._enrollment_handles(
                org_id, customer_id, journey_id, running_only=False
            )
        ]
        if not states:
            raise EnrollmentNotFoundError(f"{customer_id} has no enrollment in {journey_id}")
        running = [s for s in states if s.status is EnrollmentStatus.ACTIVE]
        return (running or states)[0]

    async def _enrollment_handles(
        self, org_id: str, customer_id: str, journey_id: str, *, running_only: bool = True
    ) -> list[WorkflowHandle[Any, Any]]:
        """Handles of the customer's enrollments in the journey, under every version's key.

        A conflict group's workflow id may hold another journey of the group: it
        counts only when its search attributes name this journey.

        Raises:
            UnknownJourneyError: no such journey.
        """
        found: list[WorkflowHandle[Any, Any]] = []
        for key in self.versions.routing_keys(journey_id):
            handle = self.temporal.get_workflow_handle(
                enrollment_workflow_id(org_id, key, customer_id)
            )
            try:
                described = await handle.describe()
            except RPCError as err:
                if err.status == RPCStatusCode.NOT_FOUND:
                    continue
                raise
            attributes = described.typed_search_attributes
            if attributes.get(search_attributes.JOURNEY_ID) not in (None, journey_id):
                continue
            if running_only and described.status is not WorkflowExecutionStatus.RUNNING:
                continue
            found.append(handle)
        return found

    async def list_enrollments(
        self,
        org_id: str,
        *,
        customer_id: str | None = None,
        journey_id: str | None = None,
        status: EnrollmentStatus | None = None,
        version: int | None = None,
        limit: int = 100,
    ) -> list[EnrollmentSummary]:
        """Enrollments from Temporal's visibility store, newest first.

        ``version`` keeps those running (or ended on) that journey version.

        Visibility is eventually consistent: an enrollment started a moment ago
        may take a second to be listed.

        Raises:
            InvalidInputError: ``limit`` or ``version`` is out of range, or an id is not one.
        """
        self._check_open()
        if not 1 <= limit <= MAX_LISTED_ENROLLMENTS:
            raise InvalidInputError("limit", f"must be between 1 and {MAX_LISTED_ENROLLMENTS}")
        query = enrollment_query(
            org_id=org_id,
            customer_id=customer_id,
            journey_id=journey_id,
            status=status,
            version=version,
        )
        # No ORDER BY: not every visibility store supports it (the dev server's does not).
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
        every journey version of the catalog (their workflow ids follow from the
        customer, so one started a moment ago is included) plus any other
        running one found in Temporal's visibility store or the store's rows.

        Raises:
            InvalidInputError: ``channel`` is neither a channel nor ``all``.
        """
        self._check_open()
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
                return running_enrollment_workflow_ids(
                    session, org_id=org_id, customer_id=customer_id
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
            enrollment_workflow_id(org_id, key, customer_id)
            for key in self.versions.all_routing_keys()
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
        return await self.router.signal_if_running(
            workflow_id, JourneyWorkflow.request_exit, request
        )


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
