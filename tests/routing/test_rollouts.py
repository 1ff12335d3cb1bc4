"""Rollout rules and their store: stable weighted choice, checked changes, the audit trail."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import func, select
from temporalio.client import Client

from journeys.catalog import Catalog
from journeys.contracts.enrollment import InflightPolicy
from journeys.errors import (
    EnrollmentRefusedError,
    InvalidInputError,
    JourneyDefinitionError,
    RolloutRefusedError,
    UnknownJourneyError,
)
from journeys.routing.live_versions import LiveVersions
from journeys.routing.rollout_control import RolloutControl
from journeys.routing.rollouts import RolloutAction, VersionState
from journeys.store import Store
from journeys.store.journey_versions import (
    JourneyVersionRow,
    RolloutChangeRow,
    rollout_changes,
)
from tests.support.rollout_journeys import (
    JOURNEY_ID,
    ROLLOUT_JOURNEYS,
    ROLLOUT_V1,
    ROLLOUT_V2,
    V1_TO_V2,
)
from tests.support.routing import unreachable_temporal

CATALOG = Catalog(ROLLOUT_JOURNEYS)
Z_999 = 3.2905
"""Two-sided 99.9% quantile of the standard normal distribution."""


def control(temporal: Client, store: Store, catalog: Catalog = CATALOG) -> RolloutControl:
    return RolloutControl(temporal, store, LiveVersions(catalog, ttl_seconds=60))


def chosen_versions(store: Store, customers: list[str], org_id: str = "acme") -> dict[str, int]:
    """Each customer's version, as a fresh process (an empty cache) would choose it."""
    versions = LiveVersions(CATALOG, ttl_seconds=60)
    with store.transaction() as session:
        return {
            who: versions.entry_definition(session, org_id, who, JOURNEY_ID).version
            for who in customers
        }


def test_before_any_change_the_newest_active_metadata_version_takes_entries(
    store: Store,
) -> None:
    with store.transaction() as session:
        rollout = LiveVersions(CATALOG, 60).rollout(session, "acme", JOURNEY_ID)
    assert [(v.version, v.state, v.weight) for v in rollout.versions] == [
        (1, VersionState.ACTIVE, 100),
        (2, VersionState.DRAFT, 0),
        (3, VersionState.DRAFT, 0),
    ]


async def test_2000_customers_at_10_90_split_inside_the_binomial_interval_and_stay_put(
    store: Store,
) -> None:
    rollouts = control(await unreachable_temporal(), store)
    await rollouts.publish("acme", JOURNEY_ID, 2, weight=10, actor="test")
    customers = [f"customer-{n}" for n in range(2000)]
    first = chosen_versions(store, customers)
    on_v2 = sum(1 for version in first.values() if version == 2)
    n, p = len(customers), 0.10
    half_width = Z_999 * math.sqrt(n * p * (1 - p))
    assert n * p - half_width <= on_v2 <= n * p + half_width, on_v2
    assert chosen_versions(store, customers) == first
    # Ramping up only adds customers to v2: nobody who had v2 goes back to v1.
    await rollouts.ramp("acme", JOURNEY_ID, {2: 50, 1: 50}, actor="test")
    ramped = chosen_versions(store, customers)
    assert all(ramped[who] == 2 for who, version in first.items() if version == 2)
    assert 0.45 * n < sum(1 for v in ramped.values() if v == 2) < 0.55 * n
    # Another organisation's rollout is its own.
    assert set(chosen_versions(store, customers[:50], org_id="globex").values()) == {1}


async def test_changes_are_audited_with_who_when_and_why(store: Store) -> None:
    rollouts = control(await unreachable_temporal(), store)
    await rollouts.publish("acme", JOURNEY_ID, 2, weight=10, actor="ana", reason="try v2")
    await rollouts.ramp("acme", JOURNEY_ID, {2: 100, 1: 0}, actor="bo", reason="looks good")
    result = await rollouts.retire("acme", JOURNEY_ID, 1, actor="bo", reason="done")
    assert result.rollout.weights() == {2: 100}
    with store.transaction() as session:
        changes = rollout_changes(session, "acme", JOURNEY_ID)
    assert [(c.action, c.actor, c.reason) for c in changes] == [
        (RolloutAction.RETIRE, "bo", "done"),
        (RolloutAction.RAMP, "bo", "looks good"),
        (RolloutAction.PUBLISH, "ana", "try v2"),
    ]
    assert [(v.version, v.state, v.weight) for v in changes[0].versions] == [
        (1, VersionState.RETIRED, 0),
        (2, VersionState.ACTIVE, 100),
        (3, VersionState.DRAFT, 0),
    ]
    assert changes[0].changed_at >= changes[-1].changed_at


async def test_a_rollback_returns_entries_to_the_previous_version(store: Store) -> None:
    rollouts = control(await unreachable_temporal(), store)
    await rollouts.publish("acme", JOURNEY_ID, 2, actor="test")
    result = await rollouts.rollback("acme", JOURNEY_ID, actor="test", reason="v2 broke")
    assert [(v.version, v.state, v.weight) for v in result.rollout.versions] == [
        (1, VersionState.ACTIVE, 100),
        (2, VersionState.RETIRED, 0),
        (3, VersionState.DRAFT, 0),
    ]
    assert set(chosen_versions(store, [f"c{n}" for n in range(100)]).values()) == {1}


