"""The catalog of shipped journeys and the index that routes events to them.

A catalog carries the content its journeys send: the shipped templates plus a
team's own (``templates=``), handed to the worker that renders them. Every
definition is checked against the catalog when the catalog is built:
transitions must name a journey in it (with another routing key), decide
steps a known scorer and send steps a template the catalog carries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping

from journeys.catalog.activation_retention import (
    ACTIVATION_RETENTION_V2,
    ACTIVATION_RETENTION_V3,
)
from journeys.catalog.churn_prevention import (
    CHURN_PREVENTION_V1,
    CHURN_PREVENTION_V2,
    CHURN_PREVENTION_V3,
)
from journeys.catalog.demo_tour import DEMO_TOUR_V1
from journeys.catalog.follow_up import FOLLOW_UP_JOURNEYS
from journeys.catalog.onboarding import ONBOARDING_V2, ONBOARDING_V2_2
from journeys.catalog.trial_conversion import TRIAL_CONVERSION_V1
from journeys.catalog.welcome import WELCOME_V1, WELCOME_V2
from journeys.delivery.templates import TEMPLATES, MessageTemplate
from journeys.errors import JourneyDefinitionError, UnknownJourneyError
from journeys.language import JourneyDefinition
from journeys.scoring import SCORER_NAMES, Formula

LIFECYCLE_PRIORITY: tuple[str, ...] = (
    "at_risk",
    "activation",
    "consideration",
    "retention",
    "expansion",
    "advocacy",
    "awareness",
)
"""Seed 001 conflict resolution, first key: journeys serving an earlier stage here win.

