"""Predictive models: churn risk, upgrade likelihood, trial conversion, retention lift.

Features come from the customer's behavioural events and attributes
(:data:`FEATURES`). ``journeys models train`` fits a scikit-learn logistic
regression per model on the store's history and saves it as a versioned
artifact under ``<data_dir>/models/<name>/v<NNNN>/`` (``model.joblib`` plus
``metadata.json`` with the version, feature list and held-out metrics).
Workers load the newest version of each model.

scikit-learn, numpy and joblib are imported only where a model is fitted,
saved or loaded: importing this module (and with it the CLI, the API and the
worker) stays fast, and scoring with the formula fallback never loads them.

Fallback: until a model is trained, its score comes from the hand-set
formula in :data:`FALLBACK_WEIGHTS` (a logistic of the same features), and
the result's model version says ``formula-1``, so the audit trail shows which
one decided.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from journeys.decisioning.retention_offers import Offer
from journeys.errors import InvalidInputError, UnknownModelError
from journeys.language.behaviour_events import BehaviourEvent

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

FORMULA_VERSION = "formula-1"
"""Model version reported by a score computed with the fallback formula."""

MODELS_FOLDER = "models"
"""Folder of the model artifacts under the data folder."""


class ModelName(StrEnum):
    """The predictive models; each is also a scorer name."""

    CHURN_RISK = "churn_risk"
    UPGRADE_LIKELIHOOD = "upgrade_likelihood"
    CONVERSION_PROBABILITY = "conversion_probability"
    RETENTION_LIFT = "retention_lift"


ACTIVITY_WINDOW = timedelta(days=30)
"""Counts of activity events look back 30 days."""

INTENT_WINDOW = timedelta(days=7)
"""Pricing page views look back 7 days."""

INACTIVITY_CAP_DAYS = 90.0
"""``days_since_last_event`` is capped (and is the cap without any event)."""

FEATURES: tuple[str, ...] = (
    "logins_30d",
    "feature_uses_30d",
    "workflows_completed_30d",
    "pricing_views_7d",
    "support_tickets_30d",
    "payment_failures_30d",
    "days_since_last_event",
    "tenure_days",
    "adoption_score",
    "mrr",
)
"""The feature vector of every model, in order (retention lift appends the offer)."""

COUNTED_EVENTS: dict[str, BehaviourEvent] = {
    "logins_30d": BehaviourEvent.LOGIN,
    "feature_uses_30d": BehaviourEvent.FEATURE_USED,
    "workflows_completed_30d": BehaviourEvent.CORE_WORKFLOW_COMPLETED,
    "support_tickets_30d": BehaviourEvent.SUPPORT_TICKET_OPENED,
    "payment_failures_30d": BehaviourEvent.PAYMENT_FAILED,
}
"""Features that count one event over :data:`ACTIVITY_WINDOW`."""

PLAN_ATTRIBUTE = "plan"
TRIAL_PLAN = "trial"
STARTER_PLAN = "starter"
ADOPTION_ATTRIBUTE = "adoption_score"
MRR_ATTRIBUTE = "mrr"
CLV_ATTRIBUTE = "clv"
SIGNUP_ATTRIBUTE = "signup_at"

OFFER_FEATURES: tuple[Offer, ...] = tuple(offer for offer in Offer if offer is not Offer.NO_OFFER)
"""One-hot offer columns appended to the retention-lift model's features."""

FALLBACK_WEIGHTS: dict[ModelName, tuple[float, dict[str, float]]] = {
    ModelName.CHURN_RISK: (
        -1.6,
        {
            "support_tickets_30d": 0.45,
            "payment_failures_30d": 0.7,
            "days_since_last_event": 0.06,
            "logins_30d": -0.08,
        },
    ),
    ModelName.UPGRADE_LIKELIHOOD: (
        -3.2,
        {"pricing_views_7d": 0.45, "adoption_score": 0.02, "workflows_completed_30d": 0.05},
    ),
    ModelName.CONVERSION_PROBABILITY: (
        -2.0,
        {"logins_30d": 0.08, "workflows_completed_30d": 0.25, "pricing_views_7d": 0.3},
    ),
}
"""Untrained fallback: probability = logistic(intercept + sum(weight x feature))."""

