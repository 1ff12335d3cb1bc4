"""Predictive models trained on the synthetic history: quality, versions, fallback, scorers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from activities.predictive_scorers import PredictiveScorer, trained_scorers
from journeys.cli import main
from journeys.commands.exit_codes import EXIT_INVALID, EXIT_NOT_FOUND
from journeys.contracts.scoring import ScoreRequest, ScoreResult
from journeys.decisioning.customer_decisions import CustomerDecisions, RetentionOfferRequest
from journeys.decisioning.next_best_action import NextBestActionRequest
from journeys.decisioning.retention_offers import Offer
from journeys.devtools.synthetic_history import OUTCOME_HORIZON, generate_history
from journeys.errors import UnknownCustomerError, UnknownModelError
from journeys.scoring import SCORER_NAMES
from journeys.scoring.model_training import dataset, store_history, train_models, training_rows
from journeys.scoring.predictive_models import (
    FEATURES,
    FORMULA_VERSION,
    BehaviourCounts,
    ModelName,
    ModelRegistry,
    compute_features,
    predict,
)
from journeys.settings import JourneySettings
from journeys.store import Store

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
AS_OF = NOW - OUTCOME_HORIZON
ORG = "synthetic"


class Trained:
    def __init__(self, store: Store, registry: ModelRegistry, results: list) -> None:  # type: ignore[type-arg]
        self.store, self.registry, self.results = store, registry, results


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    folder = tmp_path_factory.mktemp("models")
    store = Store(f"sqlite:///{folder / 'store.db'}")
    store.migrate()
    store_history(
        store, org_id=ORG, history=generate_history(org_id=ORG, customers=1200, as_of=AS_OF)
    )
    registry = ModelRegistry(folder / "models")
    results = train_models(store, registry, org_id=ORG, as_of=AS_OF, now=NOW)
    yield Trained(store, registry, results)
    store.dispose()


def test_every_model_beats_a_constant_baseline_on_held_out_data(trained: Trained) -> None:
    assert [r.name for r in trained.results] == list(ModelName)
    for result in trained.results:
        assert result.metadata is not None, result.skipped
        metrics = result.metadata.metrics
        assert metrics.auc > metrics.baseline_auc + 0.1, result.name
        assert metrics.log_loss < metrics.baseline_log_loss, result.name
        assert metrics.test_rows >= 50


def test_artifacts_are_versioned_with_features_and_metrics(trained: Trained) -> None:
    folder = trained.registry.folder / "churn_risk" / "v0001"
    assert (folder / "model.joblib").exists()
    metadata = (folder / "metadata.json").read_text()
    assert '"version": 1' in metadata
    assert '"auc"' in metadata
    assert '"logins_30d"' in metadata
    model = trained.registry.get("churn_risk")
    assert model is not None
    assert model.metadata.label == "churn_risk@v1"


def test_fast_scoring_matches_the_pipeline(trained: Trained) -> None:
    model = trained.registry.get("churn_risk")
    assert model is not None
    for row in ([3, 2, 0, 1, 0, 0, 2.5, 100, 62, 49], [0, 0, 0, 0, 4, 1, 60, 10, 5, 0]):
        expected = model.pipeline.predict_proba(np.asarray([row], dtype=float))[0, 1]
        assert model.probability(row) == pytest.approx(expected, abs=1e-12)


def test_a_fresh_registry_loads_the_newest_version(trained: Trained) -> None:
    again = ModelRegistry(trained.registry.folder)
    assert again.versions(ModelName.UPGRADE_LIKELIHOOD) == [1]
    model = again.get("upgrade_likelihood")
    assert model is not None
    assert model.metadata.version == 1


def test_decisions_are_deterministic_for_the_same_inputs_and_model_version(
    trained: Trained,
) -> None:
    decisions = CustomerDecisions(
        trained.store, ModelRegistry(trained.registry.folder), clock=lambda: NOW
    )
    other = CustomerDecisions(
        trained.store, ModelRegistry(trained.registry.folder), clock=lambda: NOW
    )
    for customer in ("synthetic-00001", "synthetic-00002", "synthetic-00003"):
        request = NextBestActionRequest(org_id=ORG, customer_id=customer, record=False)
        first, second = decisions.next_best_action(request), other.next_best_action(request)
        assert first == second
        assert first.model_version == "nba-1;churn_risk@v1;upgrade_likelihood@v1"


def test_retention_offer_uses_the_lift_model(trained: Trained) -> None:
    decisions = CustomerDecisions(trained.store, trained.registry, clock=lambda: NOW)
    decision = decisions.retention_offer(
        RetentionOfferRequest(org_id=ORG, customer_id="synthetic-00004", record=False)
    )
    by_offer = {e.offer: e for e in decision.evaluations}
    assert by_offer[Offer.NO_OFFER].retention_lift == 0
    assert by_offer[Offer.CUSTOM_TRAINING].cost == 500
    best = max(decision.evaluations, key=lambda e: e.expected_value)
    assert decision.offer == (best.offer if best.expected_value > 0 else Offer.NO_OFFER)


def test_trained_scorers_follow_the_scorer_interface(trained: Trained, tmp_path: Path) -> None:
    settings = JourneySettings(data_dir=trained.registry.folder.parent)
    scorers = trained_scorers(trained.store, settings)
    # Every trained scorer is one a decide step may name; retention lift is weighed per offer.
    assert sorted(scorers) == ["churn_risk", "conversion_probability", "upgrade_likelihood"]
    assert set(scorers) <= SCORER_NAMES
    with pytest.raises(UnknownModelError, match="'retention_lift' is weighed per offer"):
        PredictiveScorer("retention_lift", trained.store, trained.registry)
    result = scorers["churn_risk"].score(
        ScoreRequest(
            scorer="churn_risk",
            org_id=ORG,
            customer_id="synthetic-00005",
            context={"as_of": NOW.isoformat()},
        )
    )
    assert result.model_version == "churn_risk@v1"
    assert result.probability is not None
    assert 0 < result.probability < 1
    assert result.score == pytest.approx(result.probability * 100, abs=1e-3)
    assert result.tier in ("low", "medium", "high")
    assert "logins_30d" in result.inputs
    with pytest.raises(UnknownCustomerError):
        scorers["churn_risk"].score(ScoreRequest(scorer="churn_risk", org_id=ORG, customer_id="x"))


def test_untrained_models_fall_back_to_formulas(store: Store, tmp_path: Path) -> None:
    empty = ModelRegistry(tmp_path / "models")
    features = compute_features(BehaviourCounts(), {}, NOW, NOW)
    for name in ModelName:
        offer = Offer.FREE_UPGRADE if name is ModelName.RETENTION_LIFT else None
        prediction = predict(empty, name, features, offer)
        assert prediction.model_version == FORMULA_VERSION
        assert 0 <= prediction.probability <= 1

    class FormulaScorer:
        name = "churn_risk"

        def score(self, request: ScoreRequest) -> ScoreResult:
            return ScoreResult(scorer=self.name, score=42, model_version="formula-seed")

    scorer = PredictiveScorer("churn_risk", store, empty, fallback=FormulaScorer())
    answer = scorer.score(ScoreRequest(scorer="churn_risk", org_id="o", customer_id="c"))
    assert (answer.score, answer.model_version) == (42, "formula-seed")


def test_unknown_model_name_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(UnknownModelError, match=r"no model named 'ltv' \(known: churn_risk"):
        ModelRegistry(tmp_path).get("ltv")
    with pytest.raises(UnknownModelError):
        PredictiveScorer("ltv", store, ModelRegistry(tmp_path))


def test_cli_generates_history_trains_and_rejects_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNEYS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    data = str(tmp_path / "data")
    assert (
        main(["models", "generate-history", "--data-dir", data, "--org", "o", "--customers", "600"])
        == 0
    )
    assert "stored 600 customers" in capsys.readouterr().out
    assert main(["models", "train", "--data-dir", data, "--org", "o", "--model", "churn_risk"]) == 0
    out = capsys.readouterr().out
    assert "churn_risk@v1" in out
    assert "held-out AUC" in out
    assert main(["models", "show", "--data-dir", data]) == 0
    shown = capsys.readouterr().out
    assert "churn_risk@v1" in shown
    assert "upgrade_likelihood       not trained" in shown
    assert main(["models", "train", "--data-dir", data, "--model", "ltv"]) == EXIT_NOT_FOUND
    assert "no model named 'ltv'" in capsys.readouterr().err
    assert main(["models", "train", "--data-dir", data, "--as-of", "2026-01-01"]) == EXIT_INVALID
    assert "--as-of: must include a time zone" in capsys.readouterr().err
    assert (
        main(["models", "generate-history", "--data-dir", data, "--customers", "0"]) == EXIT_INVALID
    )
    assert "--customers: must be between 1 and" in capsys.readouterr().err


def test_training_rows_on_postgresql(pg_store: Store) -> None:
    history = generate_history(org_id=ORG, customers=150, as_of=AS_OF, seed=3)
    store_history(pg_store, org_id=ORG, history=history)
    store_history(pg_store, org_id=ORG, history=history)  # stored once only
    with pg_store.transaction() as session:
        rows = training_rows(session, org_id=ORG, as_of=AS_OF, horizon=OUTCOME_HORIZON)
    assert len(rows) == 150
    outcomes = set().union(*(row.outcomes for row in rows))
    assert "subscription_cancelled" in outcomes
    assert "trial_converted" in outcomes
    assert any(row.offer is not None for row in rows)
    assert sum(row.features.values["logins_30d"] for row in rows) > 150
    matrix, labels = dataset(ModelName.RETENTION_LIFT, rows)
    assert len(matrix[0]) == len(FEATURES) + 4
    assert set(labels) == {0, 1}