Protecting revenue at risk comes first, then activating new customers, then
converting trials; growth and advocacy journeys yield to all of them.
"""


def conflict_rank(
    journey: JourneyDefinition, customer_stage: str | None
) -> tuple[int, int, int, int]:
    """Sort key (smaller wins) of seed 001's rule: lifecycle stage, then business value.

    A journey serving the customer's current stage ranks first; then the stage's
    place in :data:`LIFECYCLE_PRIORITY`; then business value; then priority.
    """
    stage = journey.lifecycle_stage
    order = (
        LIFECYCLE_PRIORITY.index(stage) if stage in LIFECYCLE_PRIORITY else len(LIFECYCLE_PRIORITY)
    )
    matches = 0 if stage is not None and stage == customer_stage else 1
    return (matches, order, -journey.business_value, -journey.priority)


def resolve_conflicts(
    journeys: Iterable[JourneyDefinition], customer_stage: str | None
) -> list[JourneyDefinition]:
    """Keep one journey per conflict group (the best by :func:`conflict_rank`); others pass."""
    winners: dict[str, JourneyDefinition] = {}
    result: list[JourneyDefinition] = []
    for journey in journeys:
        group = journey.conflict_group
        if group is None:
            result.append(journey)
            continue
        best = winners.get(group)
        if best is None or conflict_rank(journey, customer_stage) < conflict_rank(
            best, customer_stage
        ):
            winners[group] = journey
    return result + sorted(winners.values(), key=lambda j: j.id)


DRAFT_STATUS = "draft"
"""Metadata status of a version still being written: its references are checked when it
is published or ramped (``journeys rollout``), not when the catalog is built."""


class Catalog:
    """Journey versions by id, with per-event indexes for routing.

    Args:
        definitions: Every version of every journey; ``id@version`` must be unique.
        scorers: Scorer names decide steps may use (default: the engine's).
        templates: The team's own message templates, by id, carried besides the
            shipped ones (a team's template replaces a shipped one of its id).
        formulas: The team's own scorers: name -> (pure formula of the customer's
            activity summary, window in days); the worker serves them over its store
            beside the engine's scorers.

    Raises:
        JourneyDefinitionError: a version is given twice, or a definition references
            a journey, scorer or template that does not exist, or transitions within
            its own routing key (a version whose metadata status is ``draft`` has its
            problem kept, see :meth:`draft_problem`).
    """

    def __init__(  # noqa: C901 - each check of a catalog is one branch, reported in order
        self,
        definitions: Iterable[JourneyDefinition],
        *,
        scorers: Collection[str] = SCORER_NAMES,
        templates: Mapping[str, MessageTemplate] | None = None,
        formulas: Mapping[str, tuple[Formula, int]] | None = None,
    ):
        self.templates: Mapping[str, MessageTemplate] = {**TEMPLATES, **(templates or {})}
        """Every template the catalog's journeys may send, by id."""
        self.formulas: Mapping[str, tuple[Formula, int]] = dict(formulas or {})
        """The team's own scorers, by name (the engine's are not repeated here)."""
        scorers = {*scorers, *self.formulas}
        self._versions: dict[str, dict[int, JourneyDefinition]] = defaultdict(dict)
        for definition in definitions:
            if definition.version in self._versions[definition.id]:
                raise JourneyDefinitionError(
                    definition.id, definition.version, "is in the catalog twice"
                )
            self._versions[definition.id][definition.version] = definition
        self._draft_problems: dict[str, JourneyDefinitionError] = {}
        for versions in self._versions.values():
            for definition in versions.values():
                try:
                    self.check(definition, scorers=scorers)
                except JourneyDefinitionError as problem:
                    if definition.metadata.status != DRAFT_STATUS:
                        raise
                    self._draft_problems[definition.key] = problem
        self._by_entry: dict[str, list[JourneyDefinition]] = defaultdict(list)
        for journey in self.current_versions():
            if journey.entry.event:
                self._by_entry[journey.entry.event].append(journey)
        self._entered_in_any: dict[str, list[str]] = defaultdict(list)
        self._listened_in_any: dict[str, list[JourneyDefinition]] = defaultdict(list)
        for journey in self.all_versions():
            event = journey.entry.event
            if event and journey.id not in self._entered_in_any[event]:
                self._entered_in_any[event].append(journey.id)
            for name in journey.listened_events():
                self._listened_in_any[name].append(journey)

    def check(
        self,
        definition: JourneyDefinition,
        *,
        scorers: Collection[str] = SCORER_NAMES,
        templates: Collection[str] | None = None,
    ) -> None:
        """Check a definition's references against this catalog.

        Raises:
            JourneyDefinitionError: naming the journey, version and step.
        """
        definition.check_references(
            journeys=set(self._versions) | {definition.id},
            scorers=scorers,
            templates=self.templates if templates is None else templates,
        )
        for old_version, step_map in definition.migrates_from.items():
            old = self._versions.get(definition.id, {}).get(old_version)
            for old_step in step_map:
                if old is not None and old_step not in old.steps:
                    raise JourneyDefinitionError(
                        definition.id,
                        definition.version,
                        f"migrates_from[{old_version}] maps {old_step!r}, which is not a step"
                        f" of {old.key}",
                    )
        for target, step in definition.transition_targets().items():
            if target in self._versions and self.get(target).routing_key == definition.routing_key:
                raise JourneyDefinitionError(
                    definition.id,
                    definition.version,
                    f"transition to {target!r}, which shares its routing key"
                    f" {definition.routing_key!r} (one enrollment at a time)",
                    step=step,
                )

    def get(self, journey_id: str, version: int | None = None) -> JourneyDefinition:
        """A journey version (the newest when ``version`` is None).

        Raises:
            UnknownJourneyError: no such journey or version.
        """
        versions = self._versions.get(journey_id)
        if not versions:
            raise UnknownJourneyError(f"no journey {journey_id!r} in the catalog")
        if version is None:
            return versions[max(versions)]
        if version not in versions:
            raise UnknownJourneyError(f"journey {journey_id!r} has no version {version}")
        return versions[version]

    def versions(self, journey_id: str) -> list[JourneyDefinition]:
        """Every version of a journey, oldest first.

        Raises:
            UnknownJourneyError: no such journey.
        """
        self.get(journey_id)
        return [self._versions[journey_id][v] for v in sorted(self._versions[journey_id])]

    def journey_ids(self) -> set[str]:
        """The ids of every journey in the catalog."""
        return set(self._versions)

    def draft_problem(self, definition: JourneyDefinition) -> JourneyDefinitionError | None:
        """Why a draft version cannot take entries yet (None when it passes the checks)."""
        return self._draft_problems.get(definition.key)

    def journeys_entered_by(self, event_name: str) -> list[str]:
        """Ids of journeys with a version whose entry trigger is ``event_name``."""
        return self._entered_in_any.get(event_name, [])

    def listening_in_any_version(self, event_name: str) -> list[JourneyDefinition]:
        """Every version (of every journey) whose running enrollments need ``event_name``."""
        return self._listened_in_any.get(event_name, [])

    def current_versions(self) -> list[JourneyDefinition]:
        """The newest version of every journey, sorted by id."""
        return [self.get(journey_id) for journey_id in sorted(self._versions)]

    def all_versions(self) -> list[JourneyDefinition]:
        """Every version of every journey, by id then version."""
        return [
            self._versions[journey_id][version]
            for journey_id in sorted(self._versions)
            for version in sorted(self._versions[journey_id])
        ]

    def entered_by(self, event_name: str) -> list[JourneyDefinition]:
        """Newest versions whose entry trigger is ``event_name``.

        Routing picks each journey's version by its rollout instead
        (:meth:`journeys.routing.live_versions.LiveVersions.entered_by`).
        """
        return self._by_entry.get(event_name, [])

    def entry_candidates(
        self, event_name: str, customer_stage: str | None
    ) -> list[JourneyDefinition]:
        """Journeys ``event_name`` should start, one per conflict group (seed 001's rule)."""
        return resolve_conflicts(self.entered_by(event_name), customer_stage)


SHIPPED_JOURNEYS: tuple[JourneyDefinition, ...] = (
    WELCOME_V1,
    WELCOME_V2,
    DEMO_TOUR_V1,
    ONBOARDING_V2,
    ONBOARDING_V2_2,
    CHURN_PREVENTION_V1,
    CHURN_PREVENTION_V2,
    CHURN_PREVENTION_V3,
    TRIAL_CONVERSION_V1,
    ACTIVATION_RETENTION_V2,
    ACTIVATION_RETENTION_V3,
    *FOLLOW_UP_JOURNEYS,
)
"""Every journey version shipped with the engine."""


def default_catalog() -> Catalog:
    """The catalog of journeys shipped with the engine."""
    return Catalog(SHIPPED_JOURNEYS)


__all__ = [
    "DRAFT_STATUS",
    "LIFECYCLE_PRIORITY",
    "SHIPPED_JOURNEYS",
    "Catalog",
    "conflict_rank",
    "default_catalog",
    "resolve_conflicts",
]