def _stored_rows(store: Store) -> tuple[int, int]:
    with store.transaction() as session:
        return (
            session.scalar(select(func.count()).select_from(JourneyVersionRow)) or 0,
            session.scalar(select(func.count()).select_from(RolloutChangeRow)) or 0,
        )


async def test_bad_rollout_changes_are_refused_and_change_nothing(store: Store) -> None:
    temporal = await unreachable_temporal()
    rollouts = control(temporal, store)
    with pytest.raises(UnknownJourneyError, match="no journey 'nope'"):
        await rollouts.publish("acme", "nope", 1, actor="test")
    with pytest.raises(UnknownJourneyError, match="has no version 9"):
        await rollouts.publish("acme", JOURNEY_ID, 9, actor="test")
    with pytest.raises(InvalidInputError, match=r"weights: sum to 90, not 100"):
        await rollouts.ramp("acme", JOURNEY_ID, {1: 80, 2: 10}, actor="test")
    with pytest.raises(InvalidInputError, match=r"weights: version 1: -20 is not in 0..100"):
        await rollouts.ramp("acme", JOURNEY_ID, {1: -20, 2: 120}, actor="test")
    with pytest.raises(RolloutRefusedError, match="version 1 is the last active version"):
        await rollouts.retire("acme", JOURNEY_ID, 1, actor="test")
    with pytest.raises(JourneyDefinitionError, match="unknown template 'no_such_template'"):
        await rollouts.ramp("acme", JOURNEY_ID, {3: 10, 1: 90}, actor="test")
    with pytest.raises(JourneyDefinitionError, match="unknown template"):
        await rollouts.publish("acme", JOURNEY_ID, 3, actor="test")
    with pytest.raises(InvalidInputError, match="org_id"):
        await rollouts.publish("acme corp", JOURNEY_ID, 2, actor="test")
    with pytest.raises(InvalidInputError, match=r"weight: 0 is not in 1\.\.100"):
        await rollouts.publish("acme", JOURNEY_ID, 2, weight=0, actor="test")
    with pytest.raises(InvalidInputError, match="actor: is required"):
        await rollouts.publish("acme", JOURNEY_ID, 2, actor="")
    partial = {step: new for step, new in V1_TO_V2.items() if step != "check"}
    catalog = Catalog([ROLLOUT_V1, ROLLOUT_V2.model_copy(update={"migrates_from": {1: partial}})])
    with pytest.raises(JourneyDefinitionError, match=r"step 'check'.*leaves step 'check'"):
        await control(temporal, store, catalog).publish(
            "acme", JOURNEY_ID, 2, policy=InflightPolicy.MIGRATE, actor="test"
        )
    no_map = Catalog([ROLLOUT_V1, ROLLOUT_V2.model_copy(update={"migrates_from": {}})])
    with pytest.raises(JourneyDefinitionError, match="declares no step map from version 1"):
        await control(temporal, store, no_map).publish(
            "acme", JOURNEY_ID, 2, policy=InflightPolicy.MIGRATE, actor="test"
        )
    assert _stored_rows(store) == (0, 0)


def test_a_catalog_refuses_a_step_map_naming_steps_that_do_not_exist() -> None:
    bad = ROLLOUT_V2.model_copy(
        update={"migrates_from": {1: {"no_such_step": "nudge"}}, "metadata": ROLLOUT_V1.metadata}
    )
    with pytest.raises(JourneyDefinitionError, match="maps 'no_such_step', which is not a step"):
        Catalog([ROLLOUT_V1, bad])
    with pytest.raises(JourneyDefinitionError, match="to unknown step 'missing'"):
        ROLLOUT_V2.model_validate(
            {**ROLLOUT_V2.model_dump(), "migrates_from": {1: {"nudge": "missing"}}}
        )


async def test_drafts_and_retired_versions_take_no_explicit_entries(store: Store) -> None:
    versions = LiveVersions(CATALOG, ttl_seconds=0)
    with store.transaction() as session:
        with pytest.raises(EnrollmentRefusedError, match="rollout_demo@2 is draft"):
            versions.entry_definition(session, "acme", "c1", JOURNEY_ID, version=2)
        with pytest.raises(EnrollmentRefusedError, match="no active version of rollout_draft"):
            versions.entry_definition(session, "acme", "c1", "rollout_draft_only")
    await control(await unreachable_temporal(), store).publish("acme", JOURNEY_ID, 2, actor="test")
    with store.transaction() as session:
        with pytest.raises(EnrollmentRefusedError, match="rollout_demo@1 is retired"):
            versions.entry_definition(session, "acme", "c1", JOURNEY_ID, version=1)
        assert versions.entry_definition(session, "acme", "c1", JOURNEY_ID).version == 2


async def test_rollouts_are_stored_and_audited_on_postgresql(pg_store: Store) -> None:
    rollouts = control(await unreachable_temporal(), pg_store)
    await rollouts.publish("acme", JOURNEY_ID, 2, weight=10, actor="ana", reason="canary")
    customers = [f"customer-{n}" for n in range(200)]
    assert chosen_versions(pg_store, customers) == chosen_versions(pg_store, customers)
    assert set(chosen_versions(pg_store, customers).values()) == {1, 2}
    with pg_store.transaction() as session:
        changes = rollout_changes(session, "acme", JOURNEY_ID)
    assert [(c.action, c.actor, c.reason) for c in changes] == [
        (RolloutAction.PUBLISH, "ana", "canary")
    ]
