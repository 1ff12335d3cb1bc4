"""Promoting an experiment's winner is a rollout change: audited, stored, seen by routing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from journeys.analytics.experiments import COMPLETION_RATE, promoted_definition
from journeys.catalog import Catalog
from journeys.contracts.enrollment import InflightPolicy
from journeys.errors import InvalidInputError, RolloutRefusedError, UnknownJourneyError
from journeys.language.loading import dump_definition
from journeys.routing.experiment_promotion import PromotionRequest, promote_experiment
from journeys.routing.live_versions import LiveVersions
from journeys.routing.rollout_control import RolloutControl
from journeys.routing.rollouts import RolloutAction, VersionState
from journeys.store import Store
from journeys.store.journey_versions import RolloutChangeRow, rollout_changes
from journeys.store.tables.journeys import ExperimentPromotion
from tests.support.experiment_data import SAMPLE, enroll_arm
from tests.support.journey_scenarios import ORG
from tests.support.measured_population import MEASURED
from tests.support.routing import unreachable_temporal

WINNING_V2 = promoted_definition(MEASURED, "welcome_copy", "long")
"""The next version as ``promote`` writes it (a draft), shipped in the catalog."""


def request(**changes: object) -> PromotionRequest:
    fields: dict[str, object] = {
        "org_id": ORG,
        "journey_id": MEASURED.id,
        "experiment": "welcome_copy",
        "min_sample_per_arm": SAMPLE,
        "alpha": 0.05,
        "metric": COMPLETION_RATE,
        "version": 1,
        "actor": "lifecycle-team",
    }
    return PromotionRequest.model_validate({**fields, **changes})


async def control(store: Store, catalog: Catalog) -> RolloutControl:
    # Publishing with policy pin tells no running enrollment: Temporal is never called.
    return RolloutControl(await unreachable_temporal(), store, LiveVersions(catalog, 60))


def stored_promotions(store: Store) -> int:
    with store.transaction() as session:
        return session.scalar(select(func.count()).select_from(ExperimentPromotion)) or 0


async def test_a_winner_is_published_through_the_rollout_and_recorded(store: Store) -> None:
    # Short (the control) completes 50%, long 60%: long wins (z = 3.18).
    enroll_arm(store, "short", completed=250, dropped=250)
    enroll_arm(store, "long", completed=300, dropped=200)

    without_v2 = await promote_experiment(await control(store, Catalog([MEASURED])), request())
    assert (without_v2.arm, without_v2.published) == ("long", None)
    assert (without_v2.draft_version, without_v2.draft_yaml) == (2, dump_definition(WINNING_V2))
    assert stored_promotions(store) == 0

    catalog = Catalog([MEASURED, WINNING_V2])
    rollouts = await control(store, catalog)
    promotion = await promote_experiment(rollouts, request(reason="A/B on completion"))
    assert promotion.published is not None
    assert (promotion.arm, promotion.forced, promotion.draft_yaml) == ("long", False, None)
    assert [(v.version, v.state, v.weight) for v in promotion.published.rollout.versions] == [
        (1, VersionState.RETIRED, 0),
        (2, VersionState.ACTIVE, 100),
    ]
    with store.transaction() as session:
        change = rollout_changes(session, ORG, MEASURED.id)[0]
        stored = session.scalars(select(ExperimentPromotion)).one()
        entering = LiveVersions(catalog, 60).entry_definition(session, ORG, "new-c", MEASURED.id)
    assert (change.action, change.policy, change.actor) == (
        RolloutAction.PUBLISH,
        InflightPolicy.PIN,
        "lifecycle-team",
    )
    assert change.reason == "promote welcome_copy=long: A/B on completion"
    assert (stored.arm, stored.journey_version, stored.promoted_by) == (
        "long",
        1,
        "lifecycle-team",
    )
    assert (stored.evidence["verdict"], stored.evidence["published_version"]) == ("winner", 2)
    assert stored.evidence["forced"] is False
    assert entering.version == 2

    with pytest.raises(RolloutRefusedError):
        await promote_experiment(rollouts, request())
    assert stored_promotions(store) == 1


async def test_bad_promotions_change_nothing(store: Store) -> None:
    enroll_arm(store, "short", completed=250, dropped=250)
    enroll_arm(store, "long", completed=260, dropped=240)
    rollouts = await control(store, Catalog([MEASURED, WINNING_V2]))
    cases = [
        (request(experiment="no_such"), "experiment", "has no experiment 'no_such'"),
        (request(), "experiment", "no winner yet"),
        (request(arm="long"), "arm", "long is not the winner"),
        (request(arm="medium", force=True), "arm", "no arm 'medium'"),
        (request(force=True), "force", "name the arm"),
        (request(reason="x" * 201), "reason", "at most 200"),
    ]
    for bad, field, problem in cases:
        with pytest.raises(InvalidInputError, match=problem) as refused:
            await promote_experiment(rollouts, bad)
        assert refused.value.field == field
    with pytest.raises(UnknownJourneyError):
        await promote_experiment(rollouts, request(journey_id="no_such_journey"))
    with pytest.raises(UnknownJourneyError):
        await promote_experiment(rollouts, request(version=9))
    with store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(RolloutChangeRow)) == 0
    assert stored_promotions(store) == 0

    forced = await promote_experiment(rollouts, request(arm="long", force=True))
    assert forced.forced
    assert forced.published is not None
    with store.transaction() as session:
        assert rollout_changes(session, ORG, MEASURED.id)[0].reason.startswith(
            "promote welcome_copy=long (forced): no arm differs"
        )
