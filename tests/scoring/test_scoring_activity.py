"""The compute_score activity over the store's events: windows, registry, bad input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.exceptions import ApplicationError

from activities.scoring import ScoringActivities, default_scorers
from journeys.contracts.scoring import ScoreRequest, ScoreResult
from journeys.errors import INVALID_INPUT_ERROR_TYPE, UNKNOWN_MODEL_ERROR_TYPE
from journeys.store import Store
from journeys.store.events import record_event

AS_OF = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def event(store: Store, name: str, at: datetime, **properties: object) -> None:
    with store.transaction() as session:
        record_event(
            session,
            org_id="acme",
            event_id=uuid.uuid4().hex,
            customer_id="c1",
            name=name,
            occurred_at=at,
            properties=dict(properties),
        )


def request(scorer: str, **context: str | int) -> ScoreRequest:
    return ScoreRequest(
        scorer=scorer,
        org_id="acme",
        customer_id="c1",
        context={"as_of": AS_OF.isoformat(), **context},
    )


def test_engagement_counts_the_seed_window_of_whole_days(store: Store) -> None:
    event(store, "login", AS_OF - timedelta(days=3, hours=11))  # 2026-03-07 01:00: in
    event(store, "login", AS_OF - timedelta(days=1))
    event(store, "login", AS_OF - timedelta(days=1, hours=1))  # same day: one login day
    event(store, "login", AS_OF - timedelta(days=4))  # 2026-03-06: out of a 3-day window
    event(store, "feature_used", AS_OF - timedelta(hours=1), feature="reports")
    event(store, "core_workflow_completed", AS_OF - timedelta(hours=2))
    event(store, "session_ended", AS_OF - timedelta(hours=3), duration_minutes=45)
    event(store, "login", AS_OF + timedelta(hours=1))  # after as_of: out
    scoring = ScoringActivities(default_scorers(store))
    result = scoring.compute_score(request("engagement"))
    # 2 login days*10 + 1 feature*5 + 1 workflow*20 + min(45, 30) = 75
    assert (result.score, result.tier) == (75, "high")
    assert result.inputs["login_days"] == 2
    wider = scoring.compute_score(request("engagement", window_days=4))
    assert wider.score == 85


def test_registry_is_injectable_and_unknown_names_are_not_retried(store: Store) -> None:
    class Constant:
        name = "constant"

        def score(self, request: ScoreRequest) -> ScoreResult:
            return ScoreResult(scorer=self.name, score=42, model_version="trained-7")

    scoring = ScoringActivities({"constant": Constant()})
    assert scoring.compute_score(request("constant")).model_version == "trained-7"
    with pytest.raises(ApplicationError) as unknown:
        scoring.compute_score(request("engagement"))
    assert (unknown.value.type, unknown.value.non_retryable) == (UNKNOWN_MODEL_ERROR_TYPE, True)


@pytest.mark.parametrize(
    ("context", "field"),
    [({"as_of": "yesterday"}, "context.as_of"), ({"window_days": 0}, "context.window_days")],
)
def test_bad_context_names_the_field(
    store: Store, context: dict[str, str | int], field: str
) -> None:
    scoring = ScoringActivities(default_scorers(store))
    bad = request("engagement")
    bad.context.update(context)
    with pytest.raises(ApplicationError) as refused:
        scoring.compute_score(bad)
    assert refused.value.type == INVALID_INPUT_ERROR_TYPE
    assert refused.value.message.startswith(field)
