"""Changing and watching a journey's rollout: publish, ramp, rollback, retire, status.

A change is checked in full before anything is written (unknown journey or
version, weights, the last active version, a draft that fails its checks, an
incomplete step map); then the new states are stored with their audit row, and
running enrollments of versions retired with ``drain`` or ``migrate`` are told
by the ``apply_rollout`` signal. Every process sees the new weights within
``rollout_cache_seconds``.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

from pydantic import BaseModel, Field
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from journeys.client import ID_PATTERN
from journeys.contracts import search_attributes as sa
from journeys.contracts.enrollment import InflightPolicy, RolloutDirective
from journeys.errors import InvalidInputError
from journeys.routing.live_versions import LiveVersions
from journeys.routing.rollouts import (
    JourneyRollout,
    RolloutAction,
    RolloutChange,
    VersionState,
    plan_publish,
    plan_ramp,
    plan_retire,
    plan_rollback,
    rollback_target,
)
from journeys.store import Store
from journeys.store.journey_versions import (
    RolloutChangeRecord,
    ended_enrollments,
    rollout_changes,
    rollout_revision,
    running_workflow_ids,
    save_rollout,
)
from workflows.journey_workflow import JourneyWorkflow

MAX_REASON = 200
MAX_ACTOR = 200
UNKNOWN_STEP = "?"
"""Where ``status`` counts running enrollments that name no step of their version."""


class RolloutResult(BaseModel):
    """What a rollout change did.

    Attributes:
        rollout: The journey's rollout after the change.
        told: Running enrollments sent a drain or migrate directive.
    """

    action: RolloutAction
    policy: InflightPolicy
    rollout: JourneyRollout
    told: int = 0


class VersionStatus(BaseModel):
    """One version in ``rollout status``.

    Attributes:
        running_by_step: Running enrollments by their current step (visibility; may lag ~1 s).
        completed: Enrollments that ended by reaching an exit step.
        exited: Enrollments ended by an exit or goal event, a request, or a drain.
        converted: Enrollments that reached a goal event.
        superseded: Enrollments drained by a rollout change.
    """

    version: int
    state: VersionState
    weight: int
    policy: InflightPolicy
    migrate_to: int | None = None
    running: int = 0
    running_by_step: dict[str, int] = Field(default_factory=dict)
    completed: int = 0
    exited: int = 0
    converted: int = 0
    superseded: int = 0


class RolloutStatus(BaseModel):
    """A journey's rollout as ``journeys rollout status`` shows it."""

    org_id: str
    journey_id: str
    versions: list[VersionStatus]
    changes: list[RolloutChangeRecord]
    as_of: datetime


