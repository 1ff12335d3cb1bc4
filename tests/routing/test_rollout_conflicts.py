"""Two rollout changes at once: one is saved, the other is refused and changes nothing.

Each change is planned from the rollout read with its revision and saved only if
that revision is unchanged, on SQLite and PostgreSQL. The two changes below come
from two stores (two processes), made to read before either writes by a third
connection holding the write lock until both wait for it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text

from journeys.catalog import Catalog
from journeys.contracts.enrollment import InflightPolicy
from journeys.errors import RolloutConflictError
from journeys.routing.live_versions import LiveVersions
from journeys.routing.rollout_control import RolloutControl, RolloutResult
from journeys.routing.rollouts import (
    JourneyRollout,
    RolloutAction,
    VersionState,
    plan_publish,
    plan_ramp,
)
from journeys.store import Store
from journeys.store.journey_versions import (
    rollout_changes,
    rollout_revision,
    save_rollout,
)
from tests.support.postgres import lock_waiters
from tests.support.rollout_journeys import JOURNEY_ID, ROLLOUT_JOURNEYS
from tests.support.routing import unreachable_temporal
from tests.support.waiting import eventually

CATALOG = Catalog(ROLLOUT_JOURNEYS)
PUBLISH = RolloutAction.PUBLISH


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest) -> Store:
    """The test's SQLite store, or a fresh PostgreSQL one."""
    store: Store = request.getfixturevalue("store" if request.param == "sqlite" else "pg_store")
    return store


def stored_weights(store: Store) -> dict[int, tuple[VersionState, int]]:
    with store.transaction() as session:
        rollout = LiveVersions(CATALOG, 0).rollout(session, "acme", JOURNEY_ID)
    return {entry.version: (entry.state, entry.weight) for entry in rollout.versions}


def audited(store: Store) -> list[RolloutAction]:
    with store.transaction() as session:
        return [change.action for change in rollout_changes(session, "acme", JOURNEY_ID)]


def save(store: Store, planned: JourneyRollout, action: RolloutAction, revision: int) -> None:
    with store.transaction() as session:
        save_rollout(
            session,
            "acme",
            planned,
            action=action,
            policy=InflightPolicy.PIN,
            actor="test",
            reason="",
            revision=revision,
        )


def test_a_change_planned_from_a_stale_read_is_refused(any_store: Store) -> None:
    with any_store.transaction() as session:
        revision = rollout_revision(session, "acme", JOURNEY_ID)
        current = LiveVersions(CATALOG, 0).rollout(session, "acme", JOURNEY_ID)
    save(any_store, plan_publish(current, 2, 10, InflightPolicy.PIN).rollout, PUBLISH, revision)
    with pytest.raises(RolloutConflictError, match="at the same time"):
        save(any_store, plan_ramp(current, {1: 100}).rollout, RolloutAction.RAMP, revision)
    assert stored_weights(any_store) == {
        1: (VersionState.ACTIVE, 90),
        2: (VersionState.ACTIVE, 10),
        3: (VersionState.DRAFT, 0),
    }
    assert audited(any_store) == [RolloutAction.PUBLISH]


@asynccontextmanager
async def writes_held(store: Store) -> AsyncIterator[Callable[[], None]]:
    """Hold the store's write lock from a third connection; yields its release."""
    if store.dialect == "postgresql":
        connection = store.engine.connect()
        connection.execute(text("LOCK TABLE journey_versions, journey_rollouts IN EXCLUSIVE MODE"))
        try:
            yield connection.rollback
        finally:
            connection.close()
        return
    holder = sqlite3.connect(str(store.engine.url.database), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield holder.rollback
    finally:
        holder.close()


async def both_wait(store: Store) -> None:
    """Until both changes have read and wait to write."""
    if store.dialect != "postgresql":
        # SQLite does not show who waits for its lock; the reads take milliseconds.
        await asyncio.sleep(1)
        return

    async def waiting() -> bool:
        return lock_waiters(store.engine) == 2

    await eventually(waiting)


async def test_two_concurrent_changes_from_two_processes_one_is_refused(any_store: Store) -> None:
    temporal = await unreachable_temporal()
    url = any_store.engine.url.render_as_string(hide_password=False)
    first, second = Store(url), Store(url)
    try:
        publisher = RolloutControl(temporal, first, LiveVersions(CATALOG, 60))
        rampant = RolloutControl(temporal, second, LiveVersions(CATALOG, 60))
        async with writes_held(any_store) as release:
            changes = [
                asyncio.create_task(publisher.publish("acme", JOURNEY_ID, 2, weight=10, actor="a")),
                asyncio.create_task(rampant.ramp("acme", JOURNEY_ID, {1: 100}, actor="b")),
            ]
            await both_wait(any_store)
            release()
            outcomes = await asyncio.gather(*changes, return_exceptions=True)
    finally:
        first.dispose()
        second.dispose()
    saved = [outcome for outcome in outcomes if isinstance(outcome, RolloutResult)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, RolloutConflictError)]
    assert (len(saved), len(refused)) == (1, 1), outcomes
    won = saved[0].rollout
    assert stored_weights(any_store) == {e.version: (e.state, e.weight) for e in won.versions}
    assert audited(any_store) == [saved[0].action]