FALLBACK_OFFER_LIFT: dict[Offer, float] = {
    Offer.DISCOUNT_20_PERCENT: 0.10,
    Offer.FREE_UPGRADE: 0.08,
    Offer.PREMIUM_SUPPORT: 0.05,
    Offer.CUSTOM_TRAINING: 0.12,
    Offer.NO_OFFER: 0.0,
}
"""Untrained fallback of the retention lift: these priors x the fallback churn risk."""


class CustomerFeatures(BaseModel):
    """A customer's feature values and which of them were defaulted (missing data)."""

    values: dict[str, float]
    defaulted: list[str] = Field(default_factory=list)
    plan: str | None = None
    clv: float | None = None

    def vector(self) -> list[float]:
        """The values in :data:`FEATURES` order."""
        return [self.values[name] for name in FEATURES]


class BehaviourCounts(BaseModel):
    """What the store counted for one customer up to a point in time."""

    counts_30d: dict[str, int] = Field(default_factory=dict)
    pricing_views_7d: int = 0
    last_event_at: datetime | None = None


def count_behaviour(events: Iterable[tuple[str, datetime]], as_of: datetime) -> BehaviourCounts:
    """What the store counts (``behaviour_counts``), over events in memory (name, time).

    Only events in the 90 days up to ``as_of`` count: per name those of the
    last 30 days, pricing views of the last 7, and the latest event's time.
    """
    counts = BehaviourCounts()
    lookback = timedelta(days=INACTIVITY_CAP_DAYS)
    for name, occurred_at in events:
        if not as_of - lookback < occurred_at <= as_of:
            continue
        recent = int(occurred_at > as_of - ACTIVITY_WINDOW)
        counts.counts_30d[name] = counts.counts_30d.get(name, 0) + recent
        if name == BehaviourEvent.PRICING_PAGE_VIEWED.value and occurred_at > as_of - INTENT_WINDOW:
            counts.pricing_views_7d += 1
        if counts.last_event_at is None or occurred_at > counts.last_event_at:
            counts.last_event_at = occurred_at
    return counts


def compute_features(
    counts: BehaviourCounts,
    attributes: Mapping[str, Any],
    customer_created_at: datetime,
    as_of: datetime,
) -> CustomerFeatures:
    """The feature vector of one customer at ``as_of``.

    Missing attributes get documented defaults and are listed in
    ``defaulted``: ``adoption_score`` is then seed 000's engagement formula
    over 30 days (logins x 10 + features used x 5 + workflows x 20, capped
    at 100), ``mrr`` is 0, and tenure counts from the profile's creation.
    """
    values: dict[str, float] = {
        feature: float(counts.counts_30d.get(event.value, 0))
        for feature, event in COUNTED_EVENTS.items()
    }
    values["pricing_views_7d"] = float(counts.pricing_views_7d)
    defaulted: list[str] = []
    if counts.last_event_at is None:
        values["days_since_last_event"] = INACTIVITY_CAP_DAYS
    else:
        idle = (as_of - counts.last_event_at).total_seconds() / 86_400
        values["days_since_last_event"] = min(max(idle, 0.0), INACTIVITY_CAP_DAYS)
    signup = _datetime(attributes.get(SIGNUP_ATTRIBUTE))
    if signup is None:
        defaulted.append("tenure_days")
        signup = customer_created_at
    values["tenure_days"] = max((as_of - signup).total_seconds() / 86_400, 0.0)
    adoption = _number(attributes.get(ADOPTION_ATTRIBUTE))
    if adoption is None:
        defaulted.append("adoption_score")
        adoption = min(
            values["logins_30d"] * 10
            + values["feature_uses_30d"] * 5
            + values["workflows_completed_30d"] * 20,
            100.0,
        )
    values["adoption_score"] = adoption
    mrr = _number(attributes.get(MRR_ATTRIBUTE))
    if mrr is None:
        defaulted.append("mrr")
        mrr = 0.0
    values["mrr"] = mrr
    plan = attributes.get(PLAN_ATTRIBUTE)
    return CustomerFeatures(
        values=values,
        defaulted=defaulted,
        plan=plan if isinstance(plan, str) else None,
        clv=_number(attributes.get(CLV_ATTRIBUTE)),
    )


