"""Training the predictive models from the store's history (``journeys models train``).

For a cut-off ``as_of`` the features are computed as they were then, and the
labels are what happened in the ``horizon`` after it: a cancellation (churn
risk, among paying customers), an upgrade (upgrade likelihood, among starter
customers), a conversion (trial conversion, among trial customers), and for
retention lift, among customers made a ``retention_offer_made`` offer in the
30 days before ``as_of``, whether they stayed. A customer's plan is read from
their current profile.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from journeys.decisioning.retention_offers import Offer
from journeys.devtools.synthetic_history import SyntheticHistory
from journeys.errors import InvalidInputError
from journeys.language.behaviour_events import BehaviourEvent
from journeys.scoring.predictive_models import (
    ACTIVITY_WINDOW,
    FEATURES,
    STARTER_PLAN,
    TRIAL_PLAN,
    BehaviourCounts,
    CustomerFeatures,
    ModelMetadata,
    ModelName,
    ModelRegistry,
    compute_features,
    fit_model,
    model_row,
    offer_of,
)
from journeys.store import Store
from journeys.store.behaviour_features import behaviour_counts
from journeys.store.tables.customers import Customer
from journeys.store.tables.events import Event

DEFAULT_HORIZON = timedelta(days=30)
"""Outcomes are looked for this long after the cut-off."""

OUTCOME_OF: dict[ModelName, BehaviourEvent] = {
    ModelName.CHURN_RISK: BehaviourEvent.SUBSCRIPTION_CANCELLED,
    ModelName.UPGRADE_LIKELIHOOD: BehaviourEvent.PLAN_UPGRADED,
    ModelName.CONVERSION_PROBABILITY: BehaviourEvent.TRIAL_CONVERTED,
    ModelName.RETENTION_LIFT: BehaviourEvent.SUBSCRIPTION_CANCELLED,
}
"""The event each model learns to predict (retention lift predicts its absence)."""


class TrainingRow(BaseModel):
    """One customer's features at the cut-off, plan, offer received and outcomes after it."""

    customer_id: str
    features: CustomerFeatures
    offer: Offer | None = None
    outcomes: set[str]


class TrainingOutcome(BaseModel):
    """What training one model gave: its saved metadata, or why it was not trained."""

    name: ModelName
    metadata: ModelMetadata | None = None
    skipped: str | None = None


def training_rows(
    session: Session, *, org_id: str, as_of: datetime, horizon: timedelta
) -> list[TrainingRow]:
    """Every customer who existed at ``as_of``, with features then and outcomes after."""
    customers = session.scalars(
        select(Customer).where(Customer.org_id == org_id, Customer.created_at <= as_of)
    ).all()
    counts = behaviour_counts(session, org_id=org_id, as_of=as_of)
    outcomes: dict[str, set[str]] = {}
    for customer_id, name in session.execute(
        select(Event.customer_id, Event.name).where(
            Event.org_id == org_id,
            Event.name.in_([event.value for event in OUTCOME_OF.values()]),
            Event.occurred_at > as_of,
            Event.occurred_at <= as_of + horizon,
        )
    ):
        outcomes.setdefault(customer_id, set()).add(name)
    offers: dict[str, Offer] = {}
    for customer_id, properties in session.execute(
        select(Event.customer_id, Event.properties)
        .where(
            Event.org_id == org_id,
            Event.name == BehaviourEvent.RETENTION_OFFER_MADE.value,
            Event.occurred_at > as_of - ACTIVITY_WINDOW,
            Event.occurred_at <= as_of,
        )
        .order_by(Event.occurred_at)
    ):
        offers[customer_id] = offer_of(properties.get("offer"))
    return [
        TrainingRow(
            customer_id=customer.customer_id,
            features=compute_features(
                counts.get(customer.customer_id, BehaviourCounts()),
                customer.attributes,
                customer.created_at,
                as_of,
            ),
            offer=offers.get(customer.customer_id),
            outcomes=outcomes.get(customer.customer_id, set()),
        )
        for customer in customers
    ]


def dataset(name: ModelName, rows: Iterable[TrainingRow]) -> tuple[list[list[float]], list[int]]:
    """The model's population, input rows and labels."""
    outcome = OUTCOME_OF[name].value
    matrix: list[list[float]] = []
    labels: list[int] = []
    for row in rows:
        plan = row.features.plan
        match name:
            case ModelName.CHURN_RISK:
                included = plan != TRIAL_PLAN
            case ModelName.UPGRADE_LIKELIHOOD:
                included = plan == STARTER_PLAN
            case ModelName.CONVERSION_PROBABILITY:
                included = plan == TRIAL_PLAN
            case ModelName.RETENTION_LIFT:
                included = row.offer is not None
        if not included:
            continue
        happened = outcome in row.outcomes
        matrix.append(model_row(name, row.features.vector(), row.offer))
        labels.append(int(not happened) if name is ModelName.RETENTION_LIFT else int(happened))
    return matrix, labels


def train_models(
    store: Store,
    registry: ModelRegistry,
    *,
    org_id: str,
    as_of: datetime,
    horizon: timedelta = DEFAULT_HORIZON,
    names: Iterable[ModelName] = tuple(ModelName),
    now: datetime,
) -> list[TrainingOutcome]:
    """Train and save a new version of each model; a model without enough data is skipped."""
    with store.transaction() as session:
        rows = training_rows(session, org_id=org_id, as_of=as_of, horizon=horizon)
    results: list[TrainingOutcome] = []
    for name in names:
        matrix, labels = dataset(name, rows)
        try:
            pipeline, metrics = fit_model(name, matrix, labels)
        except InvalidInputError as err:
            results.append(TrainingOutcome(name=name, skipped=str(err)))
            continue
        metadata = registry.save(
            name,
            pipeline,
            {
                "features": list(FEATURES),
                "metrics": metrics,
                "trained_at": now,
                "as_of": as_of,
                "horizon_days": horizon.days,
            },
        )
        results.append(TrainingOutcome(name=name, metadata=metadata))
    registry.reload()
    return results


def store_history(store: Store, *, org_id: str, history: SyntheticHistory) -> None:
    """Write generated customers and events to the store; a stored history is not added twice."""
    with store.transaction() as session:
        existing = set(
            session.scalars(select(Customer.customer_id).where(Customer.org_id == org_id))
        )
        new_customers = [
            {
                "org_id": org_id,
                "customer_id": profile["customer_id"],
                "attributes": profile["attributes"],
                "timezone": "UTC",
                "created_at": profile["created_at"],
                "updated_at": profile["created_at"],
            }
            for profile in history.customers
            if profile["customer_id"] not in existing
        ]
        if new_customers:
            session.execute(insert(Customer), new_customers)
        first = history.events[0]["event_id"] if history.events else None
        stored = first is not None and session.scalar(
            select(func.count()).where(Event.org_id == org_id, Event.event_id == first)
        )
        if first is not None and not stored:
            session.execute(insert(Event), history.events)
