"""The router: starts and signals the enrollments an event concerns, durably.

Routing is durable. An event that some journey enters or listens to is stored
unrouted, in the transaction that stores it (:func:`journeys.store.events.record_event`);
the router starts the enrollments its entry plan names (signal-with-start, so an
enrollment already running gets the event as a signal), signals the running
enrollments that listen to it, and then marks it routed. An event whose routing
failed (Temporal down, the process killed between the commit and the signal)
stays unrouted: a retry of ``track`` with its id routes it, and so does the
sweeper of the worker process (:mod:`journeys.routing.unrouted_events`). Routing
is thus at least once; enrollments drop an event id they have seen, which makes
it exactly once in effect.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import structlog
from sqlalchemy.orm import Session
from temporalio.api.workflowservice.v1 import SignalWithStartWorkflowExecutionResponse
from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from journeys.catalog import Catalog
from journeys.contracts import search_attributes
from journeys.contracts.enrollment import (
    INTERPRETER_REVISION,
    EnrollmentInput,
    EnrollmentStatus,
    EventSignal,
    ExitRequest,
    PauseRequest,
    enrollment_workflow_id,
)
from journeys.contracts.ui_metadata import enrollment_details, enrollment_summary
from journeys.errors import EnrollmentRefusedError
from journeys.language import JourneyDefinition, ReentryPolicy
from journeys.routing.entry_planning import (
    CustomerFacts,
    EntryPlan,
    PastEnrollment,
    SkippedJourney,
    plan_entries,
)
from journeys.routing.group_commit import GroupCommit
from journeys.routing.live_versions import LiveVersions
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.customers import find_customer
from journeys.store.enrollments import latest_enrollment
from journeys.store.events import StoredEvent, mark_events_routed, unrouted_events
from workflows.journey_workflow import JourneyWorkflow

log = structlog.get_logger(__name__)

SignalArgument = TypeVar("SignalArgument", EventSignal, ExitRequest, PauseRequest)

ROUTING_CONCURRENCY = 32
"""Customers whose events are routed at once."""

ENTRY_SIGNAL = "record_event"
"""The signal name of :meth:`JourneyWorkflow.record_event`, which signal-with-start needs."""


@dataclass(frozen=True)
class EnrollmentStart:
    """What starting an enrollment did.

    Attributes:
        run_id: The enrollment's first run.
        started: False when an enrollment was running already and received the
            entry event as a signal instead.
    """

    workflow_id: str
    run_id: str | None
    started: bool


@dataclass(frozen=True)
class PendingRoute:
    """An event to route, with the entry plan decided for it."""

    event: StoredEvent
    plan: EntryPlan


@dataclass
class EventRouting:
    """Where one event went.

    Attributes:
        enrolled: Workflow ids of enrollments it started.
        signalled: Workflow ids of running enrollments that received it.
        skipped: Journeys it did not start, with the reason.
        missed: Workflow ids signalled in vain (no enrollment ran under them).
    """

    enrolled: list[str] = field(default_factory=list)
    signalled: list[str] = field(default_factory=list)
    skipped: list[SkippedJourney] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)


class EventRouter:
    """Plans entries from the store's facts and applies them in Temporal.

    Args:
        temporal: A Temporal client using the pydantic data converter.
        store: The store (facts for planning, routing state of events).
        catalog: The journeys to route to.
        settings: Settings (task queue, signal bound).
    """

    def __init__(self, temporal: Client, store: Store, catalog: Catalog, settings: JourneySettings):
        self.temporal = temporal
        self.store = store
        self.catalog = catalog
        self.settings = settings
        self._details: dict[str, str] = {}
        self.versions = LiveVersions(
            catalog, settings.rollout_cache_seconds, settings.retired_version_listen_seconds
        )
        self._marks: GroupCommit[StoredEvent, None] = GroupCommit(self._write_routed)

    def _start_details(self, definition: JourneyDefinition) -> str:
        """The UI's static details of an enrollment (its journey's steps), once per version."""
        details = self._details.get(definition.key)
        if details is None:
            details = self._details[definition.key] = enrollment_details(definition)
        return details

    def routes(self, name: str) -> bool:
        """Whether some version of a journey enters on, or listens to, events called ``name``."""
        return self.versions.routes(name)

    def customer_facts(
        self,
        session: Session,
        org_id: str,
        customer_id: str,
        journeys: Sequence[JourneyDefinition],
    ) -> CustomerFacts:
        """The customer's profile and latest enrollment in each of ``journeys``, from the store."""
        customer = find_customer(session, org_id=org_id, customer_id=customer_id)
        latest: dict[str, PastEnrollment] = {}
        for journey in journeys:
            previous = latest_enrollment(
                session, org_id=org_id, customer_id=customer_id, journey_id=journey.id
            )
            if previous is not None:
                latest[journey.id] = PastEnrollment(previous.started_at, previous.ended_at)
        if customer is None:
            return CustomerFacts(latest=latest)
        return CustomerFacts(
            stage=customer.lifecycle_stage, attributes=customer.attributes, latest=latest
        )

    def plan(
        self, session: Session, event: StoredEvent, *, now: datetime, again: bool
    ) -> EntryPlan:
        """The entry plan of an event, decided by the store's facts at ``now``.

        Args:
            session: The transaction to read the facts in.
            event: The event.
            now: The time the decision is made at.
            again: The event was stored earlier and is routed again (a retry, the sweeper).

        Each journey enters in the version its rollout chooses for the customer
        (drafts and retired versions never); journeys with no version taking
        entries are skipped with the rollout's reason. The plan also names the
        versions to signal (:meth:`LiveVersions.listening`).
        """
        listeners = tuple(self.versions.listening(session, event.org_id, event.name))
        if not self.catalog.journeys_entered_by(event.name):
            return EntryPlan(listeners=listeners)
        entered, refused = self.versions.entered_by(
            session, event.org_id, event.customer_id, event.name
        )
        facts = self.customer_facts(session, event.org_id, event.customer_id, entered)
        plan = plan_entries(
            entered,
            event.customer_id,
            facts,
            now=now,
            stored_earlier_at=event.received_at if again else None,
            event_at=event.occurred_at,
        )
        no_version = tuple(SkippedJourney(journey_id=j, reason=r) for j, r in refused)
        return replace(plan, skipped=no_version + plan.skipped, listeners=listeners)

    async def route_all(self, pending: Sequence[PendingRoute]) -> list[EventRouting | Exception]:
        """Route events, then mark the routed ones in the store.

        Each customer's events are routed in the order given, customers in
        parallel. When an event cannot be routed, it and the customer's later
        events stay unrouted (for a retry or the sweeper), in order.

        Returns:
            Per event, where it went, or the error that stopped its routing.
        """
        outcomes: dict[int, EventRouting | Exception] = {}
        by_customer: dict[tuple[str, str], list[int]] = defaultdict(list)
        for index, route in enumerate(pending):
            by_customer[(route.event.org_id, route.event.customer_id)].append(index)
        gate = asyncio.Semaphore(ROUTING_CONCURRENCY)

        async def route_customer(indexes: list[int]) -> None:
            async with gate:
                for position, index in enumerate(indexes):
                    try:
                        outcomes[index] = await self.route(pending[index])
                    except Exception as err:  # left unrouted: retried later, in order
                        for later in indexes[position:]:
                            outcomes[later] = err
                        return

        await asyncio.gather(*(route_customer(indexes) for indexes in by_customer.values()))
        routed = [
            route.event
            for index, route in enumerate(pending)
            if isinstance(outcomes[index], EventRouting)
        ]
        if routed:
            orgs = frozenset(event.org_id for event in routed)
            await self._marks.submit(routed, partition=orgs)
        return [outcomes[index] for index in range(len(pending))]

    async def route(self, route: PendingRoute) -> EventRouting:
        """Start the enrollments the plan names and signal those that listen to the event."""
        event, plan = route.event, route.plan
        signal = EventSignal(
            event_id=event.event_id,
            name=event.name,
            occurred_at=event.occurred_at,
            properties=event.properties,
        )
        routing = EventRouting(skipped=list(plan.skipped))
        # Signal-with-start delivered the event to whatever runs under these keys.
        started_keys: set[str] = set()
        for journey in plan.starts:
            try:
                start = await self.start(
                    event.org_id, event.customer_id, journey, trigger=signal, stage=plan.stage
                )
            except EnrollmentRefusedError as refusal:
                routing.skipped.append(SkippedJourney(journey_id=journey.id, reason=str(refusal)))
                continue
            started_keys.add(journey.routing_key)
            if start.started:
                routing.enrolled.append(start.workflow_id)
            else:
                routing.signalled.append(start.workflow_id)
        # Every version that may run: enrollments of an older (or retired) version still hear
        # their events; versions with none cost no call.
        for routing_key in plan.listeners:
            if routing_key in started_keys:
                continue
            workflow_id = enrollment_workflow_id(event.org_id, routing_key, event.customer_id)
            if workflow_id in routing.signalled or workflow_id in routing.enrolled:
                continue
            if await self.signal_if_running(workflow_id, JourneyWorkflow.record_event, signal):
                routing.signalled.append(workflow_id)
            else:
                routing.missed.append(workflow_id)
        return routing

    async def start(
        self,
        org_id: str,
        customer_id: str,
        definition: JourneyDefinition,
        *,
        trigger: EventSignal | None,
        stage: str | None,
    ) -> EnrollmentStart:
        """Start an enrollment: the engine's one way of starting the journey workflow.

        With an entry event (``trigger``) it is signal-with-start: an enrollment
        already running receives the event instead. Without one (explicit
        enrollment) a running enrollment refuses it.

        Raises:
            EnrollmentRefusedError: the customer is enrolled already (no trigger),
                or was and the journey's re-entry is ``never``.
        """
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
            handle = await self.temporal.start_workflow(
                JourneyWorkflow.run,
                params,
                id=workflow_id,
                task_queue=self.settings.task_queue,
                id_reuse_policy=reuse,
                id_conflict_policy=(
                    WorkflowIDConflictPolicy.FAIL
                    if trigger is None
                    else WorkflowIDConflictPolicy.USE_EXISTING
                ),
                start_signal=None if trigger is None else ENTRY_SIGNAL,
                start_signal_args=[] if trigger is None else [trigger],
                search_attributes=attributes,
                static_summary=enrollment_summary(definition, customer_id),
                static_details=self._start_details(definition),
            )
        except WorkflowAlreadyStartedError as err:
            raise EnrollmentRefusedError(
                f"{customer_id} is enrolled in {definition.routing_key} already, or was"
                f" and re-entry is {definition.reentry.value}"
            ) from err
        started = _started_a_run(handle)
        if started:
            log.info(
                "enrolled",
                org_id=org_id,
                customer_id=customer_id,
                journey_id=definition.id,
                workflow_id=workflow_id,
            )
        return EnrollmentStart(
            workflow_id=workflow_id,
            run_id=handle.first_execution_run_id or handle.result_run_id,
            started=started,
        )

    async def signal_if_running(
        self,
        workflow_id: str,
        signal: Callable[[JourneyWorkflow, SignalArgument], None],
        argument: SignalArgument,
    ) -> bool:
        """Signal an enrollment if one is running; False when there is none."""
        handle = self.temporal.get_workflow_handle_for(JourneyWorkflow.run, workflow_id)
        try:
            await handle.signal(signal, argument)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True

    async def route_unrouted(
        self, *, received_before: datetime, limit: int
    ) -> list[EventRouting | Exception]:
        """Route the oldest events still unrouted that were stored before ``received_before``.

        Returns:
            Per event read (at most ``limit``), where it went or why it could not be routed.
        """

        def read() -> list[PendingRoute]:
            with self.store.transaction() as session:
                now = datetime.now(UTC)
                return [
                    PendingRoute(event, self.plan(session, event, now=now, again=True))
                    for event in unrouted_events(
                        session, received_before=received_before, limit=limit
                    )
                ]

        pending = await asyncio.to_thread(read)
        return await self.route_all(pending) if pending else []

    def _write_routed(self, events: Sequence[StoredEvent]) -> list[None]:
        with self.store.transaction() as session:
            mark_events_routed(
                session, ((event.org_id, event.event_id) for event in events), datetime.now(UTC)
            )
        return [None] * len(events)


def _started_a_run(handle: WorkflowHandle[Any, Any]) -> bool:
    """Whether the start began a run (False: signal-with-start signalled the running one).

    Only the server's response to signal-with-start says which it did, and the
    SDK (temporalio 1.35) keeps that response on the handle alone. Servers that
    leave out ``first_execution_run_id`` (the time-skipping test server) leave
    out ``started`` too: their starts count as starts.
    """
    response = getattr(handle, "_start_workflow_response", None)
    if isinstance(response, SignalWithStartWorkflowExecutionResponse):
        return response.started or not response.first_execution_run_id
    return True