def model_name(name: str) -> ModelName:
    """The model called ``name``; an unknown name raises :class:`UnknownModelError`."""
    try:
        return ModelName(name)
    except ValueError:
        known = ", ".join(model.value for model in ModelName)
        raise UnknownModelError(f"no model named {name!r} (known: {known})") from None


def offer_of(value: object) -> Offer:
    """The offer named ``value``; anything else is an invalid input."""
    try:
        return Offer(str(value))
    except ValueError:
        known = ", ".join(offer.value for offer in Offer)
        raise InvalidInputError("offer", f"{value!r} is not one of {known}") from None


def model_row(name: ModelName, values: Sequence[float], offer: Offer | None = None) -> list[float]:
    """The model's input row: the features, plus the offer one-hot for retention lift."""
    row = list(values)
    if name is ModelName.RETENTION_LIFT:
        row.extend(1.0 if offer is candidate else 0.0 for candidate in OFFER_FEATURES)
    return row


class ModelMetrics(BaseModel):
    """Held-out quality of a trained model against a constant baseline."""

    auc: float
    baseline_auc: float = 0.5
    log_loss: float
    baseline_log_loss: float
    train_rows: int
    test_rows: int
    positive_rate: float


class ModelMetadata(BaseModel):
    """What is saved next to a model: version, features, metrics, training window."""

    name: ModelName
    version: int
    features: list[str]
    metrics: ModelMetrics
    trained_at: datetime
    as_of: datetime
    horizon_days: int
    sklearn_version: str

    @property
    def label(self) -> str:
        """``name@vN``: the version string of the audit trail."""
        return f"{self.name.value}@v{self.version}"


class TrainedModel:
    """A fitted pipeline with its metadata.

    Scoring one customer goes through the pipeline's fitted parameters
    directly (standardise, dot product, logistic): the same arithmetic as
    ``predict_proba`` without its per-call input validation, which costs
    more than the model itself.
    """

    def __init__(self, pipeline: Pipeline, metadata: ModelMetadata):
        self.pipeline = pipeline
        self.metadata = metadata
        scaler = pipeline[0]
        regression = pipeline[-1]
        self._means = [float(value) for value in scaler.mean_]
        self._scales = [float(value) for value in scaler.scale_]
        self._weights = [float(value) for value in regression.coef_[0]]
        self._intercept = float(regression.intercept_[0])

    def probability(self, row: Sequence[float]) -> float:
        """P(label = 1) for one input row."""
        total = self._intercept
        for value, mean, scale, weight in zip(
            row, self._means, self._scales, self._weights, strict=True
        ):
            total += (value - mean) / scale * weight
        return _logistic(total)


class Prediction(BaseModel):
    """A model's answer for one customer, with the version that produced it.

    Attributes:
        probability: P(churn), P(upgrade), P(convert), or for retention lift
            P(retain | offer).
        lift: Retention lift only: P(retain | offer) - P(retain | no offer).
    """

    model: ModelName
    probability: float
    model_version: str
    lift: float | None = None


