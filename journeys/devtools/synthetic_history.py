"""A synthetic customer history, so a newcomer can train the models and see them work.

Customers on a trial, starter or pro plan get 60 days of behaviour up to
``as_of`` (logins, feature use, workflows, pricing views, support tickets,
payment failures) driven by a hidden engagement and purchase intent; then,
in the 30 days after ``as_of``, outcomes drawn from probabilities that depend
on that behaviour: cancellations, upgrades, trial conversions, and the effect
of retention offers made to at-risk customers just before ``as_of``. The
same seed always gives the same history.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from journeys.decisioning.retention_offers import Offer
from journeys.language.behaviour_events import BehaviourEvent
from journeys.scoring.predictive_models import (
    ADOPTION_ATTRIBUTE,
    CLV_ATTRIBUTE,
    MRR_ATTRIBUTE,
    PLAN_ATTRIBUTE,
    SIGNUP_ATTRIBUTE,
    STARTER_PLAN,
    TRIAL_PLAN,
)

HISTORY_DAYS = 60
"""Days of behaviour generated before ``as_of``."""

OUTCOME_HORIZON = timedelta(days=30)
"""Outcomes happen within this long after ``as_of``."""

PRO_PLAN = "pro"
PLAN_SHARES: dict[str, float] = {TRIAL_PLAN: 0.3, STARTER_PLAN: 0.4, PRO_PLAN: 0.3}
PLAN_MRR: dict[str, float] = {TRIAL_PLAN: 0.0, STARTER_PLAN: 49.0, PRO_PLAN: 199.0}
CLV_MONTHS = 24

OFFER_EFFECT: dict[Offer, float] = {
    Offer.DISCOUNT_20_PERCENT: 1.6,
    Offer.FREE_UPGRADE: 1.2,
    Offer.PREMIUM_SUPPORT: 0.7,
    Offer.CUSTOM_TRAINING: 2.0,
    Offer.NO_OFFER: 0.0,
}
"""How much each offer lowers the log-odds of cancelling (the truth the model must find)."""

AT_RISK_CHURN = 0.15
"""Paying customers above this churn probability were made a (random) retention offer."""


class SyntheticHistory(BaseModel):
    """Rows to store: customer profiles and behavioural events."""

    customers: list[dict[str, Any]]
    events: list[dict[str, Any]]


def generate_history(  # noqa: C901 - one generative story, read top to bottom, per customer
    *, org_id: str, customers: int, as_of: datetime, seed: int = 42
) -> SyntheticHistory:
    """Generate ``customers`` customers with behaviour before and outcomes after ``as_of``."""
    import numpy as np  # imported when history is generated, not with the CLI

    rng = np.random.default_rng(seed)
    profiles: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    plans = list(PLAN_SHARES)
    for index in range(customers):
        customer_id = f"synthetic-{index:05d}"
        plan = str(rng.choice(plans, p=list(PLAN_SHARES.values())))
        engagement = float(rng.normal())
        intent = float(rng.normal())
        friction = float(rng.normal())
        tenure = float(rng.uniform(3, 14) if plan == TRIAL_PLAN else rng.uniform(30, 700))
        signup = as_of - timedelta(days=tenure)
        quiet_days = float(rng.exponential(4.0 * math.exp(-engagement)))
        start = max(as_of - timedelta(days=HISTORY_DAYS), signup)
        active_until = as_of - timedelta(days=quiet_days)
        daily_rates = {
            BehaviourEvent.LOGIN: 0.6 * math.exp(0.6 * engagement),
            BehaviourEvent.FEATURE_USED: 0.4 * math.exp(0.8 * engagement),
            BehaviourEvent.CORE_WORKFLOW_COMPLETED: 0.05 * math.exp(0.9 * engagement),
            BehaviourEvent.PRICING_PAGE_VIEWED: 0.08 * math.exp(1.1 * intent),
            BehaviourEvent.SUPPORT_TICKET_OPENED: 0.02 * math.exp(0.9 * friction),
            BehaviourEvent.PAYMENT_FAILED: 0.0
            if plan == TRIAL_PLAN
            else 0.004 * math.exp(friction),
        }
        recent: dict[BehaviourEvent, int] = dict.fromkeys(daily_rates, 0)
        span_days = max((active_until - start).total_seconds() / 86_400, 0.0)
        for name, rate in daily_rates.items():
            for _ in range(int(rng.poisson(rate * span_days))):
                at = start + timedelta(days=float(rng.uniform(0, span_days)))
                if at > as_of - timedelta(days=30):
                    recent[name] += 1
                events.append(_event(org_id, customer_id, name, at, len(events)))
        idle = min((as_of - active_until).total_seconds() / 86_400, 90.0)
        mrr = PLAN_MRR[plan] * float(rng.uniform(0.8, 1.5))
        adoption = float(np.clip(round(50 + 15 * engagement + rng.normal(0, 8)), 0, 100))
        profiles.append(
            {
                "customer_id": customer_id,
                "attributes": {
                    "name": f"Synthetic Customer {index}",
                    "email": f"{customer_id}@example.test",
                    PLAN_ATTRIBUTE: plan,
                    MRR_ATTRIBUTE: round(mrr, 2),
                    CLV_ATTRIBUTE: round(mrr * CLV_MONTHS, 2),
                    ADOPTION_ATTRIBUTE: adoption,
                    SIGNUP_ATTRIBUTE: signup.isoformat(),
                },
                "created_at": signup,
            }
        )
        outcome_at = as_of + timedelta(days=float(rng.uniform(0.5, OUTCOME_HORIZON.days - 0.5)))
        if plan == TRIAL_PLAN:
            convert = _logistic(
                -2.0
                + 0.08 * recent[BehaviourEvent.LOGIN]
                + 0.6 * recent[BehaviourEvent.PRICING_PAGE_VIEWED]
                + 0.5 * intent
            )
            if rng.random() < convert:
                events.append(
                    _event(
                        org_id, customer_id, BehaviourEvent.TRIAL_CONVERTED, outcome_at, len(events)
                    )
                )
            continue
        churn_logit = (
            -1.8
            - 0.05 * recent[BehaviourEvent.LOGIN]
            + 0.7 * recent[BehaviourEvent.SUPPORT_TICKET_OPENED]
            + 1.0 * recent[BehaviourEvent.PAYMENT_FAILED]
            + 0.08 * idle
        )
        if _logistic(churn_logit) > AT_RISK_CHURN:
            offer = list(Offer)[int(rng.integers(len(Offer)))]
            churn_logit -= OFFER_EFFECT[offer]
            offered_at = as_of - timedelta(hours=float(rng.uniform(1, 48)))
            events.append(
                _event(
                    org_id,
                    customer_id,
                    BehaviourEvent.RETENTION_OFFER_MADE,
                    offered_at,
                    len(events),
                    {"offer": offer.value},
                )
            )
        if rng.random() < _logistic(churn_logit):
            events.append(
                _event(
                    org_id,
                    customer_id,
                    BehaviourEvent.SUBSCRIPTION_CANCELLED,
                    outcome_at,
                    len(events),
                )
            )
        elif plan == STARTER_PLAN:
            upgrade = _logistic(
                -2.6 + 0.5 * recent[BehaviourEvent.PRICING_PAGE_VIEWED] + 0.03 * (adoption - 50)
            )
            if rng.random() < upgrade:
                events.append(
                    _event(
                        org_id, customer_id, BehaviourEvent.PLAN_UPGRADED, outcome_at, len(events)
                    )
                )
    return SyntheticHistory(customers=profiles, events=events)


def _event(
    org_id: str,
    customer_id: str,
    name: BehaviourEvent,
    at: datetime,
    number: int,
    properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "org_id": org_id,
        "event_id": f"synthetic-{customer_id}-{number:08d}",
        "customer_id": customer_id,
        "name": name.value,
        "properties": properties or {},
        "occurred_at": at,
        "received_at": at,
    }


def _logistic(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))
