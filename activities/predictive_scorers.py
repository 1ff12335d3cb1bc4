"""Scorers backed by the trained models, each a :class:`journeys.contracts.scoring.Scorer`.

Names: ``churn_risk``, ``upgrade_likelihood``, ``conversion_probability`` (the
retention-lift model is weighed per offer by ``choose_retention_offer``, not asked
as a scorer). Before ``journeys models train`` has run, a scorer
answers with its ``fallback`` scorer when one is given (the seed formula
scorer of the same name in ``activities.scoring``), else with the model's own
fallback formula (model version ``formula-1``). ``context["as_of"]`` (ISO
8601 with a time zone) fixes the moment the features are computed at, as the
formula scorers do. An unknown customer raises
:class:`~journeys.errors.UnknownCustomerError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from journeys.contracts.scoring import Scorer, ScoreRequest, ScoreResult
from journeys.errors import InvalidInputError, UnknownCustomerError, UnknownModelError
from journeys.scoring.predictive_models import (
    ModelName,
    ModelRegistry,
    model_name,
    predict,
)
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.behaviour_features import customer_features
from journeys.store.customers import find_customer
from journeys.store.tables.base import utcnow

HIGH_TIER = 0.6
MEDIUM_TIER = 0.3
"""Tiers of a probability: > 60% high, 30-60% medium, < 30% low (seed 000's bands)."""

SCORED_MODELS: tuple[ModelName, ...] = tuple(
    name for name in ModelName if name is not ModelName.RETENTION_LIFT
)
"""The models a journey's decide step may ask by name (they are in the catalog's scorers)."""


class PredictiveScorer:
    """A named scorer answering with a trained model's probability (x 100 as the score).

    Args:
        name: One of the model names; another raises ``UnknownModelError``.
        store: The store.
        registry: The trained models.
        fallback: The scorer answering while the model is untrained.
        clock: The current time (when the request gives no ``as_of``).
    """

    def __init__(
        self,
        name: str,
        store: Store,
        registry: ModelRegistry,
        fallback: Scorer | None = None,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.model = model_name(name)
        if self.model not in SCORED_MODELS:
            raise UnknownModelError(f"{name!r} is weighed per offer, not asked as a scorer")
        self.name = self.model.value
        self._store = store
        self._registry = registry
        self._fallback = fallback
        self._clock = clock

    def score(self, request: ScoreRequest) -> ScoreResult:
        """The customer's probability, its tier, and the feature values behind it."""
        if self._fallback is not None and self._registry.get(self.model) is None:
            return self._fallback.score(request)
        as_of = _as_of(request) or self._clock()
        with self._store.transaction() as session:
            customer = find_customer(
                session, org_id=request.org_id, customer_id=request.customer_id
            )
            if customer is None:
                raise UnknownCustomerError(
                    f"no customer {request.customer_id!r} in organisation {request.org_id!r}"
                )
            features = customer_features(session, customer=customer, as_of=as_of)
        prediction = predict(self._registry, self.model, features)
        inputs: dict[str, float | str | None] = {**features.values, "plan": features.plan}
        if features.defaulted:
            inputs["defaulted"] = ", ".join(features.defaulted)
        return ScoreResult(
            scorer=self.name,
            score=round(prediction.probability * 100, 4),
            probability=prediction.probability,
            tier=probability_tier(prediction.probability),
            inputs=inputs,
            model_version=prediction.model_version,
        )


def probability_tier(probability: float) -> str:
    """``high`` above 60%, ``medium`` from 30%, else ``low``."""
    if probability > HIGH_TIER:
        return "high"
    if probability >= MEDIUM_TIER:
        return "medium"
    return "low"


def trained_scorers(
    store: Store, settings: JourneySettings, fallbacks: Mapping[str, Scorer] | None = None
) -> dict[str, Scorer]:
    """One scorer per model, sharing the registry of the data folder, by name.

    Args:
        store: The store.
        settings: Settings (the data folder holding the models).
        fallbacks: Scorers by name that answer while a model is untrained.
    """
    registry = ModelRegistry.in_data_dir(settings.data_dir)
    fallbacks = fallbacks or {}
    return {
        name.value: PredictiveScorer(name.value, store, registry, fallbacks.get(name.value))
        for name in SCORED_MODELS
    }


def _as_of(request: ScoreRequest) -> datetime | None:
    value = request.context.get("as_of")
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInputError("context.as_of", "must be an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise InvalidInputError("context.as_of", "must include a time zone")
    return moment.astimezone(UTC)
