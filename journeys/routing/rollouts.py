"""Rollouts of journey versions: which versions take new entries, and with what weight.

Pure rules, no I/O. A journey's rollout lists every version of it with a state
(draft, active, retired) and, for active versions, the share of new entries
(weights in percent, summing to 100). A customer's version is a stable hash of
customer and journey, so retries and re-entries during a rollout agree. The
changes an operator makes (publish, ramp, rollback, retire) are computed here and
refused, with the field and the problem, when they would leave the journey in a
state that cannot be served.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from enum import StrEnum

from pydantic import BaseModel, Field

from journeys.catalog import DRAFT_STATUS
from journeys.contracts.enrollment import InflightPolicy
from journeys.errors import (
    InvalidInputError,
    JourneyDefinitionError,
    RolloutRefusedError,
    UnknownJourneyError,
)
from journeys.language import JourneyDefinition

ACTIVE_METADATA_STATUS = "active"
"""The metadata status that makes a version active before any rollout is stored."""

BUCKETS = 10_000
"""Hash buckets of the rollout: weights in percent map onto 100 buckets each."""


class VersionState(StrEnum):
    """Whether a version takes new entries."""

    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


class RolloutAction(StrEnum):
    """The changes an operator can make to a rollout (kept in its audit trail)."""

    PUBLISH = "publish"
    RAMP = "ramp"
    ROLLBACK = "rollback"
    RETIRE = "retire"


class VersionRollout(BaseModel):
    """One version's place in its journey's rollout.

    Attributes:
        version: The version number.
        state: Draft (no entries yet), active (takes its weight of entries) or retired.
        weight: Percent of new entries (active versions only; 0 otherwise).
        policy: For a retired version: what its running enrollments were told to do.
        migrate_to: With ``policy`` migrate: the version they move to.
    """

    version: int
    state: VersionState
    weight: int = Field(default=0, ge=0, le=100)
    policy: InflightPolicy = InflightPolicy.PIN
    migrate_to: int | None = None


class JourneyRollout(BaseModel):
    """Every version of a journey with its state and weight, oldest first."""

    journey_id: str
    versions: list[VersionRollout]

    def version(self, number: int) -> VersionRollout:
        """One version's entry.

        Raises:
            UnknownJourneyError: the journey has no such version.
        """
        for entry in self.versions:
            if entry.version == number:
                return entry
        raise UnknownJourneyError(f"journey {self.journey_id!r} has no version {number}")

    def active(self) -> list[VersionRollout]:
        """The active versions, oldest first."""
        return [v for v in self.versions if v.state is VersionState.ACTIVE]

    def weights(self) -> dict[int, int]:
        """Version -> weight of the active versions."""
        return {v.version: v.weight for v in self.active()}

    def choose(self, customer_id: str) -> int | None:
        """The version a new entry of ``customer_id`` takes (None: no version takes entries)."""
        bucket = rollout_bucket(customer_id, self.journey_id)
        edge = 0
        for entry in self.active():
            edge += entry.weight * (BUCKETS // 100)
            if bucket < edge:
                return entry.version
        return None


def rollout_bucket(customer_id: str, journey_id: str) -> int:
    """A stable bucket in ``[0, BUCKETS)`` for the customer and journey (SHA-256, not salted)."""
    digest = hashlib.sha256(f"{journey_id}\x1f{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def default_rollout(definitions: Iterable[JourneyDefinition]) -> JourneyRollout:
    """The rollout of a journey no operator has changed yet, from its metadata.

    The newest version whose metadata status is ``active`` takes every entry;
    older versions are retired (their running enrollments are pinned); versions
    newer than it are drafts.
    """
    ordered = sorted(definitions, key=lambda d: d.version)
    live = [d.version for d in ordered if d.metadata.status == ACTIVE_METADATA_STATUS]
    newest = live[-1] if live else None
    versions = []
    for definition in ordered:
        if definition.version == newest:
            versions.append(
                VersionRollout(version=definition.version, state=VersionState.ACTIVE, weight=100)
            )
        elif newest is not None and definition.version < newest:
            versions.append(VersionRollout(version=definition.version, state=VersionState.RETIRED))
        else:
            versions.append(VersionRollout(version=definition.version, state=VersionState.DRAFT))
    return JourneyRollout(journey_id=ordered[0].id, versions=versions)


def stored_rollout(
    definitions: Iterable[JourneyDefinition], stored: Mapping[int, VersionRollout]
) -> JourneyRollout:
    """The rollout from stored rows; versions shipped since the last change are drafts."""
    ordered = sorted(definitions, key=lambda d: d.version)
    versions = [
        stored.get(d.version) or VersionRollout(version=d.version, state=VersionState.DRAFT)
        for d in ordered
    ]
    return JourneyRollout(journey_id=ordered[0].id, versions=versions)


def no_entry_reason(rollout: JourneyRollout, definitions: Iterable[JourneyDefinition]) -> str:
    """Why a journey takes no entries (its only versions are drafts or retired).

    A journey no operator changed yet whose newest version carries another
    metadata status than active or draft (``paused``, say) is refused by that status.
    """
    newest = max(definitions, key=lambda d: d.version)
    if newest.metadata.status not in (ACTIVE_METADATA_STATUS, DRAFT_STATUS) and not any(
        v.state is not VersionState.DRAFT for v in rollout.versions if v.version != newest.version
    ):
        return f"journey status is {newest.metadata.status}"
    return f"no active version of {rollout.journey_id} takes entries"


def check_step_map(old: JourneyDefinition, new: JourneyDefinition) -> dict[str, str]:
    """The step map moving ``old``'s enrollments to ``new``, checked complete.

    Raises:
        JourneyDefinitionError: ``new`` declares no map from ``old``'s version, or
            leaves a step of ``old`` unmapped (named).
    """
    step_map = new.migrates_from.get(old.version)
    if step_map is None:
        raise JourneyDefinitionError(
            new.id, new.version, f"declares no step map from version {old.version} (migrates_from)"
        )
    for step in old.steps:
        if step not in step_map:
            raise JourneyDefinitionError(
                new.id,
                new.version,
                f"migrates_from[{old.version}] leaves step {step!r} of {old.key} unmapped",
                step=step,
            )
    return dict(step_map)


def parse_weights(pairs: Mapping[int, int]) -> dict[int, int]:
    """Weights checked: each 0..100, summing to 100.

    Raises:
        InvalidInputError: a weight out of range, or a sum other than 100.
    """
    if not pairs:
        raise InvalidInputError("weights", "give at least one version=percent")
    for version, weight in pairs.items():
        if not 0 <= weight <= 100:
            raise InvalidInputError("weights", f"version {version}: {weight} is not in 0..100")
    total = sum(pairs.values())
    if total != 100:
        raise InvalidInputError("weights", f"sum to {total}, not 100")
    return dict(pairs)


class RolloutChange(BaseModel):
    """A computed change: the new rollout, and the versions whose enrollments must be told.

    Attributes:
        rollout: The journey's rollout after the change.
        told: Versions retired by the change with policy drain or migrate.
    """

    rollout: JourneyRollout
    told: list[int] = Field(default_factory=list)


def _retire(
    rollout: JourneyRollout, version: int, policy: InflightPolicy, to: int | None
) -> list[int]:
    entry = rollout.version(version)
    entry.state, entry.weight = VersionState.RETIRED, 0
    entry.policy = policy
    entry.migrate_to = to if policy is InflightPolicy.MIGRATE else None
    return [version] if policy is not InflightPolicy.PIN else []


def _refuse_unservable(rollout: JourneyRollout) -> None:
    if not rollout.active():
        raise RolloutRefusedError(f"{rollout.journey_id}: the change would leave no active version")
    total = sum(v.weight for v in rollout.active())
    if total != 100:
        raise InvalidInputError("weights", f"active versions' weights sum to {total}, not 100")


def plan_publish(
    rollout: JourneyRollout, version: int, weight: int, policy: InflightPolicy
) -> RolloutChange:
    """Activate a draft (or retired) version with ``weight`` percent of new entries.

    At 100 the other active versions are retired with ``policy``; below 100 the
    one other active version keeps the rest.

    Raises:
        InvalidInputError: ``weight`` not in 1..100.
        RolloutRefusedError: the version is active already, or the rest of the
            weight has no single active version to go to.
    """
    if not 1 <= weight <= 100:
        raise InvalidInputError("weight", f"{weight} is not in 1..100")
    new = rollout.model_copy(deep=True)
    entry = new.version(version)
    if entry.state is VersionState.ACTIVE:
        raise RolloutRefusedError(
            f"{rollout.journey_id} version {version} is active already; use ramp to change weights"
        )
    others = [v for v in new.active() if v.version != version]
    told: list[int] = []
    if weight == 100:
        for other in others:
            told += _retire(new, other.version, policy, version)
    elif len(others) == 1:
        others[0].weight = 100 - weight
    else:
        raise RolloutRefusedError(
            f"{rollout.journey_id}: {len(others)} other active versions would share"
            f" {100 - weight}%; publish at 100 or ramp with explicit weights"
        )
    entry.state, entry.weight = VersionState.ACTIVE, weight
    entry.policy, entry.migrate_to = InflightPolicy.PIN, None
    _refuse_unservable(new)
    return RolloutChange(rollout=new, told=told)


def plan_ramp(rollout: JourneyRollout, weights: Mapping[int, int]) -> RolloutChange:
    """Set the weights of new entries: listed versions become active, unlisted active ones 0.

    Raises:
        InvalidInputError: weights out of range or not summing to 100.
        UnknownJourneyError: a listed version does not exist.
    """
    checked = parse_weights(weights)
    new = rollout.model_copy(deep=True)
    for version in checked:
        new.version(version)
    for entry in new.versions:
        if entry.version in checked:
            entry.state, entry.weight = VersionState.ACTIVE, checked[entry.version]
            entry.policy, entry.migrate_to = InflightPolicy.PIN, None
        elif entry.state is VersionState.ACTIVE:
            entry.weight = 0
    _refuse_unservable(new)
    return RolloutChange(rollout=new)


def rollback_target(rollout: JourneyRollout, version: int) -> int:
    """The version a rollback of ``version`` returns entries to: the newest older live one.

    Raises:
        RolloutRefusedError: no older version is active or retired.
    """
    older = [v for v in rollout.versions if v.version < version]
    for wanted in (VersionState.ACTIVE, VersionState.RETIRED):
        found = [v.version for v in older if v.state is wanted]
        if found:
            return max(found)
    raise RolloutRefusedError(f"{rollout.journey_id} has no version older than {version}")


def plan_rollback(
    rollout: JourneyRollout, version: int, to: int, policy: InflightPolicy
) -> RolloutChange:
    """Retire ``version`` with ``policy``; its weight goes to ``to`` (made active).

    Raises:
        RolloutRefusedError: ``version`` is not active, or equals ``to``.
    """
    new = rollout.model_copy(deep=True)
    leaving, target = new.version(version), new.version(to)
    if leaving.state is not VersionState.ACTIVE:
        raise RolloutRefusedError(
            f"{rollout.journey_id} version {version} is {leaving.state.value}, not active"
        )
    if version == to:
        raise RolloutRefusedError(f"cannot roll {rollout.journey_id} back to the same version")
    gained = leaving.weight
    told = _retire(new, version, policy, to)
    if target.state is not VersionState.ACTIVE:
        target.state, target.weight = VersionState.ACTIVE, 0
    target.policy, target.migrate_to = InflightPolicy.PIN, None
    target.weight += gained
    _refuse_unservable(new)
    return RolloutChange(rollout=new, told=told)


def plan_retire(rollout: JourneyRollout, version: int, policy: InflightPolicy) -> RolloutChange:
    """Retire a version with ``policy``; its weight goes to the newest other active version.

    Raises:
        RolloutRefusedError: it is retired already, or the last active version.
    """
    new = rollout.model_copy(deep=True)
    leaving = new.version(version)
    if leaving.state is VersionState.RETIRED:
        raise RolloutRefusedError(f"{rollout.journey_id} version {version} is retired already")
    others = [v for v in new.active() if v.version != version]
    if leaving.state is VersionState.ACTIVE and not others:
        raise RolloutRefusedError(
            f"{rollout.journey_id} version {version} is the last active version;"
            " publish another version first"
        )
    heir = max(others, key=lambda v: v.version) if others else None
    if heir is not None:
        heir.weight += leaving.weight
    told = _retire(new, version, policy, heir.version if heir else None)
    _refuse_unservable(new)
    return RolloutChange(rollout=new, told=told)
