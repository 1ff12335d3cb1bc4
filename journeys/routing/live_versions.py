"""Which journey versions take new entries and which must hear an event, for every process.

The API, the workers (transition steps) and every client read the stored
rollouts through this short cache: a change made anywhere is seen everywhere
within ``rollout_cache_seconds``, with no restart. Reads happen in the caller's
transaction (the event path plans entries in the transaction that stores the event).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from journeys.catalog import Catalog
from journeys.contracts.enrollment import InflightPolicy, RolloutDirective
from journeys.errors import EnrollmentRefusedError
from journeys.language import JourneyDefinition
from journeys.routing.rollouts import (
    JourneyRollout,
    VersionRollout,
    VersionState,
    check_step_map,
    default_rollout,
    no_entry_reason,
    stored_rollout,
)
from journeys.store.enrollments import has_running_enrollments
from journeys.store.journey_versions import rollout_changed_at, stored_version, stored_versions


class _OrgRollouts:
    """One organisation's stored rollouts, and the journeys' rollouts computed from them."""

    def __init__(self, expires: float, stored: dict[str, dict[int, VersionRollout]]):
        self.expires = expires
        self.stored = stored
        self.rollouts: dict[str, JourneyRollout] = {}
        self.heard: dict[tuple[str, int], bool] = {}


class LiveVersions:
    """The rollouts of one catalog's journeys, per organisation, cached briefly.

    Args:
        catalog: The journey definitions.
        ttl_seconds: How long an organisation's stored rollouts are reused.
        listen_seconds: How long after a rollout change, or after this process
            started, a version taking no entries hears events without a running
            enrollment in the store.
    """

    def __init__(self, catalog: Catalog, ttl_seconds: float, listen_seconds: float = 0.0):
        self.catalog = catalog
        self.ttl_seconds = ttl_seconds
        self.listen_for = timedelta(seconds=listen_seconds)
        self._started = datetime.now(UTC)
        self._cached: dict[str, _OrgRollouts] = {}
        self._lock = threading.Lock()

    def forget(self, org_id: str) -> None:
        """Drop an organisation's cached rollouts (this process changed them)."""
        with self._lock:
            self._cached.pop(org_id, None)

    def _org(self, session: Session, org_id: str) -> _OrgRollouts:
        now = time.monotonic()
        cached = self._cached.get(org_id)
        if cached is not None and cached.expires > now:
            return cached
        fresh = _OrgRollouts(now + self.ttl_seconds, stored_versions(session, org_id))
        with self._lock:
            self._cached[org_id] = fresh
        return fresh

    def rollout(self, session: Session, org_id: str, journey_id: str) -> JourneyRollout:
        """The journey's rollout in the organisation (from its metadata until first changed).

        The same object is answered while the cache holds it: callers copy before changing.

        Raises:
            UnknownJourneyError: no such journey in the catalog.
        """
        org = self._org(session, org_id)
        found = org.rollouts.get(journey_id)
        if found is None:
            definitions = self.catalog.versions(journey_id)
            stored = org.stored.get(journey_id)
            found = (
                default_rollout(definitions)
                if stored is None
                else stored_rollout(definitions, stored)
            )
            org.rollouts[journey_id] = found
        return found

    def entry_definition(
        self,
        session: Session,
        org_id: str,
        customer_id: str,
        journey_id: str,
        version: int | None = None,
    ) -> JourneyDefinition:
        """The version a new enrollment of the customer takes (API enroll, transitions).

        Without ``version``, the rollout's choice for the customer; with it, that
        version, if it is active.

        Raises:
            UnknownJourneyError: no such journey or version.
            EnrollmentRefusedError: the version is a draft or retired, or no version
                of the journey takes entries.
        """
        rollout = self.rollout(session, org_id, journey_id)
        if version is not None:
            definition = self.catalog.get(journey_id, version)
            state = rollout.version(version).state
            if state is not VersionState.ACTIVE:
                raise EnrollmentRefusedError(
                    f"{definition.key} is {state.value} and takes no new entries"
                )
            return definition
        chosen = rollout.choose(customer_id)
        if chosen is None:
            raise EnrollmentRefusedError(
                no_entry_reason(rollout, self.catalog.versions(journey_id))
            )
        return self.catalog.get(journey_id, chosen)

    def entered_by(
        self, session: Session, org_id: str, customer_id: str, event_name: str
    ) -> tuple[list[JourneyDefinition], list[tuple[str, str]]]:
        """The versions ``event_name`` would start for the customer, and the journeys it won't.

        Returns:
            (one chosen version per journey whose chosen version enters on the event,
            [(journey id, why not)] for journeys with no version taking entries).
        """
        chosen: list[JourneyDefinition] = []
        skipped: list[tuple[str, str]] = []
        for journey_id in self.catalog.journeys_entered_by(event_name):
            try:
                definition = self.entry_definition(session, org_id, customer_id, journey_id)
            except EnrollmentRefusedError as refusal:
                skipped.append((journey_id, str(refusal)))
                continue
            if definition.entry.event == event_name:
                chosen.append(definition)
        return chosen, skipped

    def directive(
        self, journey_id: str, entry: VersionRollout, reason: str = ""
    ) -> RolloutDirective | None:
        """What running enrollments of a retired version are told (None: pinned or not retired).

        Raises:
            JourneyDefinitionError: ``migrate`` whose step map is incomplete.
        """
        if entry.state is not VersionState.RETIRED or entry.policy is InflightPolicy.PIN:
            return None
        if entry.policy is InflightPolicy.DRAIN or entry.migrate_to is None:
            return RolloutDirective(
                policy=InflightPolicy.DRAIN, from_version=entry.version, reason=reason
            )
        old = self.catalog.get(journey_id, entry.version)
        new = self.catalog.get(journey_id, entry.migrate_to)
        return RolloutDirective(
            policy=InflightPolicy.MIGRATE,
            from_version=entry.version,
            definition=new,
            step_map=check_step_map(old, new),
            reason=reason,
        )

    def directive_at_start(
        self, session: Session, org_id: str, journey_id: str, version: int
    ) -> RolloutDirective | None:
        """The directive of an enrollment starting in a version retired a moment ago.

        Read from the store, not the cache: the enrollment's first workflow task asks.
        """
        entry = stored_version(session, org_id, journey_id, version)
        if entry is None or journey_id not in self.catalog.journey_ids():
            return None
        return self.directive(journey_id, entry)

    def listening(self, session: Session, org_id: str, event_name: str) -> list[str]:
        """The routing keys whose running enrollments in the organisation may need ``event_name``.

        The keys of every version that listens to it, and of the versions whose
        enrollments may have migrated to one that does (a migrated enrollment keeps
        its workflow id, so its first version's key). Of these, every version taking
        entries (an enrollment may be starting: its row is written at its first
        workflow task); a draft or retired version only while the store holds a
        running enrollment of it, or within ``listen_seconds`` of the journey's last
        rollout change or of this process's start (a process with a stale cache, or
        one of the previous deploy, may just have started one). Read in the caller's
        transaction, cached like the rollouts.
        """
        listeners = self.catalog.listening_in_any_version(event_name)
        if not listeners:
            return []
        org = self._org(session, org_id)
        keys: list[str] = []
        for listener in listeners:
            rollout = self.rollout(session, org_id, listener.id)
            for version in self._run_under(rollout, listener):
                runner = self.catalog.get(listener.id, version)
                if runner.routing_key not in keys and self._heard_by(session, org_id, org, runner):
                    keys.append(runner.routing_key)
        return keys

    def _run_under(self, rollout: JourneyRollout, definition: JourneyDefinition) -> list[int]:
        """The versions whose enrollments may run ``definition`` (their workflow ids stay).

        Itself, and the versions its step maps (and theirs, in turn) take customers
        from, unless it is a draft: nobody has migrated to a version never published.
        """
        found = [definition.version]
        for target in found:  # grows while it is walked
            if rollout.version(target).state is VersionState.DRAFT:
                continue
            for source in self.catalog.get(definition.id, target).migrates_from:
                if source not in found:
                    found.append(source)
        return found

    def _heard_by(
        self, session: Session, org_id: str, org: _OrgRollouts, definition: JourneyDefinition
    ) -> bool:
        key = (definition.id, definition.version)
        heard = org.heard.get(key)
        if heard is None:
            rollout = self.rollout(session, org_id, definition.id)
            heard = org.heard[key] = (
                rollout.version(definition.version).state is VersionState.ACTIVE
                or self._settling(session, org_id, definition.id)
                or has_running_enrollments(
                    session, org_id=org_id, journey_id=definition.id, version=definition.version
                )
            )
        return heard

    def _settling(self, session: Session, org_id: str, journey_id: str) -> bool:
        """Whether entries may still start in versions the rollout no longer enters."""
        since = datetime.now(UTC) - self.listen_for
        changed = rollout_changed_at(session, org_id, journey_id)
        return self._started > since or (changed is not None and changed > since)

    def routes(self, event_name: str) -> bool:
        """Whether any version of any journey enters on or listens to ``event_name``."""
        return bool(
            self.catalog.journeys_entered_by(event_name)
            or self.catalog.listening_in_any_version(event_name)
        )

    def routing_keys(self, journey_id: str) -> list[str]:
        """The distinct routing keys of a journey's versions, newest version's first.

        Raises:
            UnknownJourneyError: no such journey.
        """
        keys: list[str] = []
        for definition in reversed(self.catalog.versions(journey_id)):
            if definition.routing_key not in keys:
                keys.append(definition.routing_key)
        return keys

    def all_routing_keys(self) -> list[str]:
        """The routing keys of every version of every journey."""
        return sorted({d.routing_key for d in self.catalog.all_versions()})