def _checked_text(field: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise InvalidInputError(field, f"at most {limit} characters")
    return value


class RolloutControl:
    """Changes rollouts in the store and tells running enrollments.

    Args:
        temporal: A Temporal client (pydantic data converter).
        store: The store.
        versions: The live versions of the catalog (its cache is dropped on a change here).
    """

    def __init__(self, temporal: Client, store: Store, versions: LiveVersions):
        self.temporal = temporal
        self.store = store
        self.versions = versions
        self.catalog = versions.catalog

    async def _current(self, org_id: str, journey_id: str) -> tuple[JourneyRollout, int]:
        """The journey's rollout as stored now (not from the cache), with its revision.

        Raises:
            InvalidInputError: a malformed organisation id.
            UnknownJourneyError: no such journey.
        """
        if not re.fullmatch(ID_PATTERN, org_id):
            raise InvalidInputError("org_id", "letters, digits and _.@:+- only, at most 128")
        self.catalog.get(journey_id)

        def read() -> tuple[JourneyRollout, int]:
            self.versions.forget(org_id)
            with self.store.transaction() as session:
                # The revision first: a change saved between the two reads makes the
                # revision stale, never the rollout, so it is refused rather than lost.
                revision = rollout_revision(session, org_id, journey_id)
                return self.versions.rollout(session, org_id, journey_id), revision

        return await asyncio.to_thread(read)

    def _check_takes_entries(self, journey_id: str, change: RolloutChange) -> None:
        """Refuse activating a version that fails its checks (drafts are checked only now)."""
        for entry in change.rollout.active():
            problem = self.catalog.draft_problem(self.catalog.get(journey_id, entry.version))
            if problem is not None and entry.weight > 0:
                raise problem

    def _directives(
        self, journey_id: str, change: RolloutChange, reason: str
    ) -> dict[int, RolloutDirective]:
        """The directive for each version the change retires with drain or migrate.

        Raises:
            JourneyDefinitionError: the step map to the new version is incomplete.
        """
        directives: dict[int, RolloutDirective] = {}
        for version in change.told:
            directive = self.versions.directive(journey_id, change.rollout.version(version), reason)
            if directive is not None:
                directives[version] = directive
        return directives

    async def _apply(
        self,
        org_id: str,
        journey_id: str,
        change: RolloutChange,
        *,
        revision: int,
        action: RolloutAction,
        policy: InflightPolicy,
        actor: str,
        reason: str,
    ) -> RolloutResult:
        _checked_text("actor", actor, MAX_ACTOR)
        _checked_text("reason", reason, MAX_REASON)
        if not actor:
            raise InvalidInputError("actor", "is required (who makes the change)")
        self._check_takes_entries(journey_id, change)
        directives = self._directives(journey_id, change, reason)

        def write() -> None:
            with self.store.transaction() as session:
                save_rollout(
                    session,
                    org_id,
                    change.rollout,
                    action=action,
                    policy=policy,
                    actor=actor,
                    reason=reason,
                    revision=revision,
                )

        await asyncio.to_thread(write)
        self.versions.forget(org_id)
        told = 0
        for version, directive in directives.items():
            told += await self._tell(org_id, journey_id, version, directive)
        return RolloutResult(action=action, policy=policy, rollout=change.rollout, told=told)

    async def _tell(
        self, org_id: str, journey_id: str, version: int, directive: RolloutDirective
    ) -> int:
        """Signal every running enrollment of the version; returns how many were running.

        Candidates are the store's enrollment rows that have not ended, with those
        Temporal's visibility store lists (which sees migrated enrollments by the
        version they run now); a server without visibility (the time-skipping
        test server) is told through the rows alone.
        """

        def rows() -> list[str]:
            with self.store.transaction() as session:
                return running_workflow_ids(session, org_id, journey_id, version)

        candidates = set(await asyncio.to_thread(rows))
        query = " AND ".join(
            [
                f"{sa.ORG_ID.name} = '{org_id}'",
                f"{sa.JOURNEY_ID.name} = '{journey_id}'",
                f"{sa.JOURNEY_VERSION.name} = {version}",
                "ExecutionStatus = 'Running'",
            ]
        )
        try:
            async for execution in self.temporal.list_workflows(query):
                candidates.add(execution.id)
        except RPCError as err:
            if err.status != RPCStatusCode.UNIMPLEMENTED:
                raise
        told = 0
        for workflow_id in sorted(candidates):
            handle = self.temporal.get_workflow_handle_for(JourneyWorkflow.run, workflow_id)
            try:
                await handle.signal(JourneyWorkflow.apply_rollout, directive)
            except RPCError as err:
                if err.status != RPCStatusCode.NOT_FOUND:
                    raise
                continue
            told += 1
        return told

    async def publish(
        self,
        org_id: str,
        journey_id: str,
        version: int,
        *,
        weight: int = 100,
        policy: InflightPolicy = InflightPolicy.PIN,
        actor: str,
        reason: str = "",
    ) -> RolloutResult:
        """Let a draft (or retired) version take ``weight`` percent of new entries.

        Raises:
            UnknownJourneyError: no such journey or version.
            InvalidInputError: a weight out of range.
            RolloutRefusedError: the version is active already, or the rest of the weight
                has nowhere to go.
            JourneyDefinitionError: the draft fails its checks, or ``migrate`` with an
                incomplete step map.
        """
        current, revision = await self._current(org_id, journey_id)
        change = plan_publish(current, version, weight, policy)
        return await self._apply(
            org_id,
            journey_id,
            change,
            revision=revision,
            action=RolloutAction.PUBLISH,
            policy=policy,
            actor=actor,
            reason=reason,
        )

    async def ramp(
        self,
        org_id: str,
        journey_id: str,
        weights: dict[int, int],
        *,
        actor: str,
        reason: str = "",
    ) -> RolloutResult:
        """Set the share of new entries of each listed version (summing to 100).

        Raises:
            UnknownJourneyError: no such journey or version.
            InvalidInputError: weights out of range or not summing to 100.
            JourneyDefinitionError: a draft given weight fails its checks.
        """
        current, revision = await self._current(org_id, journey_id)
        change = plan_ramp(current, weights)
        return await self._apply(
            org_id,
            journey_id,
            change,
            revision=revision,
            action=RolloutAction.RAMP,
            policy=InflightPolicy.PIN,
            actor=actor,
            reason=reason,
        )

    async def rollback(
        self,
        org_id: str,
        journey_id: str,
        *,
        version: int | None = None,
        to: int | None = None,
        policy: InflightPolicy = InflightPolicy.PIN,
        actor: str,
        reason: str = "",
    ) -> RolloutResult:
        """Retire ``version`` (default: the newest active) and give its entries to ``to``.

        ``to`` defaults to the newest older active version, else the newest older
        retired one (which becomes active again).

        Raises:
            UnknownJourneyError: no such journey or version.
            RolloutRefusedError: nothing to roll back to, or the version is not active.
            JourneyDefinitionError: ``migrate`` with an incomplete step map.
        """
        current, revision = await self._current(org_id, journey_id)
        if version is None:
            active = current.active()
            if not active:
                raise InvalidInputError("version", f"{journey_id} has no active version")
            version = active[-1].version
        target = to if to is not None else rollback_target(current, version)
        change = plan_rollback(current, version, target, policy)
        return await self._apply(
            org_id,
            journey_id,
            change,
            revision=revision,
            action=RolloutAction.ROLLBACK,
            policy=policy,
            actor=actor,
            reason=reason,
        )

    async def retire(
        self,
        org_id: str,
        journey_id: str,
        version: int,
        *,
        policy: InflightPolicy = InflightPolicy.PIN,
        actor: str,
        reason: str = "",
    ) -> RolloutResult:
        """Retire a version; its weight goes to the newest other active version.

        Raises:
            UnknownJourneyError: no such journey or version.
            RolloutRefusedError: the last active version, or retired already.
            JourneyDefinitionError: ``migrate`` with an incomplete step map.
        """
        current, revision = await self._current(org_id, journey_id)
        change = plan_retire(current, version, policy)
        return await self._apply(
            org_id,
            journey_id,
            change,
            revision=revision,
            action=RolloutAction.RETIRE,
            policy=policy,
            actor=actor,
            reason=reason,
        )

    async def _running_by_step(self, org_id: str, journey_id: str, version: int) -> dict[str, int]:
        """The version's running enrollments by the step they rest at, counted by visibility.

        One count per step of the version (visibility groups by execution status
        only), none for a version with nothing running: exact at any number of
        enrollments. Enrollments whose step attribute names none of the version's
        steps are counted under :data:`UNKNOWN_STEP`.
        """
        conditions = [
            f"{sa.ORG_ID.name} = '{org_id}'",
            f"{sa.JOURNEY_ID.name} = '{journey_id}'",
            f"{sa.JOURNEY_VERSION.name} = {version}",
            "ExecutionStatus = 'Running'",
        ]

        async def count(*more: str) -> int:
            found = await self.temporal.count_workflows(" AND ".join([*conditions, *more]))
            return found.count

        total = await count()
        if not total:
            return {}
        steps = sorted(self.catalog.get(journey_id, version).steps)
        counts = await asyncio.gather(*(count(f"{sa.CURRENT_STEP.name} = '{s}'") for s in steps))
        by_step = {step: n for step, n in zip(steps, counts, strict=True) if n}
        elsewhere = total - sum(by_step.values())
        if elsewhere > 0:
            by_step[UNKNOWN_STEP] = elsewhere
        return dict(sorted(by_step.items()))

    async def status(self, org_id: str, journey_id: str) -> RolloutStatus:
        """Per version: state, weight, running enrollments by step, completed and converted.

        Raises:
            UnknownJourneyError: no such journey.
        """
        rollout, _ = await self._current(org_id, journey_id)

        def read() -> tuple[dict[int, dict[str, int]], list[RolloutChangeRecord]]:
            with self.store.transaction() as session:
                return (
                    ended_enrollments(session, org_id, journey_id),
                    rollout_changes(session, org_id, journey_id),
                )

        ended, changes = await asyncio.to_thread(read)
        running = {
            entry.version: await self._running_by_step(org_id, journey_id, entry.version)
            for entry in rollout.versions
        }
        versions = []
        for entry in rollout.versions:
            tally = ended.get(entry.version, {})
            by_step = running[entry.version]
            versions.append(
                VersionStatus(
                    version=entry.version,
                    state=entry.state,
                    weight=entry.weight,
                    policy=entry.policy,
                    migrate_to=entry.migrate_to,
                    running=sum(by_step.values()),
                    running_by_step=by_step,
                    completed=tally.get("completed", 0),
                    exited=tally.get("exited", 0),
                    converted=tally.get("converted", 0),
                    superseded=tally.get("superseded", 0),
                )
            )
        return RolloutStatus(
            org_id=org_id,
            journey_id=journey_id,
            versions=versions,
            changes=changes,
            as_of=datetime.now(UTC),
        )