def fit_model(
    name: ModelName, rows: Sequence[Sequence[float]], labels: Sequence[int], *, seed: int = 7
) -> tuple[Pipeline, ModelMetrics]:
    """Fit a scaled logistic regression on 75% of the rows; metrics on the other 25%.

    Raises:
        InvalidInputError: Too few rows, or only one class among the labels.
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss, roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if len(rows) < 40:
        raise InvalidInputError(name.value, f"needs at least 40 training rows, got {len(rows)}")
    y = np.asarray(labels, dtype=int)
    if y.min() == y.max():
        raise InvalidInputError(name.value, "the training labels are all the same")
    x = np.asarray(rows, dtype=float)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=seed, stratify=y
    )
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, C=1.0))
    pipeline.fit(x_train, y_train)
    predicted = pipeline.predict_proba(x_test)[:, 1]
    prevalence = float(y_train.mean())
    metrics = ModelMetrics(
        auc=float(roc_auc_score(y_test, predicted)),
        log_loss=float(log_loss(y_test, predicted, labels=[0, 1])),
        baseline_log_loss=float(log_loss(y_test, np.full(len(y_test), prevalence), labels=[0, 1])),
        train_rows=len(y_train),
        test_rows=len(y_test),
        positive_rate=float(y.mean()),
    )
    return pipeline, metrics


class ModelRegistry:
    """Versioned model artifacts in a folder; loads the newest version of each model once.

    Args:
        folder: ``<data_dir>/models``.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self._loaded: dict[ModelName, TrainedModel | None] = {}
        self._lock = threading.Lock()

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> ModelRegistry:
        """The registry of a data folder."""
        return cls(data_dir / MODELS_FOLDER)

    def save(
        self, name: ModelName, pipeline: Pipeline, metadata_without_version: dict[str, Any]
    ) -> ModelMetadata:
        """Save a new version of ``name``; returns its metadata."""
        import joblib
        import sklearn

        with self._lock:
            version = max(self.versions(name), default=0) + 1
            metadata = ModelMetadata(
                name=name,
                version=version,
                sklearn_version=sklearn.__version__,
                **metadata_without_version,
            )
            folder = self.folder / name.value / f"v{version:04d}"
            folder.mkdir(parents=True, exist_ok=False)
            joblib.dump(pipeline, folder / "model.joblib")
            (folder / "metadata.json").write_text(metadata.model_dump_json(indent=2) + "\n")
            self._loaded.pop(name, None)
        return metadata

    def versions(self, name: ModelName) -> list[int]:
        """The saved versions of a model, ascending."""
        folder = self.folder / name.value
        if not folder.is_dir():
            return []
        return sorted(
            int(child.name[1:])
            for child in folder.iterdir()
            if child.name.startswith("v") and (child / "metadata.json").exists()
        )

    def get(self, name: str) -> TrainedModel | None:
        """The newest trained version of ``name``, or None before training."""
        model = model_name(name)
        with self._lock:
            if model not in self._loaded:
                self._loaded[model] = self._load(model)
            return self._loaded[model]

    def reload(self) -> None:
        """Forget loaded models so the next :meth:`get` reads the newest versions."""
        with self._lock:
            self._loaded.clear()

    def _load(self, name: ModelName) -> TrainedModel | None:
        versions = self.versions(name)
        if not versions:
            return None
        folder = self.folder / name.value / f"v{versions[-1]:04d}"
        metadata = ModelMetadata.model_validate_json((folder / "metadata.json").read_text())
        if tuple(metadata.features) != FEATURES:
            raise UnknownModelError(
                f"model {metadata.label} was trained on other features; retrain it"
            )
        import joblib

        pipeline: Pipeline = joblib.load(folder / "model.joblib")
        return TrainedModel(pipeline, metadata)


def predict(
    registry: ModelRegistry, name: str, features: CustomerFeatures, offer: Offer | None = None
) -> Prediction:
    """One model's prediction for a customer: the trained model, else the fallback formula.

    Retention lift needs ``offer``; its ``probability`` is P(retain | offer).
    """
    model = model_name(name)
    if model is ModelName.RETENTION_LIFT and offer is None:
        raise InvalidInputError("offer", "the retention_lift model needs an offer")
    trained = registry.get(model)
    values = features.vector()
    if trained is None:
        return _fallback(model, features, offer)
    probability = trained.probability(model_row(model, values, offer))
    lift = None
    if model is ModelName.RETENTION_LIFT:
        baseline = trained.probability(model_row(model, values, Offer.NO_OFFER))
        lift = probability - baseline
    return Prediction(
        model=model, probability=probability, model_version=trained.metadata.label, lift=lift
    )


def fallback_probability(model: ModelName, values: Mapping[str, float]) -> float:
    """The untrained formula's probability."""
    intercept, weights = FALLBACK_WEIGHTS[model]
    return _logistic(intercept + sum(weight * values[name] for name, weight in weights.items()))


def _fallback(model: ModelName, features: CustomerFeatures, offer: Offer | None) -> Prediction:
    if model is not ModelName.RETENTION_LIFT:
        probability = fallback_probability(model, features.values)
        return Prediction(model=model, probability=probability, model_version=FORMULA_VERSION)
    assert offer is not None
    churn = fallback_probability(ModelName.CHURN_RISK, features.values)
    lift = FALLBACK_OFFER_LIFT[offer] * churn
    return Prediction(
        model=model,
        probability=min(1.0 - churn + lift, 1.0),
        model_version=FORMULA_VERSION,
        lift=lift,
    )


def _logistic(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
